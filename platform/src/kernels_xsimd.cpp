// xsimd backend: the architecture is fixed at compile time (this file gets -mavx2 or the
// like on x86; NEON on ARM comes from the toolchain). xsimd 8.1 widens uint8 to float
// through a scalar loop, so the widening is written per architecture with intrinsics and
// wrapped into xsimd batches. On x86, multi-channel pixels reach the float lanes through byte
// windows and pshufb (WindowTables, kPlaneShuffle in kernels.h); on NEON, and for the reduction of
// the per-image modes per channel, they are deinterleaved into small byte buffers on the stack
// (pshufb, vld3/vld4). The reduction itself uses psadbw/pmaddwd, vpadal/vmull: xsimd 8.1 has no
// widening integer arithmetic.
//
// Only constant data leaves this file (kXsimdKernels), so nothing compiled with the wider
// instruction set runs before cpu.cpp has checked that the CPU has it.
#include <xsimd/xsimd.hpp>

#include <cstring>

#include "kernels.h"

namespace pixnorm {
namespace {

using Arch = xsimd::default_arch;
using BF = xsimd::batch<float, Arch>;
constexpr size_t N = BF::size;

inline BF widen(const uint8_t* p) {
#if defined(__AVX512F__)
  static_assert(N == 16, "AVX-512 batch");
  return BF(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)))));
#elif defined(__AVX2__)
  static_assert(N == 8, "AVX2 batch");
  return BF(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))));
#elif defined(__SSE4_1__)
  static_assert(N == 4, "SSE batch");
  int32_t w;
  std::memcpy(&w, p, 4);
  return BF(_mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(w))));
#elif defined(__ARM_NEON) || defined(__ARM_NEON__)
  static_assert(N == 4, "NEON batch");
  uint32_t w;
  std::memcpy(&w, p, 4);
  const uint16x8_t h = vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(w)));
  return BF(vcvtq_f32_u32(vmovl_u16(vget_low_u16(h))));
#else
#error "pixnorm: no uint8 widening for this xsimd architecture"
#endif
}

// Multiply, then add: two roundings, as in the scalar reference.
inline BF norm(BF x, BF scale, BF bias) { return x * scale + bias; }

inline float norm_scalar(uint8_t x, float scale, float bias) {
  const float product = static_cast<float>(x) * scale;
  return product + bias;
}

// Elements to write one by one before dst is aligned to a whole batch (a store that straddles
// two cache lines costs about twice as much); `stride` floats per element (1, or 3 for pixels).
inline size_t head_to_align(const float* dst, size_t n, size_t stride = 1) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(dst), bytes = N * sizeof(float);
  if (a % sizeof(float) != 0 || n < 4 * N) return 0;
  size_t head = 0;
  while (head < N && (a + head * stride * sizeof(float)) % bytes != 0) ++head;
  return head < N && head < n ? head : 0;
}

