// xsimd backend, Pillow's resampling passes: pil_h, pil_v, pil_h3, pil_hw (contracts in kernels.h; the table in kernels_xsimd.cpp).
#include "xsimd/common.h"

namespace pixnorm {
namespace xsimd_backend {

// Pillow's resampling passes: the scalar reference for now (the Highway backend has SIMD versions).
void pil_h(const uint8_t* r, const int32_t* off, const int32_t* w, size_t wstride, unsigned taps, unsigned step,
           size_t n, uint8_t* out) {
  scalar_kernels()->pil_h(r, off, w, wstride, taps, step, n, out);
}
void pil_v(const uint8_t* const* rows, const int32_t* w, unsigned taps, size_t n, uint8_t* out) {
  size_t e = 0;
#if defined(__AVX2__)
  // 32-bit lanes (mullo and add wrap like the reference's int), clip8 by two saturating packs.
  const __m256i half = _mm256_set1_epi32(1 << 21);
  for (; e + 16 <= n; e += 16) {
    __m256i s0 = half, s1 = half;
    for (unsigned j = 0; j < taps; ++j) {
      const __m256i wj = _mm256_set1_epi32(w[j]);
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + e));
      s0 = _mm256_add_epi32(s0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(x), wj));
      s1 = _mm256_add_epi32(s1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(x, 8)), wj));
    }
    const __m256i p = _mm256_packs_epi32(_mm256_srai_epi32(s0, 22), _mm256_srai_epi32(s1, 22));
    // bytes 0-3 and 8-11 in block 0, 4-7 and 12-15 in block 1
    const __m256i b = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(p, p), _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + e), _mm256_castsi256_si128(b));
  }
#endif
  if (e < n) {
    const uint8_t* rest[4096];
    for (unsigned j = 0; j < taps; ++j) rest[j] = rows[j] + e;
    scalar_kernels()->pil_v(rest, w, taps, n - e, out + e);
  }
}
void pil_h3(const uint8_t* r, const int32_t* base, const int16_t* w, size_t wstride, unsigned taps, size_t n,
            uint8_t* out) {
  scalar_kernels()->pil_h3(r, base, w, wstride, taps, n, out);
}
// pil_hw: blocks of four elements, their windows shuffled into int16 pairs and multiply-added
// with both halves of the weights (pmaddwd), two blocks per vector with AVX2.
void pil_hw(const uint8_t* r, const uint8_t* r1, const int32_t* base, const uint8_t* idx, size_t istride,
            const int16_t* w, size_t wstride, unsigned pairs, size_t nblocks, uint8_t* out, uint8_t* out1) {
  size_t k = 0;
#if defined(__AVX2__)
  const auto win = [&](const uint8_t* row, size_t at) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + base[at]));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + base[at + 1]));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
  };
  const __m256i half = _mm256_set1_epi32(1 << 21);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const auto row_blocks = [&](const uint8_t* row, uint8_t* o) {
    const __m256i x = win(row, k);
    __m256i lo = half, hi = _mm256_setzero_si256();
    for (unsigned q = 0; q < pairs; ++q) {
      const __m256i t = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + istride * q + 16 * k));
      const int16_t* wq = w + wstride * (2 * q) + 8 * k;
      const __m256i p = _mm256_shuffle_epi8(x, t);
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq))));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + wstride))));
    }
    const __m256i s = _mm256_srai_epi32(_mm256_add_epi32(lo, _mm256_slli_epi32(hi, 16)), 22);
    // clip8: the shifted sums fit in int16, so two saturating packs clamp them to 0..255
    const __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(s, s), _mm256_setzero_si256());
    const __m256i v = _mm256_permutevar8x32_epi32(b, order);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + 4 * k), _mm256_castsi256_si128(v));
  };
  for (; k + 2 <= nblocks; k += 2) {
    row_blocks(r, out);
    if (r1 != nullptr) row_blocks(r1, out1);
  }
#endif
  if (k < nblocks)
    scalar_kernels()->pil_hw(r, r1, base + k, idx + 16 * k, istride, w + 8 * k, wstride, pairs, nblocks - k,
                             out + 4 * k, r1 != nullptr ? out1 + 4 * k : nullptr);
}

}  // namespace xsimd_backend
}  // namespace pixnorm
