// Highway backend: one source compiled once per CPU target, dispatched at run time
// (foreach_target + HWY_DYNAMIC_DISPATCH). On 32-bit ARM, Highway 1.0.3's dynamic dispatch
// does not compile, so the NEON target the toolchain enables is called statically.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels_highway.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "kernels.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET == HWY_SCALAR
// Highway's one-lane fallback (the baseline when GCC 12's EMU128 is unusable) has no
// interleaved loads or half vectors; on such a CPU this backend is the scalar reference.
const RowKernels* GetKernels() {
  static const RowKernels kernels = [] {
    RowKernels k = *scalar_kernels();
    k.target = hwy::TargetName(HWY_TARGET);
    return k;
  }();
  return &kernels;
}
#else

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

void Flat(const uint8_t* HWY_RESTRICT src, size_t n, float* HWY_RESTRICT dst, const float* scale,
          const float* bias, unsigned period) {
  const DFlat df;
  using V = hn::Vec<DFlat>;
  const size_t N = hn::Lanes(df);
  const size_t head = n >= 4 * N ? HeadToAlign(dst, 1, n, N * sizeof(float)) : 0;
  for (size_t i = 0; i < head; ++i) dst[i] = NormScalar(src[i], scale[i % period], bias[i % period]);
  src += head;
  dst += head;
  n -= head;
  if (period == 1) {
    const V s = hn::Set(df, scale[0]), b = hn::Set(df, bias[0]);
    if (n < N) {
      for (size_t i = 0; i < n; ++i) dst[i] = NormScalar(src[i], scale[0], bias[0]);
      return;
    }
    size_t i = 0;
    for (; i + 4 * N <= n; i += 4 * N) Store4(src + i, dst + i, s, s, s, s, b, b, b, b, df);
    for (; i + N <= n; i += N) hn::StoreU(Norm(LoadBytesAsFloat(src + i, df), s, b), df, dst + i);
    // The tail recomputes the last full vector: the values it rewrites are identical.
    if (i < n) hn::StoreU(Norm(LoadBytesAsFloat(src + n - N, df), s, b), df, dst + n - N);
    return;
  }
  // period 3: three vectors hold a whole number of periods (N is a power of two); the head
  // shifted the phase of the first element by head % 3.
  const size_t phase = head % 3;
  HWY_ALIGN float pattern[6 * HWY_MAX_BYTES / sizeof(float)];
  for (size_t j = 0; j < 3 * N; ++j) {
    pattern[j] = scale[(j + phase) % 3];
    pattern[3 * N + j] = bias[(j + phase) % 3];
  }
  if (n < 3 * N) {
    for (size_t j = 0; j < n; ++j) dst[j] = NormScalar(src[j], pattern[j % (3 * N)], pattern[3 * N + j % (3 * N)]);
    return;
  }
  const V s0 = hn::Load(df, pattern), s1 = hn::Load(df, pattern + N), s2 = hn::Load(df, pattern + 2 * N);
  const V b0 = hn::Load(df, pattern + 3 * N), b1 = hn::Load(df, pattern + 4 * N);
  const V b2 = hn::Load(df, pattern + 5 * N);
  size_t i = 0;
  // Twelve vectors: three byte vectors, four periods of the three-vector pattern.
  for (; i + 12 * N <= n; i += 12 * N) {
    Store4(src + i, dst + i, s0, s1, s2, s0, b0, b1, b2, b0, df);
    Store4(src + i + 4 * N, dst + i + 4 * N, s1, s2, s0, s1, b1, b2, b0, b1, df);
    Store4(src + i + 8 * N, dst + i + 8 * N, s2, s0, s1, s2, b2, b0, b1, b2, df);
  }
  for (; i + 3 * N <= n; i += 3 * N) {
    const V x0 = LoadBytesAsFloat(src + i, df), x1 = LoadBytesAsFloat(src + i + N, df);
    const V x2 = LoadBytesAsFloat(src + i + 2 * N, df);
    hn::StoreU(Norm(x0, s0, b0), df, dst + i);
    hn::StoreU(Norm(x1, s1, b1), df, dst + i + N);
    hn::StoreU(Norm(x2, s2, b2), df, dst + i + 2 * N);
  }
  if (i < n) {
    // Recompute the last whole block that starts in phase, then the few elements after it.
    const size_t last = n - 3 * N, j = last - last % 3;
    hn::StoreU(Norm(LoadBytesAsFloat(src + j, df), s0, b0), df, dst + j);
    hn::StoreU(Norm(LoadBytesAsFloat(src + j + N, df), s1, b1), df, dst + j + N);
    hn::StoreU(Norm(LoadBytesAsFloat(src + j + 2 * N, df), s2, b2), df, dst + j + 2 * N);
    for (size_t k = j + 3 * N; k < n; ++k) dst[k] = NormScalar(src[k], pattern[k % 3], pattern[3 * N + k % 3]);
  }
}

template <class V8>
HWY_INLINE void StorePlane(V8 v, VF s, VF b, float* HWY_RESTRICT d) {
  const DF df;
  const size_t N = hn::Lanes(df);
  hn::StoreU(Norm(QuarterAsFloat<0>(v), s, b), df, d);
  hn::StoreU(Norm(QuarterAsFloat<1>(v), s, b), df, d + N);
  hn::StoreU(Norm(QuarterAsFloat<2>(v), s, b), df, d + 2 * N);
  hn::StoreU(Norm(QuarterAsFloat<3>(v), s, b), df, d + 3 * N);
}

// Deinterleaves one full byte vector's worth of pixels and writes it to the three planes.
// Scales and biases travel as separate vectors: SVE vectors cannot be array elements.
HWY_INLINE void PlanarBlock(const uint8_t* HWY_RESTRICT src, unsigned cin, float* d0, float* d1, float* d2, VF s0,
                            VF s1, VF s2, VF b0, VF b1, VF b2) {
  const DU8 du8;
  hn::Vec<DU8> v0, v1, v2, v3;
  if (cin == 3) {
    hn::LoadInterleaved3(du8, src, v0, v1, v2);
  } else {
    hn::LoadInterleaved4(du8, src, v0, v1, v2, v3);
  }
  StorePlane(v0, s0, b0, d0);
  StorePlane(v1, s1, b1, d1);
  StorePlane(v2, s2, b2, d2);
}

#if HWY_ARCH_X86
// Planar output on x86 up to 256-bit vectors, where LoadInterleaved3/4 take several shuffles
// per vector: each 128-bit block loads the 16 bytes from its first pixel and one byte shuffle
// per plane (kPlaneShuffle) moves that plane's four bytes into 32-bit lanes.
template <unsigned cin>
void PlanarWindows(const uint8_t* HWY_RESTRICT src, size_t n, float* d0, float* d1, float* d2, const float* scale,
                   const float* bias) {
  const DF df;
  const DI di;
  const DU8 du8;
  const size_t N = hn::Lanes(df);
  if (n < N) return scalar_kernels()->planar(src, n, cin, d0, d1, d2, scale, bias);
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  const auto x0 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][0]), x1 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][1]);
  const auto x2 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][2]);
  const auto vector = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    hn::Vec<DU8> w;
    if (N == 4) {
      w = hn::LoadU(du8, from);
    } else {  // two blocks of four pixels
      const hn::Half<DU8> dh;
      w = hn::Combine(du8, hn::LoadU(dh, from + 4 * cin), hn::LoadU(dh, from));
    }
    hn::StoreU(Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x0))), s0, b0), df, d0 + at);
    hn::StoreU(Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x1))), s1, b1), df, d1 + at);
    hn::StoreU(Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x2))), s2, b2), df, d2 + at);
  };
  const size_t head = n >= 2 * N ? HeadToAlign(d0, 1, n) : 0;
  scalar_kernels()->planar(src, head, cin, d0, d1, d2, scale, bias);
  window_steps(src, n, cin, N, head, (N - 4) * cin + 16, vector);
}
#endif

void Planar(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, float* d0, float* d1, float* d2,
            const float* scale, const float* bias) {
#if HWY_ARCH_X86
  if (!kWideWindows && cin == 3) return PlanarWindows<3>(src, n, d0, d1, d2, scale, bias);
  if (!kWideWindows) return PlanarWindows<4>(src, n, d0, d1, d2, scale, bias);
#endif
  const DF df;
  const DU8 du8;
  const size_t P = hn::Lanes(du8);  // pixels per block
  if (n < P) {
    for (size_t i = 0; i < n; ++i) {
      d0[i] = NormScalar(src[i * cin + 0], scale[0], bias[0]);
      d1[i] = NormScalar(src[i * cin + 1], scale[1], bias[1]);
      d2[i] = NormScalar(src[i * cin + 2], scale[2], bias[2]);
    }
    return;
  }
  // Align the first plane (planes of whole images share its alignment when their size is a
  // multiple of the vector size).
  const size_t head = n >= 2 * P ? HeadToAlign(d0, 1, n) : 0;
  for (size_t i = 0; i < head; ++i) {
    d0[i] = NormScalar(src[i * cin + 0], scale[0], bias[0]);
    d1[i] = NormScalar(src[i * cin + 1], scale[1], bias[1]);
    d2[i] = NormScalar(src[i * cin + 2], scale[2], bias[2]);
  }
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  size_t i = head;
  for (; i + P <= n; i += P) PlanarBlock(src + i * cin, cin, d0 + i, d1 + i, d2 + i, s0, s1, s2, b0, b1, b2);
  if (i < n) {
    const size_t j = n - P;  // overlapping last block: rewrites identical values
    PlanarBlock(src + j * cin, cin, d0 + j, d1 + j, d2 + j, s0, s1, s2, b0, b1, b2);
  }
}

template <int q, class V8>
HWY_INLINE void InterleaveQuarter(V8 c0, V8 c1, V8 c2, VF s0, VF s1, VF s2, VF b0, VF b1, VF b2,
                                  float* HWY_RESTRICT d) {
  const DF df;
  hn::StoreInterleaved3(Norm(QuarterAsFloat<q>(c0), s0, b0), Norm(QuarterAsFloat<q>(c1), s1, b1),
                        Norm(QuarterAsFloat<q>(c2), s2, b2), df, d);
}

