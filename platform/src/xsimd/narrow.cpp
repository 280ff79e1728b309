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

// N floats to float16 bits, rounded to nearest even (subnormal halves included): F16C's or
// AVX-512's conversion with the rounding in the immediate (not MXCSR's), which gives the
// reference's bits, else the reference's integer arithmetic (half_bits).
inline void store_half(BF v, uint16_t* dst) {
#if defined(__AVX512F__)
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#elif defined(__AVX2__) && defined(__F16C__)
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  store_low<uint16_t>(half_bits(v), dst);
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
    if constexpr (D == PIXNORM_DTYPE_F16) {
      if (m == N) {
        store_half(v, reinterpret_cast<uint16_t*>(dst + i));
        continue;
      }
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

// ---------------------------------------------------------------- fused narrow kernels
// flat_narrow, planar_narrow and interleave_narrow: each batch of N floats, made as flat, planar
// and interleave make theirs, is narrowed and stored at once (no float buffer). INT8 and UINT8 are
// rounded by the magic addition, which needs |v| < 2^22 (narrow_fits; otherwise flat or planar and
// pack, a chunk at a time, which clamp first); the zero point is added and the type's range
// applied by saturating narrowing, equal to the reference's clamp to [lo, hi] before rounding
// since lo and hi are whole numbers. What is left past the whole batches (under one batch, or a
// row shorter than one) goes to the scalar kernel.

// N int32 values to N bytes, saturated to int8 (Signed) or uint8.
template <bool Signed>
inline void store_saturated(BI v, uint8_t* dst) {
#if defined(__AVX512F__)
  if constexpr (Signed)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtsepi32_epi8(v));
  else
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtusepi32_epi8(_mm512_max_epi32(v, _mm512_setzero_si512())));
#elif defined(__AVX2__)
  const __m256i h = _mm256_packs_epi32(v, v);  // per 128-bit lane: its 4 values as int16, twice
  const __m256i b = Signed ? _mm256_packs_epi16(h, h) : _mm256_packus_epi16(h, h);
  const __m256i w = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(w));
#elif defined(__SSE4_1__)
  const __m128i h = _mm_packs_epi32(v, v);
  const int32_t x = _mm_cvtsi128_si32(Signed ? _mm_packs_epi16(h, h) : _mm_packus_epi16(h, h));
  std::memcpy(dst, &x, 4);
#else
  const int16x4_t h = vqmovn_s32(v);
  const int16x8_t hh = vcombine_s16(h, h);
  const uint8x8_t b = Signed ? vreinterpret_u8_s8(vqmovn_s16(hh)) : vqmovun_s16(hh);
  const uint32_t x = vget_lane_u32(vreinterpret_u32_u8(b), 0);
  std::memcpy(dst, &x, 4);
#endif
}

// 2N int32 values (a, then b) to 2N bytes, saturated as store_saturated: one narrowing for both
// where the architecture packs two vectors at once.
template <bool Signed>
inline void store_saturated2(BI a, BI b, uint8_t* dst) {
#if defined(__AVX512F__)
  store_saturated<Signed>(a, dst);
  store_saturated<Signed>(b, dst + N);
#elif defined(__AVX2__)
  const __m256i h = _mm256_packs_epi32(a, b);  // per 128-bit lane: 4 of a, 4 of b, as int16
  const __m256i x = Signed ? _mm256_packs_epi16(h, h) : _mm256_packus_epi16(h, h);
  const __m256i w = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(0, 4, 1, 5, 0, 4, 1, 5));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(w));
#elif defined(__SSE4_1__)
  const __m128i h = _mm_packs_epi32(a, b);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), Signed ? _mm_packs_epi16(h, h) : _mm_packus_epi16(h, h));
#else
  const int16x8_t h = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
  vst1_u8(dst, Signed ? vreinterpret_u8_s8(vqmovn_s16(h)) : vqmovun_s16(h));
#endif
}

// Where the fused kernels put each batch: narrowed to D, at element `at` of d.
template <pixnorm_dtype D>
struct NarrowOut {
  uint8_t* d;
  BI zp;
  void put(BF v, size_t at) const {
    if constexpr (D == PIXNORM_DTYPE_F16)
      store_half(v, reinterpret_cast<uint16_t*>(d) + at);
    else
      store_saturated<D == PIXNORM_DTYPE_INT8>(round_even(v) + zp, d + at);
  }
  // Two batches, at `at` and at + N.
  void put2(BF v0, BF v1, size_t at) const {
    if constexpr (D == PIXNORM_DTYPE_F16) {
      put(v0, at);
      put(v1, at + N);
    } else {
      store_saturated2<D == PIXNORM_DTYPE_INT8>(round_even(v0) + zp, round_even(v1) + zp, d + at);
    }
  }
  NarrowOut at(size_t offset) const { return {d + offset * (D == PIXNORM_DTYPE_F16 ? 2 : 1), zp}; }
};

