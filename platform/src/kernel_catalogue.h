// The catalogue of row kernels: one line per kernel, in RowKernels' order.
//
//   X(field, HighwayName)
//
// `field` names the RowKernels member (kernels.h, where each kernel's contract is written), the
// scalar oracle's function (kernels_scalar.cpp, namespace scalar) and the xsimd backend's
// (kernels_xsimd.cpp); `HighwayName` the Highway backend's function in every target's namespace
// (kernels_highway.cpp). The list expands into:
//   - every backend's table, filled by name (a backend without the function does not compile; a
//     backend that reuses the oracle for a kernel says so by name), and a check that RowKernels
//     has exactly these members;
//   - the kernel tests: one doctest case per kernel, backend and target, `kernel/<field>/<backend>`,
//     each calling check_<field> (tests/kernel_checks.h), which must exist for the tests to link;
//     ctest runs one entry per kernel (`kernel_<field>`);
//   - the kernel benchmarks: bench_<field> (bench/kernel_bench.cpp), which must exist for the
//     benchmark to link.
#ifndef PIXNORM_PLATFORM_KERNEL_CATALOGUE_H
#define PIXNORM_PLATFORM_KERNEL_CATALOGUE_H

#define PIXNORM_KERNEL_CATALOGUE(X)        \
  X(flat, Flat)                            \
  X(planar, Planar)                        \
  X(interleave, Interleave)                \
  X(reduce, Reduce)                        \
  X(reduce_pooled4, ReducePooled4)         \
  X(pack, Pack)                            \
  X(flat_narrow, FlatNarrow)               \
  X(planar_narrow, PlanarNarrow)           \
  X(interleave_narrow, InterleaveNarrow)   \
  X(resample2, Resample2)                  \
  X(resample2_windows, Resample2Windows)   \
  X(gather_windows, GatherWindows)         \
  X(yuv, Yuv)                              \
  X(pil_h, PilH)                           \
  X(pil_v, PilV)                           \
  X(pil_h3, PilH3)                         \
  X(pil_hw, PilHw)

#endif
