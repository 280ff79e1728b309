// xsimd backend: its table, filled from the catalogue with the kernels of xsimd/*.cpp. The
// architecture is fixed at compile time (every file of the backend gets the same flags), and
// xsimd 8.1 widens uint8 to float through a scalar loop, so the widening and the byte shuffles
// are written per architecture with intrinsics and wrapped into xsimd batches.
//
// Only constant data leaves the backend (kXsimdKernels), so nothing compiled with the wider
// instruction set runs before machine.cpp has checked that the CPU has it.
#include "xsimd/common.h"

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

namespace pixnorm {

constexpr RowKernels make_xsimd_kernels() {
  RowKernels k{};
#define PIXNORM_SET_KERNEL(field, Name) k.field = xsimd_backend::field;
  PIXNORM_KERNEL_CATALOGUE(PIXNORM_SET_KERNEL)
#undef PIXNORM_SET_KERNEL
  k.target = PIXNORM_XSIMD_TARGET;
  return k;
}

extern const RowKernels kXsimdKernels = make_xsimd_kernels();

}  // namespace pixnorm