void flat(const uint8_t* src, size_t n, float* dst, const float* scale, const float* bias, unsigned period) {
  const size_t head = head_to_align(dst, n);
  for (size_t i = 0; i < head; ++i) dst[i] = norm_scalar(src[i], scale[i % period], bias[i % period]);
  src += head;
  dst += head;
  n -= head;
  if (period == 1) {
    if (n < N) {
      for (size_t i = 0; i < n; ++i) dst[i] = norm_scalar(src[i], scale[0], bias[0]);
      return;
    }
    const BF s(scale[0]), b(bias[0]);
    size_t i = 0;
    for (; i + 4 * N <= n; i += 4 * N) {
      norm(widen(src + i), s, b).store_unaligned(dst + i);
      norm(widen(src + i + N), s, b).store_unaligned(dst + i + N);
      norm(widen(src + i + 2 * N), s, b).store_unaligned(dst + i + 2 * N);
      norm(widen(src + i + 3 * N), s, b).store_unaligned(dst + i + 3 * N);
    }
    for (; i + N <= n; i += N) norm(widen(src + i), s, b).store_unaligned(dst + i);
    if (i < n) norm(widen(src + n - N), s, b).store_unaligned(dst + n - N);  // identical rewrite
    return;
  }
  // The head shifted the phase of the first element by head % 3.
  const size_t phase = head % 3;
  alignas(64) float pattern[6 * N];
  for (size_t j = 0; j < 3 * N; ++j) {
    pattern[j] = scale[(j + phase) % 3];
    pattern[3 * N + j] = bias[(j + phase) % 3];
  }
  if (n < 3 * N) {
    for (size_t j = 0; j < n; ++j) dst[j] = norm_scalar(src[j], pattern[j], pattern[3 * N + j]);
    return;
  }
  const BF s0 = BF::load_aligned(pattern), s1 = BF::load_aligned(pattern + N);
  const BF s2 = BF::load_aligned(pattern + 2 * N), b0 = BF::load_aligned(pattern + 3 * N);
  const BF b1 = BF::load_aligned(pattern + 4 * N), b2 = BF::load_aligned(pattern + 5 * N);
  size_t i = 0;
  for (; i + 3 * N <= n; i += 3 * N) {
    norm(widen(src + i), s0, b0).store_unaligned(dst + i);
    norm(widen(src + i + N), s1, b1).store_unaligned(dst + i + N);
    norm(widen(src + i + 2 * N), s2, b2).store_unaligned(dst + i + 2 * N);
  }
  if (i < n) {  // the last whole block in phase, then the elements after it
    const size_t last = n - 3 * N, j = last - last % 3;
    norm(widen(src + j), s0, b0).store_unaligned(dst + j);
    norm(widen(src + j + N), s1, b1).store_unaligned(dst + j + N);
    norm(widen(src + j + 2 * N), s2, b2).store_unaligned(dst + j + 2 * N);
    for (size_t k = j + 3 * N; k < n; ++k) dst[k] = norm_scalar(src[k], pattern[k % 3], pattern[3 * N + k % 3]);
  }
}

// ---------------------------------------------------------------- byte shuffles
// Multi-channel inputs are first rearranged, a chunk at a time, into byte buffers on the stack
// (planes, or 3-channel pixels in output order) with the architecture's byte shuffles; the
// float work is then flat(), the same for every layout.

constexpr size_t kChunk = 256;  // pixels per pass through the stack buffers

// n pixels of cin (3 or 4) bytes to three planes.
void deinterleave(const uint8_t* src, size_t n, unsigned cin, uint8_t* p0, uint8_t* p1, uint8_t* p2) {
  size_t i = 0;
#if defined(__SSSE3__)
  if (cin == 3) {
    // 16 pixels from three 16-byte loads: each plane gathers its bytes from a, b, c.
    const __m128i a0 = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i a1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14, -1, -1, -1, -1, -1);
    const __m128i a2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 4, 7, 10, 13);
    const __m128i g0 = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i g1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1);
    const __m128i g2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 2, 5, 8, 11, 14);
    const __m128i b0 = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b1 = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1);
    const __m128i b2 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3, 6, 9, 12, 15);
    for (; i + 16 <= n; i += 16) {
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * i));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * i + 16));
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * i + 32));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p0 + i),
                       _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, a0), _mm_shuffle_epi8(b, a1)),
                                    _mm_shuffle_epi8(c, a2)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p1 + i),
                       _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, g0), _mm_shuffle_epi8(b, g1)),
                                    _mm_shuffle_epi8(c, g2)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p2 + i),
                       _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, b0), _mm_shuffle_epi8(b, b1)),
                                    _mm_shuffle_epi8(c, b2)));
    }
  } else {
    // 16 pixels from four loads: group each load's channels, then transpose the 32-bit groups.
    const __m128i group = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (; i + 16 <= n; i += 16) {
      const __m128i* q = reinterpret_cast<const __m128i*>(src + 4 * i);
      const __m128i v0 = _mm_shuffle_epi8(_mm_loadu_si128(q), group);
      const __m128i v1 = _mm_shuffle_epi8(_mm_loadu_si128(q + 1), group);
      const __m128i v2 = _mm_shuffle_epi8(_mm_loadu_si128(q + 2), group);
      const __m128i v3 = _mm_shuffle_epi8(_mm_loadu_si128(q + 3), group);
      const __m128i t0 = _mm_unpacklo_epi32(v0, v1), t1 = _mm_unpacklo_epi32(v2, v3);
      const __m128i t2 = _mm_unpackhi_epi32(v0, v1), t3 = _mm_unpackhi_epi32(v2, v3);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p0 + i), _mm_unpacklo_epi64(t0, t1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p1 + i), _mm_unpackhi_epi64(t0, t1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p2 + i), _mm_unpacklo_epi64(t2, t3));
    }
  }
