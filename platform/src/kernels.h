// The row kernels every backend implements, and the backend registry.
//
// Each kernel computes out = float(x) * scale + bias per element: a multiply then an add,
// each rounded to float (no fused multiply-add; everything is built with -ffp-contract=off),
// so that all backends and targets give bit-identical results.
#ifndef PIXNORM_PLATFORM_KERNELS_H
#define PIXNORM_PLATFORM_KERNELS_H

#include <cstddef>
#include <cstdint>

#include "pixnorm/pixnorm.h"

namespace pixnorm {

// Per-channel integer statistics of uint8 samples, accumulated row by row.
struct ReduceAcc {
  uint64_t sum[4];
  uint64_t sumsq[4];
  uint8_t min[4];
  uint8_t max[4];
};
void reduce_acc_init(ReduceAcc* acc);

// Conversion of normalized floats to a narrower output type.
//   INT8/UINT8: q = clamp(round_half_even(v), lo, hi) + zero_point, v already divided by the
//               quantization scale (folded into the normalization); lo/hi = type range - zero_point.
//               Rounding: bits(v + 1.5 * 2^23) - bits(1.5 * 2^23), exact for |v| < 2^22.
//   F16:        IEEE half, round to nearest even, integer arithmetic (no hardware conversion: 32-bit
//               NEON would flush half subnormals), past 65504 infinity.
struct PackParams {
  pixnorm_dtype dtype;
  float lo, hi;
  int32_t zero_point;
};

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
  // n floats to dst in pp->dtype (INT8, UINT8 or F16).
  void (*pack)(const float* src, size_t n, void* dst, const PackParams* pp);
  const char* target;  // e.g. "scalar", "AVX2", "NEON"
};

// The scalar reference: the oracle of every test.
const RowKernels* scalar_kernels();

// Highway: the kernels of the target dispatched now (hwy::SupportedTargets(), which tests
// restrict with hwy::SetSupportedTargetsForTest). nullptr when not compiled in.
const RowKernels* highway_kernels();
// Space-separated names of the Highway targets compiled in and supported by this CPU.
const char* highway_targets();

// xsimd: the architecture fixed at compile time. nullptr when not compiled in or when the
// CPU lacks that architecture.
const RowKernels* xsimd_kernels();
const char* xsimd_target();
#if PIXNORM_HAVE_XSIMD
extern const RowKernels kXsimdKernels;  // constant data only: see kernels_xsimd.cpp
#endif

// Registry (cpu.cpp).
bool force_scalar_from_env();  // PIXNORM_FORCE_SCALAR set and not "0"
// The kernels of a concrete backend, nullptr when not compiled in or not runnable here.
const RowKernels* kernels_for(pixnorm_backend backend);

}  // namespace pixnorm

#endif
