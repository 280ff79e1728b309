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

#if !defined(__SSSE3__)
// n pixels of cin (3 or 4) bytes to 3-byte pixels, the first three channels reversed if swap.
void repack(const uint8_t* src, size_t n, unsigned cin, int swap, uint8_t* dst) {
  const unsigned s0 = swap ? 2 : 0, s2 = swap ? 0 : 2;
  size_t i = 0;
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
  for (; i + 16 <= n; i += 16) {
    uint8x16x3_t out;
    if (cin == 3) {
      const uint8x16x3_t v = vld3q_u8(src + 3 * i);
      out.val[0] = v.val[s0];
      out.val[1] = v.val[1];
      out.val[2] = v.val[s2];
    } else {
      const uint8x16x4_t v = vld4q_u8(src + 4 * i);
      out.val[0] = v.val[s0];
      out.val[1] = v.val[1];
      out.val[2] = v.val[s2];
    }
    vst3q_u8(dst + 3 * i, out);
  }
#endif
  for (const uint8_t* p = src + i * cin; i < n; ++i, p += cin) {
    dst[3 * i + 0] = p[s0];
    dst[3 * i + 1] = p[1];
    dst[3 * i + 2] = p[s2];
  }
}
#endif

#if defined(__SSSE3__) && !defined(__AVX512BW__)
// Planar output on x86 up to 256 bits: each 128-bit block loads the 16 bytes from its first
// pixel and one pshufb per plane (kPlaneShuffle) moves that plane's bytes into 32-bit lanes.
#if defined(__AVX2__)
inline __m256i pixel_blocks(const uint8_t* p, unsigned cin) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 4 * cin));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}
inline __m256i plane_table(const uint8_t* t) {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}
inline BF plane_as_float(__m256i w, __m256i table) { return BF(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(w, table))); }
#else
inline __m128i pixel_blocks(const uint8_t* p, unsigned) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m128i plane_table(const uint8_t* t) { return _mm_load_si128(reinterpret_cast<const __m128i*>(t)); }
inline BF plane_as_float(__m128i w, __m128i table) { return BF(_mm_cvtepi32_ps(_mm_shuffle_epi8(w, table))); }
#endif

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
// NHWC from swapped or four-channel pixels on x86: each batch of floats comes straight from one
// byte window of the source (WindowTables in kernels.h): a 16-byte load repeated in each
// 128-bit block and one pshufb, or on AVX-512 a 32-byte load, vpermd and pshufb.
#if defined(__AVX512BW__)
using Table = __m512i;
inline Table load_table(const void* p) { return _mm512_loadu_si512(p); }
inline BF window_as_float(const uint8_t* p, Table bytes, Table words) {
  const __m512i raw = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return BF(_mm512_cvtepi32_ps(_mm512_shuffle_epi8(_mm512_permutexvar_epi32(words, raw), bytes)));
}
#elif defined(__AVX2__)
using Table = __m256i;
inline Table load_table(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline BF window_as_float(const uint8_t* p, Table bytes, Table) {
  const __m256i raw = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return BF(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(raw, bytes)));
}
#else
using Table = __m128i;
inline Table load_table(const void* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline BF window_as_float(const uint8_t* p, Table bytes, Table) {
  return BF(_mm_cvtepi32_ps(_mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), bytes)));
}
#endif

void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  if (n < N) return scalar_kernels()->interleave(src, n, cin, swap, dst, scale, bias);
  const WindowTables& t = window_tables(N, cin, swap);
  alignas(64) float pattern[6][N];  // scale, then bias, of each lane of the three batches
  for (size_t k = 0; k < 3; ++k)
    for (size_t l = 0; l < N; ++l) {
      pattern[k][l] = scale[t.channel[k][l]];
      pattern[3 + k][l] = bias[t.channel[k][l]];
    }
  const BF sc0 = BF::load_aligned(pattern[0]), sc1 = BF::load_aligned(pattern[1]), sc2 = BF::load_aligned(pattern[2]);
  const BF bi0 = BF::load_aligned(pattern[3]), bi1 = BF::load_aligned(pattern[4]), bi2 = BF::load_aligned(pattern[5]);
  const Table x0 = load_table(t.bytes[0]), x1 = load_table(t.bytes[1]), x2 = load_table(t.bytes[2]);
  const Table w0 = load_table(t.words[0]), w1 = load_table(t.words[1]), w2 = load_table(t.words[2]);
  const size_t o1 = t.first[1] * cin, o2 = t.first[2] * cin;
  const auto period = [&](const uint8_t* from, size_t at) {
    float* to = dst + 3 * at;
    norm(window_as_float(from, x0, w0), sc0, bi0).store_unaligned(to);
    norm(window_as_float(from + o1, x1, w1), sc1, bi1).store_unaligned(to + N);
    norm(window_as_float(from + o2, x2, w2), sc2, bi2).store_unaligned(to + 2 * N);
  };
  const size_t head = head_to_align(dst, n, 3);
  scalar_kernels()->interleave(src, head, cin, swap, dst, scale, bias);
  window_steps(src, n, cin, N, head, t.reach, period);
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
