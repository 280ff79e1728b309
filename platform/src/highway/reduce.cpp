// Highway backend, per-image statistics: reduce, reduce_pooled4 (contracts in kernels.h). Compiled once per CPU target
// (foreach_target); on 32-bit ARM, where Highway 1.0.3 cannot dispatch, for the NEON target only.
// The table of every target's kernels is in kernels_highway.cpp.
#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "highway/reduce.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "highway/common-inl.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_TARGET != HWY_SCALAR
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
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();
