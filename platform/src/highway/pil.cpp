// Highway backend, Pillow's resampling passes: pil_h, pil_v, pil_h3, pil_hw (contracts in kernels.h). Compiled once per CPU target
// (foreach_target); on 32-bit ARM, where Highway 1.0.3 cannot dispatch, for the NEON target only.
// The table of every target's kernels is in kernels_highway.cpp.
#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "highway/pil.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "highway/common-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_TARGET != HWY_SCALAR
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
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();
