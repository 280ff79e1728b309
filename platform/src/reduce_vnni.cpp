// Sums of squares of bytes through VNNI dot products (x86 CPUs with AVX-512 VNNI or AVX-VNNI),
// for the reductions of the Highway and xsimd backends: see reduce_vnni in kernels.h.
//
// vpdpbusd multiplies unsigned bytes by signed bytes and adds each group of four products to a
// 32-bit lane. With u = x and s = x - 128 (x XOR 0x80 read as signed) a lane gains x * (x - 128),
// so that sum(x^2) = sum(x * (x - 128)) + 128 * sum(x), all exact in integers: one xor and one
// dot product per vector instead of the two byte unpacks, two pmaddwd and two adds of the plain
// path. A lane gains at most 4 * 255 * 127 and at least 4 * -4096 per vector, so 4096 vectors
// stay within int32; they are then sign-extended into 64-bit lanes.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernels.h"
#include "machine.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PIXNORM_VNNI 1
#else
#define PIXNORM_VNNI 0
#endif

namespace pixnorm {

namespace {
std::atomic<bool> g_vnni_enabled{true};
}  // namespace

void set_vnni_enabled(bool enabled) { g_vnni_enabled.store(enabled, std::memory_order_relaxed); }

#if PIXNORM_VNNI
// GCC 12 warns inside its own AVX-512 headers (their _mm512_undefined_* operands) once these
// intrinsics are inlined into templates: not about this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace {

constexpr size_t kFlushVectors = 4096;

// Adds a vector loop's lanes to channel c of acc: n64 lanes of byte sums, then n64 lanes of dot
// products (sum(x^2) = dots + 128 * sums); with bytes, n8 lane minima, then n8 lane maxima.
void Merge(const int64_t* lanes, size_t n64, const uint8_t* bytes, size_t n8, ReduceAcc* acc, unsigned c) {
  uint64_t s = 0;
  int64_t d = 0;
  for (size_t k = 0; k < n64; ++k) {
    s += static_cast<uint64_t>(lanes[k]);
    d += lanes[n64 + k];
  }
  acc->sum[c] += s;
  acc->sumsq[c] += static_cast<uint64_t>(d) + 128 * s;
  if (bytes == nullptr) return;
  for (size_t k = 0; k < n8; ++k) {
    if (bytes[k] < acc->min[c]) acc->min[c] = bytes[k];
    if (bytes[n8 + k] > acc->max[c]) acc->max[c] = bytes[n8 + k];
  }
}

template <bool kPooled4, bool kExtremes>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) size_t Vnni512(const uint8_t* p, size_t nbytes,
                                                                        ReduceAcc* acc, unsigned c) {
  const size_t whole = nbytes / 64 * 64;
  const __m512i zero = _mm512_setzero_si512(), sign = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i alpha = _mm512_set1_epi32(static_cast<int>(0xFF000000u));
  __m512i sum = zero, dot64 = zero, lo = _mm512_set1_epi8(static_cast<char>(0xFF)), hi = zero;
  for (size_t i = 0; i < whole;) {
    const size_t end = whole - i > kFlushVectors * 64 ? i + kFlushVectors * 64 : whole;
    // Four independent dot products: each waits about 5 cycles for the one before it.
    __m512i dot[4] = {zero, zero, zero, zero};
#define PIXNORM_VNNI_STEP(at, d)                                               \
  do {                                                                         \
    const __m512i raw = _mm512_loadu_si512(p + (at));                          \
    const __m512i v = kPooled4 ? _mm512_andnot_si512(alpha, raw) : raw;        \
    sum = _mm512_add_epi64(sum, _mm512_sad_epu8(v, zero));                     \
    d = _mm512_dpbusd_epi32(d, v, _mm512_xor_si512(v, sign));                  \
    if (kExtremes) {                                                           \
      lo = _mm512_min_epu8(lo, kPooled4 ? _mm512_or_si512(raw, alpha) : raw);  \
      hi = _mm512_max_epu8(hi, v);                                             \
    }                                                                          \
  } while (0)
    for (; i + 256 <= end; i += 256) {
      PIXNORM_VNNI_STEP(i, dot[0]);
      PIXNORM_VNNI_STEP(i + 64, dot[1]);
      PIXNORM_VNNI_STEP(i + 128, dot[2]);
      PIXNORM_VNNI_STEP(i + 192, dot[3]);
    }
    for (; i < end; i += 64) PIXNORM_VNNI_STEP(i, dot[0]);
#undef PIXNORM_VNNI_STEP
    for (const __m512i d : dot) {  // sign-extended halves of each 64-bit lane
      dot64 = _mm512_add_epi64(dot64, _mm512_srai_epi64(_mm512_slli_epi64(d, 32), 32));
      dot64 = _mm512_add_epi64(dot64, _mm512_srai_epi64(d, 32));
    }
  }
  alignas(64) int64_t lanes[16];
  alignas(64) uint8_t bytes[128];
  _mm512_store_si512(lanes, sum);
  _mm512_store_si512(lanes + 8, dot64);
  _mm512_store_si512(bytes, lo);
  _mm512_store_si512(bytes + 64, hi);
  Merge(lanes, 8, kExtremes && whole > 0 ? bytes : nullptr, 64, acc, c);
  return whole;
}

