// The kernel tests of the catalogue (platform/src/kernel_catalogue.h): check_<kernel>(b) compares
// kernel <kernel> of backend b with the scalar oracle, bit for bit (sizes from 0 to several
// vectors, odd tails, misaligned pointers, guards after the outputs). kernel_cases.cpp registers
// one doctest case per kernel, backend and target; a kernel in the catalogue without its check
// does not link.
#ifndef PIXNORM_TESTS_KERNEL_CHECKS_H
#define PIXNORM_TESTS_KERNEL_CHECKS_H

#include "backends.h"
#include "kernel_catalogue.h"

namespace pixnorm_test {

#define PIXNORM_DECLARE_CHECK(field, Name) void check_##field(const Backend& b);
PIXNORM_KERNEL_CATALOGUE(PIXNORM_DECLARE_CHECK)
#undef PIXNORM_DECLARE_CHECK

}  // namespace pixnorm_test

#endif
