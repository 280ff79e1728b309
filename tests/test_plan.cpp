// Plans: every mode, layout and pixel format on every backend and target against the scalar
// reference bit for bit; the modes against float64 formulas; bad descriptions and inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backends.h"

using namespace pixnorm_test;

namespace {


StatsPtr preset(const char* name) {
  pixnorm_stats* s = nullptr;
  REQUIRE_MESSAGE(pixnorm_stats_preset(name, &s) == PIXNORM_OK, pixnorm_last_error());
  return StatsPtr(s);
}

StatsPtr make_stats(pixnorm_channel_order order, std::vector<double> mean, std::vector<double> std_,
                    double rescale, double eps = 0.0) {
  pixnorm_stats_values v{};
  v.channel_order = order;
  v.channels = static_cast<uint32_t>(mean.size());
  v.rescale = rescale;
  v.epsilon = eps;
  v.has_std = 1;
  for (size_t i = 0; i < mean.size(); ++i) {
    v.mean[i] = mean[i];
    v.std[i] = std_[i];
  }
  pixnorm_stats* s = nullptr;
  REQUIRE_MESSAGE(pixnorm_stats_create(&v, &s) == PIXNORM_OK, pixnorm_last_error());
  return StatsPtr(s);
}

pixnorm_plan_desc desc_of(pixnorm_format f, uint32_t w, uint32_t h, pixnorm_layout l, pixnorm_mode m,
                          pixnorm_backend b = PIXNORM_BACKEND_SCALAR) {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = f;
  d.width = w;
  d.height = h;
  d.layout = l;
  d.mode = m;
  d.backend = b;
  return d;
}

PlanPtr plan_or_fail(const pixnorm_stats* s, const pixnorm_plan_desc& d) {
  pixnorm_plan* p = nullptr;
  const pixnorm_status st = pixnorm_plan_create(s, &d, &p);
  REQUIRE_MESSAGE(st == PIXNORM_OK, pixnorm_last_error());
  return PlanPtr(p);
}

// What a C caller can put in an enum field: any int (a C++ cast to the enum would be undefined).
template <class E>
void set_raw(E& field, int value) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  std::memcpy(&field, &value, sizeof value);
}


// An image with `pad` spare bytes per row, starting `skew` bytes past an allocation.
struct Image {
  std::vector<uint8_t> store;
  size_t row_bytes;
  size_t skew;
  const uint8_t* data() const { return store.data() + skew; }
  uint8_t* data() { return store.data() + skew; }
};
Image make_image(pixnorm_format f, uint32_t w, uint32_t h, size_t pad, size_t skew, uint32_t seed) {
  Image im;
  im.row_bytes = size_t(w) * bpp(f) + pad;
  im.skew = skew;
  im.store = random_bytes(im.row_bytes * h + skew, seed);
  return im;
}

const pixnorm_mode kModes[] = {PIXNORM_MODE_STANDARDIZE,        PIXNORM_MODE_CENTER,
                               PIXNORM_MODE_RESCALE,            PIXNORM_MODE_SAMPLE_CENTER,
                               PIXNORM_MODE_SAMPLE_STANDARDIZE, PIXNORM_MODE_PER_IMAGE_STANDARDIZATION,
                               PIXNORM_MODE_MINMAX};
const pixnorm_format kFormats[] = {PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_BGR8,
                                   PIXNORM_FORMAT_RGBA8, PIXNORM_FORMAT_BGRA8};

}  // namespace

