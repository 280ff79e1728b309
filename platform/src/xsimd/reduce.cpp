// xsimd backend, per-image statistics: reduce, reduce_pooled4 (psadbw/pmaddwd or
// VNNI, vpadal/vmull: xsimd 8.1 has no widening integer arithmetic) (contracts in kernels.h; the table in kernels_xsimd.cpp).
#include "xsimd/common.h"

namespace pixnorm {
namespace xsimd_backend {

// ---------------------------------------------------------------- reduction
#if defined(__AVX512BW__)
constexpr unsigned kVnniBits = 512;
#else
constexpr unsigned kVnniBits = 256;
#endif

// Sums and sums of squares (kMoments), min and max (kExtremes) of n bytes into channel c of acc;
// kPooled4: n / 4 four-byte pixels whose fourth bytes are skipped (zeroed for the sums and the
// maximum, set to 255 for the minimum).
template <bool kPooled4, bool kMoments, bool kExtremes>
void reduce_plane_t(const uint8_t* p, size_t n, ReduceAcc* acc, unsigned c) {
  size_t i = 0;
#if defined(__AVX2__)
  // CPUs with VNNI: the moments of whole vectors through reduce_vnni (kernels.h); not for the
  // short planes of the per-channel path, where its final sums would cost more than they save.
  if (kMoments && n >= 1024) i = reduce_vnni(kVnniBits, kPooled4, p, n, acc, c);
#endif
  uint64_t s = 0, q = 0;
  uint8_t mn = acc->min[c], mx = acc->max[c];
#if defined(__SSSE3__)
  // Squares go through 32-bit lanes (pmaddwd: at most 4 * 65025 per lane and step), moved to
  // 64-bit lanes every 4096 steps.
  const __m128i zero = _mm_setzero_si128(), low32 = _mm_set1_epi64x(0xFFFFFFFF);
  __m128i vs = zero, vq = zero, vq64 = zero, vmin = _mm_set1_epi8(static_cast<char>(0xFF)), vmax = zero;
  const auto flush = [&] {
    vq64 = _mm_add_epi64(vq64, _mm_add_epi64(_mm_and_si128(vq, low32), _mm_srli_epi64(vq, 32)));
    vq = zero;
  };
  size_t steps = 0;
#if defined(__AVX2__)
  if (n >= 32) {  // 32 bytes a step, then the halves into the 16-byte accumulators
    const __m256i z = _mm256_setzero_si256(), low = _mm256_set1_epi64x(0xFFFFFFFF);
    __m256i ws = z, wq = z, wq64 = z, wmin = _mm256_set1_epi8(static_cast<char>(0xFF)), wmax = z;
    const __m256i alpha = _mm256_set1_epi32(static_cast<int>(0xFF000000u));
    for (; i + 32 <= n; i += 32) {
      const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
      const __m256i v = kPooled4 ? _mm256_andnot_si256(alpha, raw) : raw;
      if constexpr (kMoments) {
        ws = _mm256_add_epi64(ws, _mm256_sad_epu8(v, z));
        const __m256i l = _mm256_unpacklo_epi8(v, z), h = _mm256_unpackhi_epi8(v, z);
        wq = _mm256_add_epi32(wq, _mm256_add_epi32(_mm256_madd_epi16(l, l), _mm256_madd_epi16(h, h)));
      }
      if constexpr (kExtremes) {
        wmin = _mm256_min_epu8(wmin, kPooled4 ? _mm256_or_si256(raw, alpha) : raw);
        wmax = _mm256_max_epu8(wmax, v);
      }
      if (kMoments && (++steps == 4096 || i + 64 > n)) {
        wq64 = _mm256_add_epi64(wq64, _mm256_add_epi64(_mm256_and_si256(wq, low), _mm256_srli_epi64(wq, 32)));
        wq = z;
        steps = 0;
      }
    }
    const auto lo128 = [](__m256i x) { return _mm256_castsi256_si128(x); };
    const auto hi128 = [](__m256i x) { return _mm256_extracti128_si256(x, 1); };
    vs = _mm_add_epi64(lo128(ws), hi128(ws));
    vq64 = _mm_add_epi64(lo128(wq64), hi128(wq64));
    vmin = _mm_min_epu8(lo128(wmin), hi128(wmin));
    vmax = _mm_max_epu8(lo128(wmax), hi128(wmax));
  }
#endif
  const __m128i alpha = _mm_set1_epi32(static_cast<int>(0xFF000000u));
  for (; i + 16 <= n; i += 16) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i v = kPooled4 ? _mm_andnot_si128(alpha, raw) : raw;
    if constexpr (kMoments) {
      vs = _mm_add_epi64(vs, _mm_sad_epu8(v, zero));
      const __m128i l = _mm_unpacklo_epi8(v, zero), h = _mm_unpackhi_epi8(v, zero);
      vq = _mm_add_epi32(vq, _mm_add_epi32(_mm_madd_epi16(l, l), _mm_madd_epi16(h, h)));
      if (++steps == 4096) {
        flush();
        steps = 0;
      }
    }
    if constexpr (kExtremes) {
      vmin = _mm_min_epu8(vmin, kPooled4 ? _mm_or_si128(raw, alpha) : raw);
      vmax = _mm_max_epu8(vmax, v);
    }
  }
  flush();
  alignas(16) uint64_t s64[4];
  alignas(16) uint8_t m8[32];
  _mm_store_si128(reinterpret_cast<__m128i*>(s64), vs);
  _mm_store_si128(reinterpret_cast<__m128i*>(s64 + 2), vq64);
  _mm_store_si128(reinterpret_cast<__m128i*>(m8), vmin);
  _mm_store_si128(reinterpret_cast<__m128i*>(m8 + 16), vmax);
  s += s64[0] + s64[1];
  q += s64[2] + s64[3];
  for (int k = 0; k < 16 && n >= 16; ++k) {
    mn = m8[k] < mn ? m8[k] : mn;
    mx = m8[16 + k] > mx ? m8[16 + k] : mx;
  }
#elif defined(__ARM_NEON) || defined(__ARM_NEON__)
  uint32x4_t vs = vdupq_n_u32(0), vq = vdupq_n_u32(0);
  uint8x16_t vmin = vdupq_n_u8(255), vmax = vdupq_n_u8(0);
  const uint8x16_t alpha = vreinterpretq_u8_u32(vdupq_n_u32(0xFF000000u));
  for (; i + 16 <= n; i += 16) {
    const uint8x16_t raw = vld1q_u8(p + i);
    const uint8x16_t v = kPooled4 ? vbicq_u8(raw, alpha) : raw;
    if constexpr (kMoments) {
      vs = vpadalq_u16(vs, vpaddlq_u8(v));
      vq = vpadalq_u16(vq, vmull_u8(vget_low_u8(v), vget_low_u8(v)));
      vq = vpadalq_u16(vq, vmull_u8(vget_high_u8(v), vget_high_u8(v)));
    }
    if constexpr (kExtremes) {
      vmin = vminq_u8(vmin, kPooled4 ? vorrq_u8(raw, alpha) : raw);
      vmax = vmaxq_u8(vmax, v);
    }
  }
  alignas(16) uint32_t s32[4], q32[4];
  alignas(16) uint8_t m8[32];
  vst1q_u32(s32, vs);
  vst1q_u32(q32, vq);
  vst1q_u8(m8, vmin);
  vst1q_u8(m8 + 16, vmax);
  s += uint64_t(s32[0]) + s32[1] + s32[2] + s32[3];
  q += uint64_t(q32[0]) + q32[1] + q32[2] + q32[3];
  for (int k = 0; k < 16 && n >= 16; ++k) {
    mn = m8[k] < mn ? m8[k] : mn;
    mx = m8[16 + k] > mx ? m8[16 + k] : mx;
  }
#endif
  for (; i < n; ++i) {
    if (kPooled4 && i % 4 == 3) continue;
    const uint32_t x = p[i];
    s += x;
    q += x * x;
    mn = x < mn ? static_cast<uint8_t>(x) : mn;
    mx = x > mx ? static_cast<uint8_t>(x) : mx;
  }
  if constexpr (kMoments) {
    acc->sum[c] += s;
    acc->sumsq[c] += q;
  }
  if constexpr (kExtremes) {
    acc->min[c] = mn;
    acc->max[c] = mx;
  }
}

// The statistics acc asks for, compiled without the others.
template <bool kPooled4>
void reduce_plane(const uint8_t* p, size_t n, ReduceAcc* acc, unsigned c) {
  if (acc->moments && acc->extremes) return reduce_plane_t<kPooled4, true, true>(p, n, acc, c);
  if (acc->moments) return reduce_plane_t<kPooled4, true, false>(p, n, acc, c);
  if (acc->extremes) return reduce_plane_t<kPooled4, false, true>(p, n, acc, c);
}

void reduce(const uint8_t* src, size_t n, unsigned cin, ReduceAcc* acc) {
  uint8_t plane[3][kChunk];
#if defined(__SSSE3__)  // x86 flushes its 32-bit lanes: one channel in one call
  if (cin == 1) return reduce_plane<false>(src, n, acc, 0);
#endif
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    if (cin == 1) {  // NEON's 32-bit lanes hold at most kChunk bytes' squares
      reduce_plane<false>(src + start, m, acc, 0);
      continue;
    }
    deinterleave(src + start * cin, m, cin, plane[0], plane[1], plane[2]);
    for (unsigned c = 0; c < 3; ++c) reduce_plane<false>(plane[c], m, acc, c);
  }
}

void reduce_pooled4(const uint8_t* src, size_t n, ReduceAcc* acc) {
#if defined(__SSSE3__)  // x86 flushes its 32-bit lanes: one call
  reduce_plane<true>(src, 4 * n, acc, 0);
#else  // NEON's 32-bit lanes: kChunk pixels a call, as reduce
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    reduce_plane<true>(src + 4 * start, 4 * m, acc, 0);
  }
#endif
}

}  // namespace xsimd_backend
}  // namespace pixnorm
