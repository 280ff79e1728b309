// INT8/UINT8 outputs through byte tables, on x86 CPUs with AVX-512 VBMI: see lut_narrow in
// kernels.h.
//
// A quantized output is a function of the input byte and its channel alone, so it is one of
// 256 bytes per channel: the caller fills the tables with its own kernel (exact by that
// kernel's contract), and each output is then a table lookup. vpermi2b looks up 64 bytes in a
// 128-byte table at once: two lookups (entries 0..127 and 128..255) and a blend on the byte's top
// bit give 64 outputs, against 16 conversions, multiplications, additions and roundings and the
// packing on the arithmetic path. Three-byte and four-byte pixels are first split into planes
// by two-source byte permutations; NHWC output is put back together the same way.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernels.h"
#include "machine.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PIXNORM_LUT 1
#else
#define PIXNORM_LUT 0
#endif

namespace pixnorm {

namespace {
std::atomic<bool> g_lut_enabled{true};
}  // namespace

void set_lut_enabled(bool enabled) { g_lut_enabled.store(enabled, std::memory_order_relaxed); }

bool lut_available() {
  return PIXNORM_LUT && cpu_features().avx512vbmi && g_lut_enabled.load(std::memory_order_relaxed);
}

#if PIXNORM_LUT
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define PIXNORM_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))
namespace {

// Byte-permutation indices, made once: split[cin - 3][c] (and split2) take plane c out of cin
// interleaved vectors; join[k] (and join2) put vector k of NHWC output back from three planes.
struct Indices {
  alignas(64) uint8_t split[2][3][64];   // first permutation (sources 0 and 1)
  alignas(64) uint8_t split2[3][64];     // three-byte pixels: second permutation (its result, source 2)
  alignas(64) uint8_t join[3][64];       // planes 0 and 1
  alignas(64) uint8_t join2[3][64];      // the result and plane 2
};

Indices make_indices() {
  Indices x{};
  for (unsigned c = 0; c < 3; ++c)
    for (unsigned j = 0; j < 64; ++j) {
      const unsigned e3 = 3 * j + c;  // byte of plane c's element j among 192
      x.split[0][c][j] = static_cast<uint8_t>(e3 < 128 ? e3 : 0);
      x.split2[c][j] = static_cast<uint8_t>(e3 < 128 ? j : 64 + (e3 - 128));
      x.split[1][c][j] = static_cast<uint8_t>((4 * j + c) % 128);  // four-byte pixels, by halves
    }
  for (unsigned k = 0; k < 3; ++k)
    for (unsigned j = 0; j < 64; ++j) {
      const unsigned e = 64 * k + j, pixel = e / 3, ch = e % 3;
      // pixel < 64: element `pixel` of plane ch.
      x.join[k][j] = static_cast<uint8_t>(ch == 0 ? pixel : ch == 1 ? 64 + pixel : 0);
      x.join2[k][j] = static_cast<uint8_t>(ch == 2 ? 64 + pixel : j);
    }
  return x;
}

const Indices& indices() {
  static const Indices x = make_indices();
  return x;
}

struct Table {
  __m512i t0, t1, t2, t3;
};

PIXNORM_VBMI inline Table load_table(const uint8_t* t) {
  return {_mm512_loadu_si512(t), _mm512_loadu_si512(t + 64), _mm512_loadu_si512(t + 128),
          _mm512_loadu_si512(t + 192)};
}

PIXNORM_VBMI inline __m512i lookup(const Table& t, __m512i x) {
  const __m512i lo = _mm512_permutex2var_epi8(t.t0, x, t.t1);
  const __m512i hi = _mm512_permutex2var_epi8(t.t2, x, t.t3);
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi);
}

PIXNORM_VBMI inline __m512i ld(const uint8_t* p) { return _mm512_loadu_si512(p); }
PIXNORM_VBMI inline __m512i idx(const uint8_t (&p)[64]) { return _mm512_load_si512(p); }

// Plane c of 64 pixels of cin bytes at p.
PIXNORM_VBMI inline __m512i plane(const uint8_t* p, unsigned cin, unsigned c, const Indices& x) {
  if (cin == 3) {
    const __m512i t = _mm512_permutex2var_epi8(ld(p), idx(x.split[0][c]), ld(p + 64));
    return _mm512_permutex2var_epi8(t, idx(x.split2[c]), ld(p + 128));
  }
  const __m512i i4 = idx(x.split[1][c]);
  const __m512i lo = _mm512_permutex2var_epi8(ld(p), i4, ld(p + 64));
  const __m512i hi = _mm512_permutex2var_epi8(ld(p + 128), i4, ld(p + 192));
  return _mm512_mask_blend_epi8(0xFFFFFFFF00000000ull, lo, hi);
}

