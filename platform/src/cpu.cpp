// Which backends are compiled in, which the CPU can run, and which one AUTO picks.
#include <cstdlib>
#include <cstring>

#include "c_enum.h"
#include "kernels.h"
#include "pixnorm/pixnorm.h"

namespace pixnorm {

#if !PIXNORM_HAVE_HIGHWAY
const RowKernels* highway_kernels() { return nullptr; }
const char* highway_targets() { return ""; }
#endif

namespace {
bool cpu_has_xsimd_arch() {
#if PIXNORM_HAVE_XSIMD && (defined(__x86_64__) || defined(__i386__))
  const char* arch = PIXNORM_XSIMD_ARCH_NAME;
  __builtin_cpu_init();
  if (std::strcmp(arch, "avx2") == 0) return __builtin_cpu_supports("avx2");
  if (std::strcmp(arch, "sse4_1") == 0) return __builtin_cpu_supports("sse4.1");
  if (std::strcmp(arch, "avx512bw") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
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

bool force_scalar_from_env() {
  const char* v = std::getenv("PIXNORM_FORCE_SCALAR");
  return v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
}

// By the integer: a C caller may pass any int as a backend (enum_bits).
const RowKernels* kernels_for_bits(int backend) {
  switch (backend) {
    case PIXNORM_BACKEND_SCALAR: return scalar_kernels();
    case PIXNORM_BACKEND_HIGHWAY: return highway_kernels();
    case PIXNORM_BACKEND_XSIMD: return xsimd_kernels();
    default: return nullptr;
  }
}

const RowKernels* kernels_for(pixnorm_backend backend) { return kernels_for_bits(enum_bits(backend)); }

}  // namespace pixnorm

using namespace pixnorm;

extern "C" {

const char* pixnorm_version(void) { return PIXNORM_VERSION_STRING; }

const char* pixnorm_backend_name(pixnorm_backend backend) {
  switch (enum_bits(backend)) {
    case PIXNORM_BACKEND_AUTO: return "auto";
    case PIXNORM_BACKEND_SCALAR: return "scalar";
    case PIXNORM_BACKEND_HIGHWAY: return "highway";
    case PIXNORM_BACKEND_XSIMD: return "xsimd";
  }
  return "unknown";
}

int pixnorm_backend_available(pixnorm_backend backend) {
  const int b = enum_bits(backend);
  return b == PIXNORM_BACKEND_AUTO || kernels_for_bits(b) != nullptr;
}

pixnorm_backend pixnorm_backend_default(void) {
  if (force_scalar_from_env()) return PIXNORM_BACKEND_SCALAR;
  if (highway_kernels() != nullptr) return PIXNORM_BACKEND_HIGHWAY;
  if (xsimd_kernels() != nullptr) return PIXNORM_BACKEND_XSIMD;
  return PIXNORM_BACKEND_SCALAR;
}

const char* pixnorm_backend_targets(pixnorm_backend backend) {
  if (enum_bits(backend) == PIXNORM_BACKEND_AUTO) backend = pixnorm_backend_default();
  switch (enum_bits(backend)) {
    case PIXNORM_BACKEND_HIGHWAY: return highway_targets();
    case PIXNORM_BACKEND_XSIMD: return xsimd_kernels() ? xsimd_target() : "";
    default: return "";
  }
}

const char* pixnorm_backend_target(pixnorm_backend backend) {
  int b = enum_bits(backend);
  if (b == PIXNORM_BACKEND_AUTO) b = pixnorm_backend_default();
  const RowKernels* k = kernels_for_bits(b);
  return k ? k->target : "";
}

}  // extern "C"