HWY_INLINE void InterleaveBlock(const uint8_t* HWY_RESTRICT src, unsigned cin, int swap, float* HWY_RESTRICT d,
                                VF s0, VF s1, VF s2, VF b0, VF b1, VF b2) {
  const DF df;
  const DU8 du8;
  const size_t N = hn::Lanes(df);
  hn::Vec<DU8> v0, v1, v2, v3;
  if (cin == 3) {
    hn::LoadInterleaved3(du8, src, v0, v1, v2);
  } else {
    hn::LoadInterleaved4(du8, src, v0, v1, v2, v3);
  }
  const hn::Vec<DU8> c0 = swap ? v2 : v0, c2 = swap ? v0 : v2;
  InterleaveQuarter<0>(c0, v1, c2, s0, s1, s2, b0, b1, b2, d);
  InterleaveQuarter<1>(c0, v1, c2, s0, s1, s2, b0, b1, b2, d + 3 * N);
  InterleaveQuarter<2>(c0, v1, c2, s0, s1, s2, b0, b1, b2, d + 6 * N);
  InterleaveQuarter<3>(c0, v1, c2, s0, s1, s2, b0, b1, b2, d + 9 * N);
}

#if HWY_ARCH_X86
// NHWC from swapped or four-channel pixels on x86, where LoadInterleaved3/4 take several
// shuffles per vector: each float vector's bytes are fetched from one window of the source by
// byte shuffles straight into the low byte of each 32-bit lane. One period is N pixels (N float
// lanes), three float vectors; vector k starts at element kN, inside pixel kN / 3. The window is
// the 16 bytes from that pixel, repeated in every 128-bit block (LoadDup128), and one in-block
// shuffle (pshufb) places the bytes. AVX-512 targets run it on 256-bit vectors (DFlat): a
// 16-byte window cannot feed four blocks, and the 512-bit form (a 32-byte load, then a 32-bit
// lane permutation, vpermd, before the shuffle, as the xsimd AVX-512 build does) measured about
// 25% slower than the 256-bit one on the same CPU (BGRA8 224x224: 15.1-15.7 against 11.6-11.8 us).

// Window bytes as floats: `bytes` shuffles each 128-bit block.
template <class D, class VB>
HWY_INLINE hn::Vec<D> WindowAsFloat(D df, const uint8_t* HWY_RESTRICT window, VB bytes) {
  const hn::RebindToSigned<D> di;
  const hn::Repartition<uint8_t, D> du8;
  return hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(hn::LoadDup128(du8, window), bytes)));
}

void InterleaveWindows(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, int swap, float* HWY_RESTRICT dst,
                       const float* scale, const float* bias) {
  const DFlat df;
  const size_t N = hn::Lanes(df);
  if (n < N) return scalar_kernels()->interleave(src, n, cin, swap, dst, scale, bias);
  const WindowTables& t = window_tables(N, cin, swap);
  // Per-lane scale and bias of each of the three vectors (lane l of vector k is channel (kN + l) % 3).
  HWY_ALIGN float sb[8] = {scale[0], scale[1], scale[2], 0.0f, bias[0], bias[1], bias[2], 0.0f};
  const auto sv = hn::LoadDup128(df, sb), bv = hn::LoadDup128(df, sb + 4);
  const auto i0 = hn::SetTableIndices(df, t.channel[0]), i1 = hn::SetTableIndices(df, t.channel[1]);
  const auto i2 = hn::SetTableIndices(df, t.channel[2]);
  const auto sc0 = hn::TableLookupLanes(sv, i0), sc1 = hn::TableLookupLanes(sv, i1);
  const auto sc2 = hn::TableLookupLanes(sv, i2);
  const auto bi0 = hn::TableLookupLanes(bv, i0), bi1 = hn::TableLookupLanes(bv, i1);
  const auto bi2 = hn::TableLookupLanes(bv, i2);
  // Tables in registers: the stores through dst could otherwise alias them.
  const hn::Repartition<uint8_t, DFlat> du8;
  const auto x0 = hn::Load(du8, t.bytes[0]), x1 = hn::Load(du8, t.bytes[1]), x2 = hn::Load(du8, t.bytes[2]);
  const size_t o1 = t.first[1] * cin, o2 = t.first[2] * cin;
  const auto period = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    float* HWY_RESTRICT to = dst + 3 * at;
    hn::StoreU(Norm(WindowAsFloat(df, from, x0), sc0, bi0), df, to);
    hn::StoreU(Norm(WindowAsFloat(df, from + o1, x1), sc1, bi1), df, to + N);
    hn::StoreU(Norm(WindowAsFloat(df, from + o2, x2), sc2, bi2), df, to + 2 * N);
  };
  const size_t head = n >= 2 * N ? HeadToAlign(dst, 3, n, N * sizeof(float)) : 0;
  scalar_kernels()->interleave(src, head, cin, swap, dst, scale, bias);
  window_steps(src, n, cin, N, head, t.reach, period);
}
#endif

