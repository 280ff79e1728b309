// Enum arguments come from C, where any int fits an enum; in C++ reading an enum object that
// holds a value outside its enumerators' range is undefined. Validation reads the bits.
#ifndef PIXNORM_C_ENUM_H
#define PIXNORM_C_ENUM_H

#include <cstring>

namespace pixnorm {

template <class E>
int enum_bits(const E& e) {
  static_assert(sizeof(int) == sizeof(E), "C enums are int-sized");
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

}  // namespace pixnorm

#endif
