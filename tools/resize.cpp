#include "resize.h"

#include <algorithm>
#include <utility>

namespace pixnorm_cli {
namespace {

constexpr unsigned kBits = 11;  // weight resolution, as OpenCV's INTER_RESIZE_COEF_BITS
constexpr uint32_t kOne = 1u << kBits;

// Output sample = in[i0] * (kOne - w) + in[i1] * w, over kOne.
struct Tap {
  uint32_t i0, i1, w;
};

std::vector<Tap> taps(uint32_t src, uint32_t dst) {
  std::vector<Tap> t(dst);
  const int64_t den = 2 * int64_t{dst};
  for (uint32_t d = 0; d < dst; ++d) {
    // The source coordinate (d + 0.5) * src / dst - 0.5 = num / den, in integers so that the
    // taps do not depend on the machine's floating point.
    const int64_t num = (2 * int64_t{d} + 1) * src - dst;
    Tap& tap = t[d];
    if (num <= 0) {
      tap.i0 = 0;
      tap.w = 0;
    } else {
      tap.i0 = uint32_t(num / den);
      tap.w = uint32_t((2 * (num % den) * kOne + den) / (2 * den));
      if (tap.i0 >= src - 1) {
        tap.i0 = src - 1;
        tap.w = 0;
      }
    }
    tap.i1 = std::min(tap.i0 + 1, src - 1);
  }
  return t;
}

}  // namespace

void resize_bilinear(const uint8_t* src, uint32_t src_w, uint32_t src_h, size_t src_row_bytes, unsigned channels,
                     uint8_t* dst, uint32_t dst_w, uint32_t dst_h) {
  const std::vector<Tap> xt = taps(src_w, dst_w), yt = taps(src_h, dst_h);
  const size_t row = size_t{dst_w} * channels;
  // Two source rows interpolated horizontally (scaled by kOne), reused while consecutive output
  // rows fall between the same source rows.
  std::vector<uint32_t> a(row), b(row);
  int64_t a_row = -1, b_row = -1;
  auto horizontal = [&](uint32_t y, std::vector<uint32_t>& out) {
    const uint8_t* s = src + size_t{y} * src_row_bytes;
    for (uint32_t x = 0; x < dst_w; ++x) {
      const Tap& t = xt[x];
      const uint8_t* p0 = s + size_t{t.i0} * channels;
      const uint8_t* p1 = s + size_t{t.i1} * channels;
      for (unsigned c = 0; c < channels; ++c) out[size_t{x} * channels + c] = p0[c] * (kOne - t.w) + p1[c] * t.w;
    }
  };
  for (uint32_t y = 0; y < dst_h; ++y) {
    const Tap& t = yt[y];
    if (a_row != t.i0) {
      if (b_row == t.i0) {
        std::swap(a, b);
        std::swap(a_row, b_row);
      } else {
        horizontal(t.i0, a);
        a_row = t.i0;
      }
    }
    if (b_row != t.i1) {
      horizontal(t.i1, b);
      b_row = t.i1;
    }
    uint8_t* d = dst + size_t{y} * row;
    // At most 255 * 2^22 + 2^21: fits 32 bits.
    for (size_t k = 0; k < row; ++k)
      d[k] = uint8_t((a[k] * (kOne - t.w) + b[k] * t.w + (1u << (2 * kBits - 1))) >> (2 * kBits));
  }
}

}  // namespace pixnorm_cli
