// Test helpers: every backend and Highway target this machine can run, guarded buffers,
// deterministic data.
#ifndef PIXNORM_TESTS_BACKENDS_H
#define PIXNORM_TESTS_BACKENDS_H

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels.h"
#include "pixnorm/pixnorm.h"

#if PIXNORM_HAVE_HIGHWAY
#include <hwy/highway.h>
#include <hwy/targets.h>
#endif

namespace pixnorm_test {

// Owning handles for the C API's objects.
struct StatsDeleter {
  void operator()(pixnorm_stats* s) const { pixnorm_stats_free(s); }
};
struct PlanDeleter {
  void operator()(pixnorm_plan* p) const { pixnorm_plan_free(p); }
};
using StatsPtr = std::unique_ptr<pixnorm_stats, StatsDeleter>;
using PlanPtr = std::unique_ptr<pixnorm_plan, PlanDeleter>;

// Bytes per pixel of an input format.
inline unsigned bpp(pixnorm_format f) { return f == PIXNORM_FORMAT_GRAY8 ? 1 : f <= PIXNORM_FORMAT_BGR8 ? 3 : 4; }

struct Backend {
  std::string name;  // e.g. "highway/AVX2", "xsimd/AVX2"
  pixnorm_backend id;
  int64_t hwy_target;  // 0 unless a dynamically dispatched Highway target
  const pixnorm::RowKernels* kernels;
};

// Makes `b` the backend that plans created from now on use (Highway: restricts dispatch
// to its target). Call restore_targets() afterwards.
inline void select(const Backend& b) {
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
  if (b.hwy_target != 0) hwy::SetSupportedTargetsForTest(b.hwy_target);
#else
  (void)b;
#endif
}
inline void restore_targets() {
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
  hwy::SetSupportedTargetsForTest(0);
#endif
}

// Every SIMD backend and target that can run here (the scalar reference is not in it).
inline std::vector<Backend> simd_backends() {
  std::vector<Backend> out;
#if PIXNORM_HAVE_HIGHWAY
#if defined(__arm__)
  out.push_back({std::string("highway/") + pixnorm::highway_kernels()->target, PIXNORM_BACKEND_HIGHWAY, 0,
                 pixnorm::highway_kernels()});
#else
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(t);
    const pixnorm::RowKernels* k = pixnorm::highway_kernels();
    out.push_back({std::string("highway/") + hwy::TargetName(t), PIXNORM_BACKEND_HIGHWAY, t, k});
  }
  hwy::SetSupportedTargetsForTest(0);
#endif
#endif
  if (const pixnorm::RowKernels* k = pixnorm::xsimd_kernels())
    out.push_back({std::string("xsimd/") + k->target, PIXNORM_BACKEND_XSIMD, 0, k});
  return out;
}

inline std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng() & 0xFF);
  return v;
}

// A float buffer with sentinel words before and after the `n` usable floats, placed at
// `offset` floats past a 64-byte boundary so that vector stores meet every alignment.
class Guarded {
 public:
  static constexpr size_t kGuard = 32;
  static constexpr uint32_t kSentinel = 0x7FC0DEADu;  // a NaN no kernel produces
  Guarded(size_t n, size_t offset) : n_(n), store_(n + 2 * kGuard + offset + 16) {
    const uintptr_t base = reinterpret_cast<uintptr_t>(store_.data());
    const size_t skew = ((64 - base % 64) % 64) / sizeof(uint32_t);
    begin_ = skew + offset;
    for (auto& w : store_) w = kSentinel;
    (void)base;
  }
  float* data() { return reinterpret_cast<float*>(store_.data() + begin_ + kGuard); }
  size_t size() const { return n_; }
  bool guards_intact() const {
    for (size_t i = 0; i < kGuard; ++i)
      if (store_[begin_ + i] != kSentinel || store_[begin_ + kGuard + n_ + i] != kSentinel) return false;
    return true;
  }
  // Number of usable floats still holding the sentinel (not written).
  size_t unwritten() const {
    size_t c = 0;
    for (size_t i = 0; i < n_; ++i) c += store_[begin_ + kGuard + i] == kSentinel;
    return c;
  }
  bool same_bits(const Guarded& o) const {
    return n_ == o.n_ && std::memcmp(store_.data() + begin_ + kGuard, o.store_.data() + o.begin_ + kGuard,
                                     n_ * sizeof(float)) == 0;
  }
  // Index of the first differing float, or n.
  size_t first_difference(const Guarded& o) const {
    for (size_t i = 0; i < n_; ++i)
      if (store_[begin_ + kGuard + i] != o.store_[o.begin_ + kGuard + i]) return i;
    return n_;
  }

 private:
  size_t n_;
  std::vector<uint32_t> store_;
  size_t begin_ = 0;
};

}  // namespace pixnorm_test

#endif
