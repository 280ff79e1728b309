// Highway backend, shared by every kernel family: vector types, the normalization's two
// roundings, byte-to-float loads, alignment heads, and the integer helpers several families use
// (pairwise multiply-adds, byte packs). Included once per target (Highway's -inl.h convention).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <hwy/highway.h>

#include "kernels.h"

#if defined(PIXNORM_HIGHWAY_COMMON_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef PIXNORM_HIGHWAY_COMMON_INL_H_
#undef PIXNORM_HIGHWAY_COMMON_INL_H_
#else
#define PIXNORM_HIGHWAY_COMMON_INL_H_
#endif

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR
using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;
using DU8 = hn::Repartition<uint8_t, DF>;  // a full vector of bytes: 4 float vectors' worth
using DQ = hn::Rebind<uint8_t, DF>;        // one float vector's worth of bytes
using VF = hn::Vec<DF>;
using DU32 = hn::RebindToUnsigned<DF>;
constexpr bool kWideWindows = HWY_MAX_BYTES > 32;  // 512-bit vectors: see Planar

// The same two roundings as the scalar reference: product, then sum.
template <class V>
HWY_INLINE V Norm(V x, V scale, V bias) {
  return hn::Add(hn::Mul(x, scale), bias);
}

HWY_INLINE float NormScalar(uint8_t x, float scale, float bias) {
  const float product = static_cast<float>(x) * scale;
  return product + bias;
}

template <class D = DF>
HWY_INLINE hn::Vec<D> LoadBytesAsFloat(const uint8_t* p, D df = D()) {
  const hn::RebindToSigned<D> di;
  const hn::Rebind<uint8_t, D> dq;
  return hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(dq, p)));
}

// Quarter q (0..3) of a full byte vector, widened to float.
template <int q, class V8>
HWY_INLINE VF QuarterAsFloat(V8 v) {
  const DF df;
  const DI di;
  const DU8 du8;
  const hn::Half<DU8> dh;
  const hn::Half<decltype(dh)> dqq;
  const auto half = (q < 2) ? hn::LowerHalf(dh, v) : hn::UpperHalf(dh, v);
  const auto quarter = (q % 2 == 0) ? hn::LowerHalf(dqq, half) : hn::UpperHalf(dqq, half);
  (void)du8;
  return hn::ConvertTo(df, hn::PromoteTo(di, quarter));
}

// Four float vectors from one full byte vector: on ARM one wide load and register widening
// (uxtl) beat four narrow loads; on x86 a widening load (vpmovzxbd) from memory is cheaper.
template <class VS, class D = DF>
HWY_INLINE void Store4(const uint8_t* HWY_RESTRICT src, float* HWY_RESTRICT dst, VS s0, VS s1, VS s2, VS s3, VS b0,
                       VS b1, VS b2, VS b3, D df = D()) {
  const DU8 du8;
  const size_t N = hn::Lanes(df);
#if HWY_ARCH_ARM
  const auto v = hn::LoadU(du8, src);
  hn::StoreU(Norm(QuarterAsFloat<0>(v), s0, b0), df, dst);
  hn::StoreU(Norm(QuarterAsFloat<1>(v), s1, b1), df, dst + N);
  hn::StoreU(Norm(QuarterAsFloat<2>(v), s2, b2), df, dst + 2 * N);
  hn::StoreU(Norm(QuarterAsFloat<3>(v), s3, b3), df, dst + 3 * N);
#else
  (void)du8;
  hn::StoreU(Norm(LoadBytesAsFloat(src, df), s0, b0), df, dst);
  hn::StoreU(Norm(LoadBytesAsFloat(src + N, df), s1, b1), df, dst + N);
  hn::StoreU(Norm(LoadBytesAsFloat(src + 2 * N, df), s2, b2), df, dst + 2 * N);
  hn::StoreU(Norm(LoadBytesAsFloat(src + 3 * N, df), s3, b3), df, dst + 3 * N);
#endif
}

// Elements to write one by one before `dst` is aligned to a whole float vector: a vector store
// that straddles two cache lines costs about twice as much, and callers' tensors are often only
// 16-byte aligned. `stride` is the floats written per element (1, or 3 for interleaved pixels).
// `bytes`: the vectors' size, when not DF's.
HWY_INLINE size_t HeadToAlign(const float* dst, size_t stride, size_t n,
                              size_t bytes = hn::Lanes(DF()) * sizeof(float)) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(dst);
  size_t head = 0;
  while (head < n && head < 16 && (a + head * stride * sizeof(float)) % bytes != 0) ++head;
  return (a + head * stride * sizeof(float)) % bytes == 0 ? head : 0;
}

// Float vectors of the kernels bound by their stores (Flat; InterleaveWindows below): 256-bit
// on AVX-512 targets. There, with the same instructions, 512-bit vectors measured about 5% slower
// in the flat kernel (224x224 RGB8 to NHWC: 11.0-11.6 against 10.4-10.8 us; GRAY8 3.75 against
// 3.5-3.6 us; 1920x1080, bound by memory traffic, within 1%) and 25% slower in the window kernel.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
using DFlat = hn::CappedTag<float, 8>;
#else
using DFlat = DF;
#endif

// The AVX-512 targets also build a wide variant of the kernels bound by their stores (flat,
// planar, interleave, planar_narrow: the *Wide functions), on 512-bit vectors throughout. The
// two variants give the same bytes; which one runs is chosen when a plan is created (the
// machine's preference, PIXNORM_VARIANT, or a measurement: machine.cpp, plan.cpp), since the
// faster one depends on the CPU: 256-bit measured faster on an Intel CPU (above), 512-bit on a
// Zen-class AMD EPYC (docs/backends.md has the figures).
#undef PIXNORM_WIDE_VARIANT
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
#define PIXNORM_WIDE_VARIANT 1
#else
#define PIXNORM_WIDE_VARIANT 0
#endif

