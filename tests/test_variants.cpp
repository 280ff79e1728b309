// Kernel variants (pixnorm_variant): whichever one the description, the environment, the CPU's
// preference or a measurement picks, a plan gives the scalar reference's bytes, and
// pixnorm_plan_target names the variant that runs. The kernels of each variant are also checked
// one by one (kernel_cases.cpp registers "highway/AVX3/256" and "highway/AVX3/512").
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "backends.h"

using namespace pixnorm_test;

namespace {

struct EnvVariant {  // sets PIXNORM_VARIANT for a scope
  explicit EnvVariant(const char* v) {
    if (v != nullptr) setenv("PIXNORM_VARIANT", v, 1);
  }
  ~EnvVariant() { unsetenv("PIXNORM_VARIANT"); }
};

StatsPtr imagenet() {
  pixnorm_stats* s = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
  return StatsPtr(s);
}

struct Output {
  pixnorm_status status;
  std::string target;
  std::vector<uint8_t> bytes;
};

// One plan of `d` run on `src` (a guarded output checked), with `variant` and `backend`.
Output run(const pixnorm_stats* s, pixnorm_plan_desc d, pixnorm_backend backend, pixnorm_variant variant,
           const std::vector<uint8_t>& src, size_t row_bytes) {
  d.backend = backend;
  d.variant = variant;
  Output o{PIXNORM_OK, "", {}};
  pixnorm_plan* raw = nullptr;
  o.status = pixnorm_plan_create(s, &d, &raw);
  if (o.status != PIXNORM_OK) return o;
  const PlanPtr p(raw);
  o.target = pixnorm_plan_target(p.get());
  const size_t n = pixnorm_plan_output_bytes(p.get());
  GuardedBytes out(n, 4);
  REQUIRE(pixnorm_plan_run(p.get(), src.data(), row_bytes, out.data()) == PIXNORM_OK);
  CHECK(out.guards_intact());
  o.bytes.assign(out.data(), out.data() + n);
  return o;
}

}  // namespace

TEST_CASE("variants: every variant, however chosen, gives the scalar reference's bytes") {
  const auto s = imagenet();
  const pixnorm_format formats[] = {PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_BGR8, PIXNORM_FORMAT_RGBA8,
                                    PIXNORM_FORMAT_BGRA8};
  const pixnorm_dtype dtypes[] = {PIXNORM_DTYPE_F32, PIXNORM_DTYPE_INT8, PIXNORM_DTYPE_UINT8, PIXNORM_DTYPE_F16};
  const pixnorm_variant variants[] = {PIXNORM_VARIANT_AUTO, PIXNORM_VARIANT_MEASURE, PIXNORM_VARIANT_256,
                                      PIXNORM_VARIANT_512};
  // Odd sizes (tails of every width) and a padded stride.
  const struct {
    uint32_t w, h;
    size_t pad;
  } sizes[] = {{1, 1, 0}, {37, 5, 0}, {61, 7, 13}, {224, 3, 0}};
  for (const auto& sz : sizes)
    for (pixnorm_format f : formats)
      for (pixnorm_layout l : {PIXNORM_LAYOUT_NCHW, PIXNORM_LAYOUT_NHWC})
        for (pixnorm_dtype t : dtypes) {
          pixnorm_plan_desc d;
          pixnorm_plan_desc_init(&d);
          d.format = f;
          d.width = sz.w;
          d.height = sz.h;
          d.layout = l;
          d.dtype = t;
          if (t == PIXNORM_DTYPE_INT8 || t == PIXNORM_DTYPE_UINT8) {
            d.quant_scale = 0.0186;
            d.quant_zero_point = t == PIXNORM_DTYPE_INT8 ? -14 : 114;
          }
          const size_t row_bytes = sz.w * bpp(f) + sz.pad;
          const auto src = random_bytes(row_bytes * sz.h, sz.w * 31 + sz.h);
          const Output want = run(s.get(), d, PIXNORM_BACKEND_SCALAR, PIXNORM_VARIANT_AUTO, src, row_bytes);
          REQUIRE(want.status == PIXNORM_OK);
          for (const auto& b : simd_backends()) {
            if (b.variant == PIXNORM_VARIANT_512) continue;  // the same target: reached by the variants below
            for (pixnorm_variant v : variants) {
              select(b);
              const Output got = run(s.get(), d, b.id, v, src, row_bytes);
              restore_targets();
              INFO(b.name << " variant " << int(v) << " ran " << got.target << ", format " << int(f) << ", layout "
                          << int(l) << ", dtype " << int(t) << ", " << sz.w << "x" << sz.h);
              REQUIRE(got.status == PIXNORM_OK);
              CHECK(got.bytes == want.bytes);
            }
          }
        }
}

