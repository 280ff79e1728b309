// The machine: what this CPU can run and what the environment overrides, found in one place
// (as libjpeg-turbo's init_simd). Nothing else in the library asks the CPU or reads the
// environment; Highway's own target detection (hwy::SupportedTargets) is the one exception, since
// the tests restrict it per target through Highway.
#ifndef PIXNORM_PLATFORM_MACHINE_H
#define PIXNORM_PLATFORM_MACHINE_H

#include <cstddef>

namespace pixnorm {

// x86 instruction sets the kernels outside Highway dispatch on; all false elsewhere.
struct CpuFeatures {
  bool sse41, avx2, avx512f, avx512bw;
  bool avx512vnni;  // AVX-512 VNNI
  bool avx512vbmi;  // AVX-512 VBMI (byte permutations)
  bool avxvnni;     // AVX-VNNI (VEX-encoded, 256 bits)
  bool f16c;        // F16C (float16 conversions)
  bool amd;         // vendor AuthenticAMD (or HygonGenuine)
};
// Detected on the first call, then the same for the life of the process.
const CpuFeatures& cpu_features();

// The environment's switches. Read at each call, not once: the C API documents that
// pixnorm_backend_default honours PIXNORM_FORCE_SCALAR "now" and that PIXNORM_MIN_BAND_PIXELS is
// read when a plan is created, and callers (the tests among them) change them in between.
struct EnvOverrides {
  bool force_scalar;       // PIXNORM_FORCE_SCALAR set, not empty and not "0"
  size_t min_band_pixels;  // PIXNORM_MIN_BAND_PIXELS as a decimal >= 1; 0 when unset or not one
  // PIXNORM_VARIANT: -1 unset or empty (or "auto"), -2 not a variant's name (variant_text holds
  // it), else a pixnorm_variant value (measure, 256, 512).
  int variant;
  const char* variant_text;
};
EnvOverrides env_overrides();

// The kernel variant this CPU prefers when the plan and the environment leave it open
// (pixnorm_variant): PIXNORM_VARIANT_512 on AMD CPUs, whose AVX-512 stores measured faster at
// 512 bits, PIXNORM_VARIANT_256 elsewhere (an Intel CPU measured the reverse).
int preferred_variant();

}  // namespace pixnorm

#endif
