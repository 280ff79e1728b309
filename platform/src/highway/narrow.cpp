// Highway backend, narrow outputs: pack, flat_narrow, planar_narrow, interleave_narrow (contracts in kernels.h). Compiled once per CPU target
// (foreach_target); on 32-bit ARM, where Highway 1.0.3 cannot dispatch, for the NEON target only.
// The table of every target's kernels is in kernels_highway.cpp.
#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "highway/narrow.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "highway/common-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_TARGET != HWY_SCALAR
// Narrowing (PackParams in kernels.h): integer arithmetic and one exact float addition, so
// that every target rounds exactly like the scalar reference; the tail goes to the scalar loop.
HWY_INLINE hn::Vec<DI> RoundEven(VF v) {
  const DF df;
  const DI di;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // One conversion with its rounding (to nearest even) in the instruction, not MXCSR's: the same
  // integers as the addition below for |v| < 2^22, in one instruction instead of two.
  if constexpr (sizeof(v.raw) == 64) {
    (void)df;
    return hn::Vec<DI>{_mm512_cvt_roundps_epi32(v.raw, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)};
  }
#endif
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

// f(type, channels): the output type (INT8, UINT8 or F16) and the channel count (3 or 4) as
// compile-time constants, for the kernels templated on both.
template <class F>
HWY_INLINE void ByTypeAndChannels(pixnorm_dtype dtype, unsigned cin, F f) {
  using I8 = std::integral_constant<pixnorm_dtype, PIXNORM_DTYPE_INT8>;
  using U8 = std::integral_constant<pixnorm_dtype, PIXNORM_DTYPE_UINT8>;
  using H = std::integral_constant<pixnorm_dtype, PIXNORM_DTYPE_F16>;
  using C3 = std::integral_constant<unsigned, 3>;
  using C4 = std::integral_constant<unsigned, 4>;
  if (dtype == PIXNORM_DTYPE_INT8) return cin == 3 ? f(I8(), C3()) : f(I8(), C4());
  if (dtype == PIXNORM_DTYPE_UINT8) return cin == 3 ? f(U8(), C3()) : f(U8(), C4());
  cin == 3 ? f(H(), C3()) : f(H(), C4());
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

#if PIXNORM_X86_SIMD
// NHWC from swapped or four-channel pixels on x86: InterleaveWindows' byte windows (normalize.cpp;
// on 512-bit vectors InterleaveWide's), each float vector narrowed as it is made.
template <pixnorm_dtype kType>
void InterleaveNarrowT(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, int swap, uint8_t* HWY_RESTRICT dst,
                       const float* scale, const float* bias, const PackParams* pp) {
  const DF df;
  const DI di;
  const DU8 du8;
  const size_t N = hn::Lanes(df);
  constexpr size_t es = kType == PIXNORM_DTYPE_F16 ? 2 : 1;
  if (n < 2 * N) return scalar_kernels()->interleave_narrow(src, n, cin, swap, dst, scale, bias, pp);
  const WindowTables& t = window_tables(N, cin, swap);
  HWY_ALIGN LanePattern pattern;
  FillLanePattern(t, N, scale, bias, pattern);
  const VF sc0 = hn::Load(df, pattern[0]), sc1 = hn::Load(df, pattern[1]), sc2 = hn::Load(df, pattern[2]);
  const VF bi0 = hn::Load(df, pattern[3]), bi1 = hn::Load(df, pattern[4]), bi2 = hn::Load(df, pattern[5]);
  const auto x0 = hn::Load(du8, t.bytes[0]), x1 = hn::Load(du8, t.bytes[1]), x2 = hn::Load(du8, t.bytes[2]);
#if HWY_TARGET <= HWY_AVX3
  const DU32 du32;
  const hn::Half<DU8> dh;
  const auto w0 = hn::SetTableIndices(du32, t.words[0]), w1 = hn::SetTableIndices(du32, t.words[1]);
  const auto w2 = hn::SetTableIndices(du32, t.words[2]);
  const auto value = [&](const uint8_t* HWY_RESTRICT from, hn::Vec<DU8> bytes, decltype(w0) words) {
    const auto raw = hn::BitCast(du32, hn::ZeroExtendVector(du8, hn::LoadU(dh, from)));
    const auto placed = hn::BitCast(du8, hn::TableLookupLanes(raw, words));
    return hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(placed, bytes)));
  };
#else
  const int w0 = 0, w1 = 0, w2 = 0;
  const auto value = [&](const uint8_t* HWY_RESTRICT from, hn::Vec<DU8> bytes, int) {
    return hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(hn::LoadDup128(du8, from), bytes)));
  };
