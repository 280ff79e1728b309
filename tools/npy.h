// NPY (format version 1.0) headers for float32 C-order arrays, as numpy.load reads them.
#ifndef PIXNORM_TOOLS_NPY_H
#define PIXNORM_TOOLS_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace pixnorm_cli {

// The complete header (magic, version, length, dict, padding) for a float32 array of `shape`
// in this machine's byte order; the raw floats follow it. Its size is a multiple of 64 so
// that the data is aligned for memory mapping, as numpy itself writes it.
std::string npy_header_f32(const std::vector<uint64_t>& shape);

// "(2, 3, 224, 224)": the shape as numpy prints it.
std::string shape_string(const std::vector<uint64_t>& shape);

}  // namespace pixnorm_cli

#endif