#elif defined(__ARM_NEON) || defined(__ARM_NEON__)
  if (cin == 3) {
    for (; i + 16 <= n; i += 16) {
      const uint8x16x3_t v = vld3q_u8(src + 3 * i);
      vst1q_u8(p0 + i, v.val[0]);
      vst1q_u8(p1 + i, v.val[1]);
      vst1q_u8(p2 + i, v.val[2]);
    }
  } else {
    for (; i + 16 <= n; i += 16) {
      const uint8x16x4_t v = vld4q_u8(src + 4 * i);
      vst1q_u8(p0 + i, v.val[0]);
      vst1q_u8(p1 + i, v.val[1]);
      vst1q_u8(p2 + i, v.val[2]);
    }
  }
#endif
  for (const uint8_t* p = src + i * cin; i < n; ++i, p += cin) {
    p0[i] = p[0];
    p1[i] = p[1];
    p2[i] = p[2];
  }
}

#if !defined(__SSSE3__)
// n pixels of cin (3 or 4) bytes to 3-byte pixels, the first three channels reversed if swap.
void repack(const uint8_t* src, size_t n, unsigned cin, int swap, uint8_t* dst) {
  const unsigned s0 = swap ? 2 : 0, s2 = swap ? 0 : 2;
  size_t i = 0;
#if defined(__ARM_NEON) || defined(__ARM_NEON__)
  for (; i + 16 <= n; i += 16) {
    uint8x16x3_t out;
    if (cin == 3) {
      const uint8x16x3_t v = vld3q_u8(src + 3 * i);
      out.val[0] = v.val[s0];
      out.val[1] = v.val[1];
      out.val[2] = v.val[s2];
    } else {
      const uint8x16x4_t v = vld4q_u8(src + 4 * i);
      out.val[0] = v.val[s0];
      out.val[1] = v.val[1];
      out.val[2] = v.val[s2];
    }
    vst3q_u8(dst + 3 * i, out);
  }
#endif
  for (const uint8_t* p = src + i * cin; i < n; ++i, p += cin) {
    dst[3 * i + 0] = p[s0];
    dst[3 * i + 1] = p[1];
    dst[3 * i + 2] = p[s2];
  }
}
#endif

#if defined(__SSSE3__) && !defined(__AVX512BW__)
// Planar output on x86 up to 256 bits: each 128-bit block loads the 16 bytes from its first
// pixel and one pshufb per plane (kPlaneShuffle) moves that plane's bytes into 32-bit lanes.
#if defined(__AVX2__)
inline __m256i pixel_blocks(const uint8_t* p, unsigned cin) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 4 * cin));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}
inline __m256i plane_table(const uint8_t* t) {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}
inline BF plane_as_float(__m256i w, __m256i table) { return BF(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(w, table))); }
#else
inline __m128i pixel_blocks(const uint8_t* p, unsigned) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m128i plane_table(const uint8_t* t) { return _mm_load_si128(reinterpret_cast<const __m128i*>(t)); }
inline BF plane_as_float(__m128i w, __m128i table) { return BF(_mm_cvtepi32_ps(_mm_shuffle_epi8(w, table))); }
#endif

