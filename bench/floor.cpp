// Store and copy loops, and hand-written conversion loops: see floor.h. Built with the project's
// -ffp-contract=off, so that the hand loops' scalar tails do not fuse the multiply and the add
// either (the vector bodies use separate multiply and add intrinsics).
#include "floor.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#define PIXNORM_BENCH_X86 1
#include <immintrin.h>
// GCC 12 warns inside its own AVX-512 headers (their _mm512_undefined_* operands) once these
// intrinsics are inlined: not about this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#elif defined(__aarch64__) || defined(__ARM_NEON)
#define PIXNORM_BENCH_NEON 1
#include <arm_neon.h>
#endif

namespace bench {
namespace {

// The bytes the vector loops leave, stored with the same 64-bit value.
void store_tail(unsigned char* d, size_t bytes, uint64_t value) {
  for (size_t i = 0; i < bytes; ++i) d[i] = static_cast<unsigned char>(value >> (8 * (i & 7)));
}

[[maybe_unused]] void store_scalar(void* dst, size_t bytes, uint64_t value) {
  auto* d = static_cast<unsigned char*>(dst);
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    std::memcpy(d + i, &value, 8);
    std::memcpy(d + i + 8, &value, 8);
    std::memcpy(d + i + 16, &value, 8);
    std::memcpy(d + i + 24, &value, 8);
  }
  for (; i + 8 <= bytes; i += 8) std::memcpy(d + i, &value, 8);
  store_tail(d + i, bytes - i, value);
}

[[maybe_unused]] void copy_scalar(void* dst, const void* src, size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    uint64_t a, b, c, e;
    std::memcpy(&a, s + i, 8);
    std::memcpy(&b, s + i + 8, 8);
    std::memcpy(&c, s + i + 16, 8);
    std::memcpy(&e, s + i + 24, 8);
    std::memcpy(d + i, &a, 8);
    std::memcpy(d + i + 8, &b, 8);
    std::memcpy(d + i + 16, &c, 8);
    std::memcpy(d + i + 24, &e, 8);
  }
  for (; i < bytes; ++i) d[i] = s[i];
}

// After one unaligned vector at d: the offset of the first `align`-aligned address past d, from
// where the loops store aligned (a store split across two cache lines costs more on most CPUs).
[[maybe_unused]] inline size_t head_to_aligned(const unsigned char* d, size_t align) {
  return align - (reinterpret_cast<uintptr_t>(d) & (align - 1));
}

// Floats to convert one at a time before dst + result is `align`-aligned: from there the hand
// loops' stores do not split cache lines (planes: as the first plane, which the others match
// when a plane's bytes are a multiple of the vector, as at 224x224 and 1920x1080). The stores
// stay unaligned instructions, which cost nothing more on aligned addresses.
[[maybe_unused]] inline size_t floats_to_aligned(const float* dst, size_t align) {
  return ((align - (reinterpret_cast<uintptr_t>(dst) & (align - 1))) & (align - 1)) / sizeof(float);
}

// The scalar remainder (and head) of the hand loops, with pixnorm's arithmetic.
[[maybe_unused]] inline float norm(uint8_t x, float scale, float bias) {
  const float product = static_cast<float>(x) * scale;
  return product + bias;
}

[[maybe_unused]] void tail_flat(const uint8_t* src, size_t begin, size_t n, float* dst, const float* scale, const float* bias,
               unsigned period) {
  for (size_t i = begin; i < n; ++i) dst[i] = norm(src[i], scale[i % period], bias[i % period]);
}

[[maybe_unused]] void tail_planar(const uint8_t* src, size_t begin, size_t end, size_t pixels, float* dst,
                                  const float* scale, const float* bias) {
  for (size_t p = begin; p < end; ++p)
    for (unsigned c = 0; c < 3; ++c) dst[c * pixels + p] = norm(src[3 * p + c], scale[c], bias[c]);
}

#if PIXNORM_BENCH_X86

