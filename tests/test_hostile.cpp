// Hostile input: statistics files and plan descriptions made to break the runtime. Work is
// bounded by the size of what is built here, never by a clock: each case returns or the
// suite's timeout fails it. The runtime's regressions from fuzzing (tests/fuzz) are here.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backends.h"

using namespace pixnorm_test;

namespace {


// A statistics file with the given members after the required header.
std::string stats_file(const std::string& order, const std::string& rescale, const std::string& mean,
                       const std::string& rest = "") {
  return "{\"format\": \"pixnorm-stats\", \"version\": 1, \"channel_order\": \"" + order + "\", \"rescale\": " +
         rescale + ", \"mean\": " + mean + rest + "}";
}

pixnorm_status parse(const std::string& text, StatsPtr* out) {
  pixnorm_stats* s = nullptr;
  const pixnorm_status st = pixnorm_stats_parse(text.data(), text.size(), "hostile.json", &s);
  out->reset(s);
  return st;
}

// The scalar reference first, then every SIMD backend and Highway target this machine runs.
std::vector<Backend> all_backends() {
  std::vector<Backend> v{{"scalar", PIXNORM_BACKEND_SCALAR, 0, pixnorm::scalar_kernels()}};
  for (const Backend& b : simd_backends()) v.push_back(b);
  return v;
}


}  // namespace

TEST_CASE("hostile: a 1 MiB statistics file of maximal nesting parses; one level more is refused") {
  // The top-level object is level 1 and "x" is level 2: each element adds 62 levels, 64 in all.
  const std::string element = std::string(62, '[') + "0" + std::string(62, ']');
  std::string text = stats_file("RGB", "1", "0", ", \"x\": [");
  text.pop_back();  // the closing brace, put back below
  while (text.size() + element.size() + 3 < PIXNORM_MAX_STATS_BYTES) text += element + ",";
  text += "0]}";
  REQUIRE(text.size() <= PIXNORM_MAX_STATS_BYTES);
  CHECK(text.size() > PIXNORM_MAX_STATS_BYTES - element.size() - 3);
  StatsPtr s;
  REQUIRE_MESSAGE(parse(text, &s) == PIXNORM_OK, pixnorm_last_error());
  CHECK(std::strlen(pixnorm_stats_get_field(s.get(), "x")) == text.size() - text.find('[') - 1);

  text.replace(text.find(element), element.size(), std::string(63, '[') + std::string(63, ']'));  // 65 levels
  REQUIRE(text.size() <= PIXNORM_MAX_STATS_BYTES);
  CHECK(parse(text, &s) == PIXNORM_ERROR_PARSE);
  CHECK(s == nullptr);
  CHECK(std::string(pixnorm_last_error()).find("nesting deeper than 64") != std::string::npos);
}

TEST_CASE("hostile: a 1 MiB statistics file of 100k keys parses; a duplicate among them is found") {
  std::string members;
  int keys = 0;
  char key[16];
  for (; members.size() < PIXNORM_MAX_STATS_BYTES - 200; ++keys) {
    std::snprintf(key, sizeof key, "%x", keys);
    members += std::string(",\"") + key + "\":0";
  }
  CHECK(keys > 100000);
  StatsPtr s;
  REQUIRE_MESSAGE(parse(stats_file("GRAY", "1", "[0]", members), &s) == PIXNORM_OK, pixnorm_last_error());
  CHECK(std::string(pixnorm_stats_get_field(s.get(), key)) == "0");
  // Written back, the same fields take more than the limit: refused as too large, not misread.
  size_t size = 0;
  REQUIRE(pixnorm_stats_serialize(s.get(), nullptr, &size) == PIXNORM_OK);
  std::string again(size, '\0');
  REQUIRE(pixnorm_stats_serialize(s.get(), &again[0], &size) == PIXNORM_OK);
  again.pop_back();
  StatsPtr t;
  CHECK(parse(again, &t) == (again.size() > PIXNORM_MAX_STATS_BYTES ? PIXNORM_ERROR_TOO_LARGE : PIXNORM_OK));

  CHECK(parse(stats_file("GRAY", "1", "[0]", members + ", \"12345\": 1"), &s) == PIXNORM_ERROR_PARSE);
  CHECK(std::string(pixnorm_last_error()).find("duplicate key \"12345\"") != std::string::npos);
}