void Interleave(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, int swap, float* HWY_RESTRICT dst,
                const float* scale, const float* bias) {
#if HWY_ARCH_X86
  if (cin == 4 || swap) return InterleaveWindows(src, n, cin, swap, dst, scale, bias);
#endif
  const DF df;
  const DU8 du8;
  const size_t P = hn::Lanes(du8);
  if (n < P) {
    const unsigned s0 = swap ? 2 : 0, s2 = swap ? 0 : 2;
    for (size_t i = 0; i < n; ++i) {
      dst[3 * i + 0] = NormScalar(src[i * cin + s0], scale[0], bias[0]);
      dst[3 * i + 1] = NormScalar(src[i * cin + 1], scale[1], bias[1]);
      dst[3 * i + 2] = NormScalar(src[i * cin + s2], scale[2], bias[2]);
    }
    return;
  }
  const unsigned s0i = swap ? 2 : 0, s2i = swap ? 0 : 2;
  const size_t head = n >= 2 * P ? HeadToAlign(dst, 3, n) : 0;
  for (size_t i = 0; i < head; ++i) {
    dst[3 * i + 0] = NormScalar(src[i * cin + s0i], scale[0], bias[0]);
    dst[3 * i + 1] = NormScalar(src[i * cin + 1], scale[1], bias[1]);
    dst[3 * i + 2] = NormScalar(src[i * cin + s2i], scale[2], bias[2]);
  }
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  size_t i = head;
  for (; i + P <= n; i += P) InterleaveBlock(src + i * cin, cin, swap, dst + 3 * i, s0, s1, s2, b0, b1, b2);
  if (i < n) InterleaveBlock(src + (n - P) * cin, cin, swap, dst + 3 * (n - P), s0, s1, s2, b0, b1, b2);
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

// One byte vector's statistics, as ReduceAcc asks (kMoments, kExtremes): sums in 64-bit lanes
// (psadbw), squares in 32-bit lanes (pairwise multiply-adds of the even and the odd bytes as
// int16: at most 4 * 255^2 per lane and call), the maximum over v and the minimum over vmin (v
// itself, or v with its skipped, zeroed, bytes set to 255).
template <bool kMoments, bool kExtremes>
HWY_INLINE void AccAdd(V8 v, V8 vmin, V64& sum, V32& sq32, V8& lo, V8& hi) {
  if (kMoments) {
    const D16 d16;
    const hn::RebindToSigned<D16> di16;
    const hn::RebindToSigned<D32> di32;
    sum = hn::Add(sum, hn::SumsOf8(v));
    const auto w = hn::BitCast(d16, v);
    const auto even = hn::BitCast(di16, hn::And(w, hn::Set(d16, 0xFF)));
    const auto odd = hn::BitCast(di16, hn::ShiftRight<8>(w));
    sq32 = hn::Add(sq32, hn::BitCast(D32(), hn::Add(PairSums(di32, even, even), PairSums(di32, odd, odd))));
  }
  if (kExtremes) {
    lo = hn::Min(lo, vmin);
    hi = hn::Max(hi, v);
  }
}

// The 32-bit squares into the 64-bit lanes.
HWY_INLINE void AccFlush32(V32& sq32, V64& sq) {
  const D64 d64;
  const D32 d32;
  const auto w = hn::BitCast(d64, sq32);
  sq = hn::Add(sq, hn::And(w, hn::Set(d64, 0xFFFFFFFFull)));
  sq = hn::Add(sq, hn::ShiftRight<32>(w));
  sq32 = hn::Zero(d32);
}

template <bool kMoments, bool kExtremes>
HWY_INLINE void AccFinish(V64 sum, V64 sq, V8 lo, V8 hi, ReduceAcc* acc, unsigned c) {
  const DU8 du8;
  const D64 d64;
  HWY_ALIGN uint64_t lanes64[2 * HWY_MAX_BYTES / 8];
  HWY_ALIGN uint8_t lanes8[2 * HWY_MAX_BYTES];
  const size_t N64 = hn::Lanes(d64), N8 = hn::Lanes(du8);
  if (kMoments) {
    hn::Store(sum, d64, lanes64);
    hn::Store(sq, d64, lanes64 + N64);
    for (size_t i = 0; i < N64; ++i) {
      acc->sum[c] += lanes64[i];
      acc->sumsq[c] += lanes64[N64 + i];
    }
  }
  if (kExtremes) {
    hn::Store(lo, du8, lanes8);
    hn::Store(hi, du8, lanes8 + N8);
    for (size_t i = 0; i < N8; ++i) {
      if (lanes8[i] < acc->min[c]) acc->min[c] = lanes8[i];
      if (lanes8[N8 + i] > acc->max[c]) acc->max[c] = lanes8[N8 + i];
    }
  }
}

// add(k) for every vector k < nvec, then flush(), at least every 4096 vectors: that keeps the
// 32-bit squares exact (4096 * 4 * 255^2 < 2^32).
template <class Add, class Flush>
HWY_INLINE void FlushedBlocks(size_t nvec, Add add, Flush flush) {
  constexpr size_t kFlushBlocks = 4096;
  for (size_t start = 0; start < nvec; start += kFlushBlocks) {
    const size_t end = nvec - start < kFlushBlocks ? nvec : start + kFlushBlocks;
    for (size_t k = start; k < end; ++k) add(k);
    flush();
  }
}

// On x86 CPUs with VNNI the moments of whole vectors go through reduce_vnni (kernels.h): one dot
// product per vector for the squares. The rest, and other CPUs, take the loops below.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
constexpr unsigned kVnniBits = HWY_TARGET <= HWY_AVX3 ? 512 : 256;
#else
constexpr unsigned kVnniBits = 0;
#endif

template <bool kMoments, bool kExtremes>
void ReduceT(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, ReduceAcc* acc) {
  if (kVnniBits != 0 && kMoments && cin == 1) {
    const size_t done = reduce_vnni(kVnniBits, false, src, n, acc, 0);
    src += done;
    n -= done;
  }
  const DU8 du8;
  const D64 d64;
  const D32 d32;
  const size_t P = hn::Lanes(du8), nvec = n / P;
  V64 sum0 = hn::Zero(d64), sum1 = sum0, sum2 = sum0, sq0 = sum0, sq1 = sum0, sq2 = sum0;
  V32 sq32_0 = hn::Zero(d32), sq32_1 = sq32_0, sq32_2 = sq32_0;
  V8 lo0 = hn::Set(du8, 255), lo1 = lo0, lo2 = lo0, hi0 = hn::Zero(du8), hi1 = hi0, hi2 = hi0;
  if (cin == 1) {
    FlushedBlocks(
        nvec,
        [&](size_t k) {
          const V8 v = hn::LoadU(du8, src + k * P);
          AccAdd<kMoments, kExtremes>(v, v, sum0, sq32_0, lo0, hi0);
        },
        [&] { AccFlush32(sq32_0, sq0); });
  } else {
    FlushedBlocks(
        nvec,
        [&](size_t k) {
          V8 v0, v1, v2, v3;
          if (cin == 3) {
            hn::LoadInterleaved3(du8, src + k * P * 3, v0, v1, v2);
          } else {
            hn::LoadInterleaved4(du8, src + k * P * 4, v0, v1, v2, v3);
          }
          AccAdd<kMoments, kExtremes>(v0, v0, sum0, sq32_0, lo0, hi0);
          AccAdd<kMoments, kExtremes>(v1, v1, sum1, sq32_1, lo1, hi1);
          AccAdd<kMoments, kExtremes>(v2, v2, sum2, sq32_2, lo2, hi2);
        },
        [&] {
          AccFlush32(sq32_0, sq0);
          AccFlush32(sq32_1, sq1);
          AccFlush32(sq32_2, sq2);
        });
  }
  const unsigned channels = cin == 4 ? 3 : cin;
  AccFinish<kMoments, kExtremes>(sum0, sq0, lo0, hi0, acc, 0);
  if (channels == 3) {
    AccFinish<kMoments, kExtremes>(sum1, sq1, lo1, hi1, acc, 1);
    AccFinish<kMoments, kExtremes>(sum2, sq2, lo2, hi2, acc, 2);
  }
  for (size_t i = nvec * P; i < n; ++i) {
    for (unsigned c = 0; c < channels; ++c) {
      const uint32_t x = src[i * cin + c];
      if (kMoments) {
        acc->sum[c] += x;
        acc->sumsq[c] += x * x;
      }
      if (kExtremes) {
        if (x < acc->min[c]) acc->min[c] = static_cast<uint8_t>(x);
        if (x > acc->max[c]) acc->max[c] = static_cast<uint8_t>(x);
      }
    }
  }
}

// Four-byte pixels pooled (reduce_pooled4 in kernels.h): whole byte vectors with the fourth byte
// of every pixel zeroed for the sums, squares and maximum, and set to 255 for the minimum.
template <bool kMoments, bool kExtremes>
void ReducePooled4T(const uint8_t* HWY_RESTRICT src, size_t n, ReduceAcc* acc) {
  if (kVnniBits != 0 && kMoments) {
    const size_t done = reduce_vnni(kVnniBits, true, src, 4 * n, acc, 0);
    src += done;
    n -= done / 4;
  }
  const DU8 du8;
  const D64 d64;
  const D32 d32;
  const size_t P = hn::Lanes(du8), nvec = 4 * n / P;
  const V8 alpha = hn::BitCast(du8, hn::Set(d32, 0xFF000000u));
  V64 sum = hn::Zero(d64), sq = sum;
  V32 sq32 = hn::Zero(d32);
  V8 lo = hn::Set(du8, 255), hi = hn::Zero(du8);
  FlushedBlocks(
      nvec,
      [&](size_t k) {
        const V8 v = hn::LoadU(du8, src + k * P);
        AccAdd<kMoments, kExtremes>(hn::AndNot(alpha, v), hn::Or(v, alpha), sum, sq32, lo, hi);
      },
      [&] { AccFlush32(sq32, sq); });
  AccFinish<kMoments, kExtremes>(sum, sq, lo, hi, acc, 0);
  // P is a multiple of 4: the tail starts at a pixel.
  const size_t done = nvec * P / 4;
  if (done < n) scalar_kernels()->reduce_pooled4(src + 4 * done, n - done, acc);
}

// The statistics acc asks for, compiled without the others.
#define PIXNORM_REDUCE_DISPATCH(fn, ...)                            \
  do {                                                              \
    if (acc->moments && acc->extremes) return fn<true, true>(__VA_ARGS__); \
    if (acc->moments) return fn<true, false>(__VA_ARGS__);          \
    if (acc->extremes) return fn<false, true>(__VA_ARGS__);         \
  } while (0)

void Reduce(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, ReduceAcc* acc) {
  PIXNORM_REDUCE_DISPATCH(ReduceT, src, n, cin, acc);
}

void ReducePooled4(const uint8_t* HWY_RESTRICT src, size_t n, ReduceAcc* acc) {
  PIXNORM_REDUCE_DISPATCH(ReducePooled4T, src, n, acc);
}
#undef PIXNORM_REDUCE_DISPATCH
#if defined(PIXNORM_MCA)
// bench/arm_estimate.sh compiles this file with PIXNORM_MCA and feeds these straight-line
// blocks (one loop iteration each of the kernels above, same code) to llvm-mca.
#if HWY_ARCH_ARM_A64
#define PIXNORM_MCA_REGION(text) asm volatile("// LLVM-MCA-" text)
#else
#define PIXNORM_MCA_REGION(text) asm volatile("@ LLVM-MCA-" text)
#endif
HWY_NOINLINE void McaNchwRgb(const uint8_t* src, float* d0, float* d1, float* d2, const float* p) {
  const DF df;
  const VF s0 = hn::Set(df, p[0]), s1 = hn::Set(df, p[1]), s2 = hn::Set(df, p[2]);
  const VF b0 = hn::Set(df, p[3]), b1 = hn::Set(df, p[4]), b2 = hn::Set(df, p[5]);
  PIXNORM_MCA_REGION("BEGIN nchw_rgb");
  PlanarBlock(src, 3, d0, d1, d2, s0, s1, s2, b0, b1, b2);
  PIXNORM_MCA_REGION("END");
}
HWY_NOINLINE void McaNhwcRgb(const uint8_t* src, float* dst, const float* p) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const VF s0 = hn::Set(df, p[0]), s1 = hn::Set(df, p[1]), s2 = hn::Set(df, p[2]);
  const VF b0 = hn::Set(df, p[3]), b1 = hn::Set(df, p[4]), b2 = hn::Set(df, p[5]);
  PIXNORM_MCA_REGION("BEGIN nhwc_rgb");
  Store4(src, dst, s0, s1, s2, s0, b0, b1, b2, b0);
  Store4(src + 4 * N, dst + 4 * N, s1, s2, s0, s1, b1, b2, b0, b1);
  Store4(src + 8 * N, dst + 8 * N, s2, s0, s1, s2, b2, b0, b1, b2);
  PIXNORM_MCA_REGION("END");
}
HWY_NOINLINE void McaReduceBytes(const uint8_t* src, uint64_t* out) {
  const DU8 du8;
  const D64 d64;
  const D32 d32;
  V64 sum = hn::Zero(d64);
  V32 sq32 = hn::Zero(d32);
  V8 lo = hn::Set(du8, 255), hi = hn::Zero(du8);
  PIXNORM_MCA_REGION("BEGIN reduce_bytes");  // sums and squares: sample-standardize's pass
  const V8 v = hn::LoadU(du8, src);
  AccAdd<true, false>(v, v, sum, sq32, lo, hi);
  PIXNORM_MCA_REGION("END");
  hn::StoreU(sum, d64, out);
  hn::StoreU(hn::BitCast(d64, hn::Add(BitCast(d32, hn::Or(hn::BitCast(du8, sq32), hn::Or(lo, hi))), sq32)), d64,
             out + hn::Lanes(d64));
}
#endif

// Narrowing (PackParams in kernels.h): integer arithmetic and one exact float addition, so
// that every target rounds exactly like the scalar reference; the tail goes to the scalar loop.
HWY_INLINE hn::Vec<DI> RoundEven(VF v) {
  const DF df;
  const DI di;
  return hn::Sub(hn::BitCast(di, hn::Add(v, hn::Set(df, 12582912.0f))), hn::Set(di, 0x4B400000));
}

HWY_INLINE hn::Vec<DI> HalfBits(VF v) {
  const DF df;
  const DI di;
  const auto b = hn::BitCast(di, v);
  const auto sign = hn::And(hn::ShiftRight<16>(b), hn::Set(di, 0x8000));
  const auto mag = hn::And(b, hn::Set(di, 0x7FFFFFFF));
  const auto sub = hn::Sub(hn::BitCast(di, hn::Add(hn::BitCast(df, mag), hn::Set(df, 0.5f))), hn::Set(di, 0x3F000000));
  const auto lsb = hn::And(hn::ShiftRight<13>(mag), hn::Set(di, 1));
  auto normal = hn::ShiftRight<13>(hn::Add(hn::Add(mag, hn::Set(di, 0xFFF - 0x38000000)), lsb));
  normal = hn::Min(normal, hn::Set(di, 0x7C00));
  return hn::Or(hn::IfThenElse(hn::Lt(mag, hn::Set(di, 0x38800000)), sub, normal), sign);
}

// Normalization straight into a narrow type (flat_narrow, planar_narrow in kernels.h). INT8 and
// UINT8: rounded by the magic addition (FlatNarrow and PlanarNarrow check |v| < 2^22), then the zero point is
// added and the type's range applied by saturating narrowing, which equals the reference's clamp
// to [lo, hi] before rounding since lo and hi are whole numbers.
template <pixnorm_dtype kType>
HWY_INLINE void NarrowStore(VF v, hn::Vec<DI> zp, uint8_t* HWY_RESTRICT d) {
  const DF df;
  if constexpr (kType == PIXNORM_DTYPE_F16) {
    (void)zp;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
    // F16C's vcvtps2ph with its rounding fixed to nearest even by the immediate (not MXCSR):
    // the IEEE conversion, subnormal halves included, so the reference's bits. Highway's SSE4
    // emulation truncates and is not used.
    const hn::Rebind<hwy::float16_t, DF> dh;
    hn::StoreU(hn::DemoteTo(dh, v), dh, reinterpret_cast<hwy::float16_t*>(d));
#else
    const hn::Rebind<uint16_t, DF> d16;
    hn::StoreU(hn::DemoteTo(d16, HalfBits(v)), d16, reinterpret_cast<uint16_t*>(d));
#endif
  } else if constexpr (kType == PIXNORM_DTYPE_INT8) {
    const hn::Rebind<int8_t, DF> d8;
    hn::StoreU(hn::DemoteTo(d8, hn::Add(RoundEven(v), zp)), d8, reinterpret_cast<int8_t*>(d));
  } else {
    const hn::Rebind<uint8_t, DF> d8;
    hn::StoreU(hn::DemoteTo(d8, hn::Add(RoundEven(v), zp)), d8, d);
  }
  (void)df;
}

