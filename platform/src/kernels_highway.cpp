// Highway backend: the table of every CPU target's kernels, and the dispatch. The kernels are in
// highway/<family>.cpp, one file per family, each compiled once per target (foreach_target);
// this file declares them per target from the catalogue (kernel_catalogue.h) and fills each
// target's table by name. Dispatched at run time (HWY_DYNAMIC_DISPATCH); on 32-bit ARM, Highway
// 1.0.3's dynamic dispatch does not compile, so the NEON target the toolchain enables is called
// statically.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#if !defined(__arm__)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels_highway.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#endif
#include <hwy/highway.h>

#include "kernels.h"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
// Highway's one-lane fallback (the baseline when GCC 12's EMU128 is unusable) has no
// interleaved loads or half vectors; on such a CPU this backend is the scalar reference.
const RowKernels* GetKernels() {
  static const RowKernels kernels = [] {
    RowKernels k = *scalar_kernels();
    k.target = hwy::TargetName(HWY_TARGET);
    return k;
  }();
  return &kernels;
}
const RowKernels* GetWideKernels() { return nullptr; }
#else
// The kernels of this target (highway/*.cpp), declared with their RowKernels types.
#define PIXNORM_DECLARE_KERNEL(field, Name) std::remove_pointer_t<decltype(RowKernels::field)> Name;
PIXNORM_KERNEL_CATALOGUE(PIXNORM_DECLARE_KERNEL)
#undef PIXNORM_DECLARE_KERNEL

constexpr RowKernels MakeKernels() {
  RowKernels k{};
#define PIXNORM_SET_KERNEL(field, Name) k.field = Name;
  PIXNORM_KERNEL_CATALOGUE(PIXNORM_SET_KERNEL)
#undef PIXNORM_SET_KERNEL
  return k;
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// Targets with two variants (highway/common-inl.h): the default table runs the store-bound
// kernels on 256-bit vectors, the wide one on 512-bit vectors. Their names say which.
#define PIXNORM_WIDE_VARIANT 1
std::remove_pointer_t<decltype(RowKernels::flat)> FlatWide;
std::remove_pointer_t<decltype(RowKernels::planar)> PlanarWide;
std::remove_pointer_t<decltype(RowKernels::interleave)> InterleaveWide;
std::remove_pointer_t<decltype(RowKernels::planar_narrow)> PlanarNarrowWide;
#else
#define PIXNORM_WIDE_VARIANT 0
#endif

const RowKernels* GetKernels() {
  static const RowKernels kernels = [] {
    RowKernels k = MakeKernels();
    static const std::string name = std::string(hwy::TargetName(HWY_TARGET)) + (PIXNORM_WIDE_VARIANT ? "/256" : "");
    k.target = name.c_str();
    return k;
  }();
  return &kernels;
}

const RowKernels* GetWideKernels() {
#if PIXNORM_WIDE_VARIANT
  static const RowKernels kernels = [] {
    RowKernels k = MakeKernels();
    k.flat = FlatWide;
    k.planar = PlanarWide;
    k.interleave = InterleaveWide;
    k.planar_narrow = PlanarNarrowWide;
    static const std::string name = std::string(hwy::TargetName(HWY_TARGET)) + "/512";
    k.target = name.c_str();
    return k;
  }();
  return &kernels;
#else
  return nullptr;
#endif
}
#undef PIXNORM_WIDE_VARIANT
#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cstring>

namespace pixnorm {

#if defined(__arm__)
const RowKernels* highway_kernels() { return HWY_STATIC_DISPATCH(GetKernels)(); }
const RowKernels* highway_wide_kernels() { return HWY_STATIC_DISPATCH(GetWideKernels)(); }
const char* highway_targets() { return hwy::TargetName(HWY_STATIC_TARGET); }
#else
HWY_EXPORT(GetKernels);
HWY_EXPORT(GetWideKernels);
const RowKernels* highway_kernels() { return HWY_DYNAMIC_DISPATCH(GetKernels)(); }
const RowKernels* highway_wide_kernels() { return HWY_DYNAMIC_DISPATCH(GetWideKernels)(); }
const char* highway_targets() {
  thread_local char names[256];
  names[0] = '\0';
  // Best first: SupportedAndGeneratedTargets lists the lowest bit (best target) first.
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    if (names[0] != '\0') std::strncat(names, " ", sizeof(names) - std::strlen(names) - 1);
    std::strncat(names, hwy::TargetName(t), sizeof(names) - std::strlen(names) - 1);
  }
  return names;
}
#endif

}  // namespace pixnorm
#endif