#if defined(__SSE2__)
void store_sse2(void* dst, size_t bytes, uint64_t value) {
  auto* d = static_cast<unsigned char*>(dst);
  const __m128i v = _mm_set1_epi64x(static_cast<long long>(value));
  size_t i = 0;
  for (; i + 64 <= bytes; i += 64) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), v);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i + 16), v);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i + 32), v);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i + 48), v);
  }
  for (; i + 16 <= bytes; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), v);
  store_tail(d + i, bytes - i, value);
}

void copy_sse2(void* dst, const void* src, size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  size_t i = 0;
  for (; i + 64 <= bytes; i += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 32));
    const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 48));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i + 16), b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i + 32), c);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i + 48), e);
  }
  for (; i < bytes; ++i) d[i] = s[i];
}
#endif

__attribute__((target("avx2"))) void store_avx2(void* dst, size_t bytes, uint64_t value) {
  auto* d = static_cast<unsigned char*>(dst);
  const __m256i v = _mm256_set1_epi64x(static_cast<long long>(value));
  if (bytes < 32) return store_tail(d, bytes, value);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), v);
  size_t i = head_to_aligned(d, 32);
  for (; i + 128 <= bytes; i += 128) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i), v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i + 32), v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i + 64), v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i + 96), v);
  }
  for (; i + 32 <= bytes; i += 32) _mm256_store_si256(reinterpret_cast<__m256i*>(d + i), v);
  if (i < bytes) _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + bytes - 32), v);
}

__attribute__((target("avx2"))) void copy_avx2(void* dst, const void* src, size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (bytes < 32) return copy_scalar(d, s, bytes);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s)));
  size_t i = head_to_aligned(d, 32);
  for (; i + 128 <= bytes; i += 128) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + 32));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + 64));
    const __m256i e = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i + 96));
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i), a);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i + 32), b);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i + 64), c);
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i + 96), e);
  }
  for (; i + 32 <= bytes; i += 32)
    _mm256_store_si256(reinterpret_cast<__m256i*>(d + i), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
  if (i < bytes)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + bytes - 32),
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + bytes - 32)));
}

__attribute__((target("avx512f"))) void store_avx512(void* dst, size_t bytes, uint64_t value) {
  auto* d = static_cast<unsigned char*>(dst);
  const __m512i v = _mm512_set1_epi64(static_cast<long long>(value));
  if (bytes < 64) return store_tail(d, bytes, value);
  _mm512_storeu_si512(d, v);
  size_t i = head_to_aligned(d, 64);
  for (; i + 256 <= bytes; i += 256) {
    _mm512_store_si512(d + i, v);
    _mm512_store_si512(d + i + 64, v);
    _mm512_store_si512(d + i + 128, v);
    _mm512_store_si512(d + i + 192, v);
  }
  for (; i + 64 <= bytes; i += 64) _mm512_store_si512(d + i, v);
  if (i < bytes) _mm512_storeu_si512(d + bytes - 64, v);
}

__attribute__((target("avx512f"))) void copy_avx512(void* dst, const void* src, size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (bytes < 64) return copy_scalar(d, s, bytes);
  _mm512_storeu_si512(d, _mm512_loadu_si512(s));
  size_t i = head_to_aligned(d, 64);
  for (; i + 256 <= bytes; i += 256) {
    const __m512i a = _mm512_loadu_si512(s + i);
    const __m512i b = _mm512_loadu_si512(s + i + 64);
    const __m512i c = _mm512_loadu_si512(s + i + 128);
    const __m512i e = _mm512_loadu_si512(s + i + 192);
    _mm512_store_si512(d + i, a);
    _mm512_store_si512(d + i + 64, b);
    _mm512_store_si512(d + i + 128, c);
    _mm512_store_si512(d + i + 192, e);
  }
  for (; i + 64 <= bytes; i += 64) _mm512_store_si512(d + i, _mm512_loadu_si512(s + i));
  if (i < bytes) _mm512_storeu_si512(d + bytes - 64, _mm512_loadu_si512(s + bytes - 64));
}