// Per-lane scale (rows 0-2) and bias (rows 3-5) of the three float vectors of a window period
// (WindowTables: lane l of vector k is output channel t.channel[k][l]).
using LanePattern = float[6][HWY_MAX_BYTES / sizeof(float)];
HWY_INLINE void FillLanePattern(const WindowTables& t, size_t lanes, const float* scale, const float* bias,
                                LanePattern& pattern) {
  for (size_t k = 0; k < 3; ++k)
    for (size_t l = 0; l < lanes; ++l) {
      pattern[k][l] = scale[t.channel[k][l]];
      pattern[3 + k][l] = bias[t.channel[k][l]];
    }
}

// Integer statistics of one channel's bytes, kept in vectors (separate locals: SVE vectors
// cannot be struct members) and folded into the ReduceAcc at the end.
using D64 = hn::Repartition<uint64_t, DU8>;
using D32 = hn::Repartition<uint32_t, DU8>;
using D16 = hn::Repartition<uint16_t, DU8>;
using V64 = hn::Vec<D64>;
using V32 = hn::Vec<D32>;
using V8 = hn::Vec<DU8>;

// Sums of adjacent int16 products in int32 lanes (pmaddwd): (a, b) times (w0, w1), e.g. taps
// times weights, or bytes times themselves.
template <class D32, class V16>
HWY_INLINE hn::Vec<D32> PairSums(D32 d32, V16 taps, V16 w) {
  hn::Vec<D32> s1 = hn::Zero(d32);
  const hn::Vec<D32> s0 = hn::ReorderWidenMulAccumulate(d32, taps, w, hn::Zero(d32), s1);
  return hn::RearrangeToOddPlusEven(s0, s1);
}

using D16I = hn::Repartition<int16_t, DF>;

// x86 targets with SSE/AVX registers (not Highway's EMU128, which clang builds also compile here).
#define PIXNORM_X86_SIMD (HWY_ARCH_X86 && HWY_TARGET <= HWY_SSSE3)

#if PIXNORM_X86_SIMD
// Four int32 vectors to one vector of their bytes in lane order: saturating packs to int16,
// `add` added with saturation, a saturating pack to int8 or uint8 and, above 128 bits, one
// 32-bit lane permutation (packs work within 128-bit blocks: block j holds four bytes of each
// vector i at dword 4j + i, which go to dword 4i + j).
template <bool kSigned>
HWY_INLINE hn::Vec<DU8> PackBytes4(hn::Vec<DI> r0, hn::Vec<DI> r1, hn::Vec<DI> r2, hn::Vec<DI> r3,
                                   hn::Vec<D16I> add) {
#if HWY_TARGET <= HWY_AVX3
  const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(r0.raw, r1.raw), add.raw);
  const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(r2.raw, r3.raw), add.raw);
  const __m512i c = kSigned ? _mm512_packs_epi16(a, b) : _mm512_packus_epi16(a, b);
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return hn::Vec<DU8>{_mm512_permutexvar_epi32(order, c)};
#elif HWY_TARGET <= HWY_AVX2
  const __m256i a = _mm256_adds_epi16(_mm256_packs_epi32(r0.raw, r1.raw), add.raw);
  const __m256i b = _mm256_adds_epi16(_mm256_packs_epi32(r2.raw, r3.raw), add.raw);
  const __m256i c = kSigned ? _mm256_packs_epi16(a, b) : _mm256_packus_epi16(a, b);
  return hn::Vec<DU8>{_mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))};
#else
  const __m128i a = _mm_adds_epi16(_mm_packs_epi32(r0.raw, r1.raw), add.raw);
  const __m128i b = _mm_adds_epi16(_mm_packs_epi32(r2.raw, r3.raw), add.raw);
  return hn::Vec<DU8>{kSigned ? _mm_packs_epi16(a, b) : _mm_packus_epi16(a, b)};
#endif
}
#endif

// int32 lanes known to hold 0..255 to bytes: one vpmovdb on AVX-512 (DemoteTo takes four
// shuffles there), DemoteTo elsewhere.
template <class DQ, class V>
HWY_INLINE void StoreBytes(DQ dq, V v, uint8_t* HWY_RESTRICT out) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if constexpr (sizeof(v.raw) == 64) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtepi32_epi8(v.raw));
    return;
  }
#endif
  hn::StoreU(hn::DemoteTo(dq, v), dq, out);
}
// 16-byte windows of a row (resample2_windows, gather_windows, pil_hw), one per 128-bit block:
// kBlocks blocks per vector (1; 2 on AVX2, 4 on AVX-512), loaded one 128-bit window at a time.
template <size_t kBlocks>
struct WindowBlocks;
template <>
struct WindowBlocks<1> {
  using D8 = hn::Full128<uint8_t>;
  static hn::Vec<D8> Load(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base) {
    return hn::LoadU(D8(), r + base[0]);
  }
};
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
template <>
struct WindowBlocks<2> {
  using D8 = hn::Full256<uint8_t>;
  static hn::Vec<D8> Load(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base) {
    const hn::Full128<uint8_t> d;
    return hn::Combine(D8(), hn::LoadU(d, r + base[1]), hn::LoadU(d, r + base[0]));
  }
};
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
template <>
struct WindowBlocks<4> {
  using D8 = hn::Full512<uint8_t>;
  static hn::Vec<D8> Load(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base) {
    return hn::Combine(D8(), WindowBlocks<2>::Load(r, base + 2), WindowBlocks<2>::Load(r, base));
  }
};
#endif
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();

#endif  // include guard (toggled per target)
