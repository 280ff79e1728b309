// The C API's information functions: version and backends (the machine is asked in platform/).
#include "c_enum.h"
#include "kernels.h"
#include "machine.h"
#include "pixnorm/pixnorm.h"

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
  return b == PIXNORM_BACKEND_AUTO || kernels_for_backend(b) != nullptr;
}

pixnorm_backend pixnorm_backend_default(void) { return static_cast<pixnorm_backend>(best_backend()); }

const char* pixnorm_backend_targets(pixnorm_backend backend) {
  int b = enum_bits(backend);
  if (b == PIXNORM_BACKEND_AUTO) b = best_backend();
  switch (b) {
    case PIXNORM_BACKEND_HIGHWAY: return highway_targets();
    case PIXNORM_BACKEND_XSIMD: return xsimd_kernels() ? xsimd_target() : "";
    default: return "";
  }
}

const char* pixnorm_backend_target(pixnorm_backend backend) {
  int b = enum_bits(backend);
  if (b == PIXNORM_BACKEND_AUTO) b = best_backend();
  // The variant a plan of variant AUTO gets; where each plan measures, the CPU's preference.
  const EnvOverrides env = env_overrides();
  const int variant = env.variant >= 0 && env.variant != PIXNORM_VARIANT_MEASURE ? env.variant : preferred_variant();
  const RowKernels* wide = variant == PIXNORM_VARIANT_512 ? kernels_for_backend(b, true) : nullptr;
  const RowKernels* k = wide != nullptr ? wide : kernels_for_backend(b);
  return k ? k->target : "";
}

}  // extern "C"
