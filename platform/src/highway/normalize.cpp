// Highway backend, normalization to float32: flat, planar, interleave (contracts in kernels.h). Compiled once per CPU target
// (foreach_target); on 32-bit ARM, where Highway 1.0.3 cannot dispatch, for the NEON target only.
// The table of every target's kernels is in kernels_highway.cpp.
#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "highway/normalize.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "highway/common-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_TARGET != HWY_SCALAR
// Flat on vectors of D: DFlat (the default), or DF (the wide variant on AVX-512 targets).
template <class D>
HWY_INLINE void FlatT(D df, const uint8_t* HWY_RESTRICT src, size_t n, float* HWY_RESTRICT dst, const float* scale,
                      const float* bias, unsigned period) {
  using V = hn::Vec<D>;
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

void Flat(const uint8_t* HWY_RESTRICT src, size_t n, float* HWY_RESTRICT dst, const float* scale,
          const float* bias, unsigned period) {
  FlatT(DFlat(), src, n, dst, scale, bias, period);
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

#if PIXNORM_WIDE_VARIANT
// The wide variant (common-inl.h): the same kernels on 512-bit vectors.
void FlatWide(const uint8_t* HWY_RESTRICT src, size_t n, float* HWY_RESTRICT dst, const float* scale,
              const float* bias, unsigned period) {
  FlatT(DF(), src, n, dst, scale, bias, period);
}

// Planar through byte windows, 16 pixels per step: one 64-byte load from the step's first pixel,
// whose 128-bit block j must hold pixel 4j's bytes first. With four-byte pixels it does; with
// three-byte pixels a 32-bit lane permutation (vpermd) moves words 3j .. 3j + 3 into block j
// (pixel 4j starts at byte 12j, a word boundary). Then one byte shuffle per plane, as in
// PlanarWindows: about half the instructions of LoadInterleaved3/4 at this width.
template <unsigned cin>
HWY_INLINE void PlanarWideT(const uint8_t* HWY_RESTRICT src, size_t n, float* d0, float* d1, float* d2,
                            const float* scale, const float* bias) {
  const DF df;
  const DI di;
  const DU8 du8;
  const DU32 du32;
  const size_t N = hn::Lanes(df);
  if (n < 2 * N) return scalar_kernels()->planar(src, n, cin, d0, d1, d2, scale, bias);
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  const auto x0 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][0]), x1 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][1]);
  const auto x2 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][2]);
  alignas(64) static constexpr int32_t kWords[16] = {0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12};
  const auto words = hn::SetTableIndices(du32, kWords);
  const auto step = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    auto w = hn::LoadU(du8, from);
    if (cin == 3) w = hn::BitCast(du8, hn::TableLookupLanes(hn::BitCast(du32, w), words));
    hn::StoreU(Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x0))), s0, b0), df, d0 + at);
    hn::StoreU(Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x1))), s1, b1), df, d1 + at);
    hn::StoreU(Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x2))), s2, b2), df, d2 + at);
  };
  const size_t head = HeadToAlign(d0, 1, n);
  scalar_kernels()->planar(src, head, cin, d0, d1, d2, scale, bias);
  window_steps(src, n, cin, N, head, 64, step);
}

void PlanarWide(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, float* d0, float* d1, float* d2,
                const float* scale, const float* bias) {
  if (cin == 3) return PlanarWideT<3>(src, n, d0, d1, d2, scale, bias);
  PlanarWideT<4>(src, n, d0, d1, d2, scale, bias);
}

// NHWC from swapped or four-channel pixels on 512-bit vectors: each vector's bytes lie within
// 32 bytes of its window (WindowTables' wide tables), moved into place by a 32-bit lane
// permutation, then a byte shuffle (as the xsimd AVX-512 build). Three-byte pixels in order go
// through FlatWide.
void InterleaveWide(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, int swap, float* HWY_RESTRICT dst,
                    const float* scale, const float* bias) {
  if (cin == 3 && !swap) return FlatWide(src, 3 * n, dst, scale, bias, 3);
  const DF df;
  const DI di;
  const DU8 du8;
  const DU32 du32;
  const size_t N = hn::Lanes(df);
  if (n < 2 * N) return scalar_kernels()->interleave(src, n, cin, swap, dst, scale, bias);
  const WindowTables& t = window_tables(N, cin, swap);
  HWY_ALIGN LanePattern pattern;
  FillLanePattern(t, N, scale, bias, pattern);
  const VF sc0 = hn::Load(df, pattern[0]), sc1 = hn::Load(df, pattern[1]), sc2 = hn::Load(df, pattern[2]);
  const VF bi0 = hn::Load(df, pattern[3]), bi1 = hn::Load(df, pattern[4]), bi2 = hn::Load(df, pattern[5]);
  const auto x0 = hn::Load(du8, t.bytes[0]), x1 = hn::Load(du8, t.bytes[1]), x2 = hn::Load(du8, t.bytes[2]);
  const auto w0 = hn::SetTableIndices(du32, t.words[0]), w1 = hn::SetTableIndices(du32, t.words[1]);
  const auto w2 = hn::SetTableIndices(du32, t.words[2]);
  const hn::Half<DU8> dh;
  const auto value = [&](const uint8_t* HWY_RESTRICT from, decltype(x0) bytes, decltype(w0) words) {
    const auto raw = hn::BitCast(du32, hn::ZeroExtendVector(du8, hn::LoadU(dh, from)));
    const auto placed = hn::BitCast(du8, hn::TableLookupLanes(raw, words));
    return hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(placed, bytes)));
  };
  const size_t o1 = t.first[1] * cin, o2 = t.first[2] * cin;
  const auto period = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    float* HWY_RESTRICT to = dst + 3 * at;
    hn::StoreU(Norm(value(from, x0, w0), sc0, bi0), df, to);
    hn::StoreU(Norm(value(from + o1, x1, w1), sc1, bi1), df, to + N);
    hn::StoreU(Norm(value(from + o2, x2, w2), sc2, bi2), df, to + 2 * N);
  };
  const size_t head = HeadToAlign(dst, 3, n);
  scalar_kernels()->interleave(src, head, cin, swap, dst, scale, bias);
  window_steps(src, n, cin, N, head, t.reach, period);
}
#endif  // PIXNORM_WIDE_VARIANT
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();
