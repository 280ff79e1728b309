// The C++ layer: owning handles and statuses that keep their message.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "pixnorm/pixnorm.hpp"

TEST_CASE("c++ layer: preset, plan, run, and errors that carry their message") {
  pixnorm::Stats stats;
  REQUIRE(stats.preset("imagenet"));
  const pixnorm::Status bad = stats.preset("no-such-preset");
  CHECK(!bad);
  CHECK(bad.code() != PIXNORM_OK);
  CHECK(std::string(bad.message()).find("no-such-preset") != std::string::npos);
  CHECK(stats.get() != nullptr);  // a failed call keeps the previous statistics

  pixnorm::PlanDesc desc;
  desc.width = 2;
  desc.height = 1;
  desc.layout = PIXNORM_LAYOUT_NHWC;
  pixnorm::Plan plan;
  REQUIRE(plan.create(stats, desc));
  const uint8_t px[6] = {0, 0, 0, 255, 255, 255};
  std::vector<float> out(plan.output_elements());
  REQUIRE(plan.run(px, 6, out.data()) == PIXNORM_OK);
  CHECK(out[0] == doctest::Approx(-0.485 / 0.229));
  CHECK(out[5] == doctest::Approx((1 - 0.406) / 0.225));

  pixnorm::Plan moved = std::move(plan);
  CHECK(plan.get() == nullptr);
  CHECK(moved.get() != nullptr);

  desc.width = 0;
  const pixnorm::Status st = moved.create(stats, desc);
  CHECK(!st);
  CHECK(std::string(st.message()).find("empty") != std::string::npos);
  CHECK(moved.get() != nullptr);  // still the previous, valid plan
}