#endif
  const auto zp = hn::Set(di, pp->zero_point);
  const size_t o1 = t.first[1] * cin, o2 = t.first[2] * cin;
#if HWY_TARGET > HWY_AVX3
  // Up to 256-bit vectors: four windows' pixels a step, twelve vectors narrowed four at a time
  // (PackBytes4: a third of the shuffles of one vector at a time).
  if (n >= 4 * N) {
    const auto zp16 = hn::Set(D16I(), static_cast<int16_t>(pp->zero_point));
    const size_t o = N * cin;
    const auto periods = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
      uint8_t* HWY_RESTRICT to = dst + 3 * at * es;
      const auto v = [&](size_t k, size_t j) {
        const uint8_t* HWY_RESTRICT w = from + k * o;
        return j == 0 ? Norm(value(w, x0, w0), sc0, bi0)
                      : j == 1 ? Norm(value(w + o1, x1, w1), sc1, bi1) : Norm(value(w + o2, x2, w2), sc2, bi2);
      };
      NarrowStore4<kType>(v(0, 0), v(0, 1), v(0, 2), v(1, 0), zp, zp16, to);
      NarrowStore4<kType>(v(1, 1), v(1, 2), v(2, 0), v(2, 1), zp, zp16, to + 4 * N * es);
      NarrowStore4<kType>(v(2, 2), v(3, 0), v(3, 1), v(3, 2), zp, zp16, to + 8 * N * es);
    };
    return window_steps(src, n, cin, 4 * N, 0, 3 * o + t.reach, periods);
  }
#endif
  const auto period = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    uint8_t* HWY_RESTRICT to = dst + 3 * at * es;
    NarrowStore<kType>(Norm(value(from, x0, w0), sc0, bi0), zp, to);
    NarrowStore<kType>(Norm(value(from + o1, x1, w1), sc1, bi1), zp, to + N * es);
    NarrowStore<kType>(Norm(value(from + o2, x2, w2), sc2, bi2), zp, to + 2 * N * es);
  };
  window_steps(src, n, cin, N, 0, t.reach, period);
}
#endif

const RowKernels* GetKernels();
void FlatNarrow(const uint8_t* HWY_RESTRICT src, size_t n, void* HWY_RESTRICT dst, const float* scale,
                const float* bias, unsigned period, const PackParams* pp);

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// INT8/UINT8 through byte tables where the CPU has AVX-512 VBMI (lut_planar_narrow in kernels.h),
// for rows long enough to pay for filling them (256 outputs per channel, by this target's own
// FlatNarrow: the same bytes as the arithmetic path by construction).
constexpr size_t kLutMinPixels = 1024;

HWY_INLINE bool FillTables(unsigned channels, const float* scale, const float* bias, const PackParams* pp,
                           uint8_t (*tables)[256]) {
  if (pp->dtype == PIXNORM_DTYPE_F16 || !lut_available()) return false;
  HWY_ALIGN static const struct Bytes {
    uint8_t b[256];
    Bytes() {
      for (unsigned i = 0; i < 256; ++i) b[i] = static_cast<uint8_t>(i);
    }
  } kBytes;
  for (unsigned c = 0; c < channels; ++c) FlatNarrow(kBytes.b, 256, tables[c], scale + c, bias + c, 1, pp);
  return true;
}