void planar(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2, const float* scale,
            const float* bias) {
  if (n < N) return scalar_kernels()->planar(src, n, cin, d0, d1, d2, scale, bias);
  const BF s0(scale[0]), s1(scale[1]), s2(scale[2]), b0(bias[0]), b1(bias[1]), b2(bias[2]);
  const auto x0 = plane_table(kPlaneShuffle[cin - 3][0]), x1 = plane_table(kPlaneShuffle[cin - 3][1]);
  const auto x2 = plane_table(kPlaneShuffle[cin - 3][2]);
  const auto vector = [&](const uint8_t* from, size_t at) {
    const auto w = pixel_blocks(from, cin);
    norm(plane_as_float(w, x0), s0, b0).store_unaligned(d0 + at);
    norm(plane_as_float(w, x1), s1, b1).store_unaligned(d1 + at);
    norm(plane_as_float(w, x2), s2, b2).store_unaligned(d2 + at);
  };
  const size_t head = head_to_align(d0, n);
  scalar_kernels()->planar(src, head, cin, d0, d1, d2, scale, bias);
  window_steps(src, n, cin, N, head, (N - 4) * cin + 16, vector);
}
#else
void planar(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2, const float* scale,
            const float* bias) {
  uint8_t plane[3][kChunk];
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    deinterleave(src + start * cin, m, cin, plane[0], plane[1], plane[2]);
    flat(plane[0], m, d0 + start, scale + 0, bias + 0, 1);
    flat(plane[1], m, d1 + start, scale + 1, bias + 1, 1);
    flat(plane[2], m, d2 + start, scale + 2, bias + 2, 1);
  }
}
#endif

#if defined(__SSSE3__)
// NHWC from swapped or four-channel pixels on x86: each batch of floats comes straight from one
// byte window of the source (WindowTables in kernels.h): a 16-byte load repeated in each
// 128-bit block and one pshufb, or on AVX-512 a 32-byte load, vpermd and pshufb.
#if defined(__AVX512BW__)
using Table = __m512i;
inline Table load_table(const void* p) { return _mm512_loadu_si512(p); }
inline BF window_as_float(const uint8_t* p, Table bytes, Table words) {
  const __m512i raw = _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return BF(_mm512_cvtepi32_ps(_mm512_shuffle_epi8(_mm512_permutexvar_epi32(words, raw), bytes)));
}
#elif defined(__AVX2__)
using Table = __m256i;
inline Table load_table(const void* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline BF window_as_float(const uint8_t* p, Table bytes, Table) {
  const __m256i raw = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return BF(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(raw, bytes)));
}
#else
using Table = __m128i;
inline Table load_table(const void* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline BF window_as_float(const uint8_t* p, Table bytes, Table) {
  return BF(_mm_cvtepi32_ps(_mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), bytes)));
}
#endif

