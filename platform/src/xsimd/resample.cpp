// xsimd backend, two-tap resampling, window gathers and YUV: resample2,
// resample2_windows, gather_windows, yuv (contracts in kernels.h; the table in kernels_xsimd.cpp).
#include "xsimd/common.h"

namespace pixnorm {
namespace xsimd_backend {

// Two-tap resampling (kernels.h): 32-bit words read lane by lane at byte offsets (vpgatherdd
// measured 2.5x slower here: gather data sampling mitigation), the scalar reference's integer
// arithmetic on batches, then bytes.
inline BI words(const uint8_t* base, const int32_t* off) {
  alignas(64) int32_t w[N];
  for (size_t j = 0; j < N; ++j) std::memcpy(&w[j], base + off[j], 4);
  return BI::load_aligned(w);
}

inline void store_bytes(BI v, uint8_t* dst) {
#if defined(__AVX512F__)
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(v));
#elif defined(__AVX2__)
  const __m256i w = _mm256_packus_epi32(v, v);  // per 128-bit lane: d0..d3 d0..d3 | d4..d7 d4..d7
  const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_unpacklo_epi32(b, _mm_srli_si128(b, 8)));
#else
  alignas(64) int32_t w[N];
  v.store_aligned(w);
  for (size_t j = 0; j < N; ++j) dst[j] = static_cast<uint8_t>(w[j]);
#endif
}

// The vertical blend of two rows' horizontal sums, rounded (kernels.h), or of row 0 alone.
template <bool kTwoRows>
inline BI blend(BI h0, BI h1, BI vwy) {
  if constexpr (!kTwoRows) return (h0 + BI(1 << 10)) >> 11;
  return ((h0 << 11) + (h1 - h0) * vwy + BI(1 << 21)) >> 22;
}

template <bool kTwoRows, bool kWideStep>
size_t resample2_loop(const uint8_t* row0, const uint8_t* row1, const int32_t* off, const int32_t* wx, int32_t wy,
                      unsigned step, size_t n, uint8_t* out) {
  const BI mask(0xFF), vwy(wy);
  const int32_t shift = static_cast<int32_t>(8 * step);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const BI w = BI::load_unaligned(wx + i);
    const BI g0 = words(row0, off + i);
    const BI a0 = g0 & mask;
    const BI b0 = kWideStep ? words(row0 + step, off + i) & mask : (g0 >> shift) & mask;
    const BI h0 = (a0 << 11) + (b0 - a0) * w;
    BI h1 = h0;
    if (kTwoRows) {
      const BI g1 = words(row1, off + i);
      const BI a1 = g1 & mask;
      const BI b1 = kWideStep ? words(row1 + step, off + i) & mask : (g1 >> shift) & mask;
      h1 = (a1 << 11) + (b1 - a1) * w;
    }
    store_bytes(blend<kTwoRows>(h0, h1, vwy), out + i);
  }
  return i;
}

void resample2(const uint8_t* row0, const uint8_t* row1, const int32_t* off, const int32_t* wx, int32_t wy,
               unsigned step, unsigned /*group*/, size_t n, uint8_t* out) {
  size_t i;
  if (wy == 0)
    i = step >= 4 ? resample2_loop<false, true>(row0, row1, off, wx, wy, step, n, out)
                  : resample2_loop<false, false>(row0, row1, off, wx, wy, step, n, out);
  else
    i = step >= 4 ? resample2_loop<true, true>(row0, row1, off, wx, wy, step, n, out)
                  : resample2_loop<true, false>(row0, row1, off, wx, wy, step, n, out);
  if (i < n) scalar_kernels()->resample2(row0, row1, off + i, wx + i, wy, step, 1, n - i, out + i);
}

// Two-tap resampling by 16-byte windows (kernels.h): per 128-bit block, one load, one byte
// shuffle into (a, b) int16 pairs and one pairwise multiply-add (pshufb/pmaddwd, NEON tbl and
// widening multiplies, which xsimd 8.1 does not wrap), then the vertical blend on batches.
constexpr size_t kWindowBlocks = N / 4;  // 128-bit blocks per batch of int32

#if defined(__AVX512BW__) || defined(__AVX2__) || defined(__SSSE3__)
inline __m128i window(const uint8_t* r, int32_t base) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(r + base));
}
#endif

inline BI window_sums(const uint8_t* r, const int32_t* base, const uint8_t* idx, const uint32_t* wpair) {
#if defined(__AVX512BW__)
  static_assert(N == 16, "AVX-512 batch");
  __m512i v = _mm512_castsi128_si512(window(r, base[0]));
  v = _mm512_inserti32x4(v, window(r, base[1]), 1);
  v = _mm512_inserti32x4(v, window(r, base[2]), 2);
  v = _mm512_inserti32x4(v, window(r, base[3]), 3);
  const __m512i t = _mm512_shuffle_epi8(v, _mm512_loadu_si512(idx));
  return BI(_mm512_madd_epi16(t, _mm512_loadu_si512(wpair)));
#elif defined(__AVX2__)
  static_assert(N == 8, "AVX2 batch");
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(window(r, base[0])), window(r, base[1]), 1);
  const __m256i t = _mm256_shuffle_epi8(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx)));
  return BI(_mm256_madd_epi16(t, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wpair))));