TEST_CASE("variants: the target names the variant asked for, where the target has it") {
  const auto s = imagenet();
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 64;
  d.height = 64;
  const std::vector<uint8_t> src = random_bytes(64 * 64 * 3, 7);
  for (const auto& b : simd_backends()) {
    if (b.variant == PIXNORM_VARIANT_512) continue;
    select(b);
    const Output w256 = run(s.get(), d, b.id, PIXNORM_VARIANT_256, src, 64 * 3);
    const Output w512 = run(s.get(), d, b.id, PIXNORM_VARIANT_512, src, 64 * 3);
    const Output measured = run(s.get(), d, b.id, PIXNORM_VARIANT_MEASURE, src, 64 * 3);
    restore_targets();
    INFO(b.name);
    REQUIRE(w256.status == PIXNORM_OK);
    REQUIRE(w512.status == PIXNORM_OK);
    if (b.variant == PIXNORM_VARIANT_256) {  // a target with both
      CHECK(w256.target.size() > 4);
      CHECK(w256.target.substr(w256.target.size() - 4) == "/256");
      CHECK(w512.target.substr(w512.target.size() - 4) == "/512");
      CHECK((measured.target == w256.target || measured.target == w512.target));
    } else {  // one variant: any choice runs it
      CHECK(w256.target == w512.target);
      CHECK(measured.target == w256.target);
    }
  }
}

TEST_CASE("variants: PIXNORM_VARIANT chooses for plans that leave it open, and a bad value is refused") {
  const auto s = imagenet();
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 16;
  d.height = 16;
  const std::vector<uint8_t> src = random_bytes(16 * 16 * 3, 9);
  for (const auto& b : simd_backends()) {
    if (b.variant == PIXNORM_VARIANT_AUTO) continue;  // only targets with two variants
    select(b);
    std::string by_env, by_desc;
    {
      const EnvVariant env(b.variant == PIXNORM_VARIANT_512 ? "512" : "256");
      by_env = run(s.get(), d, b.id, PIXNORM_VARIANT_AUTO, src, 48).target;
      // The description's choice wins over the environment's.
      by_desc = run(s.get(), d, b.id, b.variant == PIXNORM_VARIANT_512 ? PIXNORM_VARIANT_256 : PIXNORM_VARIANT_512,
                    src, 48)
                    .target;
    }
    restore_targets();
    INFO(b.name);
    CHECK(by_env == b.kernels->target);
    CHECK(by_desc != b.kernels->target);
  }
  {
    const EnvVariant env("wide");
    const Output o = run(s.get(), d, PIXNORM_BACKEND_SCALAR, PIXNORM_VARIANT_AUTO, src, 48);
    CHECK(o.status == PIXNORM_ERROR_INVALID_ARGUMENT);
    const std::string msg = pixnorm_last_error();
    CHECK(msg.find("PIXNORM_VARIANT") != std::string::npos);
    CHECK(msg.find("'wide'") != std::string::npos);
  }
  {
    const EnvVariant env("auto");
    CHECK(run(s.get(), d, PIXNORM_BACKEND_AUTO, PIXNORM_VARIANT_AUTO, src, 48).status == PIXNORM_OK);
  }
  pixnorm_plan_desc bad = d;
  const int unknown = 4;
  std::memcpy(&bad.variant, &unknown, sizeof unknown);
  pixnorm_plan* p = nullptr;
  CHECK(pixnorm_plan_create(s.get(), &bad, &p) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()).find("variant") != std::string::npos);
  CHECK(p == nullptr);
}
