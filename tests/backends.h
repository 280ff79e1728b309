// Test helpers: every backend and Highway target this machine can run, guarded buffers,
// deterministic data.
#ifndef PIXNORM_TESTS_BACKENDS_H
#define PIXNORM_TESTS_BACKENDS_H

#include <cstdint>
#include <cstdlib>
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
  std::string name;  // e.g. "highway/AVX2", "highway/AVX3/512", "xsimd/AVX2"
  pixnorm_backend id;
  int64_t hwy_target;  // 0 unless a dynamically dispatched Highway target
  const pixnorm::RowKernels* kernels;
  pixnorm_variant variant = PIXNORM_VARIANT_AUTO;  // of a target with several variants: the one
};

// Makes `b` the backend that plans created from now on use (Highway: restricts dispatch
// to its target; a variant through PIXNORM_VARIANT, which plans of variant AUTO follow). Call
// restore_targets() afterwards.
inline void select(const Backend& b) {
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
  if (b.hwy_target != 0) hwy::SetSupportedTargetsForTest(b.hwy_target);
#endif
  if (b.variant == PIXNORM_VARIANT_256) setenv("PIXNORM_VARIANT", "256", 1);
  if (b.variant == PIXNORM_VARIANT_512) setenv("PIXNORM_VARIANT", "512", 1);
}
inline void restore_targets() {
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
  hwy::SetSupportedTargetsForTest(0);
#endif
  unsetenv("PIXNORM_VARIANT");
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
    const pixnorm::RowKernels* wide = pixnorm::highway_wide_kernels();
    // Every variant of the target: "highway/AVX3/256" and "highway/AVX3/512".
    out.push_back({std::string("highway/") + k->target, PIXNORM_BACKEND_HIGHWAY, t, k,
                   wide ? PIXNORM_VARIANT_256 : PIXNORM_VARIANT_AUTO});
    if (wide) out.push_back({std::string("highway/") + wide->target, PIXNORM_BACKEND_HIGHWAY, t, wide, PIXNORM_VARIANT_512});
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

// The one guarded output buffer of the tests: `n` usable bytes with 64 guard bytes before and after,
// starting `offset` bytes past a 64-byte boundary (so that vector stores meet every alignment),
// every byte pre-filled with the repeating 32-bit `pattern` (two patterns tell written bytes
// from untouched ones). A kernel that writes outside the n bytes changes a guard.
class GuardedBytes {
 public:
  static constexpr size_t kGuard = 64;
  GuardedBytes(size_t n, size_t offset, uint32_t pattern = 0xA5A5A5A5u)
      : n_(n), pattern_(pattern), store_(n + 2 * kGuard + offset + 64) {
    for (size_t i = 0; i < store_.size(); ++i) store_[i] = fill_at(i);
    const uintptr_t base = reinterpret_cast<uintptr_t>(store_.data());
    begin_ = (64 - base % 64) % 64 + offset;
  }
  uint8_t* data() { return store_.data() + begin_ + kGuard; }
  const uint8_t* data() const { return store_.data() + begin_ + kGuard; }
  size_t size() const { return n_; }
  bool guards_intact() const {
    for (size_t i = 0; i < kGuard; ++i) {
      const size_t lo = begin_ + i, hi = begin_ + kGuard + n_ + i;
      if (store_[lo] != fill_at(lo) || store_[hi] != fill_at(hi)) return false;
    }
    return true;
  }
  bool same(const GuardedBytes& o) const { return n_ == o.n_ && equals(o.data()); }
  bool equals(const uint8_t* want) const { return n_ == 0 || std::memcmp(data(), want, n_) == 0; }

 private:
  uint8_t fill_at(size_t i) const { return static_cast<uint8_t>(pattern_ >> (8 * (i % 4))); }
  size_t n_;
  uint32_t pattern_;
  std::vector<uint8_t> store_;
  size_t begin_ = 0;
};

// A guarded buffer of `n` floats (GuardedBytes), `offset` floats past a 64-byte boundary, filled
// with a NaN no kernel produces, so that unwritten floats can be counted.
class Guarded {
 public:
  static constexpr uint32_t kSentinel = 0x7FC0DEADu;
  Guarded(size_t n, size_t offset) : bytes_(n * sizeof(float), offset * sizeof(float), kSentinel) {}
  float* data() { return reinterpret_cast<float*>(bytes_.data()); }
  size_t size() const { return bytes_.size() / sizeof(float); }
  bool guards_intact() const { return bytes_.guards_intact(); }
  // Number of floats still holding the sentinel (not written).
  size_t unwritten() const {
    size_t c = 0;
    for (size_t i = 0; i < size(); ++i) c += word(i) == kSentinel;
    return c;
  }
  bool same_bits(const Guarded& o) const { return bytes_.same(o.bytes_); }
  // Index of the first differing float, or n.
  size_t first_difference(const Guarded& o) const {
    for (size_t i = 0; i < size(); ++i)
      if (word(i) != o.word(i)) return i;
    return size();
  }

 private:
  uint32_t word(size_t i) const {
    uint32_t w;
    std::memcpy(&w, bytes_.data() + 4 * i, 4);
    return w;
  }
  GuardedBytes bytes_;
};

}  // namespace pixnorm_test

#endif