PIXNORM_VBMI size_t planar_blocks(const uint8_t* src, size_t n, unsigned cin, uint8_t* d0, uint8_t* d1, uint8_t* d2,
                                  const uint8_t (*tables)[256]) {
  const Indices& x = indices();
  const Table t0 = load_table(tables[0]), t1 = load_table(tables[1]), t2 = load_table(tables[2]);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const uint8_t* p = src + i * cin;
    _mm512_storeu_si512(d0 + i, lookup(t0, plane(p, cin, 0, x)));
    _mm512_storeu_si512(d1 + i, lookup(t1, plane(p, cin, 1, x)));
    _mm512_storeu_si512(d2 + i, lookup(t2, plane(p, cin, 2, x)));
  }
  return i;
}

PIXNORM_VBMI size_t flat_blocks(const uint8_t* src, size_t n, uint8_t* dst, const uint8_t (*tables)[256],
                                unsigned period) {
  size_t i = 0;
  if (period == 1) {
    const Table t = load_table(tables[0]);
    for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, lookup(t, ld(src + i)));
    return i;
  }
  // Three channels in turn: 64 pixels (192 bytes) split into planes, looked up, put back.
  const Indices& x = indices();
  const Table t0 = load_table(tables[0]), t1 = load_table(tables[1]), t2 = load_table(tables[2]);
  for (; i + 192 <= n; i += 192) {
    const __m512i q0 = lookup(t0, plane(src + i, 3, 0, x));
    const __m512i q1 = lookup(t1, plane(src + i, 3, 1, x));
    const __m512i q2 = lookup(t2, plane(src + i, 3, 2, x));
    for (unsigned k = 0; k < 3; ++k) {
      const __m512i u = _mm512_permutex2var_epi8(q0, idx(x.join[k]), q1);
      _mm512_storeu_si512(dst + i + 64 * k, _mm512_permutex2var_epi8(u, idx(x.join2[k]), q2));
    }
  }
  return i;
}

PIXNORM_VBMI size_t interleave_blocks(const uint8_t* src, size_t n, unsigned cin, int swap, uint8_t* dst,
                                      const uint8_t (*tables)[256]) {
  const Indices& x = indices();
  const Table t0 = load_table(tables[0]), t1 = load_table(tables[1]), t2 = load_table(tables[2]);
  const unsigned first = swap ? 2 : 0, last = swap ? 0 : 2;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const uint8_t* p = src + i * cin;
    const __m512i q0 = lookup(t0, plane(p, cin, first, x));
    const __m512i q1 = lookup(t1, plane(p, cin, 1, x));
    const __m512i q2 = lookup(t2, plane(p, cin, last, x));
    for (unsigned k = 0; k < 3; ++k) {
      const __m512i u = _mm512_permutex2var_epi8(q0, idx(x.join[k]), q1);
      _mm512_storeu_si512(dst + 3 * i + 64 * k, _mm512_permutex2var_epi8(u, idx(x.join2[k]), q2));
    }
  }
  return i;
}

}  // namespace

size_t lut_interleave_narrow(const uint8_t* src, size_t n, unsigned cin, int swap, uint8_t* dst,
                             const uint8_t (*tables)[256]) {
  if (!lut_available()) return 0;
  return interleave_blocks(src, n, cin, swap, dst, tables);
}

size_t lut_planar_narrow(const uint8_t* src, size_t n, unsigned cin, uint8_t* d0, uint8_t* d1, uint8_t* d2,
                         const uint8_t (*tables)[256]) {
  if (!lut_available()) return 0;
  return planar_blocks(src, n, cin, d0, d1, d2, tables);
}

size_t lut_flat_narrow(const uint8_t* src, size_t n, uint8_t* dst, const uint8_t (*tables)[256], unsigned period) {
  if (!lut_available()) return 0;
  return flat_blocks(src, n, dst, tables, period);
}

#else
size_t lut_planar_narrow(const uint8_t*, size_t, unsigned, uint8_t*, uint8_t*, uint8_t*, const uint8_t (*)[256]) {
  return 0;
}
size_t lut_flat_narrow(const uint8_t*, size_t, uint8_t*, const uint8_t (*)[256], unsigned) { return 0; }
size_t lut_interleave_narrow(const uint8_t*, size_t, unsigned, int, uint8_t*, const uint8_t (*)[256]) { return 0; }
#endif

}  // namespace pixnorm