// planar_narrow's whole blocks of 64 pixels through the tables, where they apply: moves src, n
// and the planes past them, and returns whether nothing is left.
HWY_INLINE bool LutPlanar(const uint8_t* HWY_RESTRICT& src, size_t& n, unsigned cin, void*& d0, void*& d1, void*& d2,
                          const float* scale, const float* bias, const PackParams* pp) {
  HWY_ALIGN uint8_t tables[3][256];
  if (n < kLutMinPixels || !FillTables(3, scale, bias, pp, tables)) return false;
  const size_t done = lut_planar_narrow(src, n, cin, static_cast<uint8_t*>(d0), static_cast<uint8_t*>(d1),
                                        static_cast<uint8_t*>(d2), tables);
  src += done * cin;
  d0 = static_cast<uint8_t*>(d0) + done;
  d1 = static_cast<uint8_t*>(d1) + done;
  d2 = static_cast<uint8_t*>(d2) + done;
  n -= done;
  return n == 0;
}
#endif

// Dispatch on the type; int8/uint8 values past the one-addition rounding's range (narrow_fits)
// go through Flat or Planar and Pack instead, which clamp first.
void FlatNarrow(const uint8_t* HWY_RESTRICT src, size_t n, void* HWY_RESTRICT dst, const float* scale,
                const float* bias, unsigned period, const PackParams* pp) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  HWY_ALIGN uint8_t tables[3][256];
  if (n >= kLutMinPixels * period && FillTables(period, scale, bias, pp, tables)) {
    const size_t done = lut_flat_narrow(src, n, static_cast<uint8_t*>(dst), tables, period);
    if (done == n) return;
    // The rest (under one block) by arithmetic, in phase: blocks are whole periods.
    src += done;
    dst = static_cast<uint8_t*>(dst) + done;
    n -= done;
  }
#endif
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, period))
    return flat_narrow_chunks(GetKernels(), src, n, dst, scale, bias, period, pp);
  uint8_t* d = static_cast<uint8_t*>(dst);
  if (pp->dtype == PIXNORM_DTYPE_INT8) return FlatNarrowT<PIXNORM_DTYPE_INT8>(src, n, d, scale, bias, period, pp);
  if (pp->dtype == PIXNORM_DTYPE_UINT8) return FlatNarrowT<PIXNORM_DTYPE_UINT8>(src, n, d, scale, bias, period, pp);
  FlatNarrowT<PIXNORM_DTYPE_F16>(src, n, d, scale, bias, period, pp);
}

void PlanarNarrow(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, void* d0, void* d1, void* d2,
                  const float* scale, const float* bias, const PackParams* pp) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if (LutPlanar(src, n, cin, d0, d1, d2, scale, bias, pp)) return;
#endif
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, 3))
    return planar_narrow_chunks(GetKernels(), src, n, cin, d0, d1, d2, scale, bias, pp);
  uint8_t *p0 = static_cast<uint8_t*>(d0), *p1 = static_cast<uint8_t*>(d1), *p2 = static_cast<uint8_t*>(d2);
#if PIXNORM_X86_SIMD
  if (!kWideWindows) {
    return ByTypeAndChannels(pp->dtype, cin, [&](auto type, auto channels) {
      PlanarNarrowWindows<decltype(type)::value, decltype(channels)::value>(src, n, p0, p1, p2, scale, bias, pp);
    });
  }
#endif
  if (pp->dtype == PIXNORM_DTYPE_INT8)
    return PlanarNarrowT<PIXNORM_DTYPE_INT8>(src, n, cin, p0, p1, p2, scale, bias, pp);
  if (pp->dtype == PIXNORM_DTYPE_UINT8)
    return PlanarNarrowT<PIXNORM_DTYPE_UINT8>(src, n, cin, p0, p1, p2, scale, bias, pp);
  PlanarNarrowT<PIXNORM_DTYPE_F16>(src, n, cin, p0, p1, p2, scale, bias, pp);
}