#elif defined(__SSSE3__)
  static_assert(N == 4, "SSE batch");
  const __m128i t = _mm_shuffle_epi8(window(r, base[0]), _mm_loadu_si128(reinterpret_cast<const __m128i*>(idx)));
  return BI(_mm_madd_epi16(t, _mm_loadu_si128(reinterpret_cast<const __m128i*>(wpair))));
#elif defined(__ARM_NEON) || defined(__ARM_NEON__)
  static_assert(N == 4, "NEON batch");
  const uint8x16_t win = vld1q_u8(r + base[0]), tbl = vld1q_u8(idx);
#if defined(__aarch64__)
  const int16x8_t t = vreinterpretq_s16_u8(vqtbl1q_u8(win, tbl));  // indexes >= 16 give 0
#else
  const uint8x8x2_t w2 = {{vget_low_u8(win), vget_high_u8(win)}};
  const int16x8_t t = vreinterpretq_s16_u8(vcombine_u8(vtbl2_u8(w2, vget_low_u8(tbl)), vtbl2_u8(w2, vget_high_u8(tbl))));
#endif
  const int16x8_t w = vreinterpretq_s16_u32(vld1q_u32(wpair));
  const int32x4_t lo = vmull_s16(vget_low_s16(t), vget_low_s16(w)), hi = vmull_s16(vget_high_s16(t), vget_high_s16(w));
#if defined(__aarch64__)
  return BI(vpaddq_s32(lo, hi));
#else
  return BI(vcombine_s32(vpadd_s32(vget_low_s32(lo), vget_high_s32(lo)), vpadd_s32(vget_low_s32(hi), vget_high_s32(hi))));
#endif
#else
#error "pixnorm: no byte shuffle for this xsimd architecture"
#endif
}

template <bool kTwoRows>
size_t resample2_windows_loop(const uint8_t* row0, const uint8_t* row1, const int32_t* base, const uint8_t* idx,
                              const uint32_t* wpair, int32_t wy, size_t nblocks, uint8_t* out) {
  const BI vwy(wy);
  size_t k = 0;
  for (; k + kWindowBlocks <= nblocks; k += kWindowBlocks) {
    const BI h0 = window_sums(row0, base + k, idx + 16 * k, wpair + 4 * k);
    const BI h1 = kTwoRows ? window_sums(row1, base + k, idx + 16 * k, wpair + 4 * k) : h0;
    store_bytes(blend<kTwoRows>(h0, h1, vwy), out + 4 * k);
  }
  return k;
}

void resample2_windows(const uint8_t* row0, const uint8_t* row1, const int32_t* base, const uint8_t* idx,
                       const uint32_t* wpair, int32_t wy, size_t nblocks, uint8_t* out) {
  const size_t k = wy == 0 ? resample2_windows_loop<false>(row0, row1, base, idx, wpair, wy, nblocks, out)
                           : resample2_windows_loop<true>(row0, row1, base, idx, wpair, wy, nblocks, out);
  if (k < nblocks)
    scalar_kernels()->resample2_windows(row0, row1, base + k, idx + 16 * k, wpair + 4 * k, wy, nblocks - k,
                                        out + 4 * k);
}

// Bytes alone: the window sums with the weight pair (2048, 0), whose rounding gives the byte
// back, a chunk of blocks at a time.
void gather_windows(const uint8_t* r, const int32_t* base, const uint8_t* idx, size_t nblocks, uint8_t* out) {
  constexpr size_t kChunkBlocks = 64;
  static const struct Unit {
    uint32_t w[4 * kChunkBlocks];
    Unit() {
      for (uint32_t& x : w) x = 2048;
    }
  } unit;
  for (size_t k = 0; k < nblocks; k += kChunkBlocks) {
    const size_t nb = nblocks - k < kChunkBlocks ? nblocks - k : kChunkBlocks;
    resample2_windows(r, r, base + k, idx + 16 * k, unit.w, 0, nb, out + 4 * k);
  }
}

// YUV conversion: the reference loop (xsimd 8.1 has no byte interleaving stores).
void yuv(const uint8_t* y, const uint8_t* u, const uint8_t* v, size_t n, const YuvCoef* k, uint8_t* rgb) {
  scalar_kernels()->yuv(y, u, v, n, k, rgb);
}

}  // namespace xsimd_backend
}  // namespace pixnorm