void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  if (n < N) return scalar_kernels()->interleave(src, n, cin, swap, dst, scale, bias);
  const WindowTables& t = window_tables(N, cin, swap);
  alignas(64) float pattern[6][N];  // scale, then bias, of each lane of the three batches
  for (size_t k = 0; k < 3; ++k)
    for (size_t l = 0; l < N; ++l) {
      pattern[k][l] = scale[t.channel[k][l]];
      pattern[3 + k][l] = bias[t.channel[k][l]];
    }
  const BF sc0 = BF::load_aligned(pattern[0]), sc1 = BF::load_aligned(pattern[1]), sc2 = BF::load_aligned(pattern[2]);
  const BF bi0 = BF::load_aligned(pattern[3]), bi1 = BF::load_aligned(pattern[4]), bi2 = BF::load_aligned(pattern[5]);
  const Table x0 = load_table(t.bytes[0]), x1 = load_table(t.bytes[1]), x2 = load_table(t.bytes[2]);
  const Table w0 = load_table(t.words[0]), w1 = load_table(t.words[1]), w2 = load_table(t.words[2]);
  const size_t o1 = t.first[1] * cin, o2 = t.first[2] * cin;
  const auto period = [&](const uint8_t* from, size_t at) {
    float* to = dst + 3 * at;
    norm(window_as_float(from, x0, w0), sc0, bi0).store_unaligned(to);
    norm(window_as_float(from + o1, x1, w1), sc1, bi1).store_unaligned(to + N);
    norm(window_as_float(from + o2, x2, w2), sc2, bi2).store_unaligned(to + 2 * N);
  };
  const size_t head = head_to_align(dst, n, 3);
  scalar_kernels()->interleave(src, head, cin, swap, dst, scale, bias);
  window_steps(src, n, cin, N, head, t.reach, period);
}
#else
void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  uint8_t rgb[3 * kChunk + 16];
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    repack(src + start * cin, m, cin, swap, rgb);
    flat(rgb, 3 * m, dst + 3 * start, scale, bias, 3);
  }
}
#endif

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

// Narrowing (PackParams in kernels.h) with the same integer arithmetic as the scalar
// reference; a short tail goes through a zero-padded batch.
using BI = xsimd::batch<int32_t, Arch>;

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

// Two-tap resampling (kernels.h): 32-bit words read lane by lane at byte offsets (vpgatherdd
// measured 2.5x slower here: gather data sampling mitigation), the scalar reference's integer
// arithmetic on batches, then bytes.
inline BI words(const uint8_t* base, const int32_t* off) {
  alignas(64) int32_t w[N];
  for (size_t j = 0; j < N; ++j) std::memcpy(&w[j], base + off[j], 4);
  return BI::load_aligned(w);
}

inline void store_bytes(BI v, uint8_t* dst) {
#if defined(__AVX512F__)
  _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm512_cvtepi32_epi8(v));
#elif defined(__AVX2__)
  const __m256i w = _mm256_packus_epi32(v, v);  // per 128-bit lane: d0..d3 d0..d3 | d4..d7 d4..d7
  const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_unpacklo_epi32(b, _mm_srli_si128(b, 8)));
#else
  alignas(64) int32_t w[N];
  v.store_aligned(w);
  for (size_t j = 0; j < N; ++j) dst[j] = static_cast<uint8_t>(w[j]);
#endif
}

// The vertical blend of two rows' horizontal sums, rounded (kernels.h), or of row 0 alone.
template <bool kTwoRows>
inline BI blend(BI h0, BI h1, BI vwy) {
  if constexpr (!kTwoRows) return (h0 + BI(1 << 10)) >> 11;
  return ((h0 << 11) + (h1 - h0) * vwy + BI(1 << 21)) >> 22;
}

template <bool kTwoRows, bool kWideStep>
size_t resample2_loop(const uint8_t* row0, const uint8_t* row1, const int32_t* off, const int32_t* wx, int32_t wy,
                      unsigned step, size_t n, uint8_t* out) {
  const BI mask(0xFF), vwy(wy);
  const int32_t shift = static_cast<int32_t>(8 * step);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const BI w = BI::load_unaligned(wx + i);
    const BI g0 = words(row0, off + i);
    const BI a0 = g0 & mask;
    const BI b0 = kWideStep ? words(row0 + step, off + i) & mask : (g0 >> shift) & mask;
    const BI h0 = (a0 << 11) + (b0 - a0) * w;
    BI h1 = h0;
    if (kTwoRows) {
      const BI g1 = words(row1, off + i);
      const BI a1 = g1 & mask;
      const BI b1 = kWideStep ? words(row1 + step, off + i) & mask : (g1 >> shift) & mask;
      h1 = (a1 << 11) + (b1 - a1) * w;
    }
    store_bytes(blend<kTwoRows>(h0, h1, vwy), out + i);
  }
  return i;
}

