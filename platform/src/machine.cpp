// CPU detection, environment overrides, and the registry of backends this machine runs.
#include "machine.h"

#include <cstdlib>
#include <cstring>

#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <cpuid.h>
#define PIXNORM_X86_DETECT 1
#else
#define PIXNORM_X86_DETECT 0
#endif

namespace pixnorm {

namespace {
CpuFeatures detect_cpu() {
  CpuFeatures f{};
#if PIXNORM_X86_DETECT
  __builtin_cpu_init();
  f.sse41 = __builtin_cpu_supports("sse4.1");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512vbmi = f.avx512bw && __builtin_cpu_supports("avx512vbmi");
  // AVX-VNNI: CPUID leaf 7, subleaf 1, EAX bit 4 (clang 14's __builtin_cpu_supports has no name for it).
  unsigned a = 0, b = 0, c = 0, d = 0;
  f.avxvnni = f.avx2 && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 4) & 1) != 0;
  // F16C: CPUID leaf 1, ECX bit 29 (the AVX2 CPUs all have it; the xsimd AVX2 build uses it).
  f.f16c = __get_cpuid(1, &a, &b, &c, &d) && ((c >> 29) & 1) != 0;
  char vendor[13] = {0};
  if (__get_cpuid(0, &a, &b, &c, &d)) {
    std::memcpy(vendor, &b, 4);
    std::memcpy(vendor + 4, &d, 4);
    std::memcpy(vendor + 8, &c, 4);
  }
  f.amd = std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0;
#endif
  return f;
}
}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect_cpu();
  return features;
}

EnvOverrides env_overrides() {
  EnvOverrides e{};
  const char* v = std::getenv("PIXNORM_FORCE_SCALAR");
  e.force_scalar = v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
  v = std::getenv("PIXNORM_MIN_BAND_PIXELS");
  if (v != nullptr && *v != '\0') {
    char* end = nullptr;
    const unsigned long long x = std::strtoull(v, &end, 10);
    if (*end == '\0' && x >= 1 && v[0] != '-') e.min_band_pixels = static_cast<size_t>(x);
  }
  v = std::getenv("PIXNORM_VARIANT");
  e.variant = -1;
  e.variant_text = v;
  if (v != nullptr && *v != '\0' && std::strcmp(v, "auto") != 0) {
    e.variant = std::strcmp(v, "measure") == 0 ? PIXNORM_VARIANT_MEASURE
                : std::strcmp(v, "256") == 0   ? PIXNORM_VARIANT_256
                : std::strcmp(v, "512") == 0   ? PIXNORM_VARIANT_512
                                               : -2;
  }
  return e;
}

int preferred_variant() { return cpu_features().amd ? PIXNORM_VARIANT_512 : PIXNORM_VARIANT_256; }

#if !PIXNORM_HAVE_HIGHWAY
const RowKernels* highway_kernels() { return nullptr; }
const RowKernels* highway_wide_kernels() { return nullptr; }
const char* highway_targets() { return ""; }
#endif

namespace {
bool cpu_has_xsimd_arch() {
#if PIXNORM_HAVE_XSIMD && PIXNORM_X86_DETECT
  const char* arch = PIXNORM_XSIMD_ARCH_NAME;
  const CpuFeatures& f = cpu_features();
  if (std::strcmp(arch, "avx2") == 0) return f.avx2 && f.f16c;
  if (std::strcmp(arch, "sse4_1") == 0) return f.sse41;
  if (std::strcmp(arch, "avx512bw") == 0) return f.avx512f && f.avx512bw;
  return false;
#elif PIXNORM_HAVE_XSIMD
  return true;  // NEON: the toolchain's baseline
#else
  return false;
#endif
}
}  // namespace

const RowKernels* xsimd_kernels() {
#if PIXNORM_HAVE_XSIMD
  static const bool available = cpu_has_xsimd_arch();
  return available ? &kXsimdKernels : nullptr;
#else
  return nullptr;
#endif
}

const char* xsimd_target() {
#if PIXNORM_HAVE_XSIMD
  return kXsimdKernels.target;
#else
  return "";
#endif
}

const RowKernels* kernels_for_backend(int backend, bool wide) {
  switch (backend) {
    case PIXNORM_BACKEND_SCALAR: return wide ? nullptr : scalar_kernels();
    case PIXNORM_BACKEND_HIGHWAY: return wide ? highway_wide_kernels() : highway_kernels();
    case PIXNORM_BACKEND_XSIMD: return wide ? nullptr : xsimd_kernels();
    default: return nullptr;
  }
}

int best_backend() {
  if (env_overrides().force_scalar) return PIXNORM_BACKEND_SCALAR;
  if (highway_kernels() != nullptr) return PIXNORM_BACKEND_HIGHWAY;
  if (xsimd_kernels() != nullptr) return PIXNORM_BACKEND_XSIMD;
  return PIXNORM_BACKEND_SCALAR;
}

}  // namespace pixnorm
