// Highway backend, two-tap resampling, window gathers and YUV: resample2,
// resample2_windows, gather_windows, yuv (contracts in kernels.h). Compiled once per CPU target
// (foreach_target); on 32-bit ARM, where Highway 1.0.3 cannot dispatch, for the NEON target only.
// The table of every target's kernels is in kernels_highway.cpp.
#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "highway/resample.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "highway/common-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_TARGET != HWY_SCALAR
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

// Two-tap resampling by 16-byte windows (kernels.h): each 128-bit block loads its window
// (WindowBlocks), shuffles it into (a, b) int16 pairs with the block's table and multiply-adds
// the weight pairs.
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
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();
