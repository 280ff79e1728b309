// NPY (format version 1.0) headers for C-order arrays of the plan output types, as numpy.load reads them.
#ifndef PIXNORM_TOOLS_NPY_H
#define PIXNORM_TOOLS_NPY_H

#include <pixnorm/pixnorm.h>

#include <cstdint>
#include <string>
#include <vector>

namespace pixnorm_cli {

// The complete header (magic, version, length, dict, padding) for an array of `shape` of
// float32, float16, int8 or uint8 in this machine's byte order; the raw elements follow it. Its
// size is a multiple of 64 so that the data is aligned for memory mapping, as numpy writes it.
std::string npy_header(const std::vector<uint64_t>& shape, pixnorm_dtype dtype);
// "float32", "float16", "int8", "uint8"
const char* dtype_name(pixnorm_dtype dtype);

// "(2, 3, 224, 224)": the shape as numpy prints it.
std::string shape_string(const std::vector<uint64_t>& shape);

}  // namespace pixnorm_cli

#endif