void Pack(const float* HWY_RESTRICT src, size_t n, void* HWY_RESTRICT dst, const PackParams* pp) {
  const DF df;
  const DI di;
  const size_t N = hn::Lanes(df);
  size_t i = 0, esize = 1;
  if (pp->dtype == PIXNORM_DTYPE_F16) {
    uint8_t* HWY_RESTRICT d = static_cast<uint8_t*>(dst);
    for (; i + N <= n; i += N) NarrowStore<PIXNORM_DTYPE_F16>(hn::LoadU(df, src + i), hn::Zero(di), d + 2 * i);
    esize = 2;
  } else {
    const VF lo = hn::Set(df, pp->lo), hi = hn::Set(df, pp->hi);
    const auto zp = hn::Set(di, pp->zero_point);
    if (pp->dtype == PIXNORM_DTYPE_INT8) {
      const hn::Rebind<int8_t, DF> d8;
      int8_t* HWY_RESTRICT d = static_cast<int8_t*>(dst);
      for (; i + N <= n; i += N)
        hn::StoreU(hn::DemoteTo(d8, hn::Add(RoundEven(hn::Min(hn::Max(hn::LoadU(df, src + i), lo), hi)), zp)), d8, d + i);
    } else {
      const hn::Rebind<uint8_t, DF> d8;
      uint8_t* HWY_RESTRICT d = static_cast<uint8_t*>(dst);
      for (; i + N <= n; i += N)
        hn::StoreU(hn::DemoteTo(d8, hn::Add(RoundEven(hn::Min(hn::Max(hn::LoadU(df, src + i), lo), hi)), zp)), d8, d + i);
    }
  }
  if (i < n) scalar_kernels()->pack(src + i, n - i, static_cast<uint8_t*>(dst) + i * esize, pp);
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

// Four consecutive float vectors to 4N outputs: on x86 through PackBytes4 (the zero point added
// to the int16 values), elsewhere one vector at a time.
template <pixnorm_dtype kType>
HWY_INLINE void NarrowStore4(VF v0, VF v1, VF v2, VF v3, hn::Vec<DI> zp, hn::Vec<D16I> zp16,
                             uint8_t* HWY_RESTRICT d) {
  const DF df;
  const size_t N = hn::Lanes(df);
  constexpr size_t es = kType == PIXNORM_DTYPE_F16 ? 2 : 1;
#if PIXNORM_X86_SIMD
  if constexpr (kType != PIXNORM_DTYPE_F16) {
    (void)zp;
    const auto bytes = PackBytes4<kType == PIXNORM_DTYPE_INT8>(RoundEven(v0), RoundEven(v1), RoundEven(v2),
                                                               RoundEven(v3), zp16);
    hn::StoreU(bytes, DU8(), d);
    return;
  }
#endif
  (void)zp16;
  NarrowStore<kType>(v0, zp, d);
  NarrowStore<kType>(v1, zp, d + N * es);
  NarrowStore<kType>(v2, zp, d + 2 * N * es);
  NarrowStore<kType>(v3, zp, d + 3 * N * es);
}

// The four float vectors of one full byte vector of source (as Store4 reads them).
HWY_INLINE void Load4AsFloat(const uint8_t* HWY_RESTRICT src, VF& x0, VF& x1, VF& x2, VF& x3) {
  const DF df;
  const size_t N = hn::Lanes(df);
#if HWY_ARCH_ARM
  const auto v = hn::LoadU(DU8(), src);
  x0 = QuarterAsFloat<0>(v);
  x1 = QuarterAsFloat<1>(v);
  x2 = QuarterAsFloat<2>(v);
  x3 = QuarterAsFloat<3>(v);
#else
  x0 = LoadBytesAsFloat(src);
  x1 = LoadBytesAsFloat(src + N);
  x2 = LoadBytesAsFloat(src + 2 * N);
  x3 = LoadBytesAsFloat(src + 3 * N);
#endif
  (void)N;
}

template <pixnorm_dtype kType>
void FlatNarrowT(const uint8_t* HWY_RESTRICT src, size_t n, uint8_t* HWY_RESTRICT dst, const float* scale,
                 const float* bias, unsigned period, const PackParams* pp) {
  const DF df;
  const size_t N = hn::Lanes(df);
  constexpr size_t es = kType == PIXNORM_DTYPE_F16 ? 2 : 1;
  const size_t block = period == 1 ? 4 * N : 12 * N;
  if (n < block) return scalar_kernels()->flat_narrow(src, n, dst, scale, bias, period, pp);
  const auto zp = hn::Set(DI(), pp->zero_point);
  const auto zp16 = hn::Set(D16I(), static_cast<int16_t>(pp->zero_point));
  VF x0, x1, x2, x3;
  if (period == 1) {
    const VF s = hn::Set(df, scale[0]), b = hn::Set(df, bias[0]);
    const auto step = [&](size_t at) {
      Load4AsFloat(src + at, x0, x1, x2, x3);
      NarrowStore4<kType>(Norm(x0, s, b), Norm(x1, s, b), Norm(x2, s, b), Norm(x3, s, b), zp, zp16, dst + at * es);
    };
    size_t i = 0;
    for (; i + block <= n; i += block) step(i);
    if (i < n) step(n - block);  // overlapping: rewrites identical values
    return;
  }
  // Period 3: twelve vectors hold four whole periods of the three-vector pattern.
  HWY_ALIGN float pattern[6 * HWY_MAX_BYTES / sizeof(float)];
  for (size_t j = 0; j < 3 * N; ++j) {
    pattern[j] = scale[j % 3];
    pattern[3 * N + j] = bias[j % 3];
  }
  const VF s0 = hn::Load(df, pattern), s1 = hn::Load(df, pattern + N), s2 = hn::Load(df, pattern + 2 * N);
  const VF b0 = hn::Load(df, pattern + 3 * N), b1 = hn::Load(df, pattern + 4 * N);
  const VF b2 = hn::Load(df, pattern + 5 * N);
  const auto step = [&](size_t at) {
    Load4AsFloat(src + at, x0, x1, x2, x3);
    NarrowStore4<kType>(Norm(x0, s0, b0), Norm(x1, s1, b1), Norm(x2, s2, b2), Norm(x3, s0, b0), zp, zp16,
                        dst + at * es);
    Load4AsFloat(src + at + 4 * N, x0, x1, x2, x3);
    NarrowStore4<kType>(Norm(x0, s1, b1), Norm(x1, s2, b2), Norm(x2, s0, b0), Norm(x3, s1, b1), zp, zp16,
                        dst + (at + 4 * N) * es);
    Load4AsFloat(src + at + 8 * N, x0, x1, x2, x3);
    NarrowStore4<kType>(Norm(x0, s2, b2), Norm(x1, s0, b0), Norm(x2, s1, b1), Norm(x3, s2, b2), zp, zp16,
                        dst + (at + 8 * N) * es);
  };
  size_t i = 0;
  for (; i + block <= n; i += block) step(i);
  if (i < n) {
    // The last whole block that starts in phase, then the at most two elements after it.
    const size_t j = (n - block) - (n - block) % 3;
    step(j);
    if (j + block < n)
      scalar_kernels()->flat_narrow(src + j + block, n - j - block, dst + (j + block) * es, scale, bias, 3, pp);
  }
}

template <pixnorm_dtype kType>
void PlanarNarrowT(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, uint8_t* d0, uint8_t* d1, uint8_t* d2,
                   const float* scale, const float* bias, const PackParams* pp) {
  const DF df;
  const DU8 du8;
  const size_t P = hn::Lanes(du8);  // pixels per block
  constexpr size_t es = kType == PIXNORM_DTYPE_F16 ? 2 : 1;
  if (n < P) return scalar_kernels()->planar_narrow(src, n, cin, d0, d1, d2, scale, bias, pp);
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  const auto zp = hn::Set(DI(), pp->zero_point);
  const auto zp16 = hn::Set(D16I(), static_cast<int16_t>(pp->zero_point));
  const auto plane = [&](hn::Vec<DU8> v, VF s, VF b, uint8_t* HWY_RESTRICT d) {
    NarrowStore4<kType>(Norm(QuarterAsFloat<0>(v), s, b), Norm(QuarterAsFloat<1>(v), s, b),
                        Norm(QuarterAsFloat<2>(v), s, b), Norm(QuarterAsFloat<3>(v), s, b), zp, zp16, d);
  };
  const auto step = [&](size_t at) {
    hn::Vec<DU8> v0, v1, v2, v3;
    if (cin == 3) {
      hn::LoadInterleaved3(du8, src + at * cin, v0, v1, v2);
    } else {
      hn::LoadInterleaved4(du8, src + at * cin, v0, v1, v2, v3);
    }
    plane(v0, s0, b0, d0 + at * es);
    plane(v1, s1, b1, d1 + at * es);
    plane(v2, s2, b2, d2 + at * es);
  };
  size_t i = 0;
  for (; i + P <= n; i += P) step(i);
  if (i < n) step(n - P);  // overlapping: rewrites identical values
}

#if PIXNORM_X86_SIMD
// Up to 256-bit vectors, the planes' bytes come through windows as in PlanarWindows; one step is
// four float vectors of pixels per plane.
template <pixnorm_dtype kType, unsigned cin>
void PlanarNarrowWindows(const uint8_t* HWY_RESTRICT src, size_t n, uint8_t* d0, uint8_t* d1, uint8_t* d2,
                         const float* scale, const float* bias, const PackParams* pp) {
  const DF df;
  const DI di;
  const DU8 du8;
  const size_t N = hn::Lanes(df);
  constexpr size_t es = kType == PIXNORM_DTYPE_F16 ? 2 : 1;
  if (n < 4 * N) return scalar_kernels()->planar_narrow(src, n, cin, d0, d1, d2, scale, bias, pp);
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  const auto x0 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][0]), x1 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][1]);
  const auto x2 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][2]);
  const auto zp = hn::Set(di, pp->zero_point);
  const auto zp16 = hn::Set(D16I(), static_cast<int16_t>(pp->zero_point));
  const auto window = [&](const uint8_t* HWY_RESTRICT from) {
    if (N == 4) return hn::LoadU(du8, from);
    const hn::Half<DU8> dh;  // two blocks of four pixels
    return hn::Combine(du8, hn::LoadU(dh, from + 4 * cin), hn::LoadU(dh, from));
  };
  const auto value = [&](hn::Vec<DU8> w, hn::Vec<DU8> x, VF s, VF b) {
    return Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x))), s, b);
  };
  const auto step = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    const auto w0 = window(from), w1 = window(from + N * cin), w2 = window(from + 2 * N * cin);
    const auto w3 = window(from + 3 * N * cin);
    NarrowStore4<kType>(value(w0, x0, s0, b0), value(w1, x0, s0, b0), value(w2, x0, s0, b0), value(w3, x0, s0, b0),
                        zp, zp16, d0 + at * es);
    NarrowStore4<kType>(value(w0, x1, s1, b1), value(w1, x1, s1, b1), value(w2, x1, s1, b1), value(w3, x1, s1, b1),
                        zp, zp16, d1 + at * es);
    NarrowStore4<kType>(value(w0, x2, s2, b2), value(w1, x2, s2, b2), value(w2, x2, s2, b2), value(w3, x2, s2, b2),
                        zp, zp16, d2 + at * es);
  };
  window_steps(src, n, cin, 4 * N, 0, (4 * N - 4) * cin + 16, step);
}
#endif