TEST_CASE("plan: every backend and target equals the scalar reference bit for bit") {
  const auto rgb = preset("imagenet");
  const auto gray = make_stats(PIXNORM_ORDER_GRAY, {0.45}, {0.27}, 1.0 / 255.0);
  struct Size {
    uint32_t w, h;
  };
  // 1x1, odd tails, tall and wide, and one larger than several vectors in both directions.
  const Size sizes[] = {{1, 1}, {3, 1}, {1, 7}, {5, 3}, {17, 9}, {67, 2}, {2, 67}, {300, 1}, {1, 300}, {224, 5}};
  for (const auto& b : simd_backends()) {
    CAPTURE(b.name);
    for (pixnorm_format f : kFormats) {
      const pixnorm_stats* s = f == PIXNORM_FORMAT_GRAY8 ? gray.get() : rgb.get();
      for (pixnorm_layout l : {PIXNORM_LAYOUT_NCHW, PIXNORM_LAYOUT_NHWC}) {
        for (pixnorm_mode m : kModes) {
          for (int per_channel : {0, 1}) {
            if (per_channel && (m < PIXNORM_MODE_SAMPLE_CENTER)) continue;
            for (const Size& sz : sizes) {
              for (size_t pad : {0u, 5u}) {
                CAPTURE(f);
                CAPTURE(l);
                CAPTURE(m);
                CAPTURE(per_channel);
                CAPTURE(sz.w);
                CAPTURE(sz.h);
                CAPTURE(pad);
                const Image im = make_image(f, sz.w, sz.h, pad, pad % 3, sz.w * 31 + sz.h);
                pixnorm_plan_desc d = desc_of(f, sz.w, sz.h, l, m);
                d.per_channel = per_channel;
                const PlanPtr ref = plan_or_fail(s, d);
                d.backend = b.id;
                select(b);
                const PlanPtr got = plan_or_fail(s, d);
                restore_targets();
                REQUIRE(pixnorm_plan_backend(got.get()) == b.id);
                const size_t n = pixnorm_plan_output_elements(ref.get());
                Guarded want(n, 0), out(n, 1 + pad % 2);
                REQUIRE(pixnorm_plan_run(ref.get(), im.data(), im.row_bytes, want.data()) == PIXNORM_OK);
                REQUIRE(pixnorm_plan_run(got.get(), im.data(), im.row_bytes, out.data()) == PIXNORM_OK);
                REQUIRE(out.guards_intact());
                REQUIRE(out.unwritten() == 0);
                REQUIRE_MESSAGE(out.same_bits(want), "first difference at " << out.first_difference(want));
              }
            }
          }
        }
      }
    }
  }
}

#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
TEST_CASE("plan: a Highway plan runs the target it was created under") {
  for (const auto& b : simd_backends()) {
    if (b.hwy_target == 0) continue;
    const auto s = preset("imagenet");
    select(b);
    const PlanPtr p = plan_or_fail(s.get(), desc_of(PIXNORM_FORMAT_RGB8, 8, 8, PIXNORM_LAYOUT_NCHW,
                                                    PIXNORM_MODE_STANDARDIZE, PIXNORM_BACKEND_HIGHWAY));
    restore_targets();
    CHECK(std::string(pixnorm_plan_target(p.get())) == b.kernels->target);
    CHECK(std::string(pixnorm_plan_target(p.get())).rfind(hwy::TargetName(b.hwy_target), 0) == 0);
  }
}
#endif