// ---------------------------------------------------------------- AVX2 conversions

// 8 bytes widened to 8 floats (vpmovzxbd with a memory operand).
__attribute__((target("avx2"))) inline __m256 widen8(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

__attribute__((target("avx2"))) inline __m256 norm8(__m256 x, __m256 s, __m256 b) {
  return _mm256_add_ps(_mm256_mul_ps(x, s), b);
}

// Interleaved output: 24 elements are 3 vectors whose channels start at 0, 2 and 1.
__attribute__((target("avx2"))) void nhwc_rgb_avx2(const uint8_t* src, size_t pixels, float* dst,
                                                   const float* scale, const float* bias) {
  const size_t n = pixels * 3;
  size_t i = std::min(n, floats_to_aligned(dst, 32));
  tail_flat(src, 0, i, dst, scale, bias, 3);
  float sp[24], bp[24];  // the pattern from element i on
  for (unsigned j = 0; j < 24; ++j) {
    sp[j] = scale[(i + j) % 3];
    bp[j] = bias[(i + j) % 3];
  }
  const __m256 s0 = _mm256_loadu_ps(sp), s1 = _mm256_loadu_ps(sp + 8), s2 = _mm256_loadu_ps(sp + 16);
  const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8), b2 = _mm256_loadu_ps(bp + 16);
  for (; i + 48 <= n; i += 48) {
    _mm256_storeu_ps(dst + i, norm8(widen8(src + i), s0, b0));
    _mm256_storeu_ps(dst + i + 8, norm8(widen8(src + i + 8), s1, b1));
    _mm256_storeu_ps(dst + i + 16, norm8(widen8(src + i + 16), s2, b2));
    _mm256_storeu_ps(dst + i + 24, norm8(widen8(src + i + 24), s0, b0));
    _mm256_storeu_ps(dst + i + 32, norm8(widen8(src + i + 32), s1, b1));
    _mm256_storeu_ps(dst + i + 40, norm8(widen8(src + i + 40), s2, b2));
  }
  for (; i + 24 <= n; i += 24) {
    _mm256_storeu_ps(dst + i, norm8(widen8(src + i), s0, b0));
    _mm256_storeu_ps(dst + i + 8, norm8(widen8(src + i + 8), s1, b1));
    _mm256_storeu_ps(dst + i + 16, norm8(widen8(src + i + 16), s2, b2));
  }
  tail_flat(src, i, n, dst, scale, bias, 3);
}

// Planes: 8 pixels (24 bytes) as two 16-byte windows, pixels 0-3 in the low 128-bit lane and
// 4-7 in the high one; one in-lane byte shuffle per channel puts its bytes in dword lanes.
__attribute__((target("avx2"))) void nchw_rgb_avx2(const uint8_t* src, size_t pixels, float* dst,
                                                   const float* scale, const float* bias) {
  float* d0 = dst;
  float* d1 = dst + pixels;
  float* d2 = dst + 2 * pixels;
  const __m256 s0 = _mm256_set1_ps(scale[0]), s1 = _mm256_set1_ps(scale[1]), s2 = _mm256_set1_ps(scale[2]);
  const __m256 b0 = _mm256_set1_ps(bias[0]), b1 = _mm256_set1_ps(bias[1]), b2 = _mm256_set1_ps(bias[2]);
  const char z = -128;  // pshufb: a zero byte
  const __m256i m0 = _mm256_setr_epi8(0, z, z, z, 3, z, z, z, 6, z, z, z, 9, z, z, z,  //
                                      0, z, z, z, 3, z, z, z, 6, z, z, z, 9, z, z, z);
  const __m256i m1 = _mm256_setr_epi8(1, z, z, z, 4, z, z, z, 7, z, z, z, 10, z, z, z,  //
                                      1, z, z, z, 4, z, z, z, 7, z, z, z, 10, z, z, z);
  const __m256i m2 = _mm256_setr_epi8(2, z, z, z, 5, z, z, z, 8, z, z, z, 11, z, z, z,  //
                                      2, z, z, z, 5, z, z, z, 8, z, z, z, 11, z, z, z);
  auto block = [&](size_t p) __attribute__((target("avx2"))) {
    const uint8_t* s = src + 3 * p;
    const __m256i v = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 12)), 1);
    _mm256_storeu_ps(d0 + p, norm8(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, m0)), s0, b0));
    _mm256_storeu_ps(d1 + p, norm8(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, m1)), s1, b1));
    _mm256_storeu_ps(d2 + p, norm8(_mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, m2)), s2, b2));
  };
  size_t p = std::min(pixels, floats_to_aligned(d0, 32));
  tail_planar(src, 0, p, pixels, dst, scale, bias);
  // The second window reads 4 bytes past the block's 24: stop while they are in the image.
  for (; 3 * (p + 16) + 4 <= 3 * pixels; p += 16) {
    block(p);
    block(p + 8);
  }
  for (; 3 * (p + 8) + 4 <= 3 * pixels; p += 8) block(p);
  tail_planar(src, p, pixels, pixels, dst, scale, bias);
}

