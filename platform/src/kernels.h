// The row kernels every backend implements, and the backend registry.
//
// Each kernel computes out = float(x) * scale + bias per element: a multiply then an add,
// each rounded to float (no fused multiply-add; everything is built with -ffp-contract=off),
// so that all backends and targets give bit-identical results.
#ifndef PIXNORM_PLATFORM_KERNELS_H
#define PIXNORM_PLATFORM_KERNELS_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernel_catalogue.h"
#include "pixnorm/pixnorm.h"

namespace pixnorm {

// Per-channel integer statistics of uint8 samples, accumulated row by row. The reduce kernels
// add sums and sums of squares when `moments`, minima and maxima when `extremes`, and leave
// the other fields as they are (the per-image modes need one or the other).
struct ReduceAcc {
  uint64_t sum[4];
  uint64_t sumsq[4];
  uint8_t min[4];
  uint8_t max[4];
  bool moments, extremes;
};
void reduce_acc_init(ReduceAcc* acc, bool moments = true, bool extremes = true);

// Conversion of normalized floats to a narrower output type.
//   INT8/UINT8: q = clamp(round_half_even(v), lo, hi) + zero_point, v already divided by the
//               quantization scale (folded into the normalization); lo/hi = type range - zero_point.
//               Rounding: bits(v + 1.5 * 2^23) - bits(1.5 * 2^23), exact for |v| < 2^22.
//   F16:        IEEE half, round to nearest even, past 65504 infinity. Integer arithmetic, except
//               F16C on x86 (its rounding fixed by the instruction, subnormal halves kept); no
//               hardware conversion on ARM, where 32-bit NEON would flush half subnormals.
struct PackParams {
  pixnorm_dtype dtype;
  float lo, hi;
  int32_t zero_point;
};

// Fixed-point YUV to RGB (16 fractional bits).
struct YuvCoef {
  int32_t yoff, cy, crv, cgu, cgv, cbu;
};
// One pixel; the oracle tests compare against a float64 evaluation of the matrix.
inline void yuv_to_rgb(const YuvCoef& k, int y, int u, int v, uint8_t* rgb) {
  const int32_t yv = (y - k.yoff) * k.cy + (1 << 15);
  const int32_t cu = u - 128, cv = v - 128;
  const int32_t r = yv + k.crv * cv, g = yv - k.cgu * cu - k.cgv * cv, b = yv + k.cbu * cu;
  rgb[0] = static_cast<uint8_t>(r < 0 ? 0 : (r >> 16) > 255 ? 255 : r >> 16);
  rgb[1] = static_cast<uint8_t>(g < 0 ? 0 : (g >> 16) > 255 ? 255 : g >> 16);
  rgb[2] = static_cast<uint8_t>(b < 0 ? 0 : (b >> 16) > 255 ? 255 : b >> 16);
}

struct RowKernels {
  // dst[i] = float(src[i]) * scale[i % period] + bias[i % period], period 1 or 3.
  void (*flat)(const uint8_t* src, size_t n, float* dst, const float* scale, const float* bias,
               unsigned period);
  // n pixels of cin (3 or 4) interleaved bytes to three planes:
  // dk[i] = float(src[i*cin + k]) * scale[k] + bias[k], k = 0, 1, 2.
  void (*planar)(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2,
                 const float* scale, const float* bias);
  // n pixels of cin (3 or 4) interleaved bytes to 3 interleaved floats, reversing the first
  // three channels when swap != 0: dst[i*3+j] = float(src[i*cin + (swap ? 2-j : j)]) * scale[j] + bias[j].
  void (*interleave)(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                     const float* bias);
  // Adds n pixels of cin (1, 3 or 4) channels to acc (sums, sums of squares, min, max).
  void (*reduce)(const uint8_t* src, size_t n, unsigned cin, ReduceAcc* acc);
  // n four-byte pixels (BGRA8, RGBA8) pooled into acc channel 0: the first three bytes of every
  // pixel are added as one channel (sums, squares, min, max), the fourth (alpha) is skipped.
  // Statistics over all channels without deinterleaving: SIMD versions mask the fourth byte.
  void (*reduce_pooled4)(const uint8_t* src, size_t n, ReduceAcc* acc);
  // n floats to dst in pp->dtype (INT8, UINT8 or F16).
  void (*pack)(const float* src, size_t n, void* dst, const PackParams* pp);
  // Normalization straight into pp->dtype: exactly what flat (planar) and then pack write. SIMD
  // versions fuse the two, with no float buffer, for F16 always and for INT8/UINT8 when every
  // normalized value lies within +-2^22 (narrow_fits: then one addition rounds and saturation
  // clamps); otherwise they go through their flat (planar) and pack a chunk at a time.
  void (*flat_narrow)(const uint8_t* src, size_t n, void* dst, const float* scale, const float* bias,
                      unsigned period, const PackParams* pp);
  void (*planar_narrow)(const uint8_t* src, size_t n, unsigned cin, void* d0, void* d1, void* d2,
                        const float* scale, const float* bias, const PackParams* pp);
  // Interleaved output (NHWC) in pp->dtype: exactly what interleave and then pack write.
  void (*interleave_narrow)(const uint8_t* src, size_t n, unsigned cin, int swap, void* dst, const float* scale,
                            const float* bias, const PackParams* pp);
  // Two-tap resampling of uint8 rows, 11-bit weights (bilinear and nearest geometry), for e < n:
  //   a = r[off[e]], b = r[off[e] + step], h(r) = (a << 11) + (b - a) * wx[e]
  //   out[e] = ((h(row0) << 11) + (h(row1) - h(row0)) * wy + (1 << 21)) >> 22
  // which is (w0 a + w1 b) weighted by (2048 - wy, wy), rounded, with w0 = 2048 - wx[e].
  // When wy == 0 row1 is not read. group == 3: the elements are the channels of pixels,
  // off[3i + c] = off[3i] + c and wx[3i + c] = wx[3i], n a multiple of 3 (else group == 1).
  // SIMD versions may read any of the bytes r[off[e]] .. r[off[e] + 7] (whole words and pixel
  // windows): the caller keeps those inside the rows.
  void (*resample2)(const uint8_t* row0, const uint8_t* row1, const int32_t* off, const int32_t* wx, int32_t wy,
                    unsigned step, unsigned group, size_t n, uint8_t* out);
  // The same two-tap output for taps that lie close together, by blocks of four elements read
  // through one 16-byte window each. Block k (k < nblocks) reads r[base[k]] .. r[base[k] + 15]
  // only; with t[i] = win[idx[16k + i]], its element j (out[4k + j]) takes
  //   a = t[4j], b = t[4j + 2], w = wpair[4k + j]: h(r) = a * (w & 0xFFFF) + b * (w >> 16)
  // (w = (2048 - wx) | wx << 16), then the vertical blend and rounding of resample2. idx is a
  // byte-shuffle table: idx[16k + 4j] and idx[16k + 4j + 2] are below 16, idx[16k + 4j + 1] and
  // idx[16k + 4j + 3] are 0x80 (a zero byte), so SIMD versions shuffle each window into int16
  // pairs and multiply-add them. 4 * nblocks bytes out.
  void (*resample2_windows)(const uint8_t* row0, const uint8_t* row1, const int32_t* base, const uint8_t* idx,
                            const uint32_t* wpair, int32_t wy, size_t nblocks, uint8_t* out);
  // The bytes alone through the same tables (YUV planes' columns): out[4k + j] = win[idx[16k + 4j]]
  // with win = r + base[k], for k < nblocks; only idx[16k + 4j] is read of each element's four.
  void (*gather_windows)(const uint8_t* r, const int32_t* base, const uint8_t* idx, size_t nblocks, uint8_t* out);
  // n pixels of separate Y, U and V bytes to interleaved RGB, each as yuv_to_rgb does.
  void (*yuv)(const uint8_t* y, const uint8_t* u, const uint8_t* v, size_t n, const YuvCoef* k, uint8_t* rgb);
  // Pillow's 8-bit resampling passes (Resample.c), in 32-bit integers that wrap as Pillow's int:
  //   pil_h: out[e] = clip8(2^21 + sum_{j < taps} r[off[e] + j * step] * w[j * wstride + e])
  //   pil_v: out[e] = clip8(2^21 + sum_{j < taps} rows[j][e] * w[j])
  // clip8(s) = clamp(s >> 22, 0, 255) (arithmetic shift), for e < n. SIMD versions of pil_h may
  // read the four bytes r[off[e] + j * step] .. + 3 of every tap: the caller keeps them readable.
  void (*pil_h)(const uint8_t* r, const int32_t* off, const int32_t* w, size_t wstride, unsigned taps,
                unsigned step, size_t n, uint8_t* out);
  void (*pil_v)(const uint8_t* const* rows, const int32_t* w, unsigned taps, size_t n, uint8_t* out);
  // pil_h for three-channel rows, one output pixel per 128-bit block. Pixel p (p < n) reads the
  // windows r + base[p] + 15g (g < ceil(taps / 5)) of five source pixels each and multiply-adds
  // int16 pairs: in window g, pair q of channel c is a = win[6q + c], b = win[6q + 3 + c] (b = 0
  // for q = 2), for q < 3, or q < ceil((taps - 5g) / 2) in the last window; with t = 3g + q, its
  // int16 weights are lo = w + wstride(2t) + 8p + 2c and hi = lo + wstride, and
  //   out[3p + c] = clip8(2^21 + sum (a lo[0] + b lo[1]) + (sum (a hi[0] + b hi[1])) << 16)
  // in 32-bit wrapping arithmetic (3n bytes out). With lo = (int16)W and hi = (int16)((W - lo) >> 16)
  // for each Pillow weight W (0 past its taps), this is pil_h's sum modulo 2^32: every pairwise
  // product sum fits in int32 and hi * 2^16 = W - lo modulo 2^32, so the same bytes for any
  // weights. SIMD versions (pmaddwd) may read all 16 bytes of every window: the caller keeps them
  // readable.
  void (*pil_h3)(const uint8_t* r, const int32_t* base, const int16_t* w, size_t wstride, unsigned taps, size_t n,
                 uint8_t* out);
  // pil_h by blocks of four consecutive elements whose taps lie within one 16-byte window: block
  // k (k < nblocks) reads r[base[k]] .. r[base[k] + 15] only. For pair q < pairs, element j of
  // the block takes t = idx + istride q + 16k, lo = w + wstride (2q) + 8k + 2j, hi = lo + wstride,
  // a = win[t[4j]] and b = win[t[4j + 2]] (0 where the index is 0x80 or more; t[4j + 1] and
  // t[4j + 3] are 0x80, so SIMD versions shuffle the window into int16 pairs), and
  //   out[4k + j] = clip8(2^21 + sum (a lo[0] + b lo[1]) + (sum (a hi[0] + b hi[1])) << 16)
  // in 32-bit wrapping arithmetic (4 nblocks bytes out); the weights' split is pil_h3's. When r1
  // is not null, row r1 goes through the same tables into out1 (SIMD versions read them once).
  void (*pil_hw)(const uint8_t* r, const uint8_t* r1, const int32_t* base, const uint8_t* idx, size_t istride,
                 const int16_t* w, size_t wstride, unsigned pairs, size_t nblocks, uint8_t* out, uint8_t* out1);
  const char* target;  // e.g. "scalar", "AVX2", "NEON"
};

// RowKernels holds exactly the catalogue's kernels: a member added without its catalogue line (or
// the reverse) fails here.
#define PIXNORM_COUNT_KERNEL(field, Name) +1
inline constexpr size_t kKernelCount = 0 PIXNORM_KERNEL_CATALOGUE(PIXNORM_COUNT_KERNEL);
#undef PIXNORM_COUNT_KERNEL
static_assert(sizeof(RowKernels) == kKernelCount * sizeof(void (*)()) + sizeof(const char*),
              "RowKernels and PIXNORM_KERNEL_CATALOGUE (kernel_catalogue.h) list different kernels");

// The names of the catalogue's kernels, in its order.
#define PIXNORM_KERNEL_NAME(field, Name) #field,
inline constexpr const char* kKernelNames[] = {PIXNORM_KERNEL_CATALOGUE(PIXNORM_KERNEL_NAME)};
#undef PIXNORM_KERNEL_NAME

// Each backend fills its table by name through the catalogue, in a constexpr function (constant
// data: no code runs at load time, which matters for tables compiled for a wider instruction set
// than the CPU may have):
//   #define SET(field, Name) k.field = field;      (Highway: k.field = Name;)
//   PIXNORM_KERNEL_CATALOGUE(SET)

// NHWC output from swapped or four-channel pixels through byte windows (the x86 SIMD
// interleave kernels). One period is `lanes` pixels: three float vectors of `lanes` lanes;
// vector k holds elements k * lanes .. k * lanes + lanes - 1 and reads the window that starts at
// pixel first[k]. Each of its 128-bit blocks (four lanes) is one byte shuffle of the window:
// bytes[k][4l] is lane l's byte (relative to the block's words), the other three bytes of the
// lane are 0x80 (zero), so the 32-bit lane is the byte itself. Narrow vectors (16 and 32 bytes)
// repeat the window's first 16 bytes in every block; wide ones (64 bytes) load 32 bytes from
// the window (16 lanes' bytes lie within 6 pixels) and first move 32-bit words into each block:
// lane l takes word words[k][l] (xsimd's AVX-512 build; Highway's AVX-512 targets use the
// 32-byte tables, which measured faster). channel[k][l] is lane l's output channel (0..2).
struct WindowTables {
  alignas(64) uint8_t bytes[3][64];
  alignas(64) int32_t words[3][16];
  alignas(64) int32_t channel[3][16];
  size_t first[3];
  size_t reach;  // bytes a period reads from its first pixel: windows past first[2] included
};
// The tables for `lanes` 4, 8 or 16 float lanes (16: wide), cin 3 or 4, made once.
const WindowTables& window_tables(size_t lanes, unsigned cin, int swap);

// Planar output through byte windows (the x86 SIMD planar kernels up to 256 bits): each 128-bit
// block loads the 16 bytes from its first pixel, and kPlaneShuffle[cin - 3][c] moves channel c
// of its four pixels into the low bytes of four 32-bit lanes (0x80: a zero byte).
alignas(16) inline constexpr uint8_t kPlaneShuffle[2][3][16] = {
    {{0, 0x80, 0x80, 0x80, 3, 0x80, 0x80, 0x80, 6, 0x80, 0x80, 0x80, 9, 0x80, 0x80, 0x80},
     {1, 0x80, 0x80, 0x80, 4, 0x80, 0x80, 0x80, 7, 0x80, 0x80, 0x80, 10, 0x80, 0x80, 0x80},
     {2, 0x80, 0x80, 0x80, 5, 0x80, 0x80, 0x80, 8, 0x80, 0x80, 0x80, 11, 0x80, 0x80, 0x80}},
    {{0, 0x80, 0x80, 0x80, 4, 0x80, 0x80, 0x80, 8, 0x80, 0x80, 0x80, 12, 0x80, 0x80, 0x80},
     {1, 0x80, 0x80, 0x80, 5, 0x80, 0x80, 0x80, 9, 0x80, 0x80, 0x80, 13, 0x80, 0x80, 0x80},
     {2, 0x80, 0x80, 0x80, 6, 0x80, 0x80, 0x80, 10, 0x80, 0x80, 0x80, 14, 0x80, 0x80, 0x80}}};

// Runs step(from, at) over pixels head .. n - 1 in steps of `lanes` pixels (n >= lanes), `from`
// pointing at pixel at's bytes, for the window kernels: a step reads `reach` bytes from there
// (at most 256), so the steps that would read past the n * cin bytes read a zero-padded copy of
// their pixels, and when n - head is not a multiple of lanes the last step overlaps the one before
// (rewriting identical values). Always inlined: inside a Highway target's function the steps
// are then compiled for that target and inlined too.
#if defined(__GNUC__)
#define PIXNORM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define PIXNORM_ALWAYS_INLINE inline
#endif
template <class Step>
PIXNORM_ALWAYS_INLINE void window_steps(const uint8_t* src, size_t n, unsigned cin, size_t lanes, size_t head,
                                        size_t reach, Step step) {
  size_t i = head;
  for (; i + lanes <= n && i * cin + reach <= n * cin; i += lanes) step(src + i * cin, i);
  alignas(64) uint8_t copy[256];
  if (i < n) std::memset(copy, 0, sizeof(copy));
  for (; i < n; i += lanes) {
    const size_t at = i + lanes <= n ? i : n - lanes;
    std::memcpy(copy, src + at * cin, lanes * cin);
    step(copy, at);
  }
}

// The scalar reference: the oracle of every test.
const RowKernels* scalar_kernels();

// Sums and squares of bytes through VNNI dot products (reduce_vnni.cpp), for the x86 reduce and
// reduce_pooled4 kernels: when acc asks for the moments and the CPU has AVX-512 VNNI (bits 512)
// or AVX-VNNI (bits 256), adds the whole 64- or 32-byte blocks of p[0, nbytes) to channel c of
// acc (the extremes too when asked; pooled4: every fourth byte skipped, as reduce_pooled4) and
// returns the bytes it took; otherwise 0, and the caller reduces them itself.
size_t reduce_vnni(unsigned bits, bool pooled4, const uint8_t* p, size_t nbytes, ReduceAcc* acc, unsigned c);
// Tests turn the VNNI path off to check the other one on CPUs that have VNNI (default on).
void set_vnni_enabled(bool enabled);

// INT8/UINT8 outputs through byte tables (narrow_lut.cpp), for the Highway AVX-512 targets'
// narrow kernels: on CPUs with AVX-512 VBMI, tables[c][x] being the output of byte x in channel
// c (filled by the caller with its own kernel), writes the outputs of the whole blocks of 64
// pixels (planar: n pixels of cin = 3 or 4 bytes to three planes; flat: n elements, period 1 or
// 3, as flat_narrow) and returns how many it wrote: pixels (planar) or elements (flat); 0 without
// VBMI.
size_t lut_planar_narrow(const uint8_t* src, size_t n, unsigned cin, uint8_t* d0, uint8_t* d1, uint8_t* d2,
                         const uint8_t (*tables)[256]);
size_t lut_flat_narrow(const uint8_t* src, size_t n, uint8_t* dst, const uint8_t (*tables)[256], unsigned period);
// interleave_narrow's: n pixels of cin bytes, tables per output channel; returns pixels.
size_t lut_interleave_narrow(const uint8_t* src, size_t n, unsigned cin, int swap, uint8_t* dst,
                             const uint8_t (*tables)[256]);
bool lut_available();
// Tests turn the tables off to check the arithmetic path on CPUs with VBMI (default on).
void set_lut_enabled(bool enabled);

// Whether fused narrow kernels may round INT8/UINT8 output by one addition: every
// float(x) * scale[c] + bias[c] (x in 0..255, c < channels) lies within +-2^22.
bool narrow_fits(const float* scale, const float* bias, unsigned channels);
// flat_narrow and planar_narrow through k's flat or planar and pack, a few hundred floats at a
// time in a stack buffer (backends without fused versions).
void flat_narrow_chunks(const RowKernels* k, const uint8_t* src, size_t n, void* dst, const float* scale,
                        const float* bias, unsigned period, const PackParams* pp);
void planar_narrow_chunks(const RowKernels* k, const uint8_t* src, size_t n, unsigned cin, void* d0, void* d1,
                          void* d2, const float* scale, const float* bias, const PackParams* pp);
void interleave_narrow_chunks(const RowKernels* k, const uint8_t* src, size_t n, unsigned cin, int swap, void* dst,
                              const float* scale, const float* bias, const PackParams* pp);

// Highway: the kernels of the target dispatched now (hwy::SupportedTargets(), which tests
// restrict with hwy::SetSupportedTargetsForTest). nullptr when not compiled in.
const RowKernels* highway_kernels();
// The same target's wide variant (512-bit store-bound kernels: highway/common-inl.h); nullptr
// when the target has one variant.
const RowKernels* highway_wide_kernels();
// Space-separated names of the Highway targets compiled in and supported by this CPU.
const char* highway_targets();

// xsimd: the architecture fixed at compile time. nullptr when not compiled in or when the
// CPU lacks that architecture.
const RowKernels* xsimd_kernels();
const char* xsimd_target();
#if PIXNORM_HAVE_XSIMD
extern const RowKernels kXsimdKernels;  // constant data only: see kernels_xsimd.cpp
#endif

// Registry (machine.cpp). Backends are ints (pixnorm_backend's values): a C caller may pass any.
// The kernels of a concrete backend, nullptr when not compiled in, not runnable here, or unknown;
// `wide`: its current target's wide variant, nullptr when it has none.
const RowKernels* kernels_for_backend(int backend, bool wide = false);
// The backend AUTO resolves to now: scalar when PIXNORM_FORCE_SCALAR asks, else the best runnable.
int best_backend();

}  // namespace pixnorm

#endif