namespace {

// float64 value of every output element, straight from the mode's definition.
std::vector<double> reference(const pixnorm_stats_values* st, pixnorm_mode mode, bool per_channel, double eps,
                              const std::vector<std::vector<double>>& planes) {
  const size_t C = planes.size(), n = planes[0].size();
  const double r = st ? st->rescale : 1.0;
  std::vector<double> out;
  auto stats_of = [&](size_t c0, size_t c1, double* mean, double* sd, double* lo, double* hi) {
    double s = 0, cnt = 0;
    *lo = 1e300;
    *hi = -1e300;
    for (size_t c = c0; c < c1; ++c)
      for (double x : planes[c]) {
        s += x * r;
        cnt += 1;
        *lo = std::fmin(*lo, x * r);
        *hi = std::fmax(*hi, x * r);
      }
    *mean = s / cnt;
    double v = 0;
    for (size_t c = c0; c < c1; ++c)
      for (double x : planes[c]) v += (x * r - *mean) * (x * r - *mean);
    *sd = std::sqrt(v / cnt);
    return cnt;
  };
  for (size_t c = 0; c < C; ++c) {
    double mean = 0, sd = 1, lo = 0, hi = 0, cnt = 0;
    if (mode >= PIXNORM_MODE_SAMPLE_CENTER)
      cnt = per_channel ? stats_of(c, c + 1, &mean, &sd, &lo, &hi) : stats_of(0, C, &mean, &sd, &lo, &hi);
    for (size_t i = 0; i < n; ++i) {
      const double y = planes[c][i] * r;
      const size_t k = st && st->channels == 3 ? c : 0;
      double v = 0;
      switch (mode) {
        case PIXNORM_MODE_STANDARDIZE: v = (y - st->mean[k]) / (st->std[k] + eps); break;
        case PIXNORM_MODE_CENTER: v = y - st->mean[k]; break;
        case PIXNORM_MODE_RESCALE: v = y; break;
        case PIXNORM_MODE_SAMPLE_CENTER: v = y - mean; break;
        case PIXNORM_MODE_SAMPLE_STANDARDIZE: v = (sd + eps) > 0 ? (y - mean) / (sd + eps) : 0; break;
        case PIXNORM_MODE_PER_IMAGE_STANDARDIZATION: v = (y - mean) / std::fmax(sd, 1.0 / std::sqrt(cnt)); break;
        case PIXNORM_MODE_MINMAX: v = hi > lo ? (y - lo) / (hi - lo) : 0; break;
      }
      out.push_back(v);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("plan: every mode agrees with its float64 formula") {
  const auto stats = preset("imagenet");
  pixnorm_stats_values v;
  REQUIRE(pixnorm_stats_get(stats.get(), &v) == PIXNORM_OK);
  const uint32_t w = 37, h = 11;
  const Image im = make_image(PIXNORM_FORMAT_RGB8, w, h, 0, 0, 99);
  std::vector<std::vector<double>> planes(3, std::vector<double>(size_t(w) * h));
  for (size_t i = 0; i < size_t(w) * h; ++i)
    for (int c = 0; c < 3; ++c) planes[c][i] = im.data()[3 * i + c];
  for (pixnorm_mode m : kModes) {
    for (int per_channel : {0, 1}) {
      CAPTURE(m);
      CAPTURE(per_channel);
      pixnorm_plan_desc d = desc_of(PIXNORM_FORMAT_RGB8, w, h, PIXNORM_LAYOUT_NCHW, m);
      d.per_channel = per_channel;
      const PlanPtr p = plan_or_fail(stats.get(), d);
      std::vector<float> out(pixnorm_plan_output_elements(p.get()));
      REQUIRE(pixnorm_plan_run(p.get(), im.data(), im.row_bytes, out.data()) == PIXNORM_OK);
      const double eps = m == PIXNORM_MODE_SAMPLE_STANDARDIZE ? 1e-6 : 0.0;
      const auto want = reference(&v, m, per_channel, eps, planes);
      double worst = 0;
      for (size_t i = 0; i < out.size(); ++i) worst = std::fmax(worst, std::fabs(out[i] - want[i]));
      // float32 outputs of magnitude up to about 3: a few float ulps (2.4e-7 at 1..2).
      CHECK(worst < 2e-6);
    }
  }
}

TEST_CASE("plan: accuracy of the folded ImageNet standardization against float64") {
  // Every uint8 value in every channel: the worst case over all inputs.
  const auto stats = preset("imagenet");
  pixnorm_stats_values v;
  REQUIRE(pixnorm_stats_get(stats.get(), &v) == PIXNORM_OK);
  std::vector<uint8_t> px(256 * 3);
  for (int x = 0; x < 256; ++x)
    for (int c = 0; c < 3; ++c) px[3 * x + c] = static_cast<uint8_t>(x);
  const PlanPtr p =
      plan_or_fail(stats.get(), desc_of(PIXNORM_FORMAT_RGB8, 256, 1, PIXNORM_LAYOUT_NHWC, PIXNORM_MODE_STANDARDIZE));
  std::vector<float> out(256 * 3);
  REQUIRE(pixnorm_plan_run(p.get(), px.data(), px.size(), out.data()) == PIXNORM_OK);
  double worst_abs = 0, worst_rel = 0;
  for (int x = 0; x < 256; ++x) {
    for (int c = 0; c < 3; ++c) {
      const double want = (x / 255.0 - v.mean[c]) / v.std[c];
      const double err = std::fabs(out[3 * x + c] - want);
      worst_abs = std::fmax(worst_abs, err);
      if (std::fabs(want) > 1e-3) worst_rel = std::fmax(worst_rel, err / std::fabs(want));
    }
  }
  MESSAGE("imagenet standardize vs float64: max abs error " << worst_abs << ", max relative error "
                                                            << worst_rel << " (|value| > 1e-3)");
  CHECK(worst_abs < 1e-6);
}

TEST_CASE("plan: channel orders map to the statistics' order") {
  const uint32_t w = 29, h = 3;
  const Image rgb = make_image(PIXNORM_FORMAT_RGB8, w, h, 0, 0, 5);
  Image bgr = rgb, rgba = make_image(PIXNORM_FORMAT_RGBA8, w, h, 0, 0, 6), bgra = rgba;
  for (size_t i = 0; i < size_t(w) * h; ++i) {
    std::swap(bgr.data()[3 * i], bgr.data()[3 * i + 2]);
    for (int c = 0; c < 3; ++c) rgba.data()[4 * i + c] = rgb.data()[3 * i + c];
    for (int c = 0; c < 3; ++c) bgra.data()[4 * i + c] = bgr.data()[3 * i + c];
  }
  for (const char* name : {"imagenet", "caffe"}) {
    const auto s = preset(name);
    for (pixnorm_layout l : {PIXNORM_LAYOUT_NCHW, PIXNORM_LAYOUT_NHWC}) {
      // The per-image modes pool all channels: alpha (random here) must not count.
      for (pixnorm_mode m : {PIXNORM_MODE_STANDARDIZE, PIXNORM_MODE_MINMAX, PIXNORM_MODE_SAMPLE_STANDARDIZE}) {
        CAPTURE(name);
        CAPTURE(l);
        CAPTURE(m);
        std::vector<std::vector<float>> outs;
        const std::pair<pixnorm_format, const Image*> inputs[] = {{PIXNORM_FORMAT_RGB8, &rgb},
                                                                  {PIXNORM_FORMAT_BGR8, &bgr},
                                                                  {PIXNORM_FORMAT_RGBA8, &rgba},
                                                                  {PIXNORM_FORMAT_BGRA8, &bgra}};
        for (const auto& in : inputs) {
          const PlanPtr p = plan_or_fail(s.get(), desc_of(in.first, w, h, l, m, PIXNORM_BACKEND_AUTO));
          outs.emplace_back(pixnorm_plan_output_elements(p.get()));
          REQUIRE(pixnorm_plan_run(p.get(), in.second->data(), in.second->row_bytes, outs.back().data()) ==
                  PIXNORM_OK);
        }
        for (size_t i = 1; i < outs.size(); ++i) CHECK(outs[i] == outs[0]);
      }
    }
  }
  // caffe statistics are BGR: an RGB input comes out as B, G, R planes.
  const auto caffe = preset("caffe");
  const PlanPtr p = plan_or_fail(caffe.get(), desc_of(PIXNORM_FORMAT_RGB8, 1, 1, PIXNORM_LAYOUT_NCHW,
                                                      PIXNORM_MODE_STANDARDIZE));
  CHECK(pixnorm_plan_output_order(p.get()) == PIXNORM_ORDER_BGR);
  const uint8_t px[3] = {10, 20, 30};
  float out[3];
  REQUIRE(pixnorm_plan_run(p.get(), px, 3, out) == PIXNORM_OK);
  CHECK(out[0] == doctest::Approx(30 - 103.939));
  CHECK(out[1] == doctest::Approx(20 - 116.779));
  CHECK(out[2] == doctest::Approx(10 - 123.68));
}

TEST_CASE("plan: presets give the documented formulas") {
  const uint8_t px[3] = {0, 128, 255};
  float out[3];
  const PlanPtr tf = plan_or_fail(preset("tf").get(), desc_of(PIXNORM_FORMAT_RGB8, 1, 1, PIXNORM_LAYOUT_NHWC,
                                                              PIXNORM_MODE_STANDARDIZE));
  REQUIRE(pixnorm_plan_run(tf.get(), px, 3, out) == PIXNORM_OK);
  CHECK(out[0] == -1.0f);
  CHECK(out[1] == doctest::Approx(128 / 127.5 - 1));
  CHECK(out[2] == 1.0f);
  const PlanPtr unit = plan_or_fail(preset("unit").get(), desc_of(PIXNORM_FORMAT_RGB8, 1, 1, PIXNORM_LAYOUT_NHWC,
                                                                  PIXNORM_MODE_STANDARDIZE));
  REQUIRE(pixnorm_plan_run(unit.get(), px, 3, out) == PIXNORM_OK);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == doctest::Approx(128 / 255.0));
  CHECK(out[2] == 1.0f);
}

TEST_CASE("plan: per-image modes on a constant image give 0, never NaN") {
  std::vector<uint8_t> px(4 * 4 * 3, 77);
  for (pixnorm_mode m : {PIXNORM_MODE_SAMPLE_CENTER, PIXNORM_MODE_SAMPLE_STANDARDIZE,
                         PIXNORM_MODE_PER_IMAGE_STANDARDIZATION, PIXNORM_MODE_MINMAX}) {
    for (double eps : {PIXNORM_EPSILON_DEFAULT, 0.0}) {
      CAPTURE(m);
      CAPTURE(eps);
      pixnorm_plan_desc d = desc_of(PIXNORM_FORMAT_RGB8, 4, 4, PIXNORM_LAYOUT_NCHW, m, PIXNORM_BACKEND_AUTO);
      d.epsilon = eps;
      const PlanPtr p = plan_or_fail(nullptr, d);
      std::vector<float> out(48, 1.0f);
      REQUIRE(pixnorm_plan_run(p.get(), px.data(), 12, out.data()) == PIXNORM_OK);
      for (float x : out) CHECK(x == 0.0f);
      // Constant colours under a varying alpha are a constant image too.
      std::vector<uint8_t> rgba(4 * 4 * 4, 77);
      for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] = static_cast<uint8_t>(i * 16);
      d.format = PIXNORM_FORMAT_RGBA8;
      const PlanPtr q = plan_or_fail(nullptr, d);
      std::fill(out.begin(), out.end(), 1.0f);
      REQUIRE(pixnorm_plan_run(q.get(), rgba.data(), 16, out.data()) == PIXNORM_OK);
      for (float x : out) CHECK(x == 0.0f);
    }
  }
}

TEST_CASE("plan: a batch fills consecutive slots") {
  const auto s = preset("imagenet");
  pixnorm_plan_desc d = desc_of(PIXNORM_FORMAT_RGB8, 9, 4, PIXNORM_LAYOUT_NCHW, PIXNORM_MODE_STANDARDIZE,
                                PIXNORM_BACKEND_AUTO);
  d.batch = 3;
  const PlanPtr p = plan_or_fail(s.get(), d);
  const size_t n = pixnorm_plan_output_elements(p.get());
  Image ims[3] = {make_image(PIXNORM_FORMAT_RGB8, 9, 4, 0, 0, 1), make_image(PIXNORM_FORMAT_RGB8, 9, 4, 3, 1, 2),
                  make_image(PIXNORM_FORMAT_RGB8, 9, 4, 1, 2, 3)};
  const uint8_t* ptrs[3] = {ims[0].data(), ims[1].data(), ims[2].data()};
  const size_t strides[3] = {ims[0].row_bytes, ims[1].row_bytes, ims[2].row_bytes};
  Guarded batch(3 * n, 0);
  REQUIRE(pixnorm_plan_run_batch(p.get(), ptrs, strides, 3, batch.data()) == PIXNORM_OK);
  CHECK(batch.guards_intact());
  for (int i = 0; i < 3; ++i) {
    std::vector<float> one(n);
    REQUIRE(pixnorm_plan_run(p.get(), ptrs[i], strides[i], one.data()) == PIXNORM_OK);
    CHECK(std::memcmp(one.data(), batch.data() + i * n, n * sizeof(float)) == 0);
  }
  CHECK(pixnorm_plan_run_batch(p.get(), ptrs, strides, 4, batch.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("plan: PIXNORM_FORCE_SCALAR forces the scalar backend for auto plans") {
  const char* old = std::getenv("PIXNORM_FORCE_SCALAR");
  const std::string saved = old ? old : "";
  setenv("PIXNORM_FORCE_SCALAR", "1", 1);
  CHECK(pixnorm_backend_default() == PIXNORM_BACKEND_SCALAR);
  const auto s = preset("imagenet");
  const PlanPtr p = plan_or_fail(s.get(), desc_of(PIXNORM_FORMAT_RGB8, 4, 4, PIXNORM_LAYOUT_NCHW,
                                                  PIXNORM_MODE_STANDARDIZE, PIXNORM_BACKEND_AUTO));
  CHECK(pixnorm_plan_backend(p.get()) == PIXNORM_BACKEND_SCALAR);
  setenv("PIXNORM_FORCE_SCALAR", "0", 1);
#if PIXNORM_HAVE_HIGHWAY
  CHECK(pixnorm_backend_default() == PIXNORM_BACKEND_HIGHWAY);
#endif
  if (old)
    setenv("PIXNORM_FORCE_SCALAR", saved.c_str(), 1);
  else
    unsetenv("PIXNORM_FORCE_SCALAR");
}

TEST_CASE("plan: bad descriptions and runs are refused with a message") {
  const auto rgb = preset("imagenet");
  const auto gray = make_stats(PIXNORM_ORDER_GRAY, {0.5}, {0.25}, 1.0 / 255.0);
  pixnorm_plan* p = nullptr;
  auto refuse = [&](const pixnorm_stats* s, const pixnorm_plan_desc& d, pixnorm_status want, const char* part) {
    p = reinterpret_cast<pixnorm_plan*>(&p);  // must be reset to NULL on failure
    CHECK(pixnorm_plan_create(s, &d, &p) == want);
    CHECK(p == nullptr);
    CHECK_MESSAGE(std::string(pixnorm_last_error()).find(part) != std::string::npos, pixnorm_last_error());
  };
  const pixnorm_plan_desc ok = desc_of(PIXNORM_FORMAT_RGB8, 8, 8, PIXNORM_LAYOUT_NCHW, PIXNORM_MODE_STANDARDIZE);
  pixnorm_plan_desc d = ok;
  d.width = 0;
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "empty");
  d = ok;
  d.width = PIXNORM_MAX_DIMENSION + 1;
  refuse(rgb.get(), d, PIXNORM_ERROR_TOO_LARGE, "limit");
  d = ok;
  d.width = d.height = PIXNORM_MAX_DIMENSION;  // each side fine, the pixel count is not
  refuse(rgb.get(), d, PIXNORM_ERROR_TOO_LARGE, "limit");
  d = ok;
  set_raw(d.format, 17);
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "format");
  d = ok;
  set_raw(d.mode, -1);
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "mode");
  d = ok;
  d.batch = 0;
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "batch");
  d = ok;
  d.epsilon = -0.5;
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "epsilon");
  d = ok;
  d.epsilon = NAN;
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "epsilon");
  d = ok;
  refuse(nullptr, d, PIXNORM_ERROR_INVALID_ARGUMENT, "needs statistics");
  d = ok;
  d.format = PIXNORM_FORMAT_GRAY8;
  refuse(rgb.get(), d, PIXNORM_ERROR_CHANNEL_MISMATCH, "GRAY8");
  d = ok;
  refuse(gray.get(), d, PIXNORM_ERROR_CHANNEL_MISMATCH, "GRAY");
  d = ok;
  set_raw(d.backend, 9);
  refuse(rgb.get(), d, PIXNORM_ERROR_INVALID_ARGUMENT, "backend");
  // Statistics that fold to an unusable scale: std so large that 1/std underflows.
  const auto huge_std = make_stats(PIXNORM_ORDER_RGB, {0.0}, {1e300}, 1.0);
  refuse(huge_std.get(), ok, PIXNORM_ERROR_INVALID_STATS, "scale");
  CHECK(pixnorm_plan_create(rgb.get(), nullptr, &p) == PIXNORM_ERROR_INVALID_ARGUMENT);

  const PlanPtr plan = plan_or_fail(rgb.get(), ok);
  std::vector<uint8_t> px(8 * 8 * 3);
  std::vector<float> out(8 * 8 * 3);
  CHECK(pixnorm_plan_run(plan.get(), px.data(), 8 * 3 - 1, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()).find("row_bytes") != std::string::npos);
  CHECK(pixnorm_plan_run(plan.get(), nullptr, 24, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_plan_run(plan.get(), px.data(), 24, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_plan_run(nullptr, px.data(), 24, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_plan_run(plan.get(), px.data(), SIZE_MAX / 4, out.data()) == PIXNORM_ERROR_TOO_LARGE);
  CHECK(pixnorm_plan_run(plan.get(), px.data(), 24, reinterpret_cast<char*>(out.data()) + 1) ==
        PIXNORM_ERROR_INVALID_ARGUMENT);
  float scale[3], bias[3];
  REQUIRE(pixnorm_plan_get_params(plan.get(), scale, bias) == PIXNORM_OK);
  CHECK(scale[0] == doctest::Approx(1.0 / (255 * 0.229)));
  CHECK(bias[2] == doctest::Approx(-0.406 / 0.225));
}

TEST_CASE("info: backends and targets") {
  CHECK(pixnorm_backend_available(PIXNORM_BACKEND_SCALAR));
  CHECK(std::string(pixnorm_version()) == PIXNORM_VERSION_STRING);

#if PIXNORM_HAVE_HIGHWAY
  CHECK(pixnorm_backend_available(PIXNORM_BACKEND_HIGHWAY));
  // The target's name, before its variant's ("AVX3/512"), is one of the list's.
  const std::string runs = pixnorm_backend_target(PIXNORM_BACKEND_HIGHWAY);
  CHECK(std::string(pixnorm_backend_targets(PIXNORM_BACKEND_HIGHWAY)).find(runs.substr(0, runs.find('/'))) !=
        std::string::npos);
  MESSAGE("highway targets: " << std::string(pixnorm_backend_targets(PIXNORM_BACKEND_HIGHWAY))
                              << "; runs: " << std::string(pixnorm_backend_target(PIXNORM_BACKEND_HIGHWAY)));
#endif
  MESSAGE("xsimd: " << std::string(pixnorm_backend_available(PIXNORM_BACKEND_XSIMD)
                                        ? pixnorm_backend_target(PIXNORM_BACKEND_XSIMD)
                                        : "not available"));
}

TEST_CASE("plan: runs split over threads equal single-threaded runs bit for bit") {
  if (std::getenv("PIXNORM_TEST_NO_THREADS") != nullptr) {
    // Set for the cross builds: Debian's qemu-user 7.2 hangs or crashes on any program that
    // waits on a std::condition_variable in a second thread, pixnorm or not.
    MESSAGE("threaded runs not tested here: PIXNORM_TEST_NO_THREADS is set");
    return;
  }
  const auto s = preset("imagenet");
  for (uint32_t threads : {2u, 3u, 8u}) {
    for (uint32_t h : {1u, 2u, 7u, 64u}) {
      for (pixnorm_mode m : kModes) {
        for (pixnorm_layout l : {PIXNORM_LAYOUT_NCHW, PIXNORM_LAYOUT_NHWC}) {
          for (size_t pad : {0u, 3u}) {
            CAPTURE(threads);
            CAPTURE(h);
            CAPTURE(m);
            CAPTURE(l);
            CAPTURE(pad);
            const Image im = make_image(PIXNORM_FORMAT_BGRA8, 45, h, pad, 1, h + threads);
            pixnorm_plan_desc d = desc_of(PIXNORM_FORMAT_BGRA8, 45, h, l, m, PIXNORM_BACKEND_AUTO);
            const PlanPtr one = plan_or_fail(s.get(), d);
            d.threads = threads;
            const PlanPtr many = plan_or_fail(s.get(), d);
            const size_t n = pixnorm_plan_output_elements(one.get());
            Guarded want(n, 0), got(n, 1);
            REQUIRE(pixnorm_plan_run(one.get(), im.data(), im.row_bytes, want.data()) == PIXNORM_OK);
            for (int rep = 0; rep < 3; ++rep)  // the workers are reused run after run
              REQUIRE(pixnorm_plan_run(many.get(), im.data(), im.row_bytes, got.data()) == PIXNORM_OK);
            REQUIRE(got.guards_intact());
            REQUIRE(got.same_bits(want));
          }
        }
      }
    }
  }
  // Below PIXNORM_MIN_BAND_PIXELS per band a run uses fewer bands (the default, a large value,
  // and values that are not numbers, which fall back to the default): the same bytes.
  const char* kept = std::getenv("PIXNORM_MIN_BAND_PIXELS");
  const std::string restore = kept != nullptr ? kept : "";
  for (const char* v : {"", "131072", "100000000", "0", "-5", "12x", "3000"}) {
    CAPTURE(v);
    setenv("PIXNORM_MIN_BAND_PIXELS", v, 1);
    const Image im = make_image(PIXNORM_FORMAT_RGB8, 301, 97, 5, 1, 77);
    for (pixnorm_mode m : {PIXNORM_MODE_STANDARDIZE, PIXNORM_MODE_SAMPLE_STANDARDIZE}) {
      pixnorm_plan_desc d = desc_of(PIXNORM_FORMAT_RGB8, 301, 97, PIXNORM_LAYOUT_NCHW, m, PIXNORM_BACKEND_AUTO);
      const PlanPtr one = plan_or_fail(s.get(), d);
      d.threads = 4;
      const PlanPtr many = plan_or_fail(s.get(), d);
      const size_t n = pixnorm_plan_output_elements(one.get());
      Guarded want(n, 0), got(n, 1);
      REQUIRE(pixnorm_plan_run(one.get(), im.data(), im.row_bytes, want.data()) == PIXNORM_OK);
      REQUIRE(pixnorm_plan_run(many.get(), im.data(), im.row_bytes, got.data()) == PIXNORM_OK);
      REQUIRE(got.guards_intact());
      REQUIRE(got.same_bits(want));
    }
  }
  setenv("PIXNORM_MIN_BAND_PIXELS", restore.c_str(), 1);
  pixnorm_plan_desc d = desc_of(PIXNORM_FORMAT_RGB8, 8, 8, PIXNORM_LAYOUT_NCHW, PIXNORM_MODE_STANDARDIZE);
  d.threads = 65;
  pixnorm_plan* p = nullptr;
  CHECK(pixnorm_plan_create(s.get(), &d, &p) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(p == nullptr);
}
