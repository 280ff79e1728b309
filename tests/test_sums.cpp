// Exact per-channel sums through the public API, on every backend and target.
#include <doctest/doctest.h>

#include <cstring>

#include "backends.h"

using namespace pixnorm_test;

TEST_CASE("sums: exact integer statistics on every backend, accumulated over images") {
  const pixnorm_format formats[] = {PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_BGRA8};
  const unsigned bpp[] = {1, 3, 4};
  std::vector<Backend> all = simd_backends();
  all.push_back({"scalar", PIXNORM_BACKEND_SCALAR, 0, pixnorm::scalar_kernels()});
  for (const auto& b : all) {
    for (int fi = 0; fi < 3; ++fi) {
      CAPTURE(b.name);
      CAPTURE(fi);
      pixnorm_channel_sums sums;
      pixnorm_channel_sums_init(&sums);
      uint64_t want_sum[3] = {0, 0, 0}, want_sq[3] = {0, 0, 0}, pixels = 0;
      unsigned want_min[3] = {255, 255, 255}, want_max[3] = {0, 0, 0};
      const unsigned channels = bpp[fi] == 1 ? 1 : 3;
      for (uint32_t w : {1u, 13u, 200u}) {
        const uint32_t h = 7;
        const size_t row = size_t(w) * bpp[fi] + 3;  // padded rows: the padding must not count
        auto px = random_bytes(row * h + 1, w);
        for (uint32_t y = 0; y < h; ++y)
          for (uint32_t x = 0; x < w; ++x)
            for (unsigned c = 0; c < channels; ++c) {
              const unsigned v = px[1 + y * row + x * bpp[fi] + c];
              want_sum[c] += v;
              want_sq[c] += v * v;
              want_min[c] = v < want_min[c] ? v : want_min[c];
              want_max[c] = v > want_max[c] ? v : want_max[c];
            }
        pixels += uint64_t(w) * h;
        select(b);
        const pixnorm_status st = pixnorm_channel_sums_add(&sums, formats[fi], w, h, px.data() + 1, row, b.id);
        restore_targets();
        REQUIRE_MESSAGE(st == PIXNORM_OK, pixnorm_last_error());
      }
      CHECK(sums.channels == channels);
      CHECK(sums.pixels == pixels);
      for (unsigned c = 0; c < channels; ++c) {
        CHECK(sums.sum[c] == want_sum[c]);
        CHECK(sums.sum_sq[c] == want_sq[c]);
        CHECK(sums.min[c] == want_min[c]);
        CHECK(sums.max[c] == want_max[c]);
      }
    }
  }
}

TEST_CASE("sums: refusals leave the sums unchanged") {
  pixnorm_channel_sums sums, before;
  pixnorm_channel_sums_init(&sums);
  const uint8_t px[4 * 4 * 3] = {};
  REQUIRE(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_RGB8, 4, 4, px, 12, PIXNORM_BACKEND_AUTO) == PIXNORM_OK);
  before = sums;
  CHECK(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_GRAY8, 4, 4, px, 4, PIXNORM_BACKEND_AUTO) ==
        PIXNORM_ERROR_CHANNEL_MISMATCH);
  CHECK(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_RGB8, 4, 4, px, 11, PIXNORM_BACKEND_AUTO) ==
        PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_RGB8, 0, 4, px, 12, PIXNORM_BACKEND_AUTO) ==
        PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::memcmp(&sums, &before, sizeof sums) == 0);
  sums.pixels = UINT64_MAX / 65025 - 15;  // 16 more pixels could overflow the sums of squares
  before = sums;
  CHECK(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_RGB8, 4, 4, px, 12, PIXNORM_BACKEND_AUTO) ==
        PIXNORM_ERROR_TOO_LARGE);
  CHECK(std::string(pixnorm_last_error()).find("overflow") != std::string::npos);
  CHECK(std::memcmp(&sums, &before, sizeof sums) == 0);
}