const RowKernels* GetKernels();

// Dispatch on the type; int8/uint8 values past the one-addition rounding's range (narrow_fits)
// go through Flat or Planar and Pack instead, which clamp first.
void FlatNarrow(const uint8_t* HWY_RESTRICT src, size_t n, void* HWY_RESTRICT dst, const float* scale,
                const float* bias, unsigned period, const PackParams* pp) {
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, period))
    return flat_narrow_chunks(GetKernels(), src, n, dst, scale, bias, period, pp);
  uint8_t* d = static_cast<uint8_t*>(dst);
  if (pp->dtype == PIXNORM_DTYPE_INT8) return FlatNarrowT<PIXNORM_DTYPE_INT8>(src, n, d, scale, bias, period, pp);
  if (pp->dtype == PIXNORM_DTYPE_UINT8) return FlatNarrowT<PIXNORM_DTYPE_UINT8>(src, n, d, scale, bias, period, pp);
  FlatNarrowT<PIXNORM_DTYPE_F16>(src, n, d, scale, bias, period, pp);
}

void PlanarNarrow(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, void* d0, void* d1, void* d2,
                  const float* scale, const float* bias, const PackParams* pp) {
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, 3))
    return planar_narrow_chunks(GetKernels(), src, n, cin, d0, d1, d2, scale, bias, pp);
  uint8_t *p0 = static_cast<uint8_t*>(d0), *p1 = static_cast<uint8_t*>(d1), *p2 = static_cast<uint8_t*>(d2);
#if PIXNORM_X86_SIMD
  if (!kWideWindows) {
    const auto run = [&](auto type, auto channels) {
      PlanarNarrowWindows<decltype(type)::value, decltype(channels)::value>(src, n, p0, p1, p2, scale, bias, pp);
    };
    using I8 = std::integral_constant<pixnorm_dtype, PIXNORM_DTYPE_INT8>;
    using U8 = std::integral_constant<pixnorm_dtype, PIXNORM_DTYPE_UINT8>;
    using H = std::integral_constant<pixnorm_dtype, PIXNORM_DTYPE_F16>;
    using C3 = std::integral_constant<unsigned, 3>;
    using C4 = std::integral_constant<unsigned, 4>;
    if (pp->dtype == PIXNORM_DTYPE_INT8) return cin == 3 ? run(I8(), C3()) : run(I8(), C4());
    if (pp->dtype == PIXNORM_DTYPE_UINT8) return cin == 3 ? run(U8(), C3()) : run(U8(), C4());
    return cin == 3 ? run(H(), C3()) : run(H(), C4());
  }
#endif
  if (pp->dtype == PIXNORM_DTYPE_INT8)
    return PlanarNarrowT<PIXNORM_DTYPE_INT8>(src, n, cin, p0, p1, p2, scale, bias, pp);
  if (pp->dtype == PIXNORM_DTYPE_UINT8)
    return PlanarNarrowT<PIXNORM_DTYPE_UINT8>(src, n, cin, p0, p1, p2, scale, bias, pp);
  PlanarNarrowT<PIXNORM_DTYPE_F16>(src, n, cin, p0, p1, p2, scale, bias, pp);
}

// Two-tap resampling (kernels.h): one 32-bit word per row brings both taps when step < 4
// (the second is byte `step` of the word), then the scalar reference's integer arithmetic.
// The words are read lane by lane into a buffer: on CPUs with the gather data sampling
// mitigation, vpgatherdd is slower than scalar loads.
// The vertical blend of two rows' horizontal sums, rounded (kernels.h), or of row 0 alone.
template <bool kTwoRows, class D, class V>
HWY_INLINE V Blend(D d, V h0, V h1, V vwy) {
  if constexpr (!kTwoRows) return hn::ShiftRight<11>(hn::Add(h0, hn::Set(d, 1 << 10)));
  return hn::ShiftRight<22>(hn::Add(hn::Add(hn::ShiftLeft<11>(h0), hn::Mul(hn::Sub(h1, h0), vwy)), hn::Set(d, 1 << 21)));
}

template <class D>
HWY_INLINE hn::Vec<D> Words(D d, const uint8_t* HWY_RESTRICT base, const int32_t* HWY_RESTRICT off) {
  HWY_ALIGN int32_t w[hn::MaxLanes(d)];
  const size_t N = hn::Lanes(d);
  for (size_t j = 0; j < N; ++j) hwy::CopyBytes<4>(base + off[j], &w[j]);
  return hn::Load(d, w);
}
template <bool kTwoRows, bool kWideStep>
HWY_INLINE void Resample2Loop(const uint8_t* HWY_RESTRICT row0, const uint8_t* HWY_RESTRICT row1,
                              const int32_t* HWY_RESTRICT off, const int32_t* HWY_RESTRICT wx, int32_t wy,
                              unsigned step, size_t n, uint8_t* HWY_RESTRICT out, size_t* done) {
  const DI di;
  const hn::Rebind<uint8_t, DI> d8;
  const size_t N = hn::Lanes(di);
  const auto mask = hn::Set(di, 0xFF);
  const auto vwy = hn::Set(di, wy);
  const int shift = static_cast<int>(8 * step);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto w = hn::LoadU(di, wx + i);
    const auto g0 = Words(di, row0, off + i);
    const auto a0 = hn::And(g0, mask);
    const auto b0 = kWideStep ? hn::And(Words(di, row0 + step, off + i), mask) : hn::And(hn::ShiftRightSame(g0, shift), mask);
    const auto h0 = hn::Add(hn::ShiftLeft<11>(a0), hn::Mul(hn::Sub(b0, a0), w));
    auto h1 = h0;
    if (kTwoRows) {
      const auto g1 = Words(di, row1, off + i);
      const auto a1 = hn::And(g1, mask);
      const auto b1 =
          kWideStep ? hn::And(Words(di, row1 + step, off + i), mask) : hn::And(hn::ShiftRightSame(g1, shift), mask);
      h1 = hn::Add(hn::ShiftLeft<11>(a1), hn::Mul(hn::Sub(b1, a1), w));
    }
    hn::StoreU(hn::DemoteTo(d8, Blend<kTwoRows>(di, h0, h1, vwy)), d8, out + i);
  }
  *done = i;
}

// Pixels of three channels (group 3): one 8-byte window per pixel and row holds both taps of
// every channel. Four pixels make twelve elements, three 128-bit blocks of int32; byte shuffles
// put each element's taps side by side as int16 and a pairwise multiply-add applies (w0, w1).
struct PixelTables {
  HWY_ALIGN uint8_t t[4][16];  // lanes of blocks 0, 1 (pixels 0-1), 1 (pixels 2-3), 2
};

HWY_INLINE void MakePixelTables(unsigned step, PixelTables* pt) {
  static constexpr int kBlock[4] = {0, 1, 1, 2}, kFrom[4] = {0, 0, 1, 1};
  for (int k = 0; k < 4; ++k) {
    for (int j = 0; j < 4; ++j) {
      const int e = 4 * kBlock[k] + j, p = e / 3, c = e % 3;
      uint8_t* q = pt->t[k] + 4 * j;
      const bool mine = p / 2 == kFrom[k];
      const int base = (p % 2) * 8;
      q[0] = mine ? static_cast<uint8_t>(base + c) : 0x80;
      q[1] = 0x80;
      q[2] = mine ? static_cast<uint8_t>(base + c + static_cast<int>(step)) : 0x80;
      q[3] = 0x80;
    }
  }
}

// Two 8-byte pixel windows as one 128-bit block: pixels o[0] (low half) and o[3] (high half).
HWY_INLINE hn::Vec<hn::Full128<uint8_t>> Windows(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT o) {
  const hn::Full128<uint8_t> d8;
  const hn::Full64<uint8_t> d8h;
  return hn::Combine(d8, hn::LoadU(d8h, r + o[3]), hn::LoadU(d8h, r + o[0]));
}

// kBlocks 128-bit blocks per vector (1, or 2 on AVX2 and AVX-512): block b holds pixels
// 4b .. 4b + 3 of the step, its three int32 vectors elements 12b + 4k .. 12b + 4k + 3.
template <size_t kBlocks>
struct PixelBlocks;
template <>
struct PixelBlocks<1> {
  using D8 = hn::Full128<uint8_t>;
  static hn::Vec<D8> Load(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT o) { return Windows(r, o); }
  static hn::Vec<hn::Full128<int32_t>> LoadWeights(const int32_t* HWY_RESTRICT w) {
    return hn::LoadU(hn::Full128<int32_t>(), w);
  }
  template <class V>
  static void Store(V bytes, uint8_t* HWY_RESTRICT out) {  // 4 bytes (one block of int32 lanes)
    hn::StoreU(bytes, hn::Full32<uint8_t>(), out);
  }
};
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
template <>
struct PixelBlocks<2> {
  using D8 = hn::Full256<uint8_t>;
  static hn::Vec<D8> Load(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT o) {
    return hn::Combine(D8(), Windows(r, o + 12), Windows(r, o));
  }
  static hn::Vec<hn::Full256<int32_t>> LoadWeights(const int32_t* HWY_RESTRICT w) {  // w[0..3], w[12..15]
    const hn::Full128<int32_t> d;
    return hn::Combine(hn::Full256<int32_t>(), hn::LoadU(d, w + 12), hn::LoadU(d, w));
  }
  template <class V>
  static void Store(V bytes, uint8_t* HWY_RESTRICT out) {  // 2 x 4 bytes, 12 elements apart
    const hn::Full32<uint8_t> d4;
    hn::StoreU(hn::LowerHalf(d4, bytes), d4, out);
    hn::StoreU(hn::UpperHalf(d4, bytes), d4, out + 12);
  }
};
#endif

