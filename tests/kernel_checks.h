// The kernel tests of the catalogue (platform/src/kernel_catalogue.h): check_<kernel>(b) compares
// kernel <kernel> of backend b with the scalar oracle, bit for bit (sizes from 0 to several
// vectors, odd tails, misaligned pointers, guards after the outputs). kernel_cases.cpp registers
// one doctest case per kernel, backend and target; a kernel in the catalogue without its check
// does not link.
#ifndef PIXNORM_TESTS_KERNEL_CHECKS_H
#define PIXNORM_TESTS_KERNEL_CHECKS_H

#include <doctest/doctest.h>

#include <vector>

#include "backends.h"
#include "kernel_catalogue.h"

namespace pixnorm_test {

// A kernel's byte output: write(out) fills n bytes at an address skew bytes past a 64-byte boundary of a
// guarded buffer (GuardedBytes); they must equal want, and no guard byte may change.
template <class Write>
void check_guarded(const std::vector<uint8_t>& want, size_t n, size_t skew, Write write) {
  GuardedBytes got(n, skew);
  write(got.data());
  CHECK(got.equals(want.data()));
  CHECK(got.guards_intact());
}

#define PIXNORM_DECLARE_CHECK(field, Name) void check_##field(const Backend& b);
PIXNORM_KERNEL_CATALOGUE(PIXNORM_DECLARE_CHECK)
#undef PIXNORM_DECLARE_CHECK

}  // namespace pixnorm_test

#endif
