#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

namespace pixnorm_test {
void register_kernel_cases();  // kernel_cases.cpp
}

int main(int argc, char** argv) {
  // Plans with threads split even the tests' small images into as many bands as they can
  // (the default keeps at least 131072 pixels per band); a value set outside is kept.
  setenv("PIXNORM_MIN_BAND_PIXELS", "1", 0);
  pixnorm_test::register_kernel_cases();
  return doctest::Context(argc, argv).run();
}
