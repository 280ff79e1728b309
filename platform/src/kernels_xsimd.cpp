// xsimd backend: the architecture is fixed at compile time (this file gets -mavx2 or the
// like on x86; NEON on ARM comes from the toolchain). xsimd 8.1 widens uint8 to float
// through a scalar loop, so the widening is written per architecture with intrinsics and
// wrapped into xsimd batches; deinterleaving goes through a small byte buffer on the stack.
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

void flat(const uint8_t* src, size_t n, float* dst, const float* scale, const float* bias, unsigned period) {
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
  alignas(64) float pattern[6 * N];
  for (size_t j = 0; j < 3 * N; ++j) {
    pattern[j] = scale[j % 3];
    pattern[3 * N + j] = bias[j % 3];
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
  if (i < n) {  // n is whole pixels, so n - 3N starts a period
    const size_t j = n - 3 * N;
    norm(widen(src + j), s0, b0).store_unaligned(dst + j);
    norm(widen(src + j + N), s1, b1).store_unaligned(dst + j + N);
    norm(widen(src + j + 2 * N), s2, b2).store_unaligned(dst + j + 2 * N);
  }
}

constexpr size_t kChunk = 256;  // pixels deinterleaved per pass through the stack buffer

void planar(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2, const float* scale,
            const float* bias) {
  uint8_t plane[3][kChunk];
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    const uint8_t* p = src + start * cin;
    for (size_t i = 0; i < m; ++i, p += cin) {
      plane[0][i] = p[0];
      plane[1][i] = p[1];
      plane[2][i] = p[2];
    }
    flat(plane[0], m, d0 + start, scale + 0, bias + 0, 1);
    flat(plane[1], m, d1 + start, scale + 1, bias + 1, 1);
    flat(plane[2], m, d2 + start, scale + 2, bias + 2, 1);
  }
}

void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  uint8_t rgb[3 * kChunk];
  const unsigned s0 = swap ? 2 : 0, s2 = swap ? 0 : 2;
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t m = n - start < kChunk ? n - start : kChunk;
    const uint8_t* p = src + start * cin;
    for (size_t i = 0; i < m; ++i, p += cin) {
      rgb[3 * i + 0] = p[s0];
      rgb[3 * i + 1] = p[1];
      rgb[3 * i + 2] = p[s2];
    }
    flat(rgb, 3 * m, dst + 3 * start, scale, bias, 3);
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

}  // namespace

// The reduction stays scalar here: xsimd 8.1 has no widening integer arithmetic.
extern const RowKernels kXsimdKernels = {flat, planar, interleave, nullptr, PIXNORM_XSIMD_TARGET};

}  // namespace pixnorm