void resample2(const uint8_t* row0, const uint8_t* row1, const int32_t* off, const int32_t* wx, int32_t wy,
               unsigned step, unsigned /*group*/, size_t n, uint8_t* out) {
  size_t i;
  if (wy == 0)
    i = step >= 4 ? resample2_loop<false, true>(row0, row1, off, wx, wy, step, n, out)
                  : resample2_loop<false, false>(row0, row1, off, wx, wy, step, n, out);
  else
    i = step >= 4 ? resample2_loop<true, true>(row0, row1, off, wx, wy, step, n, out)
                  : resample2_loop<true, false>(row0, row1, off, wx, wy, step, n, out);
  if (i < n) scalar_kernels()->resample2(row0, row1, off + i, wx + i, wy, step, 1, n - i, out + i);
}

// Two-tap resampling by 16-byte windows (kernels.h): per 128-bit block, one load, one byte
// shuffle into (a, b) int16 pairs and one pairwise multiply-add (pshufb/pmaddwd, NEON tbl and
// widening multiplies, which xsimd 8.1 does not wrap), then the vertical blend on batches.
constexpr size_t kWindowBlocks = N / 4;  // 128-bit blocks per batch of int32

#if defined(__AVX512BW__) || defined(__AVX2__) || defined(__SSSE3__)
inline __m128i window(const uint8_t* r, int32_t base) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(r + base));
}
#endif

inline BI window_sums(const uint8_t* r, const int32_t* base, const uint8_t* idx, const uint32_t* wpair) {
#if defined(__AVX512BW__)
  static_assert(N == 16, "AVX-512 batch");
  __m512i v = _mm512_castsi128_si512(window(r, base[0]));
  v = _mm512_inserti32x4(v, window(r, base[1]), 1);
  v = _mm512_inserti32x4(v, window(r, base[2]), 2);
  v = _mm512_inserti32x4(v, window(r, base[3]), 3);
  const __m512i t = _mm512_shuffle_epi8(v, _mm512_loadu_si512(idx));
  return BI(_mm512_madd_epi16(t, _mm512_loadu_si512(wpair)));
#elif defined(__AVX2__)
  static_assert(N == 8, "AVX2 batch");
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(window(r, base[0])), window(r, base[1]), 1);
  const __m256i t = _mm256_shuffle_epi8(v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx)));
  return BI(_mm256_madd_epi16(t, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wpair))));
#elif defined(__SSSE3__)
  static_assert(N == 4, "SSE batch");
  const __m128i t = _mm_shuffle_epi8(window(r, base[0]), _mm_loadu_si128(reinterpret_cast<const __m128i*>(idx)));
  return BI(_mm_madd_epi16(t, _mm_loadu_si128(reinterpret_cast<const __m128i*>(wpair))));
#elif defined(__ARM_NEON) || defined(__ARM_NEON__)
  static_assert(N == 4, "NEON batch");
  const uint8x16_t win = vld1q_u8(r + base[0]), tbl = vld1q_u8(idx);
#if defined(__aarch64__)
  const int16x8_t t = vreinterpretq_s16_u8(vqtbl1q_u8(win, tbl));  // indexes >= 16 give 0
#else
  const uint8x8x2_t w2 = {{vget_low_u8(win), vget_high_u8(win)}};
  const int16x8_t t = vreinterpretq_s16_u8(vcombine_u8(vtbl2_u8(w2, vget_low_u8(tbl)), vtbl2_u8(w2, vget_high_u8(tbl))));
#endif
  const int16x8_t w = vreinterpretq_s16_u32(vld1q_u32(wpair));
  const int32x4_t lo = vmull_s16(vget_low_s16(t), vget_low_s16(w)), hi = vmull_s16(vget_high_s16(t), vget_high_s16(w));
#if defined(__aarch64__)
  return BI(vpaddq_s32(lo, hi));
