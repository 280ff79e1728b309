// One doctest case per catalogue kernel, SIMD backend and Highway target this CPU can run:
// `kernel/<kernel>/<backend>/<target>`, e.g. kernel/pil_h/highway/AVX2. A failure on one target
// does not hide the others, and one case runs alone with --test-case=kernel/pil_h/highway/AVX2.
// The backends are known only at run time (the CPU's targets), so the cases are registered from
// main() through register_kernel_cases().
#include <doctest/doctest.h>

#include <array>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "kernel_checks.h"

namespace pixnorm_test {
namespace {

using Check = void (*)(const Backend&);
#define PIXNORM_CHECK_ENTRY(field, Name) &check_##field,
constexpr Check kChecks[] = {PIXNORM_KERNEL_CATALOGUE(PIXNORM_CHECK_ENTRY)};
#undef PIXNORM_CHECK_ENTRY
static_assert(sizeof(kChecks) / sizeof(kChecks[0]) == pixnorm::kKernelCount, "one check per kernel");

// doctest's cases are plain functions: one instantiation per (kernel, backend slot).
constexpr size_t kMaxBackends = 16;
std::vector<Backend>& slots() {
  static std::vector<Backend> b;
  return b;
}

template <size_t K, size_t S>
void run_case() {
  const Backend& b = slots()[S];
  INFO("backend " << b.name);
  select(b);  // plans a check makes use this target
  struct Restore {
    ~Restore() { restore_targets(); }
  } restore;
  kChecks[K](b);
}

template <size_t K, size_t... S>
constexpr std::array<void (*)(), sizeof...(S)> row(std::index_sequence<S...>) {
  return {&run_case<K, S>...};
}
template <size_t... K>
constexpr std::array<std::array<void (*)(), kMaxBackends>, sizeof...(K)> table(std::index_sequence<K...>) {
  return {row<K>(std::make_index_sequence<kMaxBackends>())...};
}
constexpr auto kCases = table(std::make_index_sequence<pixnorm::kKernelCount>());

}  // namespace

void register_kernel_cases() {
  static std::deque<std::string> names;  // doctest keeps the name pointers
  slots() = simd_backends();
  const size_t nb = slots().size() < kMaxBackends ? slots().size() : kMaxBackends;
  for (size_t k = 0; k < pixnorm::kKernelCount; ++k) {
    for (size_t s = 0; s < nb; ++s) {
      names.push_back(std::string("kernel/") + pixnorm::kKernelNames[k] + "/" + slots()[s].name);
      doctest::detail::regTest(doctest::detail::TestCase(kCases[k][s], __FILE__, __LINE__,
                                                         doctest_detail_test_suite_ns::getCurrentTestSuite()) *
                               names.back().c_str());
    }
  }
}

}  // namespace pixnorm_test
