#include "npy.h"

#include <stdexcept>

namespace pixnorm_cli {

std::string shape_string(const std::vector<uint64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";  // a Python 1-tuple
  return s + ")";
}

const char* dtype_name(pixnorm_dtype dtype) {
  switch (dtype) {
    case PIXNORM_DTYPE_F16: return "float16";
    case PIXNORM_DTYPE_INT8: return "int8";
    case PIXNORM_DTYPE_UINT8: return "uint8";
    default: return "float32";
  }
}

std::string npy_header(const std::vector<uint64_t>& shape, pixnorm_dtype dtype) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const char* descr = dtype == PIXNORM_DTYPE_F16 ? ">f2" : ">f4";
#else
  const char* descr = dtype == PIXNORM_DTYPE_F16 ? "<f2" : "<f4";
#endif
  if (dtype == PIXNORM_DTYPE_INT8) descr = "|i1";
  if (dtype == PIXNORM_DTYPE_UINT8) descr = "|u1";
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                     shape_string(shape) + ", }";
  const size_t prefix = 10;  // magic (6), version (2), header length (2)
  size_t total = prefix + dict.size() + 1;  // + the final '\n'
  total = (total + 63) / 64 * 64;
  if (total - prefix > 0xFFFF) throw std::length_error("npy header too long");
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::string header("\x93NUMPY\x01\x00", 8);
  const size_t len = dict.size();
  header += static_cast<char>(len & 0xFF);
  header += static_cast<char>(len >> 8);
  return header + dict;
}

}  // namespace pixnorm_cli