template <size_t kBlocks, bool kTwoRows>
HWY_INLINE size_t Resample2Pixels(const uint8_t* HWY_RESTRICT row0, const uint8_t* HWY_RESTRICT row1,
                                  const int32_t* HWY_RESTRICT off, const int32_t* HWY_RESTRICT wx, int32_t wy,
                                  unsigned step, size_t n, uint8_t* HWY_RESTRICT out) {
  using PB = PixelBlocks<kBlocks>;
  const typename PB::D8 d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  PixelTables pt;
  MakePixelTables(step, &pt);
  // The same table in every block.
  auto table = [&](int k) { return hn::LoadDup128(d8, pt.t[k]); };
  const auto t0 = table(0), t1a = table(1), t1b = table(2), t2 = table(3);
  const auto one = hn::Set(d32, 2048), vwy = hn::Set(d32, wy);
  using V32 = hn::Vec<decltype(d32)>;
  using V16 = hn::Vec<decltype(d16)>;
  auto dot = [&](hn::Vec<decltype(d8)> p, V16 w) { return PairSums(d32, hn::BitCast(d16, p), w); };
  // Horizontal: the three vectors of elements of one row (separate variables: SVE vectors
  // cannot live in arrays).
  auto horizontal = [&](const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT o, V16 w0, V16 w1, V16 w2,
                        V32& h0, V32& h1, V32& h2) {
    const auto x01 = PB::Load(r, o), x23 = PB::Load(r, o + 6);
    h0 = dot(hn::TableLookupBytesOr0(x01, t0), w0);
    h1 = dot(hn::Or(hn::TableLookupBytesOr0(x01, t1a), hn::TableLookupBytesOr0(x23, t1b)), w1);
    h2 = dot(hn::TableLookupBytesOr0(x23, t2), w2);
  };
  // (w0, w1) as the two int16 halves of each element's lane, block by block.
  auto pair = [&](const int32_t* HWY_RESTRICT w) {
    const V32 v = PB::LoadWeights(w);
    return hn::BitCast(d16, hn::Or(hn::Sub(one, v), hn::ShiftLeft<16>(v)));
  };
  // Vertical, rounding, bytes.
  auto finish = [&](V32 a, V32 b, uint8_t* HWY_RESTRICT o) { PB::Store(hn::DemoteTo(dq, Blend<kTwoRows>(d32, a, b, vwy)), o); };
  const size_t step_elems = 12 * kBlocks;
  size_t i = 0;
  for (; i + step_elems <= n; i += step_elems) {
    const V16 w0 = pair(wx + i), w1 = pair(wx + i + 4), w2 = pair(wx + i + 8);
    V32 a0, a1, a2, b0, b1, b2;
    horizontal(row0, off + i, w0, w1, w2, a0, a1, a2);
    if (kTwoRows) {
      horizontal(row1, off + i, w0, w1, w2, b0, b1, b2);
    } else {
      b0 = a0;
      b1 = a1;
      b2 = a2;
    }
    finish(a0, b0, out + i);
    finish(a1, b1, out + i + 4);
    finish(a2, b2, out + i + 8);
  }
  return i;
}

void Resample2(const uint8_t* HWY_RESTRICT row0, const uint8_t* HWY_RESTRICT row1, const int32_t* HWY_RESTRICT off,
               const int32_t* HWY_RESTRICT wx, int32_t wy, unsigned step, unsigned group, size_t n,
               uint8_t* HWY_RESTRICT out) {
  size_t i = 0;
  if (group == 3 && step <= 4) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
    i = wy == 0 ? Resample2Pixels<2, false>(row0, row1, off, wx, wy, step, n, out)
                : Resample2Pixels<2, true>(row0, row1, off, wx, wy, step, n, out);
#endif
    i += wy == 0 ? Resample2Pixels<1, false>(row0, row1, off + i, wx + i, wy, step, n - i, out + i)
                 : Resample2Pixels<1, true>(row0, row1, off + i, wx + i, wy, step, n - i, out + i);
  } else if (wy == 0)
    step >= 4 ? Resample2Loop<false, true>(row0, row1, off, wx, wy, step, n, out, &i)
              : Resample2Loop<false, false>(row0, row1, off, wx, wy, step, n, out, &i);
  else
    step >= 4 ? Resample2Loop<true, true>(row0, row1, off, wx, wy, step, n, out, &i)
              : Resample2Loop<true, false>(row0, row1, off, wx, wy, step, n, out, &i);
  if (i < n) scalar_kernels()->resample2(row0, row1, off + i, wx + i, wy, step, 1, n - i, out + i);
}

// Two-tap resampling by 16-byte windows (kernels.h): each 128-bit block loads its window,
// shuffles it into (a, b) int16 pairs with the block's table and multiply-adds the weight pairs;
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

template <size_t kBlocks, bool kTwoRows>
HWY_INLINE size_t Resample2WindowsLoop(const uint8_t* HWY_RESTRICT row0, const uint8_t* HWY_RESTRICT row1,
                                       const int32_t* HWY_RESTRICT base, const uint8_t* HWY_RESTRICT idx,
                                       const uint32_t* HWY_RESTRICT wpair, int32_t wy, size_t nblocks,
                                       uint8_t* HWY_RESTRICT out) {
  using WB = WindowBlocks<kBlocks>;
  const typename WB::D8 d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  using V32 = hn::Vec<decltype(d32)>;
  const auto vwy = hn::Set(d32, wy);
  // Blocks at .. at + kBlocks - 1: both rows' windows shuffled, multiply-added and blended.
  const auto blended = [&](size_t at) {
    const auto table = hn::LoadU(d8, idx + 16 * at);
    const auto w = hn::BitCast(d16, hn::LoadU(hn::RebindToUnsigned<decltype(d32)>(), wpair + 4 * at));
    const auto dot = [&](const uint8_t* HWY_RESTRICT r) {
      return PairSums(d32, hn::BitCast(d16, hn::TableLookupBytesOr0(WB::Load(r, base + at), table)), w);
    };
    const V32 h0 = dot(row0);
    return Blend<kTwoRows>(d32, h0, kTwoRows ? dot(row1) : h0, vwy);
  };
  size_t k = 0;
#if PIXNORM_X86_SIMD
  // Full vectors four at a time: one byte pack for the four (PackBytes4).
  if constexpr (kBlocks * 4 == hn::MaxLanes(DI())) {
    const DI di;
    const auto none = hn::Zero(D16I());
    for (; k + 4 * kBlocks <= nblocks; k += 4 * kBlocks) {
      const auto v0 = hn::BitCast(di, blended(k)), v1 = hn::BitCast(di, blended(k + kBlocks));
      const auto v2 = hn::BitCast(di, blended(k + 2 * kBlocks)), v3 = hn::BitCast(di, blended(k + 3 * kBlocks));
      hn::StoreU(PackBytes4<false>(v0, v1, v2, v3, none), DU8(), out + 4 * k);
    }
  }
#endif
  for (; k + kBlocks <= nblocks; k += kBlocks) StoreBytes(dq, blended(k), out + 4 * k);
  return k;
}

template <bool kTwoRows>
HWY_INLINE size_t Resample2WindowsAll(const uint8_t* HWY_RESTRICT row0, const uint8_t* HWY_RESTRICT row1,
                                      const int32_t* HWY_RESTRICT base, const uint8_t* HWY_RESTRICT idx,
                                      const uint32_t* HWY_RESTRICT wpair, int32_t wy, size_t nblocks,
                                      uint8_t* HWY_RESTRICT out) {
  size_t k = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  k = Resample2WindowsLoop<4, kTwoRows>(row0, row1, base, idx, wpair, wy, nblocks, out);
#endif
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  k += Resample2WindowsLoop<2, kTwoRows>(row0, row1, base + k, idx + 16 * k, wpair + 4 * k, wy, nblocks - k,
                                         out + 4 * k);
#endif
  k += Resample2WindowsLoop<1, kTwoRows>(row0, row1, base + k, idx + 16 * k, wpair + 4 * k, wy, nblocks - k,
                                         out + 4 * k);
  return k;
}

void Resample2Windows(const uint8_t* HWY_RESTRICT row0, const uint8_t* HWY_RESTRICT row1,
                      const int32_t* HWY_RESTRICT base, const uint8_t* HWY_RESTRICT idx,
                      const uint32_t* HWY_RESTRICT wpair, int32_t wy, size_t nblocks, uint8_t* HWY_RESTRICT out) {
  if (wy == 0)
    Resample2WindowsAll<false>(row0, row1, base, idx, wpair, wy, nblocks, out);
  else
    Resample2WindowsAll<true>(row0, row1, base, idx, wpair, wy, nblocks, out);
}

// Bytes through the window tables (kernels.h): each element's shuffled 32-bit lane is its byte
// a plus b << 16 (the table's b index), so the low byte is kept. On x86 four vectors are
// packed at once (PackBytes4).
template <size_t kBlocks>
HWY_INLINE auto WindowLowBytes(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base,
                               const uint8_t* HWY_RESTRICT idx) {
  using WB = WindowBlocks<kBlocks>;
  const typename WB::D8 d8;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const auto t = hn::BitCast(d32, hn::TableLookupBytesOr0(WB::Load(r, base), hn::LoadU(d8, idx)));
  return hn::And(t, hn::Set(d32, 0xFF));
}

void GatherWindows(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base, const uint8_t* HWY_RESTRICT idx,
                   size_t nblocks, uint8_t* HWY_RESTRICT out) {
  size_t k = 0;
#if PIXNORM_X86_SIMD
  constexpr size_t kB = hn::MaxLanes(DI()) / 4;
  const auto none = hn::Zero(D16I());
  const auto lanes = [&](size_t at) { return hn::BitCast(DI(), WindowLowBytes<kB>(r, base + at, idx + 16 * at)); };
  for (; k + 4 * kB <= nblocks; k += 4 * kB)
    hn::StoreU(PackBytes4<false>(lanes(k), lanes(k + kB), lanes(k + 2 * kB), lanes(k + 3 * kB), none), DU8(),
               out + 4 * k);
#endif
  const hn::Full128<int32_t> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  for (; k < nblocks; ++k) hn::StoreU(hn::DemoteTo(dq, WindowLowBytes<1>(r, base + k, idx + 16 * k)), dq, out + 4 * k);
}