#else
  return BI(vcombine_s32(vpadd_s32(vget_low_s32(lo), vget_high_s32(lo)), vpadd_s32(vget_low_s32(hi), vget_high_s32(hi))));
#endif
#else
#error "pixnorm: no byte shuffle for this xsimd architecture"
#endif
}

template <bool kTwoRows>
size_t resample2_windows_loop(const uint8_t* row0, const uint8_t* row1, const int32_t* base, const uint8_t* idx,
                              const uint32_t* wpair, int32_t wy, size_t nblocks, uint8_t* out) {
  const BI vwy(wy);
  size_t k = 0;
  for (; k + kWindowBlocks <= nblocks; k += kWindowBlocks) {
    const BI h0 = window_sums(row0, base + k, idx + 16 * k, wpair + 4 * k);
    const BI h1 = kTwoRows ? window_sums(row1, base + k, idx + 16 * k, wpair + 4 * k) : h0;
    store_bytes(blend<kTwoRows>(h0, h1, vwy), out + 4 * k);
  }
  return k;
}

void resample2_windows(const uint8_t* row0, const uint8_t* row1, const int32_t* base, const uint8_t* idx,
                       const uint32_t* wpair, int32_t wy, size_t nblocks, uint8_t* out) {
  const size_t k = wy == 0 ? resample2_windows_loop<false>(row0, row1, base, idx, wpair, wy, nblocks, out)
                           : resample2_windows_loop<true>(row0, row1, base, idx, wpair, wy, nblocks, out);
  if (k < nblocks)
    scalar_kernels()->resample2_windows(row0, row1, base + k, idx + 16 * k, wpair + 4 * k, wy, nblocks - k,
                                        out + 4 * k);
}

// Bytes alone: the window sums with the weight pair (2048, 0), whose rounding gives the byte
// back, a chunk of blocks at a time.
void gather_windows(const uint8_t* r, const int32_t* base, const uint8_t* idx, size_t nblocks, uint8_t* out) {
  constexpr size_t kChunkBlocks = 64;
  static const struct Unit {
    uint32_t w[4 * kChunkBlocks];
    Unit() {
      for (uint32_t& x : w) x = 2048;
    }
  } unit;
  for (size_t k = 0; k < nblocks; k += kChunkBlocks) {
    const size_t nb = nblocks - k < kChunkBlocks ? nblocks - k : kChunkBlocks;
    resample2_windows(r, r, base + k, idx + 16 * k, unit.w, 0, nb, out + 4 * k);
  }
}

#if defined(__AVX512F__)
#define PIXNORM_XSIMD_TARGET "AVX512"
#elif defined(__AVX2__)
#define PIXNORM_XSIMD_TARGET "AVX2"
#elif defined(__SSE4_1__)
#define PIXNORM_XSIMD_TARGET "SSE4"
#elif defined(__aarch64__)
#define PIXNORM_XSIMD_TARGET "NEON64"
#else
#define PIXNORM_XSIMD_TARGET "NEON"
#endif

// YUV conversion: the reference loop (xsimd 8.1 has no byte interleaving stores).
void yuv(const uint8_t* y, const uint8_t* u, const uint8_t* v, size_t n, const YuvCoef* k, uint8_t* rgb) {
  scalar_kernels()->yuv(y, u, v, n, k, rgb);
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

// Pillow's resampling passes: the scalar reference for now (the Highway backend has SIMD versions).
void pil_h(const uint8_t* r, const int32_t* off, const int32_t* w, size_t wstride, unsigned taps, unsigned step,
           size_t n, uint8_t* out) {
  scalar_kernels()->pil_h(r, off, w, wstride, taps, step, n, out);
}
void pil_v(const uint8_t* const* rows, const int32_t* w, unsigned taps, size_t n, uint8_t* out) {
  size_t e = 0;
#if defined(__AVX2__)
  // 32-bit lanes (mullo and add wrap like the reference's int), clip8 by two saturating packs.
  const __m256i half = _mm256_set1_epi32(1 << 21);
  for (; e + 16 <= n; e += 16) {
    __m256i s0 = half, s1 = half;
    for (unsigned j = 0; j < taps; ++j) {
      const __m256i wj = _mm256_set1_epi32(w[j]);
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + e));
      s0 = _mm256_add_epi32(s0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(x), wj));
      s1 = _mm256_add_epi32(s1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(x, 8)), wj));
    }
    const __m256i p = _mm256_packs_epi32(_mm256_srai_epi32(s0, 22), _mm256_srai_epi32(s1, 22));
    // bytes 0-3 and 8-11 in block 0, 4-7 and 12-15 in block 1
    const __m256i b = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(p, p), _mm256_setr_epi32(0, 4, 1, 5, 0, 0, 0, 0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + e), _mm256_castsi256_si128(b));
  }