template <bool kPooled4, bool kExtremes>
__attribute__((target("avx2,avxvnni"))) size_t Vnni256(const uint8_t* p, size_t nbytes, ReduceAcc* acc,
                                                        unsigned c) {
  const size_t whole = nbytes / 32 * 32;
  const __m256i zero = _mm256_setzero_si256(), sign = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i alpha = _mm256_set1_epi32(static_cast<int>(0xFF000000u));
  __m256i sum = zero, dot64 = zero, lo = _mm256_set1_epi8(static_cast<char>(0xFF)), hi = zero;
  for (size_t i = 0; i < whole;) {
    const size_t end = whole - i > kFlushVectors * 32 ? i + kFlushVectors * 32 : whole;
    __m256i dot[4] = {zero, zero, zero, zero};  // independent, as in Vnni512
#define PIXNORM_VNNI_STEP(at, d)                                                          \
  do {                                                                                    \
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + (at)));   \
    const __m256i v = kPooled4 ? _mm256_andnot_si256(alpha, raw) : raw;                   \
    sum = _mm256_add_epi64(sum, _mm256_sad_epu8(v, zero));                                \
    d = _mm256_dpbusd_avx_epi32(d, v, _mm256_xor_si256(v, sign));                         \
    if (kExtremes) {                                                                      \
      lo = _mm256_min_epu8(lo, kPooled4 ? _mm256_or_si256(raw, alpha) : raw);             \
      hi = _mm256_max_epu8(hi, v);                                                        \
    }                                                                                     \
  } while (0)
    for (; i + 128 <= end; i += 128) {
      PIXNORM_VNNI_STEP(i, dot[0]);
      PIXNORM_VNNI_STEP(i + 32, dot[1]);
      PIXNORM_VNNI_STEP(i + 64, dot[2]);
      PIXNORM_VNNI_STEP(i + 96, dot[3]);
    }
    for (; i < end; i += 32) PIXNORM_VNNI_STEP(i, dot[0]);
#undef PIXNORM_VNNI_STEP
    for (const __m256i d : dot) {
      dot64 = _mm256_add_epi64(dot64, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(d)));
      dot64 = _mm256_add_epi64(dot64, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(d, 1)));
    }
  }
  alignas(32) int64_t lanes[8];
  alignas(32) uint8_t bytes[64];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes + 4), dot64);
  _mm256_store_si256(reinterpret_cast<__m256i*>(bytes), lo);
  _mm256_store_si256(reinterpret_cast<__m256i*>(bytes + 32), hi);
  Merge(lanes, 4, kExtremes && whole > 0 ? bytes : nullptr, 32, acc, c);
  return whole;
}

template <bool kPooled4>
size_t Dispatch(unsigned bits, const uint8_t* p, size_t nbytes, ReduceAcc* acc, unsigned c) {
  static const bool has512 = cpu_features().avx512vnni && cpu_features().avx512bw;
  static const bool has256 = cpu_features().avxvnni;
  if (bits == 512 && has512)
    return acc->extremes ? Vnni512<kPooled4, true>(p, nbytes, acc, c) : Vnni512<kPooled4, false>(p, nbytes, acc, c);
  if (bits == 256 && has256)
    return acc->extremes ? Vnni256<kPooled4, true>(p, nbytes, acc, c) : Vnni256<kPooled4, false>(p, nbytes, acc, c);
  return 0;
}

}  // namespace

size_t reduce_vnni(unsigned bits, bool pooled4, const uint8_t* p, size_t nbytes, ReduceAcc* acc, unsigned c) {
  if (!acc->moments || !g_vnni_enabled.load(std::memory_order_relaxed)) return 0;
  return pooled4 ? Dispatch<true>(bits, p, nbytes, acc, c) : Dispatch<false>(bits, p, nbytes, acc, c);
}

#else

size_t reduce_vnni(unsigned, bool, const uint8_t*, size_t, ReduceAcc*, unsigned) { return 0; }

#endif

}  // namespace pixnorm