// f(out) with the NarrowOut of pp's type writing to dst.
template <class F>
inline void by_type(const PackParams* pp, void* dst, F f) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  const BI zp(pp->zero_point);
  if (pp->dtype == PIXNORM_DTYPE_INT8) return f(NarrowOut<PIXNORM_DTYPE_INT8>{d, zp});
  if (pp->dtype == PIXNORM_DTYPE_UINT8) return f(NarrowOut<PIXNORM_DTYPE_UINT8>{d, zp});
  f(NarrowOut<PIXNORM_DTYPE_F16>{d, zp});
}

// flat's batches of n elements (period 1 or 3) into out; returns how many elements it wrote: all
// (period 1, n >= N: the last batch overlaps) or the whole periods of three batches (period 3).
template <class Out>
size_t flat_batches(const uint8_t* src, size_t n, const Out& out, const float* scale, const float* bias,
                    unsigned period) {
  if (period == 1) {
    if (n < N) return 0;
    const BF s(scale[0]), b(bias[0]);
    size_t i = 0;
    for (; i + 2 * N <= n; i += 2 * N) out.put2(norm(widen(src + i), s, b), norm(widen(src + i + N), s, b), i);
    for (; i + N <= n; i += N) out.put(norm(widen(src + i), s, b), i);
    if (i < n) out.put(norm(widen(src + n - N), s, b), n - N);  // identical rewrite
    return n;
  }
  alignas(64) float pattern[6 * N];
  for (size_t j = 0; j < 3 * N; ++j) {
    pattern[j] = scale[j % 3];
    pattern[3 * N + j] = bias[j % 3];
  }
  const BF s0 = BF::load_aligned(pattern), s1 = BF::load_aligned(pattern + N);
  const BF s2 = BF::load_aligned(pattern + 2 * N), b0 = BF::load_aligned(pattern + 3 * N);
  const BF b1 = BF::load_aligned(pattern + 4 * N), b2 = BF::load_aligned(pattern + 5 * N);
  size_t i = 0;
  for (; i + 6 * N <= n; i += 6 * N) {  // two periods: three pairs
    out.put2(norm(widen(src + i), s0, b0), norm(widen(src + i + N), s1, b1), i);
    out.put2(norm(widen(src + i + 2 * N), s2, b2), norm(widen(src + i + 3 * N), s0, b0), i + 2 * N);
    out.put2(norm(widen(src + i + 4 * N), s1, b1), norm(widen(src + i + 5 * N), s2, b2), i + 4 * N);
  }
  if (i + 3 * N <= n) {
    out.put2(norm(widen(src + i), s0, b0), norm(widen(src + i + N), s1, b1), i);
    out.put(norm(widen(src + i + 2 * N), s2, b2), i + 2 * N);
    i += 3 * N;
  }
  return i;
}

void flat_narrow(const uint8_t* src, size_t n, void* dst, const float* scale, const float* bias, unsigned period,
                 const PackParams* pp) {
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, period))
    return flat_narrow_chunks(&kXsimdKernels, src, n, dst, scale, bias, period, pp);
  by_type(pp, dst, [&](auto out) {
    const size_t done = flat_batches(src, n, out, scale, bias, period);
    if (done < n)  // in phase: whole periods were written
      scalar_kernels()->flat_narrow(src + done, n - done, out.at(done).d, scale, bias, period, pp);
  });
}

// Pixels a step of planar_narrow and interleave_narrow takes: two batches' worth through the x86
// byte windows up to 256 bits (narrowed as pairs), else one batch; shorter rows go to the scalar
// kernel.
#if defined(__SSSE3__) && !defined(__AVX512BW__)
constexpr size_t kStepPixels = 2 * N;
#else
constexpr size_t kStepPixels = N;
#endif

// planar_narrow's pixels, from kChunk-pixel planes of bytes on the stack (the architectures
// without byte windows here: NEON, AVX-512).
template <class Out>
void planar_chunks(const uint8_t* src, size_t n, unsigned cin, const Out (&out)[3], const float* scale,
                   const float* bias, const PackParams* pp) {
  uint8_t plane[3][kChunk];
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    deinterleave(src + start * cin, m, cin, plane[0], plane[1], plane[2]);
    for (unsigned c = 0; c < 3; ++c) {
      const Out o = out[c].at(start);
      const size_t done = flat_batches(plane[c], m, o, scale + c, bias + c, 1);
      if (done < m) scalar_kernels()->flat_narrow(plane[c] + done, m - done, o.at(done).d, scale + c, bias + c, 1, pp);
    }
  }
}

