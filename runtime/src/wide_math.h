// Integer arithmetic wider than the machine's: the exact variance numerator of the per-image modes.
#ifndef PIXNORM_WIDE_MATH_H
#define PIXNORM_WIDE_MATH_H

#include <cmath>
#include <cstdint>

namespace pixnorm {

// Exact n * s2 - s1 * s1 (>= 0 by Cauchy-Schwarz) as a double, through a 128-bit product
// written out by hand: 32-bit targets have no __int128.
struct U128 {
  uint64_t hi, lo;
};
inline U128 mul64(uint64_t a, uint64_t b) {
  const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
  const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
  return {p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (p00 & 0xFFFFFFFFu)};
}
inline double variance_numerator(uint64_t n, uint64_t s1, uint64_t s2) {
  const U128 a = mul64(n, s2), b = mul64(s1, s1);
  const uint64_t lo = a.lo - b.lo;
  const uint64_t hi = a.hi - b.hi - (a.lo < b.lo ? 1 : 0);
  return std::ldexp(static_cast<double>(hi), 64) + static_cast<double>(lo);
}

}  // namespace pixnorm

#endif