__attribute__((target("avx2"))) void gray_avx2(const uint8_t* src, size_t pixels, float* dst, const float* scale,
                                               const float* bias) {
  const __m256 s = _mm256_set1_ps(scale[0]), b = _mm256_set1_ps(bias[0]);
  size_t i = std::min(pixels, floats_to_aligned(dst, 32));
  tail_flat(src, 0, i, dst, scale, bias, 1);
  for (; i + 32 <= pixels; i += 32) {
    _mm256_storeu_ps(dst + i, norm8(widen8(src + i), s, b));
    _mm256_storeu_ps(dst + i + 8, norm8(widen8(src + i + 8), s, b));
    _mm256_storeu_ps(dst + i + 16, norm8(widen8(src + i + 16), s, b));
    _mm256_storeu_ps(dst + i + 24, norm8(widen8(src + i + 24), s, b));
  }
  for (; i + 8 <= pixels; i += 8) _mm256_storeu_ps(dst + i, norm8(widen8(src + i), s, b));
  tail_flat(src, i, pixels, dst, scale, bias, 1);
}

// ---------------------------------------------------------------- AVX-512 (F+BW) conversions

#define PIXNORM_BENCH_AVX512 __attribute__((target("avx512f,avx512bw")))

// 16 bytes widened to 16 floats (vpmovzxbd with a memory operand).
PIXNORM_BENCH_AVX512 inline __m512 widen16(const uint8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

PIXNORM_BENCH_AVX512 inline __m512 norm16(__m512 x, __m512 s, __m512 b) {
  return _mm512_add_ps(_mm512_mul_ps(x, s), b);
}

// Interleaved output: 48 elements are 3 vectors whose channels start at 0, 1 and 2.
PIXNORM_BENCH_AVX512 void nhwc_rgb_avx512(const uint8_t* src, size_t pixels, float* dst, const float* scale,
                                          const float* bias) {
  const size_t n = pixels * 3;
  size_t i = std::min(n, floats_to_aligned(dst, 64));
  tail_flat(src, 0, i, dst, scale, bias, 3);
  float sp[48], bp[48];  // the pattern from element i on
  for (unsigned j = 0; j < 48; ++j) {
    sp[j] = scale[(i + j) % 3];
    bp[j] = bias[(i + j) % 3];
  }
  const __m512 s0 = _mm512_loadu_ps(sp), s1 = _mm512_loadu_ps(sp + 16), s2 = _mm512_loadu_ps(sp + 32);
  const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16), b2 = _mm512_loadu_ps(bp + 32);
  for (; i + 96 <= n; i += 96) {
    _mm512_storeu_ps(dst + i, norm16(widen16(src + i), s0, b0));
    _mm512_storeu_ps(dst + i + 16, norm16(widen16(src + i + 16), s1, b1));
    _mm512_storeu_ps(dst + i + 32, norm16(widen16(src + i + 32), s2, b2));
    _mm512_storeu_ps(dst + i + 48, norm16(widen16(src + i + 48), s0, b0));
    _mm512_storeu_ps(dst + i + 64, norm16(widen16(src + i + 64), s1, b1));
    _mm512_storeu_ps(dst + i + 80, norm16(widen16(src + i + 80), s2, b2));
  }
  for (; i + 48 <= n; i += 48) {
    _mm512_storeu_ps(dst + i, norm16(widen16(src + i), s0, b0));
    _mm512_storeu_ps(dst + i + 16, norm16(widen16(src + i + 16), s1, b1));
    _mm512_storeu_ps(dst + i + 32, norm16(widen16(src + i + 32), s2, b2));
  }
  tail_flat(src, i, n, dst, scale, bias, 3);
}

