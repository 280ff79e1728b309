// Statistics files: any bytes either parse or are refused with a message; what parses
// serializes to text that parses back to the same values and serializes to the same text;
// the same bytes as one extra field's value behave alike; a plan from parsed statistics
// produces only finite numbers.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "pixnorm/pixnorm.h"

namespace {

std::string serialize(const pixnorm_stats* s) {
  size_t size = 0;
  FUZZ_CHECK(pixnorm_stats_serialize(s, nullptr, &size) == PIXNORM_OK, "%s", pixnorm_last_error());
  std::string text(size, '\0');
  FUZZ_CHECK(pixnorm_stats_serialize(s, &text[0], &size) == PIXNORM_OK, "%s", pixnorm_last_error());
  FUZZ_CHECK(size == text.size() && text.back() == '\0', "serialize: size %zu", size);
  text.pop_back();
  return text;
}

bool same_values(const pixnorm_stats* a, const pixnorm_stats* b) {
  pixnorm_stats_values va, vb;
  pixnorm_stats_get(a, &va);
  pixnorm_stats_get(b, &vb);
  if (va.channel_order != vb.channel_order || va.channels != vb.channels || va.has_std != vb.has_std) return false;
  // Bits, not ==: -0 and 0 must survive as they are.
  auto same = [](double x, double y) { return std::memcmp(&x, &y, sizeof x) == 0; };
  bool ok = same(va.rescale, vb.rescale) && same(va.epsilon, vb.epsilon);
  for (uint32_t c = 0; c < va.channels; ++c) ok = ok && same(va.mean[c], vb.mean[c]) && same(va.std[c], vb.std[c]);
  pixnorm_recipe ra, rb;
  pixnorm_stats_get_recipe(a, &ra);
  pixnorm_stats_get_recipe(b, &rb);
  return ok && std::memcmp(&ra, &rb, sizeof ra) == 0;
}

// Serialized text parses back (or is refused as too large) and is a fixed point.
void check_round_trip(const pixnorm_stats* s) {
  const std::string once = serialize(s);
  pixnorm_stats* again = nullptr;
  const pixnorm_status st = pixnorm_stats_parse(once.data(), once.size(), "<serialized>", &again);
  if (once.size() > PIXNORM_MAX_STATS_BYTES) {
    FUZZ_CHECK(st == PIXNORM_ERROR_TOO_LARGE && again == nullptr, "oversize serialization: %d", st);
    return;
  }
  FUZZ_CHECK(st == PIXNORM_OK, "serialized text does not parse: %s\n%s", pixnorm_last_error(), once.c_str());
  FUZZ_CHECK(same_values(s, again), "values changed in a round trip:\n%s", once.c_str());
  const std::string twice = serialize(again);
  FUZZ_CHECK(twice == once, "serialization is not a fixed point:\n%s\n----\n%s", once.c_str(), twice.c_str());
  pixnorm_stats_free(again);
}

// Fixed-mode plans over a 2x2 image of the statistics' kind: refused, or finite outputs.
void check_plans(const pixnorm_stats* s) {
  pixnorm_stats_values v;
  pixnorm_stats_get(s, &v);
  const bool gray = v.channel_order == PIXNORM_ORDER_GRAY;
  const uint8_t pixels[2 * 2 * 3] = {0, 1, 2, 127, 128, 129, 253, 254, 255, 0, 255, 0};
  for (pixnorm_mode mode : {PIXNORM_MODE_STANDARDIZE, PIXNORM_MODE_CENTER, PIXNORM_MODE_RESCALE,
                            PIXNORM_MODE_SAMPLE_STANDARDIZE}) {
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.format = gray ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
    d.width = d.height = 2;
    d.mode = mode;
    pixnorm_plan* plan = nullptr;
    if (pixnorm_plan_create(s, &d, &plan) != PIXNORM_OK) {
      FUZZ_CHECK(plan == nullptr && pixnorm_last_error()[0] != '\0', "a refused plan without a message");
      continue;
    }
    float out[12];
    FUZZ_CHECK(pixnorm_plan_output_elements(plan) == (gray ? 4u : 12u), "elements");
    FUZZ_CHECK(pixnorm_plan_run(plan, pixels, gray ? 2 : 6, out) == PIXNORM_OK, "%s", pixnorm_last_error());
    for (size_t i = 0; i < pixnorm_plan_output_elements(plan); ++i)
      FUZZ_CHECK(std::isfinite(out[i]), "mode %d: output %zu is %g", mode, i, out[i]);
    pixnorm_plan_free(plan);
  }
  // A recipe maps onto a description for a camera-sized frame, or is refused with a message;
  // a mapped description stays within the plan's limits.
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 641;
  d.height = 479;
  if (pixnorm_plan_desc_apply_recipe(&d, s) != PIXNORM_OK) {
    FUZZ_CHECK(pixnorm_last_error()[0] != '\0', "a refused recipe without a message");
    return;
  }
  FUZZ_CHECK(d.out_width <= PIXNORM_MAX_DIMENSION && d.out_height <= PIXNORM_MAX_DIMENSION, "out %ux%u",
             d.out_width, d.out_height);
  FUZZ_CHECK(d.roi_width == 0 || (d.roi_x + d.roi_width <= d.width && d.roi_y + d.roi_height <= d.height),
             "region outside the frame");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  pixnorm_stats* s = reinterpret_cast<pixnorm_stats*>(&s);  // must be reset to NULL on failure
  if (pixnorm_stats_parse(text, size, "<fuzz>", &s) == PIXNORM_OK) {
    check_round_trip(s);
    check_plans(s);
    pixnorm_stats_free(s);
  } else {
    FUZZ_CHECK(s == nullptr && pixnorm_last_error()[0] != '\0', "a refused file without a message");
  }

  // The same bytes as the value of an extra field (a C string: up to the first NUL).
  FUZZ_CHECK(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK, "%s", pixnorm_last_error());
  const std::string value(text, strnlen(text, size));
  const pixnorm_status st = pixnorm_stats_set_field(s, "fuzz", value.c_str());
  if (st == PIXNORM_OK) {
    FUZZ_CHECK(pixnorm_stats_get_field(s, "fuzz") != nullptr, "set_field accepted but get_field is NULL");
    check_round_trip(s);
  } else {
    FUZZ_CHECK(pixnorm_stats_get_field(s, "fuzz") == nullptr, "a refused field was kept");
  }
  pixnorm_stats_free(s);
  return 0;
}
