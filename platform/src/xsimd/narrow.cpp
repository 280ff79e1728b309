// xsimd backend, narrow outputs: pack, flat_narrow, planar_narrow, interleave_narrow (contracts in kernels.h; the table in kernels_xsimd.cpp).
#include "xsimd/common.h"

namespace pixnorm {
namespace xsimd_backend {

// Narrowing (PackParams in kernels.h) with the same integer arithmetic as the scalar
// reference; a short tail goes through a zero-padded batch.

inline BI round_even(BF v) { return xsimd::bitwise_cast<BI>(v + BF(12582912.0f)) - BI(0x4B400000); }

inline BI half_bits(BF v) {
  const BI b = xsimd::bitwise_cast<BI>(v);
  const BI sign = (b >> 16) & BI(0x8000);
  const BI mag = b & BI(0x7FFFFFFF);
  const BI sub = xsimd::bitwise_cast<BI>(xsimd::bitwise_cast<BF>(mag) + BF(0.5f)) - BI(0x3F000000);
  const BI normal = xsimd::min((mag + BI(0xFFF - 0x38000000) + ((mag >> 13) & BI(1))) >> 13, BI(0x7C00));
  return xsimd::select(mag < BI(0x38800000), sub, normal) | sign;
}

// The low byte (or 16 bits) of each lane, stored: the values already lie in T's range.
template <class T>
inline void store_low(BI v, T* dst) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 1)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(v));
  else
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_cvtepi32_epi16(v));
#elif defined(__AVX2__)
  // Per 128-bit lane the low bytes (halves) to its first 4 (8) bytes, then the lanes' first dwords together.
  const __m256i pick = sizeof(T) == 1 ? _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)
                                      : _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,
                                                          0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i order = sizeof(T) == 1 ? _mm256_setr_epi32(0, 4, 1, 2, 3, 5, 6, 7) : _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  const __m256i w = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pick), order);
  if constexpr (sizeof(T) == 1)
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(w));
  else
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(w));
#elif defined(__SSE4_1__)
  const __m128i pick = sizeof(T) == 1 ? _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)
                                      : _mm_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i w = _mm_shuffle_epi8(v, pick);
  if constexpr (sizeof(T) == 1) {
    const int32_t x = _mm_cvtsi128_si32(w);
    std::memcpy(dst, &x, 4);
  } else {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), w);
  }
#else
  const int16x4_t h = vmovn_s32(v);
  if constexpr (sizeof(T) == 1) {
    const int8x8_t b = vmovn_s16(vcombine_s16(h, h));
    const int32_t x = vget_lane_s32(vreinterpret_s32_s8(b), 0);
    std::memcpy(dst, &x, 4);
  } else {
    vst1_s16(reinterpret_cast<int16_t*>(dst), h);
  }
#endif
}

template <pixnorm_dtype D, class T>
void pack_as(const float* src, size_t n, T* dst, const PackParams* pp) {
  alignas(64) int32_t q[N];
  alignas(64) float tail[N];
  const BF lo(pp->lo), hi(pp->hi);
  const BI zp(pp->zero_point);
  for (size_t i = 0; i < n; i += N) {
    const size_t m = n - i < N ? n - i : N;
    BF v;
    if (m == N) {
      v = BF::load_unaligned(src + i);
    } else {
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, src + i, m * sizeof(float));
      v = BF::load_aligned(tail);
    }
    const BI r = D == PIXNORM_DTYPE_F16 ? half_bits(v) : round_even(xsimd::min(xsimd::max(v, lo), hi)) + zp;
    if (m == N) {
      store_low<T>(r, dst + i);
      continue;
    }
    r.store_aligned(q);
    for (size_t j = 0; j < m; ++j) dst[i + j] = static_cast<T>(q[j]);
  }
}

void pack(const float* src, size_t n, void* dst, const PackParams* pp) {
  switch (pp->dtype) {
    case PIXNORM_DTYPE_F16: pack_as<PIXNORM_DTYPE_F16>(src, n, static_cast<uint16_t*>(dst), pp); break;
    case PIXNORM_DTYPE_INT8: pack_as<PIXNORM_DTYPE_INT8>(src, n, static_cast<int8_t*>(dst), pp); break;
    default: pack_as<PIXNORM_DTYPE_UINT8>(src, n, static_cast<uint8_t*>(dst), pp); break;
  }
}

// Narrow outputs: this backend's flat or planar and pack, a chunk at a time.
void flat_narrow(const uint8_t* src, size_t n, void* dst, const float* scale, const float* bias, unsigned period,
                 const PackParams* pp) {
  flat_narrow_chunks(&kXsimdKernels, src, n, dst, scale, bias, period, pp);
}
void planar_narrow(const uint8_t* src, size_t n, unsigned cin, void* d0, void* d1, void* d2, const float* scale,
                   const float* bias, const PackParams* pp) {
  planar_narrow_chunks(&kXsimdKernels, src, n, cin, d0, d1, d2, scale, bias, pp);
}
void interleave_narrow(const uint8_t* src, size_t n, unsigned cin, int swap, void* dst, const float* scale,
                       const float* bias, const PackParams* pp) {
  interleave_narrow_chunks(&kXsimdKernels, src, n, cin, swap, dst, scale, bias, pp);
}

}  // namespace xsimd_backend
}  // namespace pixnorm