// Planes: 16 pixels (48 bytes, 12 dwords) loaded at once; vpermd gives each 128-bit lane its 4
// pixels (dwords 3k..3k+2), then one in-lane byte shuffle per channel as in the AVX2 loop.
PIXNORM_BENCH_AVX512 void nchw_rgb_avx512(const uint8_t* src, size_t pixels, float* dst, const float* scale,
                                          const float* bias) {
  float* d0 = dst;
  float* d1 = dst + pixels;
  float* d2 = dst + 2 * pixels;
  const __m512 s0 = _mm512_set1_ps(scale[0]), s1 = _mm512_set1_ps(scale[1]), s2 = _mm512_set1_ps(scale[2]);
  const __m512 b0 = _mm512_set1_ps(bias[0]), b1 = _mm512_set1_ps(bias[1]), b2 = _mm512_set1_ps(bias[2]);
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10, 11, 11);
  // Byte 3i+c of a lane to dword i (i < 4); 0x80: a zero byte.
  const __m512i m0 = _mm512_set4_epi32(static_cast<int>(0x80808009), static_cast<int>(0x80808006),
                                       static_cast<int>(0x80808003), static_cast<int>(0x80808000));
  const __m512i m1 = _mm512_set4_epi32(static_cast<int>(0x8080800a), static_cast<int>(0x80808007),
                                       static_cast<int>(0x80808004), static_cast<int>(0x80808001));
  const __m512i m2 = _mm512_set4_epi32(static_cast<int>(0x8080800b), static_cast<int>(0x80808008),
                                       static_cast<int>(0x80808005), static_cast<int>(0x80808002));
  auto convert = [&](size_t p, __m512i raw) PIXNORM_BENCH_AVX512 {
    const __m512i v = _mm512_permutexvar_epi32(lanes, raw);
    _mm512_storeu_ps(d0 + p, norm16(_mm512_cvtepi32_ps(_mm512_shuffle_epi8(v, m0)), s0, b0));
    _mm512_storeu_ps(d1 + p, norm16(_mm512_cvtepi32_ps(_mm512_shuffle_epi8(v, m1)), s1, b1));
    _mm512_storeu_ps(d2 + p, norm16(_mm512_cvtepi32_ps(_mm512_shuffle_epi8(v, m2)), s2, b2));
  };
  size_t p = std::min(pixels, floats_to_aligned(d0, 64));
  tail_planar(src, 0, p, pixels, dst, scale, bias);
  // A full 64-byte load reads 16 bytes past the block's 48: plain loads while they are in the
  // image, a masked load for the last block.
  for (; 3 * p + 48 + 64 <= 3 * pixels; p += 32) {
    convert(p, _mm512_loadu_si512(src + 3 * p));
    convert(p + 16, _mm512_loadu_si512(src + 3 * p + 48));
  }
  for (; 3 * p + 64 <= 3 * pixels; p += 16) convert(p, _mm512_loadu_si512(src + 3 * p));
  for (; p + 16 <= pixels; p += 16) convert(p, _mm512_maskz_loadu_epi32(0x0fff, src + 3 * p));
  tail_planar(src, p, pixels, pixels, dst, scale, bias);
}