#if PIXNORM_WIDE_VARIANT
// The wide variant's planar_narrow: PlanarWide's windows (normalize.cpp), 16 pixels per step,
// each plane's vector narrowed on its own.
template <pixnorm_dtype kType, unsigned cin>
void PlanarNarrowWideT(const uint8_t* HWY_RESTRICT src, size_t n, uint8_t* d0, uint8_t* d1, uint8_t* d2,
                       const float* scale, const float* bias, const PackParams* pp) {
  const DF df;
  const DI di;
  const DU8 du8;
  const DU32 du32;
  const size_t N = hn::Lanes(df);
  constexpr size_t es = kType == PIXNORM_DTYPE_F16 ? 2 : 1;
  if (n < 2 * N) return scalar_kernels()->planar_narrow(src, n, cin, d0, d1, d2, scale, bias, pp);
  const VF s0 = hn::Set(df, scale[0]), s1 = hn::Set(df, scale[1]), s2 = hn::Set(df, scale[2]);
  const VF b0 = hn::Set(df, bias[0]), b1 = hn::Set(df, bias[1]), b2 = hn::Set(df, bias[2]);
  const auto x0 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][0]), x1 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][1]);
  const auto x2 = hn::LoadDup128(du8, kPlaneShuffle[cin - 3][2]);
  alignas(64) static constexpr int32_t kWords[16] = {0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12};
  const auto words = hn::SetTableIndices(du32, kWords);
  const auto zp = hn::Set(di, pp->zero_point);
  const auto value = [&](hn::Vec<DU8> w, hn::Vec<DU8> x, VF s, VF b) {
    return Norm(hn::ConvertTo(df, hn::BitCast(di, hn::TableLookupBytesOr0(w, x))), s, b);
  };
  const auto step = [&](const uint8_t* HWY_RESTRICT from, size_t at) {
    auto w = hn::LoadU(du8, from);
    if (cin == 3) w = hn::BitCast(du8, hn::TableLookupLanes(hn::BitCast(du32, w), words));
    NarrowStore<kType>(value(w, x0, s0, b0), zp, d0 + at * es);
    NarrowStore<kType>(value(w, x1, s1, b1), zp, d1 + at * es);
    NarrowStore<kType>(value(w, x2, s2, b2), zp, d2 + at * es);
  };
  window_steps(src, n, cin, N, 0, 64, step);
}

void PlanarNarrowWide(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, void* d0, void* d1, void* d2,
                      const float* scale, const float* bias, const PackParams* pp) {
  if (LutPlanar(src, n, cin, d0, d1, d2, scale, bias, pp)) return;
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, 3))
    return planar_narrow_chunks(GetKernels(), src, n, cin, d0, d1, d2, scale, bias, pp);
  uint8_t *p0 = static_cast<uint8_t*>(d0), *p1 = static_cast<uint8_t*>(d1), *p2 = static_cast<uint8_t*>(d2);
  ByTypeAndChannels(pp->dtype, cin, [&](auto type, auto channels) {
    PlanarNarrowWideT<decltype(type)::value, decltype(channels)::value>(src, n, p0, p1, p2, scale, bias, pp);
  });
}
#endif  // PIXNORM_WIDE_VARIANT

void InterleaveNarrow(const uint8_t* HWY_RESTRICT src, size_t n, unsigned cin, int swap, void* HWY_RESTRICT dst,
                      const float* scale, const float* bias, const PackParams* pp) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  HWY_ALIGN uint8_t tables[3][256];
  if (n >= kLutMinPixels && FillTables(3, scale, bias, pp, tables)) {
    const size_t done = lut_interleave_narrow(src, n, cin, swap, static_cast<uint8_t*>(dst), tables);
    if (done == n) return;
    src += done * cin;
    dst = static_cast<uint8_t*>(dst) + 3 * done;
    n -= done;
  }
#endif
  if (pp->dtype != PIXNORM_DTYPE_F16 && !narrow_fits(scale, bias, 3))
    return interleave_narrow_chunks(GetKernels(), src, n, cin, swap, dst, scale, bias, pp);
#if PIXNORM_X86_SIMD
  uint8_t* d = static_cast<uint8_t*>(dst);
  if (pp->dtype == PIXNORM_DTYPE_INT8)
    return InterleaveNarrowT<PIXNORM_DTYPE_INT8>(src, n, cin, swap, d, scale, bias, pp);
  if (pp->dtype == PIXNORM_DTYPE_UINT8)
    return InterleaveNarrowT<PIXNORM_DTYPE_UINT8>(src, n, cin, swap, d, scale, bias, pp);
  InterleaveNarrowT<PIXNORM_DTYPE_F16>(src, n, cin, swap, d, scale, bias, pp);
#else
  interleave_narrow_chunks(GetKernels(), src, n, cin, swap, dst, scale, bias, pp);
#endif
}
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();
