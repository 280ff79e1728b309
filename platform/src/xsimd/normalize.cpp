// xsimd backend, normalization to float32: flat, planar, interleave. On x86,
// multi-channel pixels reach the float lanes through byte windows and pshufb (WindowTables,
// kPlaneShuffle in kernels.h); on NEON they are deinterleaved into stack buffers (vld3/vld4) (contracts in kernels.h; the table in kernels_xsimd.cpp).
#include "xsimd/common.h"

namespace pixnorm {
namespace xsimd_backend {

void flat(const uint8_t* src, size_t n, float* dst, const float* scale, const float* bias, unsigned period) {
  const size_t head = head_to_align(dst, n);
  for (size_t i = 0; i < head; ++i) dst[i] = norm_scalar(src[i], scale[i % period], bias[i % period]);
  src += head;
  dst += head;
  n -= head;
  if (period == 1) {
    if (n < N) {
      for (size_t i = 0; i < n; ++i) dst[i] = norm_scalar(src[i], scale[0], bias[0]);
      return;
    }
    const BF s(scale[0]), b(bias[0]);
    size_t i = 0;
    for (; i + 4 * N <= n; i += 4 * N) {
      norm(widen(src + i), s, b).store_unaligned(dst + i);
      norm(widen(src + i + N), s, b).store_unaligned(dst + i + N);
      norm(widen(src + i + 2 * N), s, b).store_unaligned(dst + i + 2 * N);
      norm(widen(src + i + 3 * N), s, b).store_unaligned(dst + i + 3 * N);
    }
    for (; i + N <= n; i += N) norm(widen(src + i), s, b).store_unaligned(dst + i);
    if (i < n) norm(widen(src + n - N), s, b).store_unaligned(dst + n - N);  // identical rewrite
    return;
  }
  // The head shifted the phase of the first element by head % 3.
  const size_t phase = head % 3;
  alignas(64) float pattern[6 * N];
  for (size_t j = 0; j < 3 * N; ++j) {
    pattern[j] = scale[(j + phase) % 3];
    pattern[3 * N + j] = bias[(j + phase) % 3];
  }
  if (n < 3 * N) {
    for (size_t j = 0; j < n; ++j) dst[j] = norm_scalar(src[j], pattern[j], pattern[3 * N + j]);
    return;
  }
  const BF s0 = BF::load_aligned(pattern), s1 = BF::load_aligned(pattern + N);
  const BF s2 = BF::load_aligned(pattern + 2 * N), b0 = BF::load_aligned(pattern + 3 * N);
  const BF b1 = BF::load_aligned(pattern + 4 * N), b2 = BF::load_aligned(pattern + 5 * N);
  size_t i = 0;
  for (; i + 3 * N <= n; i += 3 * N) {
    norm(widen(src + i), s0, b0).store_unaligned(dst + i);
    norm(widen(src + i + N), s1, b1).store_unaligned(dst + i + N);
    norm(widen(src + i + 2 * N), s2, b2).store_unaligned(dst + i + 2 * N);
  }
  if (i < n) {  // the last whole block in phase, then the elements after it
    const size_t last = n - 3 * N, j = last - last % 3;
    norm(widen(src + j), s0, b0).store_unaligned(dst + j);
    norm(widen(src + j + N), s1, b1).store_unaligned(dst + j + N);
    norm(widen(src + j + 2 * N), s2, b2).store_unaligned(dst + j + 2 * N);
    for (size_t k = j + 3 * N; k < n; ++k) dst[k] = norm_scalar(src[k], pattern[k % 3], pattern[3 * N + k % 3]);
  }
}

#if defined(__SSSE3__) && !defined(__AVX512BW__)
// Planar output on x86 up to 256 bits through the byte windows of common.h.
void planar(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2, const float* scale,
            const float* bias) {
  if (n < N) return scalar_kernels()->planar(src, n, cin, d0, d1, d2, scale, bias);
  const BF s0(scale[0]), s1(scale[1]), s2(scale[2]), b0(bias[0]), b1(bias[1]), b2(bias[2]);
  const auto x0 = plane_table(kPlaneShuffle[cin - 3][0]), x1 = plane_table(kPlaneShuffle[cin - 3][1]);
  const auto x2 = plane_table(kPlaneShuffle[cin - 3][2]);
  const auto vector = [&](const uint8_t* from, size_t at) {
    const auto w = pixel_blocks(from, cin);
    norm(plane_as_float(w, x0), s0, b0).store_unaligned(d0 + at);
    norm(plane_as_float(w, x1), s1, b1).store_unaligned(d1 + at);
    norm(plane_as_float(w, x2), s2, b2).store_unaligned(d2 + at);
  };
  const size_t head = head_to_align(d0, n);
  scalar_kernels()->planar(src, head, cin, d0, d1, d2, scale, bias);
  window_steps(src, n, cin, N, head, (N - 4) * cin + 16, vector);
}
#else
void planar(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2, const float* scale,
            const float* bias) {
  uint8_t plane[3][kChunk];
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    deinterleave(src + start * cin, m, cin, plane[0], plane[1], plane[2]);
    flat(plane[0], m, d0 + start, scale + 0, bias + 0, 1);
    flat(plane[1], m, d1 + start, scale + 1, bias + 1, 1);
    flat(plane[2], m, d2 + start, scale + 2, bias + 2, 1);
  }
}
#endif

#if defined(__SSSE3__)
// NHWC from swapped or four-channel pixels on x86 through the byte windows of common.h.
void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  if (n < N) return scalar_kernels()->interleave(src, n, cin, swap, dst, scale, bias);
  const InterleaveWindows win(cin, swap, scale, bias);
  const auto period = [&](const uint8_t* from, size_t at) {
    float* to = dst + 3 * at;
    win.batch<0>(from).store_unaligned(to);
    win.batch<1>(from).store_unaligned(to + N);
    win.batch<2>(from).store_unaligned(to + 2 * N);
  };
  const size_t head = head_to_align(dst, n, 3);
  scalar_kernels()->interleave(src, head, cin, swap, dst, scale, bias);
  window_steps(src, n, cin, N, head, win.t.reach, period);
}
#else
void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  uint8_t rgb[3 * kChunk + 16];
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    repack(src + start * cin, m, cin, swap, rgb);
    flat(rgb, 3 * m, dst + 3 * start, scale, bias, 3);
  }
}
#endif

}  // namespace xsimd_backend
}  // namespace pixnorm
