// xsimd backend, shared by its kernel families: the batch types, the per-architecture uint8
// widening (xsimd 8.1 widens through a scalar loop), the normalization's two roundings, the
// alignment head, the byte windows of x86 and the byte deinterleaving into stack buffers. The
// architecture is fixed at compile time: every file of this backend gets the same flags (-mavx2
// or the like on x86; NEON on ARM from the toolchain), and only the table (kernels_xsimd.cpp)
// leaves the backend, so nothing compiled for the wider instruction set runs before machine.cpp
// has checked the CPU.
#ifndef PIXNORM_PLATFORM_XSIMD_COMMON_H
#define PIXNORM_PLATFORM_XSIMD_COMMON_H

#include <xsimd/xsimd.hpp>

#include <cstring>
#include <type_traits>

#include "kernels.h"

namespace pixnorm {
namespace xsimd_backend {

// The kernels of this backend (xsimd/*.cpp), declared with their RowKernels types.
#define PIXNORM_DECLARE_KERNEL(field, Name) std::remove_pointer_t<decltype(RowKernels::field)> field;
PIXNORM_KERNEL_CATALOGUE(PIXNORM_DECLARE_KERNEL)
#undef PIXNORM_DECLARE_KERNEL

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

// ---------------------------------------------------------------- byte shuffles
// Multi-channel inputs are first rearranged, a chunk at a time, into byte buffers on the stack
// (planes, or 3-channel pixels in output order) with the architecture's byte shuffles; the
// float work is then flat(), the same for every layout.

constexpr size_t kChunk = 256;  // pixels per pass through the stack buffers

// n pixels of cin (3 or 4) bytes to three planes.
inline void deinterleave(const uint8_t* src, size_t n, unsigned cin, uint8_t* p0, uint8_t* p1, uint8_t* p2) {
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
inline void repack(const uint8_t* src, size_t n, unsigned cin, int swap, uint8_t* dst) {
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
// Planar outputs on x86 up to 256 bits (planar, planar_narrow): each 128-bit block loads the 16
// bytes from its first pixel and one pshufb per plane (kPlaneShuffle) moves that plane's bytes
// into 32-bit lanes.
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
#endif

#if defined(__SSSE3__)
// NHWC from swapped or four-channel pixels on x86 (interleave, interleave_narrow): each batch of
// floats comes straight from one byte window of the source (WindowTables in kernels.h): a 16-byte
// load repeated in each 128-bit block and one pshufb, or on AVX-512 a 32-byte load, vpermd and
// pshufb.
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

// The three batches of one NHWC period (N pixels from `from`): each lane's scale and bias, the
// byte and word tables and each batch's window, set up once per call (interleave,
// interleave_narrow).
struct InterleaveWindows {
  const WindowTables& t;
  BF sc[3], bi[3];
  Table x[3], w[3];
  size_t off[3];
  InterleaveWindows(unsigned cin, int swap, const float* scale, const float* bias) : t(window_tables(N, cin, swap)) {
    alignas(64) float pattern[6][N];  // scale, then bias, of each lane of the three batches
    for (size_t k = 0; k < 3; ++k) {
      for (size_t l = 0; l < N; ++l) {
        pattern[k][l] = scale[t.channel[k][l]];
        pattern[3 + k][l] = bias[t.channel[k][l]];
      }
      sc[k] = BF::load_aligned(pattern[k]);
      bi[k] = BF::load_aligned(pattern[3 + k]);
      x[k] = load_table(t.bytes[k]);
      w[k] = load_table(t.words[k]);
      off[k] = t.first[k] * cin;
    }
  }
  template <unsigned k>
  BF batch(const uint8_t* from) const {
    return norm(window_as_float(from + off[k], x[k], w[k]), sc[k], bi[k]);
  }
};
#endif

// int32 batches of the integer kernels.
using BI = xsimd::batch<int32_t, Arch>;

}  // namespace
}  // namespace xsimd_backend
}  // namespace pixnorm

#endif