TEST_CASE("hostile: channel counts are limited however long the lists") {
  StatsPtr s;
  std::string many = "[0";
  while (many.size() < PIXNORM_MAX_STATS_BYTES - 200) many += ",0";
  many += "]";
  CHECK(parse(stats_file("RGB", "1", many), &s) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(std::string(pixnorm_last_error()).find("must have 1 or 3 values") != std::string::npos);
  CHECK(parse(stats_file("RGB", "1", "[0, 0, 0, 0]"), &s) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(parse(stats_file("RGB", "1", "[0, 0, 0]", ", \"std\": " + many), &s) == PIXNORM_ERROR_INVALID_STATS);
  for (uint32_t channels : {0u, 2u, 4u, 0xFFFFFFFFu}) {
    pixnorm_stats_values v{};
    v.channel_order = PIXNORM_ORDER_RGB;
    v.channels = channels;
    v.rescale = 1;
    pixnorm_stats* raw = nullptr;
    CHECK(pixnorm_stats_create(&v, &raw) == PIXNORM_ERROR_INVALID_STATS);
    CHECK(raw == nullptr);
  }
  const std::string over(PIXNORM_MAX_STATS_BYTES + 1, ' ');
  CHECK(parse(over, &s) == PIXNORM_ERROR_TOO_LARGE);
}

TEST_CASE("hostile: sizes over the limits are refused before anything is allocated") {
  const StatsPtr stats = [] {
    pixnorm_stats* s = nullptr;
    REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
    return StatsPtr(s);
  }();
  struct Case {
    uint32_t w, h, batch, threads;
    pixnorm_status want;
  };
  const Case cases[] = {
      {PIXNORM_MAX_DIMENSION + 1, 1, 1, 0, PIXNORM_ERROR_TOO_LARGE},
      {1, PIXNORM_MAX_DIMENSION + 1, 1, 0, PIXNORM_ERROR_TOO_LARGE},
      {0xFFFFFFFFu, 0xFFFFFFFFu, 1, 0, PIXNORM_ERROR_TOO_LARGE},
      {16385, 16384, 1, 0, PIXNORM_ERROR_TOO_LARGE},  // 2^28 + 16384 pixels
      {8, 8, PIXNORM_MAX_BATCH + 1, 0, PIXNORM_ERROR_INVALID_ARGUMENT},
      {8, 8, 0xFFFFFFFFu, 0, PIXNORM_ERROR_INVALID_ARGUMENT},
      {8, 8, 1, 65, PIXNORM_ERROR_INVALID_ARGUMENT},
      {8, 8, 1, 0xFFFFFFFFu, PIXNORM_ERROR_INVALID_ARGUMENT},
      // At every limit at once: planning allocates nothing for the image, so this is cheap.
      {PIXNORM_MAX_DIMENSION, PIXNORM_MAX_PIXELS / PIXNORM_MAX_DIMENSION, PIXNORM_MAX_BATCH, 0,
       sizeof(size_t) >= 8 ? PIXNORM_OK : PIXNORM_ERROR_TOO_LARGE},
  };
  for (const Case& c : cases) {
    CAPTURE(c.w);
    CAPTURE(c.h);
    CAPTURE(c.batch);
    CAPTURE(c.threads);
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.width = c.w;
    d.height = c.h;
    d.batch = c.batch;
    d.threads = c.threads;
    pixnorm_plan* p = nullptr;
    CHECK(pixnorm_plan_create(stats.get(), &d, &p) == c.want);
    CHECK((p != nullptr) == (c.want == PIXNORM_OK));
    pixnorm_plan_free(p);
  }

  // Strides: short rows, and rows whose span overflows the address space, touch no pixel.
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 5;
  d.height = 3;
  d.batch = 2;
  pixnorm_plan* raw = nullptr;
  REQUIRE(pixnorm_plan_create(stats.get(), &d, &raw) == PIXNORM_OK);
  const PlanPtr plan(raw);
  const uint8_t byte = 0;  // one byte: reading any of "the image" would be out of bounds
  std::vector<float> out(2 * pixnorm_plan_output_elements(plan.get()));
  CHECK(pixnorm_plan_run(plan.get(), &byte, 14, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  for (size_t row_bytes : {std::numeric_limits<size_t>::max() / 2 + 1, std::numeric_limits<size_t>::max(),
                           (std::numeric_limits<size_t>::max() - 15) / 2 + 1})
    CHECK(pixnorm_plan_run(plan.get(), &byte, row_bytes, out.data()) == PIXNORM_ERROR_TOO_LARGE);
  const uint8_t* images[3] = {&byte, &byte, &byte};
  const size_t strides[3] = {15, 15, 15};
  CHECK(pixnorm_plan_run_batch(plan.get(), images, strides, 3, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_channel_sums sums;
  pixnorm_channel_sums_init(&sums);
  CHECK(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_RGB8, 5, 3, &byte, std::numeric_limits<size_t>::max(),
                                 PIXNORM_BACKEND_AUTO) == PIXNORM_ERROR_TOO_LARGE);
  CHECK(sums.pixels == 0);
}

TEST_CASE("hostile: extreme but valid statistics are refused at planning, or give finite outputs in bounds") {
  // Every value here passes the statistics' own checks; the plan decides what it can use.
  const std::vector<std::string> files = {
      stats_file("RGB", "1e-300", "[0.5, 0.5, 0.5]", ", \"std\": [0.25, 0.25, 0.25]"),
      stats_file("RGB", "1e300", "[0, 0, 0]"),
      stats_file("RGB", "0.00392156862745098", "[0, 0, 0]", ", \"std\": [1e300, 1, 1]"),
      stats_file("RGB", "0.00392156862745098", "[0, 0, 0]", ", \"std\": [1e-300, 1, 1]"),
      stats_file("BGR", "1", "[1e300, -1e300, 0]"),
      stats_file("BGR", "1", "[1e30, 0, 0]", ", \"std\": [1e-30, 1, 1]"),
      stats_file("RGB", "1", "[0]", ", \"std\": [1], \"epsilon\": 1e300"),
      stats_file("RGB", "1", "[0]", ", \"std\": [1e-320], \"epsilon\": 5e-324"),
      stats_file("RGB", "7.888609052210118e-31", "[0]"),  // 2^-100: the smallest usable rescale
      stats_file("RGB", "1.2676506002282294e30", "[0]"),  // 2^100: the largest
      stats_file("GRAY", "1.2676506002282294e30", "[-1.2676506002282294e30]", ", \"std\": [1]"),
      stats_file("GRAY", "1e-300", "[1e300]", ", \"std\": [1e300], \"epsilon\": 1e300"),
      stats_file("GRAY", "1", "[0]", ", \"std\": [4.9406564584124654e-324]"),
  };
  const double epsilons[] = {PIXNORM_EPSILON_DEFAULT, 0.0, 4.9406564584124654e-324, 1e-300, 1e-40, 1e30};
  const std::vector<Backend> backends = all_backends();
  int created = 0, refused = 0;
  for (const std::string& text : files) {
    CAPTURE(text);
    StatsPtr stats;
    REQUIRE_MESSAGE(parse(text, &stats) == PIXNORM_OK, pixnorm_last_error());
    pixnorm_stats_values v;
    REQUIRE(pixnorm_stats_get(stats.get(), &v) == PIXNORM_OK);
    for (pixnorm_format f : {PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_BGR8, PIXNORM_FORMAT_RGBA8,
                             PIXNORM_FORMAT_BGRA8}) {
      if ((f == PIXNORM_FORMAT_GRAY8) != (v.channel_order == PIXNORM_ORDER_GRAY)) continue;
      for (int mode = PIXNORM_MODE_STANDARDIZE; mode <= PIXNORM_MODE_MINMAX; ++mode) {
        for (double eps : epsilons) {
          for (pixnorm_layout layout : {PIXNORM_LAYOUT_NCHW, PIXNORM_LAYOUT_NHWC}) {
            for (bool constant : {false, true}) {
              CAPTURE(f);
              CAPTURE(mode);
              CAPTURE(eps);
              CAPTURE(layout);
              CAPTURE(constant);
              const uint32_t w = 7, h = 3;
              const size_t row_bytes = w * bpp(f) + 3;
              std::vector<uint8_t> pixels = random_bytes(row_bytes * h, 7 * mode + f);
              if (constant) pixels.assign(pixels.size(), 201);
              pixnorm_plan_desc d;
              pixnorm_plan_desc_init(&d);
              d.format = f;
              d.width = w;
              d.height = h;
              d.layout = layout;
              d.mode = static_cast<pixnorm_mode>(mode);
              d.epsilon = eps;
              std::vector<uint32_t> reference;
              for (const Backend& b : backends) {
                CAPTURE(b.name);
                d.backend = b.id;
                select(b);
                pixnorm_plan* raw = reinterpret_cast<pixnorm_plan*>(&raw);
                const pixnorm_status st = pixnorm_plan_create(stats.get(), &d, &raw);
                restore_targets();
                if (st != PIXNORM_OK) {
                  CHECK(st == PIXNORM_ERROR_INVALID_STATS);
                  CHECK(raw == nullptr);
                  ++refused;
                  continue;
                }
                ++created;
                const PlanPtr plan(raw);
                const size_t n = pixnorm_plan_output_elements(plan.get());
                Guarded out(n, 1);
                REQUIRE(pixnorm_plan_run(plan.get(), pixels.data(), row_bytes, out.data()) == PIXNORM_OK);
                REQUIRE(out.guards_intact());
                REQUIRE(out.unwritten() == 0);
                std::vector<uint32_t> bits(n);
                std::memcpy(bits.data(), out.data(), n * sizeof(float));
                for (size_t i = 0; i < n; ++i) {
                  REQUIRE_MESSAGE(std::isfinite(out.data()[i]), "element " << i << " is " << out.data()[i]);
                  // A constant image minus its own mean is exactly 0, whatever the scale.
                  if (constant && d.mode >= PIXNORM_MODE_SAMPLE_CENTER) REQUIRE(out.data()[i] == 0.0f);
                }
                if (reference.empty()) reference = bits;
                else REQUIRE(bits == reference);
              }
            }
          }
        }
      }
    }
  }
  CHECK(created > 0);
  CHECK(refused > 0);
}

TEST_CASE("hostile: sample-standardize of a constant image with a tiny epsilon gives 0, not NaN") {
  // (y - mean) / (0 + epsilon) used to fold to a scale of 1/epsilon, past float's range for
  // epsilon < 3e-39 (undefined in the conversion to float), and x * inf + -inf is NaN.
  const uint8_t pixels[4] = {100, 100, 100, 100};
  for (double eps : {4.9406564584124654e-324, 1e-300, 1e-40}) {
    CAPTURE(eps);
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.format = PIXNORM_FORMAT_GRAY8;
    d.width = 4;
    d.height = 1;
    d.mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
    d.epsilon = eps;
    pixnorm_plan* raw = nullptr;
    REQUIRE(pixnorm_plan_create(nullptr, &d, &raw) == PIXNORM_OK);
    const PlanPtr plan(raw);
    float out[4] = {1, 1, 1, 1};
    REQUIRE(pixnorm_plan_run(plan.get(), pixels, 4, out) == PIXNORM_OK);
    for (float x : out) CHECK(x == 0.0f);
  }
}