// YUV to RGB (kernels.h): the reference's 16.16 fixed point in int32 lanes, one int32
// vector of pixels per step, stored interleaved.
void Yuv(const uint8_t* HWY_RESTRICT y, const uint8_t* HWY_RESTRICT u, const uint8_t* HWY_RESTRICT v, size_t n,
         const YuvCoef* k, uint8_t* HWY_RESTRICT rgb) {
  const DI di;
  const DQ dq;
  const size_t N = hn::Lanes(di);
  const auto yoff = hn::Set(di, k->yoff), cy = hn::Set(di, k->cy), crv = hn::Set(di, k->crv),
             cgu = hn::Set(di, k->cgu), cgv = hn::Set(di, k->cgv), cbu = hn::Set(di, k->cbu);
  const auto half = hn::Set(di, 1 << 15), c128 = hn::Set(di, 128);
  auto load = [&](const uint8_t* p) { return hn::PromoteTo(di, hn::LoadU(dq, p)); };
  // The three channels' 32-bit sums of one vector of pixels, shifted.
  const auto sums = [&](size_t at, hn::Vec<DI>& r, hn::Vec<DI>& g, hn::Vec<DI>& b) {
    const auto yv = hn::Add(hn::Mul(hn::Sub(load(y + at), yoff), cy), half);
    const auto cu = hn::Sub(load(u + at), c128), cv = hn::Sub(load(v + at), c128);
    r = hn::ShiftRight<16>(hn::Add(yv, hn::Mul(crv, cv)));
    g = hn::ShiftRight<16>(hn::Sub(hn::Sub(yv, hn::Mul(cgu, cu)), hn::Mul(cgv, cv)));
    b = hn::ShiftRight<16>(hn::Add(yv, hn::Mul(cbu, cu)));
  };
  size_t i = 0;
#if PIXNORM_X86_SIMD
  // Four vectors of pixels at a time: each channel packed into one full vector of bytes (packus
  // saturates to 0..255 like DemoteTo), then one interleaved store.
  const DU8 du8;
  const auto none = hn::Zero(D16I());
  for (; i + 4 * N <= n; i += 4 * N) {
    hn::Vec<DI> r0, g0, b0, r1, g1, b1, r2, g2, b2, r3, g3, b3;
    sums(i, r0, g0, b0);
    sums(i + N, r1, g1, b1);
    sums(i + 2 * N, r2, g2, b2);
    sums(i + 3 * N, r3, g3, b3);
    hn::StoreInterleaved3(PackBytes4<false>(r0, r1, r2, r3, none), PackBytes4<false>(g0, g1, g2, g3, none),
                          PackBytes4<false>(b0, b1, b2, b3, none), du8, rgb + 3 * i);
  }
#endif
  for (; i + N <= n; i += N) {
    hn::Vec<DI> r, g, b;
    sums(i, r, g, b);
    // DemoteTo saturates to 0..255: the reference's clamp.
    hn::StoreInterleaved3(hn::DemoteTo(dq, r), hn::DemoteTo(dq, g), hn::DemoteTo(dq, b), dq, rgb + 3 * i);
  }
  if (i < n && n >= N) {
    // The last vector again, ending at n: its pixels' values are rewritten unchanged (the
    // output is not an input), cheaper than the scalar tail.
    hn::Vec<DI> r, g, b;
    sums(n - N, r, g, b);
    hn::StoreInterleaved3(hn::DemoteTo(dq, r), hn::DemoteTo(dq, g), hn::DemoteTo(dq, b), dq, rgb + 3 * (n - N));
    i = n;
  }
  if (i < n) scalar_kernels()->yuv(y + i, u + i, v + i, n - i, k, rgb + 3 * i);
}

// Pillow's passes (kernels.h): 32-bit lanes, Mul and Add wrap like Pillow's int; DemoteTo to
// uint8 saturates, which is clip8's clamp after the shift.
void PilH(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT off, const int32_t* HWY_RESTRICT w,
          size_t wstride, unsigned taps, unsigned step, size_t n, uint8_t* HWY_RESTRICT out) {
  const DI di;
  const DQ dq;
  const size_t N = hn::Lanes(di);
  const auto half = hn::Set(di, 1 << 21), low = hn::Set(di, 0xFF);
  const int32_t* base = reinterpret_cast<const int32_t*>(r);
  size_t e = 0;
  for (; e + N <= n; e += N) {
    auto o = hn::LoadU(di, off + e);
    const auto st = hn::Set(di, static_cast<int32_t>(step));
    auto s = half;
    for (unsigned j = 0; j < taps; ++j, o = hn::Add(o, st)) {
      const auto x = hn::And(hn::GatherOffset(di, base, o), low);
      s = hn::Add(s, hn::Mul(x, hn::LoadU(di, w + j * wstride + e)));
    }
    hn::StoreU(hn::DemoteTo(dq, hn::ShiftRight<22>(s)), dq, out + e);
  }
  if (e < n) scalar_kernels()->pil_h(r, off + e, w + e, wstride, taps, step, n - e, out + e);
}

// PilV for a few taps: row pointers and weights hoisted out of the loop over elements.
template <unsigned kTaps>
HWY_INLINE size_t PilVTaps(const uint8_t* const* rows, const int32_t* HWY_RESTRICT w, size_t n,
                           uint8_t* HWY_RESTRICT out) {
  const DI di;
  const DQ dq;
  const size_t N = hn::Lanes(di);
  const auto half = hn::Set(di, 1 << 21);
  const uint8_t* r0 = rows[0];
  const uint8_t* r1 = rows[kTaps > 1 ? 1 : 0];
  const uint8_t* r2 = rows[kTaps > 2 ? 2 : 0];
  const uint8_t* r3 = rows[kTaps > 3 ? 3 : 0];
  const auto w0 = hn::Set(di, w[0]), w1 = hn::Set(di, w[kTaps > 1 ? 1 : 0]), w2 = hn::Set(di, w[kTaps > 2 ? 2 : 0]),
             w3 = hn::Set(di, w[kTaps > 3 ? 3 : 0]);
  const auto one = [&](size_t at) {
    auto s = hn::Add(half, hn::Mul(hn::PromoteTo(di, hn::LoadU(dq, r0 + at)), w0));
    if (kTaps > 1) s = hn::Add(s, hn::Mul(hn::PromoteTo(di, hn::LoadU(dq, r1 + at)), w1));
    if (kTaps > 2) s = hn::Add(s, hn::Mul(hn::PromoteTo(di, hn::LoadU(dq, r2 + at)), w2));
    if (kTaps > 3) s = hn::Add(s, hn::Mul(hn::PromoteTo(di, hn::LoadU(dq, r3 + at)), w3));
    hn::StoreU(hn::DemoteTo(dq, hn::ShiftRight<22>(s)), dq, out + at);
  };
  size_t e = 0;
  for (; e + 2 * N <= n; e += 2 * N) {
    one(e);
    one(e + N);
  }
  return e;
}

void PilV(const uint8_t* const* rows, const int32_t* HWY_RESTRICT w, unsigned taps, size_t n,
          uint8_t* HWY_RESTRICT out) {
  const DI di;
  const DQ dq;
  const size_t N = hn::Lanes(di);
  const auto half = hn::Set(di, 1 << 21);
  size_t e = 0;
  if (taps == 1) e = PilVTaps<1>(rows, w, n, out);
  if (taps == 2) e = PilVTaps<2>(rows, w, n, out);
  if (taps == 3) e = PilVTaps<3>(rows, w, n, out);
  if (taps == 4) e = PilVTaps<4>(rows, w, n, out);
  for (; e + 2 * N <= n; e += 2 * N) {
    auto s0 = half, s1 = half;
    for (unsigned j = 0; j < taps; ++j) {
      const auto wj = hn::Set(di, w[j]);
      s0 = hn::Add(s0, hn::Mul(hn::PromoteTo(di, hn::LoadU(dq, rows[j] + e)), wj));
      s1 = hn::Add(s1, hn::Mul(hn::PromoteTo(di, hn::LoadU(dq, rows[j] + e + N)), wj));
    }
    hn::StoreU(hn::DemoteTo(dq, hn::ShiftRight<22>(s0)), dq, out + e);
    hn::StoreU(hn::DemoteTo(dq, hn::ShiftRight<22>(s1)), dq, out + e + N);
  }
  for (; e < n; ++e) {  // the reference's arithmetic (kernels_scalar.cpp)
    uint32_t s = 1u << 21;
    for (unsigned j = 0; j < taps; ++j) s += rows[j][e] * static_cast<uint32_t>(w[j]);
    const int32_t v = static_cast<int32_t>(s) >> 22;
    out[e] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

// Lane c of pair q of a pil_h3 window: bytes 6q + c and 6q + 3 + c as int16 (none for the fifth
// pixel's pair); lane 3 zero.
alignas(16) static constexpr uint8_t kPairs[3][16] = {
    {0, 0x80, 3, 0x80, 1, 0x80, 4, 0x80, 2, 0x80, 5, 0x80, 0x80, 0x80, 0x80, 0x80},
    {6, 0x80, 9, 0x80, 7, 0x80, 10, 0x80, 8, 0x80, 11, 0x80, 0x80, 0x80, 0x80, 0x80},
    {12, 0x80, 0x80, 0x80, 13, 0x80, 0x80, 0x80, 14, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}};

// pil_h3's sums of kBlocks pixels (p .. p + kBlocks - 1), shifted: each window shuffled into
// int16 pairs (the same table in every block), each multiply-added with the low and the high
// halves of the weights; kLast pairs in the last window (the only one unless kMore).
template <size_t kBlocks, unsigned kLast, bool kMore>
HWY_INLINE auto PilH3Sums(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base,
                          const int16_t* HWY_RESTRICT w, size_t plane, unsigned windows, size_t p) {
  using WB = WindowBlocks<kBlocks>;
  const typename WB::D8 d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  auto lo = hn::Set(d32, 1 << 21), hi = hn::Zero(d32);
  const int16_t* wt = w + 8 * p;
  const auto add = [&](hn::Vec<decltype(d8)> x, unsigned q) {
    const auto pq = hn::BitCast(d16, hn::TableLookupBytesOr0(x, hn::LoadDup128(d8, kPairs[q])));
    lo = hn::Add(lo, PairSums(d32, pq, hn::LoadU(d16, wt + 2 * q * plane)));
    hi = hn::Add(hi, PairSums(d32, pq, hn::LoadU(d16, wt + (2 * q + 1) * plane)));
  };
  if (kMore) {
    for (unsigned g = 0; g + 1 < windows; ++g, wt += 6 * plane) {
      const auto x = WB::Load(r + 15 * g, base + p);
      add(x, 0);
      add(x, 1);
      add(x, 2);
    }
  }
  const auto x = WB::Load(kMore ? r + 15 * (windows - 1) : r, base + p);
  add(x, 0);
  if (kLast > 1) add(x, 1);
  if (kLast > 2) add(x, 2);
  return hn::ShiftRight<22>(hn::Add(lo, hn::ShiftLeft<16>(hi)));
}

template <unsigned kLast, bool kMore>
void PilH3Last(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base, const int16_t* HWY_RESTRICT w,
               size_t wstride, unsigned windows, size_t n, uint8_t* HWY_RESTRICT out) {
  size_t p = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // Four pixels: vpmovusdb after the clamp below 0, then 12 of the 16 bytes moved together; the
  // store's last 4 bytes are rewritten by the next pixels' (two more pixels at least).
  const __m128i pack = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  for (; p + 6 <= n; p += 4) {
    const auto s = PilH3Sums<4, kLast, kMore>(r, base, w, wstride, windows, p);
    const __m128i b = _mm512_cvtusepi32_epi8(_mm512_max_epi32(s.raw, _mm512_setzero_si512()));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 3 * p), _mm_shuffle_epi8(b, pack));
  }
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  for (; p + 2 <= n; p += 2) {
    const auto s = PilH3Sums<2, kLast, kMore>(r, base, w, wstride, windows, p);
    const hn::Full256<int32_t> d32;
    const hn::Rebind<uint8_t, decltype(d32)> dq;
    alignas(8) uint8_t b[8];
    hn::StoreU(hn::DemoteTo(dq, s), dq, b);  // saturating: clip8's clamp
    std::memcpy(out + 3 * p, b, 3);
    std::memcpy(out + 3 * p + 3, b + 4, 3);
  }
#endif
  const hn::Full128<int32_t> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  for (; p < n; ++p) {
    alignas(4) uint8_t b[4];
    hn::StoreU(hn::DemoteTo(dq, PilH3Sums<1, kLast, kMore>(r, base, w, wstride, windows, p)), dq, b);
    std::memcpy(out + 3 * p, b, 3);
  }
}

