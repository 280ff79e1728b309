// Arguments a C caller can get wrong that no type check catches: enum values outside their
// enumerations (c_api_args.c, in C), and output buffers that overlap the input.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backends.h"

using namespace pixnorm_test;

extern "C" int pixnorm_test_c_enum_args(char* out, size_t out_size);

TEST_CASE("c api: enum arguments and fields out of range or negative are refused, read as integers") {
  std::vector<char> report(1 << 16);
  const int failures = pixnorm_test_c_enum_args(report.data(), report.size());
  CHECK_MESSAGE(failures == 0, report.data());
}

namespace {

// One buffer holding an input and an output at chosen byte offsets from its start.
struct Arena {
  std::vector<uint64_t> store;
  explicit Arena(size_t bytes) : store(bytes / 8 + 64) {}
  uint8_t* at(size_t offset) {
    uint8_t* base = reinterpret_cast<uint8_t*>(store.data());
    return base + (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64 + offset;
  }
};

PlanPtr make_plan(pixnorm_format f, uint32_t w, uint32_t h, uint32_t batch = 1) {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = f;
  d.width = w;
  d.height = h;
  d.batch = batch;
  d.mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
  pixnorm_plan* p = nullptr;
  REQUIRE_MESSAGE(pixnorm_plan_create(nullptr, &d, &p) == PIXNORM_OK, pixnorm_last_error());
  return PlanPtr(p);
}

bool refused_as_overlap(pixnorm_status st) {
  return st == PIXNORM_ERROR_INVALID_ARGUMENT && std::string(pixnorm_last_error()).find("overlaps") != std::string::npos;
}

}  // namespace

TEST_CASE("c api: an output overlapping the input is refused; adjacent buffers are not") {
  // RGB8 12x6 with 4 bytes of row padding: the input spans 5 * 40 + 36 = 236 bytes (not 6 * 40),
  // the output 12 * 6 * 3 floats = 864 bytes.
  const uint32_t w = 12, h = 6;
  const size_t rb = 40, in_bytes = (h - 1) * rb + w * 3;
  const PlanPtr plan = make_plan(PIXNORM_FORMAT_RGB8, w, h);
  const size_t out_bytes = pixnorm_plan_output_bytes(plan.get());
  REQUIRE(out_bytes == 864);
  const std::vector<uint8_t> pixels = random_bytes(h * rb, 5);
  std::vector<float> want(out_bytes / 4);
  REQUIRE(pixnorm_plan_run(plan.get(), pixels.data(), rb, want.data()) == PIXNORM_OK);

  struct Place {
    const char* what;
    size_t in, out;  // offsets in the arena
    bool overlaps;
  };
  const Place places[] = {
      {"output starts inside the input", 0, 100, true},
      {"output starts at the input's last byte", 0, in_bytes - 1 - (in_bytes - 1) % 4, true},
      {"output starts where the input does", 0, 0, true},
      {"input inside the output", 0 + 2000, 2000 - 400, true},
      {"input starts at the output's last byte", 2000 + 863, 2000, true},
      {"input starts in the output's last float", 2000 + 861, 2000, true},
      {"output right after the input's last byte (inside the last row's padding)", 0, in_bytes, false},
      {"input right after the output", 2000 + 864, 2000, false},
      {"far apart", 0, 4000, false},
  };
  for (const Place& pl : places) {
    CAPTURE(std::string(pl.what));
    Arena arena(8000);
    uint8_t* in = arena.at(pl.in);
    void* out = arena.at(pl.out);
    std::memcpy(in, pixels.data(), in_bytes);
    const pixnorm_status st = pixnorm_plan_run(plan.get(), in, rb, out);
    if (pl.overlaps) {
      CHECK_MESSAGE(refused_as_overlap(st), pixnorm_last_error());
      CHECK(std::memcmp(in, pixels.data(), in_bytes) == 0);  // nothing written
    } else {
      REQUIRE_MESSAGE(st == PIXNORM_OK, pixnorm_last_error());
      CHECK(std::memcmp(out, want.data(), out_bytes) == 0);
    }
  }
}

TEST_CASE("c api: an output overlapping any plane of a YUV input, or any image of a batch, is refused") {
  const uint32_t w = 8, h = 6;
  // NV12 as one frame: Y 6 rows of 8, then 3 rows of 8 bytes of U,V.
  {
    const PlanPtr plan = make_plan(PIXNORM_FORMAT_NV12, w, h);
    const size_t out_bytes = pixnorm_plan_output_bytes(plan.get()), frame = w * h + w * (h / 2);
    Arena arena(8000);
    uint8_t* in = arena.at(0);
    std::memset(in, 128, frame);
    CHECK(refused_as_overlap(pixnorm_plan_run(plan.get(), in, w, arena.at(frame - 4))));  // the chroma's end
    CHECK(refused_as_overlap(pixnorm_plan_run(plan.get(), in, w, arena.at(w * h))));      // the chroma's start
    CHECK(pixnorm_plan_run(plan.get(), in, w, arena.at(frame)) == PIXNORM_OK);
    CHECK(pixnorm_plan_run(plan.get(), arena.at(out_bytes), w, arena.at(0)) == PIXNORM_OK);
    // Planes given apart (I420): the output over the V plane only.
    const PlanPtr i420 = make_plan(PIXNORM_FORMAT_I420, w, h);
    pixnorm_image im{};
    im.planes[0] = arena.at(0);
    im.row_bytes[0] = w;
    im.planes[1] = arena.at(1000);
    im.row_bytes[1] = w / 2;
    im.planes[2] = arena.at(2000);
    im.row_bytes[2] = w / 2;
    const size_t v_bytes = 2 * (w / 2) + w / 2;  // 3 rows of 4
    CHECK(refused_as_overlap(pixnorm_plan_run_image(i420.get(), &im, arena.at(2000 + v_bytes - 4))));
    CHECK(refused_as_overlap(pixnorm_plan_run_image(i420.get(), &im, arena.at(2000 - 4 * (w * h * 3) + 4))));
    CHECK(pixnorm_plan_run_image(i420.get(), &im, arena.at(2000 + v_bytes)) == PIXNORM_OK);
    CHECK(pixnorm_plan_run_image(i420.get(), &im, arena.at(3000)) == PIXNORM_OK);
  }
  // A batch of three RGB8 images: the third inside the tensor's last slot is refused, before
  // anything is written; all three after the tensor are accepted.
  {
    const PlanPtr plan = make_plan(PIXNORM_FORMAT_RGB8, w, h, 3);
    const size_t one = pixnorm_plan_output_bytes(plan.get()), img = w * h * 3;
    Arena arena(8000);
    void* tensor = arena.at(0);
    const size_t rb[3] = {w * 3, w * 3, w * 3};
    const uint8_t* inside[3] = {arena.at(4000), arena.at(5000), arena.at(2 * one + 8)};
    CHECK(refused_as_overlap(pixnorm_plan_run_batch(plan.get(), inside, rb, 3, tensor)));
    // With two images only the first two slots are written: the third slot's bytes are free.
    CHECK(pixnorm_plan_run_batch(plan.get(), inside, rb, 2, tensor) == PIXNORM_OK);
    const uint8_t* after[3] = {arena.at(3 * one), arena.at(3 * one + img), arena.at(3 * one + 2 * img)};
    CHECK(pixnorm_plan_run_batch(plan.get(), after, rb, 3, tensor) == PIXNORM_OK);
  }
}