void planar_narrow(const uint8_t* src, size_t n, unsigned cin, void* d0, void* d1, void* d2, const float* scale,
                   const float* bias, const PackParams* pp) {
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, 3))
    return planar_narrow_chunks(&kXsimdKernels, src, n, cin, d0, d1, d2, scale, bias, pp);
  if (n < kStepPixels) return scalar_kernels()->planar_narrow(src, n, cin, d0, d1, d2, scale, bias, pp);
  by_type(pp, d0, [&](auto o0) {
    using Out = decltype(o0);
    const Out out[3] = {o0, {static_cast<uint8_t*>(d1), o0.zp}, {static_cast<uint8_t*>(d2), o0.zp}};
#if defined(__SSSE3__) && !defined(__AVX512BW__)
    const BF s0(scale[0]), s1(scale[1]), s2(scale[2]), b0(bias[0]), b1(bias[1]), b2(bias[2]);
    const auto x0 = plane_table(kPlaneShuffle[cin - 3][0]), x1 = plane_table(kPlaneShuffle[cin - 3][1]);
    const auto x2 = plane_table(kPlaneShuffle[cin - 3][2]);
    window_steps(src, n, cin, 2 * N, 0, (2 * N - 4) * cin + 16, [&](const uint8_t* from, size_t at) {
      const auto w = pixel_blocks(from, cin), v = pixel_blocks(from + N * cin, cin);
      out[0].put2(norm(plane_as_float(w, x0), s0, b0), norm(plane_as_float(v, x0), s0, b0), at);
      out[1].put2(norm(plane_as_float(w, x1), s1, b1), norm(plane_as_float(v, x1), s1, b1), at);
      out[2].put2(norm(plane_as_float(w, x2), s2, b2), norm(plane_as_float(v, x2), s2, b2), at);
    });
#else
    planar_chunks(src, n, cin, out, scale, bias, pp);
#endif
  });
}

void interleave_narrow(const uint8_t* src, size_t n, unsigned cin, int swap, void* dst, const float* scale,
                       const float* bias, const PackParams* pp) {
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, 3))
    return interleave_narrow_chunks(&kXsimdKernels, src, n, cin, swap, dst, scale, bias, pp);
  if (n < kStepPixels) return scalar_kernels()->interleave_narrow(src, n, cin, swap, dst, scale, bias, pp);
  by_type(pp, dst, [&](auto out) {
#if defined(__SSSE3__)
    const InterleaveWindows win(cin, swap, scale, bias);
#if defined(__AVX512BW__)  // one window's pixels a step: AVX-512 narrows each batch in one instruction
    (void)pp;
    window_steps(src, n, cin, N, 0, win.t.reach, [&](const uint8_t* from, size_t at) {
      out.put(win.batch<0>(from), 3 * at);
      out.put(win.batch<1>(from), 3 * at + N);
      out.put(win.batch<2>(from), 3 * at + 2 * N);
    });
#else
    // Two periods a step: six batches, three pairs.
    const size_t o = N * cin;
    window_steps(src, n, cin, 2 * N, 0, o + win.t.reach, [&](const uint8_t* from, size_t at) {
      out.put2(win.batch<0>(from), win.batch<1>(from), 3 * at);
      out.put2(win.batch<2>(from), win.batch<0>(from + o), 3 * at + 2 * N);
      out.put2(win.batch<1>(from + o), win.batch<2>(from + o), 3 * at + 4 * N);
    });
#endif
#else
    // 3-byte pixels in output order, kChunk at a time, then flat's batches of period 3.
    uint8_t rgb[3 * kChunk + 16];
    for (size_t start = 0; start < n; start += kChunk) {
      const size_t m = n - start < kChunk ? n - start : kChunk;
      repack(src + start * cin, m, cin, swap, rgb);
      const auto o = out.at(3 * start);
      const size_t done = flat_batches(rgb, 3 * m, o, scale, bias, 3);
      if (done < 3 * m) scalar_kernels()->flat_narrow(rgb + done, 3 * m - done, o.at(done).d, scale, bias, 3, pp);
    }
#endif
  });
}

}  // namespace xsimd_backend
}  // namespace pixnorm