PIXNORM_BENCH_AVX512 void gray_avx512(const uint8_t* src, size_t pixels, float* dst, const float* scale,
                                      const float* bias) {
  const __m512 s = _mm512_set1_ps(scale[0]), b = _mm512_set1_ps(bias[0]);
  size_t i = std::min(pixels, floats_to_aligned(dst, 64));
  tail_flat(src, 0, i, dst, scale, bias, 1);
  for (; i + 64 <= pixels; i += 64) {
    _mm512_storeu_ps(dst + i, norm16(widen16(src + i), s, b));
    _mm512_storeu_ps(dst + i + 16, norm16(widen16(src + i + 16), s, b));
    _mm512_storeu_ps(dst + i + 32, norm16(widen16(src + i + 32), s, b));
    _mm512_storeu_ps(dst + i + 48, norm16(widen16(src + i + 48), s, b));
  }
  for (; i + 16 <= pixels; i += 16) _mm512_storeu_ps(dst + i, norm16(widen16(src + i), s, b));
  tail_flat(src, i, pixels, dst, scale, bias, 1);
}

#elif PIXNORM_BENCH_NEON

void store_neon(void* dst, size_t bytes, uint64_t value) {
  auto* d = static_cast<unsigned char*>(dst);
  const uint8x16_t v = vreinterpretq_u8_u64(vdupq_n_u64(value));
  size_t i = 0;
  for (; i + 64 <= bytes; i += 64) {
    vst1q_u8(d + i, v);
    vst1q_u8(d + i + 16, v);
    vst1q_u8(d + i + 32, v);
    vst1q_u8(d + i + 48, v);
  }
  for (; i + 16 <= bytes; i += 16) vst1q_u8(d + i, v);
  store_tail(d + i, bytes - i, value);
}

void copy_neon(void* dst, const void* src, size_t bytes) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  size_t i = 0;
  for (; i + 64 <= bytes; i += 64) {
    const uint8x16_t a = vld1q_u8(s + i), b = vld1q_u8(s + i + 16), c = vld1q_u8(s + i + 32),
                     e = vld1q_u8(s + i + 48);
    vst1q_u8(d + i, a);
    vst1q_u8(d + i + 16, b);
    vst1q_u8(d + i + 32, c);
    vst1q_u8(d + i + 48, e);
  }
  for (; i < bytes; ++i) d[i] = s[i];
}

#endif

}  // namespace

StoreLoops store_loops() {
#if PIXNORM_BENCH_X86
  if (__builtin_cpu_supports("avx512f")) return {"AVX-512", store_avx512, copy_avx512};
  if (__builtin_cpu_supports("avx2")) return {"AVX2", store_avx2, copy_avx2};
#if defined(__SSE2__)
  return {"SSE2", store_sse2, copy_sse2};
#endif
#elif PIXNORM_BENCH_NEON
  return {"NEON", store_neon, copy_neon};
#endif
  return {"scalar", store_scalar, copy_scalar};
}

std::vector<HandLoop> hand_loops(unsigned channels, bool nchw) {
  std::vector<HandLoop> out;
#if PIXNORM_BENCH_X86
  if (channels != 3 && channels != 1) return out;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
    out.push_back({"AVX-512", channels == 1 ? gray_avx512 : nchw ? nchw_rgb_avx512 : nhwc_rgb_avx512});
  if (__builtin_cpu_supports("avx2"))
    out.push_back({"AVX2", channels == 1 ? gray_avx2 : nchw ? nchw_rgb_avx2 : nhwc_rgb_avx2});
#else
  (void)channels;
  (void)nchw;
#endif
  return out;
}

}  // namespace bench