#endif
  if (e < n) {
    const uint8_t* rest[4096];
    for (unsigned j = 0; j < taps; ++j) rest[j] = rows[j] + e;
    scalar_kernels()->pil_v(rest, w, taps, n - e, out + e);
  }
}
void pil_h3(const uint8_t* r, const int32_t* base, const int16_t* w, size_t wstride, unsigned taps, size_t n,
            uint8_t* out) {
  scalar_kernels()->pil_h3(r, base, w, wstride, taps, n, out);
}
// pil_hw: blocks of four elements, their windows shuffled into int16 pairs and multiply-added
// with both halves of the weights (pmaddwd), two blocks per vector with AVX2.
void pil_hw(const uint8_t* r, const uint8_t* r1, const int32_t* base, const uint8_t* idx, size_t istride,
            const int16_t* w, size_t wstride, unsigned pairs, size_t nblocks, uint8_t* out, uint8_t* out1) {
  size_t k = 0;
#if defined(__AVX2__)
  const auto win = [&](const uint8_t* row, size_t at) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + base[at]));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + base[at + 1]));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
  };
  const __m256i half = _mm256_set1_epi32(1 << 21);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const auto row_blocks = [&](const uint8_t* row, uint8_t* o) {
    const __m256i x = win(row, k);
    __m256i lo = half, hi = _mm256_setzero_si256();
    for (unsigned q = 0; q < pairs; ++q) {
      const __m256i t = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + istride * q + 16 * k));
      const int16_t* wq = w + wstride * (2 * q) + 8 * k;
      const __m256i p = _mm256_shuffle_epi8(x, t);
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq))));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wq + wstride))));
    }
    const __m256i s = _mm256_srai_epi32(_mm256_add_epi32(lo, _mm256_slli_epi32(hi, 16)), 22);
    // clip8: the shifted sums fit in int16, so two saturating packs clamp them to 0..255
    const __m256i b = _mm256_packus_epi16(_mm256_packs_epi32(s, s), _mm256_setzero_si256());
    const __m256i v = _mm256_permutevar8x32_epi32(b, order);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o + 4 * k), _mm256_castsi256_si128(v));
  };
  for (; k + 2 <= nblocks; k += 2) {
    row_blocks(r, out);
    if (r1 != nullptr) row_blocks(r1, out1);
  }
#endif
  if (k < nblocks)
    scalar_kernels()->pil_hw(r, r1, base + k, idx + 16 * k, istride, w + 8 * k, wstride, pairs, nblocks - k,
                             out + 4 * k, r1 != nullptr ? out1 + 4 * k : nullptr);
}

}  // namespace

constexpr RowKernels make_xsimd_kernels() {
  RowKernels k{};
#define PIXNORM_SET_KERNEL(field, Name) k.field = field;
  PIXNORM_KERNEL_CATALOGUE(PIXNORM_SET_KERNEL)
#undef PIXNORM_SET_KERNEL
  k.target = PIXNORM_XSIMD_TARGET;
  return k;
}

extern const RowKernels kXsimdKernels = make_xsimd_kernels();

}  // namespace pixnorm
