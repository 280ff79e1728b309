// What every fuzz target shares: a check that aborts (libFuzzer then saves the input as a
// crash), and exact-size heap buffers whose bytes before the start are poisoned too, so
// that AddressSanitizer reports a read or write one byte outside what the caller declared.
#ifndef PIXNORM_FUZZ_CHECK_H
#define PIXNORM_FUZZ_CHECK_H

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define FUZZ_CHECK(cond, ...)                                                      \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                           \
      std::fprintf(stderr, "\n");                                                  \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

namespace pixnorm_fuzz {

// `size` usable bytes starting `skew` bytes past a heap allocation (any alignment); the
// skew bytes are poisoned and the allocation ends exactly at the last usable byte.
class ExactBuffer {
 public:
  ExactBuffer(size_t bytes, size_t skew) : skew_(skew), bytes_(bytes) {
    store_ = static_cast<unsigned char*>(std::malloc(skew_ + bytes_ ? skew_ + bytes_ : 1));
    FUZZ_CHECK(store_ != nullptr, "out of memory for %zu bytes", skew_ + bytes_);
    ASAN_POISON_MEMORY_REGION(store_, skew_);
  }
  ~ExactBuffer() {
    ASAN_UNPOISON_MEMORY_REGION(store_, skew_);
    std::free(store_);
  }
  ExactBuffer(const ExactBuffer&) = delete;
  ExactBuffer& operator=(const ExactBuffer&) = delete;

  void* data() { return store_ + skew_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t skew_, bytes_;
  unsigned char* store_;
};

}  // namespace pixnorm_fuzz

#endif