void PilH3(const uint8_t* HWY_RESTRICT r, const int32_t* HWY_RESTRICT base, const int16_t* HWY_RESTRICT w,
           size_t wstride, unsigned taps, size_t n, uint8_t* HWY_RESTRICT out) {
  if (n == 0 || taps == 0) return scalar_kernels()->pil_h3(r, base, w, wstride, taps, n, out);
  const unsigned windows = (taps + 4) / 5, last = (taps - 5 * (windows - 1) + 1) / 2;
  if (windows > 1) {
    if (last == 1) return PilH3Last<1, true>(r, base, w, wstride, windows, n, out);
    if (last == 2) return PilH3Last<2, true>(r, base, w, wstride, windows, n, out);
    return PilH3Last<3, true>(r, base, w, wstride, windows, n, out);
  }
  if (last == 1) return PilH3Last<1, false>(r, base, w, wstride, windows, n, out);
  if (last == 2) return PilH3Last<2, false>(r, base, w, wstride, windows, n, out);
  PilH3Last<3, false>(r, base, w, wstride, windows, n, out);
}

// pil_hw (kernels.h), kBlocks blocks per vector: kPairs shuffles of the window into int16 pairs,
// each multiply-added with the low and the high halves of the weights; kTwo: the second row
// with the same tables (loaded once: the loop is bound by its loads).
template <size_t kBlocks, unsigned kPairs, bool kTwo>
HWY_INLINE size_t PilHwLoop(const uint8_t* HWY_RESTRICT r, const uint8_t* HWY_RESTRICT r1,
                            const int32_t* HWY_RESTRICT base, const uint8_t* HWY_RESTRICT idx, size_t istride,
                            const int16_t* HWY_RESTRICT w, size_t wstride, size_t nblocks, uint8_t* HWY_RESTRICT out,
                            uint8_t* HWY_RESTRICT out1) {
  using WB = WindowBlocks<kBlocks>;
  const typename WB::D8 d8;
  const hn::Repartition<int16_t, decltype(d8)> d16;
  const hn::Repartition<int32_t, decltype(d8)> d32;
  const hn::Rebind<uint8_t, decltype(d32)> dq;
  using V8 = hn::Vec<decltype(d8)>;
  using V16 = hn::Vec<decltype(d16)>;
  using V32 = hn::Vec<decltype(d32)>;
  const auto half = hn::Set(d32, 1 << 21), zero = hn::Zero(d32), top = hn::Set(d32, 255);
  const auto store = [&](V32 s, uint8_t* HWY_RESTRICT o) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    if constexpr (kBlocks == 4) {
      // vpmovusdb after the clamp below 0: clip8's clamp in two instructions.
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm512_cvtusepi32_epi8(_mm512_max_epi32(s.raw, zero.raw)));
      return;
    }
#endif
    StoreBytes(dq, hn::Min(hn::Max(s, zero), top), o);
  };
  size_t k = 0;
  for (; k + kBlocks <= nblocks; k += kBlocks) {
    const auto x = WB::Load(r, base + k);
    V32 lo = half, hi = zero, lo1 = half, hi1 = zero;
    const auto sum = [&](V8 xx, V8 t, V16 wl, V16 wh, V32& l, V32& h) {
      const auto pq = hn::BitCast(d16, hn::TableLookupBytesOr0(xx, t));
      l = hn::Add(l, PairSums(d32, pq, wl));
      h = hn::Add(h, PairSums(d32, pq, wh));
    };
    if (kTwo) {
      const auto x1 = WB::Load(r1, base + k);
      for (unsigned q = 0; q < kPairs; ++q) {
        auto t = hn::LoadU(d8, idx + istride * q + 16 * k);
        const int16_t* wq = w + wstride * (2 * q) + 8 * k;
        auto wl = hn::LoadU(d16, wq), wh = hn::LoadU(d16, wq + wstride);
#if PIXNORM_X86_SIMD && (defined(__GNUC__) || defined(__clang__))
        // In registers: folded into both rows' instructions, they would be loaded twice.
        asm("" : "+v"(t.raw), "+v"(wl.raw), "+v"(wh.raw));
#endif
        sum(x, t, wl, wh, lo, hi);
        sum(x1, t, wl, wh, lo1, hi1);
      }
      store(hn::ShiftRight<22>(hn::Add(lo1, hn::ShiftLeft<16>(hi1))), out1 + 4 * k);
    } else {
      for (unsigned q = 0; q < kPairs; ++q) {
        const int16_t* wq = w + wstride * (2 * q) + 8 * k;
        sum(x, hn::LoadU(d8, idx + istride * q + 16 * k), hn::LoadU(d16, wq), hn::LoadU(d16, wq + wstride), lo, hi);
      }
    }
    store(hn::ShiftRight<22>(hn::Add(lo, hn::ShiftLeft<16>(hi))), out + 4 * k);
  }
  return k;
}

template <unsigned kPairs, bool kTwo>
void PilHwPairs(const uint8_t* HWY_RESTRICT r, const uint8_t* HWY_RESTRICT r1, const int32_t* HWY_RESTRICT base,
                const uint8_t* HWY_RESTRICT idx, size_t istride, const int16_t* HWY_RESTRICT w, size_t wstride,
                size_t nblocks, uint8_t* HWY_RESTRICT out, uint8_t* HWY_RESTRICT out1) {
  size_t k = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  k = PilHwLoop<4, kPairs, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  k = PilHwLoop<2, kPairs, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
#endif
  PilHwLoop<1, kPairs, kTwo>(r, r1, base + k, idx + 16 * k, istride, w + 8 * k, wstride, nblocks - k, out + 4 * k,
                             kTwo ? out1 + 4 * k : nullptr);
}

template <bool kTwo>
void PilHwRows(const uint8_t* HWY_RESTRICT r, const uint8_t* HWY_RESTRICT r1, const int32_t* HWY_RESTRICT base,
               const uint8_t* HWY_RESTRICT idx, size_t istride, const int16_t* HWY_RESTRICT w, size_t wstride,
               unsigned pairs, size_t nblocks, uint8_t* HWY_RESTRICT out, uint8_t* HWY_RESTRICT out1) {
  switch (pairs) {
    case 1: return PilHwPairs<1, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 2: return PilHwPairs<2, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 3: return PilHwPairs<3, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 4: return PilHwPairs<4, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 5: return PilHwPairs<5, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 6: return PilHwPairs<6, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 7: return PilHwPairs<7, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    case 8: return PilHwPairs<8, kTwo>(r, r1, base, idx, istride, w, wstride, nblocks, out, out1);
    default:
      return scalar_kernels()->pil_hw(r, r1, base, idx, istride, w, wstride, pairs, nblocks, out, out1);
  }
}

void PilHw(const uint8_t* HWY_RESTRICT r, const uint8_t* HWY_RESTRICT r1, const int32_t* HWY_RESTRICT base,
           const uint8_t* HWY_RESTRICT idx, size_t istride, const int16_t* HWY_RESTRICT w, size_t wstride,
           unsigned pairs, size_t nblocks, uint8_t* HWY_RESTRICT out, uint8_t* HWY_RESTRICT out1) {
  if (r1 != nullptr) return PilHwRows<true>(r, r1, base, idx, istride, w, wstride, pairs, nblocks, out, out1);
  PilHwRows<false>(r, nullptr, base, idx, istride, w, wstride, pairs, nblocks, out, nullptr);
}

const RowKernels* GetKernels() {
  static const RowKernels kernels = {Flat,      Planar,           Interleave, Reduce, ReducePooled4,
                                     Pack,      FlatNarrow,       PlanarNarrow, Resample2,
                                     Resample2Windows, GatherWindows, Yuv, PilH, PilV, PilH3,
                                     PilHw,     hwy::TargetName(HWY_TARGET)};
  return &kernels;
}
#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstring>

namespace pixnorm {

#if defined(__arm__)
const RowKernels* highway_kernels() { return HWY_STATIC_DISPATCH(GetKernels)(); }
const char* highway_targets() { return hwy::TargetName(HWY_STATIC_TARGET); }
#else
HWY_EXPORT(GetKernels);
const RowKernels* highway_kernels() { return HWY_DYNAMIC_DISPATCH(GetKernels)(); }
const char* highway_targets() {
  thread_local char names[256];
  names[0] = '\0';
  // Best first: SupportedAndGeneratedTargets lists the lowest bit (best target) first.
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    if (names[0] != '\0') std::strncat(names, " ", sizeof(names) - std::strlen(names) - 1);
    std::strncat(names, hwy::TargetName(t), sizeof(names) - std::strlen(names) - 1);
  }
  return names;
}
#endif

}  // namespace pixnorm
#endif
