// One plan run by several threads at once: every kind of plan (fixed and per-image modes,
// geometry, YUV, narrow outputs, batches, planes given apart), with and without the plan's own
// worker threads, gives each caller the bytes a lone caller gets. CI's ThreadSanitizer stage runs
// this file's cases (their names contain "thread").
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "backends.h"

using namespace pixnorm_test;

namespace pixnorm {  // plan_run.cpp
void* scratch_acquire_for_test(const pixnorm_plan* p);
void scratch_release_for_test(const pixnorm_plan* p, void* set);
}  // namespace pixnorm

namespace {

constexpr unsigned kCallers = 6;  // more than a plan's 4 scratch sets: some runs wait for one
constexpr int kRuns = 16;

struct Kind {
  const char* name;
  std::function<void(pixnorm_plan_desc*)> edit;
  uint32_t batch = 1;
  bool planes = false;  // pixnorm_plan_run_image instead of one contiguous frame
};

// A contiguous frame of the description's format: packed rows, or the Y plane then the chroma.
struct Frame {
  std::vector<uint8_t> bytes;
  size_t row_bytes;
  size_t luma;  // bytes of the Y plane (YUV)
};
Frame make_frame(const pixnorm_plan_desc& d, uint32_t seed) {
  Frame f;
  const bool nv = d.format == PIXNORM_FORMAT_NV12 || d.format == PIXNORM_FORMAT_NV21;
  f.row_bytes = nv ? d.width : static_cast<size_t>(d.width) * bpp(d.format);
  f.luma = f.row_bytes * d.height;
  const size_t chroma = nv ? (d.width + 1) / 2 * 2 * ((d.height + 1) / 2) : 0;
  f.bytes = random_bytes(f.luma + chroma, seed);
  return f;
}

struct Output {
  std::vector<uint64_t> store;  // 8-byte aligned for every output type
  explicit Output(size_t bytes) : store((bytes + 7) / 8 + 1, 0x5A5A5A5A5A5A5A5Aull) {}
  void* data() { return store.data(); }
};

pixnorm_status run(const pixnorm_plan* p, const Kind& k, const std::vector<Frame>& frames, void* out) {
  if (k.batch > 1) {
    std::vector<const uint8_t*> px;
    std::vector<size_t> rb;
    for (const Frame& f : frames) {
      px.push_back(f.bytes.data());
      rb.push_back(f.row_bytes);
    }
    return pixnorm_plan_run_batch(p, px.data(), rb.data(), k.batch, out);
  }
  const Frame& f = frames[0];
  if (k.planes) {
    pixnorm_image im{};
    im.planes[0] = f.bytes.data();
    im.row_bytes[0] = f.row_bytes;
    im.planes[1] = f.bytes.data() + f.luma;
    im.row_bytes[1] = f.row_bytes;
    return pixnorm_plan_run_image(p, &im, out);
  }
  return pixnorm_plan_run(p, f.bytes.data(), f.row_bytes, out);
}

std::vector<Kind> kinds() {
  const auto resize = [](pixnorm_plan_desc* d) {
    d->width = 64;
    d->height = 64;
    d->out_width = 24;
    d->out_height = 24;
  };
  return {
      {"standardize", [](pixnorm_plan_desc*) {}},
      {"standardize NHWC from BGRA8", [](pixnorm_plan_desc* d) {
         d->format = PIXNORM_FORMAT_BGRA8;
         d->layout = PIXNORM_LAYOUT_NHWC;
       }},
      {"sample-standardize", [](pixnorm_plan_desc* d) { d->mode = PIXNORM_MODE_SAMPLE_STANDARDIZE; }},
      {"minmax per channel", [](pixnorm_plan_desc* d) {
         d->mode = PIXNORM_MODE_MINMAX;
         d->per_channel = 1;
       }},
      {"resize 64x64 to 24x24", resize},
      {"resize, sample-standardize", [=](pixnorm_plan_desc* d) {
         resize(d);
         d->mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
       }},
      {"resize, minmax", [=](pixnorm_plan_desc* d) {
         resize(d);
         d->mode = PIXNORM_MODE_MINMAX;
         d->interp = PIXNORM_INTERP_AREA;
       }},
      {"center crop", [](pixnorm_plan_desc* d) {
         d->out_width = 32;
         d->out_height = 32;
         d->fit = PIXNORM_FIT_CENTER_CROP;
         d->resize_short = 40;
       }},
      {"pil-bicubic, center crop", [](pixnorm_plan_desc* d) {
         d->out_width = 24;
         d->out_height = 24;
         d->fit = PIXNORM_FIT_CENTER_CROP;
         d->resize_short = 30;
         d->interp = PIXNORM_INTERP_PIL_BICUBIC;
       }},
      {"pil-lanczos resize, sample-standardize", [=](pixnorm_plan_desc* d) {
         resize(d);
         d->mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
         d->interp = PIXNORM_INTERP_PIL_LANCZOS;
       }},
      {"letterbox, flip", [](pixnorm_plan_desc* d) {
         d->out_width = 40;
         d->out_height = 40;
         d->fit = PIXNORM_FIT_LETTERBOX;
         d->flip = 1;
       }},
      {"region only", [](pixnorm_plan_desc* d) {
         d->roi_x = 3;
         d->roi_y = 5;
         d->roi_width = 30;
         d->roi_height = 20;
       }},
      {"NV12 to 24x24", [](pixnorm_plan_desc* d) {
         d->format = PIXNORM_FORMAT_NV12;
         d->out_width = 24;
         d->out_height = 24;
       }},
      {"NV12 planes, per-image standardization", [](pixnorm_plan_desc* d) {
         d->format = PIXNORM_FORMAT_NV12;
         d->mode = PIXNORM_MODE_PER_IMAGE_STANDARDIZATION;
       }, 1, true},
      {"int8 NHWC from BGR8", [](pixnorm_plan_desc* d) {
         d->format = PIXNORM_FORMAT_BGR8;
         d->layout = PIXNORM_LAYOUT_NHWC;
         d->dtype = PIXNORM_DTYPE_INT8;
         d->quant_scale = 0.02;
       }},
      {"uint8 NHWC from RGBA8, sample-center", [](pixnorm_plan_desc* d) {
         d->format = PIXNORM_FORMAT_RGBA8;
         d->layout = PIXNORM_LAYOUT_NHWC;
         d->dtype = PIXNORM_DTYPE_UINT8;
         d->quant_scale = 0.5;
         d->quant_zero_point = 128;
         d->mode = PIXNORM_MODE_SAMPLE_CENTER;
       }},
      {"f16, resize", [=](pixnorm_plan_desc* d) {
         resize(d);
         d->dtype = PIXNORM_DTYPE_F16;
       }},
      {"batch of 3", [](pixnorm_plan_desc* d) { d->batch = 3; }, 3},
      {"batch of 2, resize, sample-standardize, int8", [=](pixnorm_plan_desc* d) {
         resize(d);
         d->batch = 2;
         d->mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
         d->dtype = PIXNORM_DTYPE_INT8;
         d->quant_scale = 0.05;
       }, 2},
  };
}

// A build without threads (PIXNORM_WITH_THREADS off) refuses worker threads, and its plans
// promise nothing to concurrent callers.
bool built_without_threads() {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = d.height = 8;
  d.mode = PIXNORM_MODE_MINMAX;
  d.threads = 2;
  pixnorm_plan* p = nullptr;
  const pixnorm_status st = pixnorm_plan_create(nullptr, &d, &p);
  pixnorm_plan_free(p);
  return st == PIXNORM_ERROR_UNSUPPORTED;
}

}  // namespace

TEST_CASE("shared plan: threads running one plan at once get the bytes of a lone caller") {
  if (std::getenv("PIXNORM_TEST_NO_THREADS") != nullptr) {
    MESSAGE("concurrent runs not tested here: PIXNORM_TEST_NO_THREADS is set");
    return;
  }
  if (built_without_threads()) {
    MESSAGE("concurrent runs not tested: a build without threads");
    return;
  }
  pixnorm_stats* s = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
  const StatsPtr stats(s);
  // Bands of a few rows, so that the plan's workers take part even in these small images.
  const char* kept = std::getenv("PIXNORM_MIN_BAND_PIXELS");
  const std::string restore = kept != nullptr ? kept : "";
  setenv("PIXNORM_MIN_BAND_PIXELS", "64", 1);
  for (const Kind& k : kinds()) {
    for (uint32_t threads : {1u, 2u}) {
      const std::string kind = k.name;
      CAPTURE(kind);
      CAPTURE(threads);
      pixnorm_plan_desc d;
      pixnorm_plan_desc_init(&d);
      d.width = 48;
      d.height = 36;
      d.threads = threads;
      k.edit(&d);
      pixnorm_plan* raw = nullptr;
      REQUIRE_MESSAGE(pixnorm_plan_create(stats.get(), &d, &raw) == PIXNORM_OK, pixnorm_last_error());
      const PlanPtr plan(raw);
      const size_t bytes = pixnorm_plan_output_bytes(plan.get()) * k.batch;
      // Each caller its own images (identical inputs would hide one caller's scratch
      // overwritten by another's), and its reference from the plan run alone.
      std::vector<std::vector<Frame>> frames(kCallers);
      std::vector<Output> want;
      for (unsigned c = 0; c < kCallers; ++c) {
        for (uint32_t i = 0; i < k.batch; ++i) frames[c].push_back(make_frame(d, 1000 * c + i + 1));
        want.emplace_back(bytes);
        REQUIRE_MESSAGE(run(plan.get(), k, frames[c], want.back().data()) == PIXNORM_OK, pixnorm_last_error());
      }
      std::atomic<unsigned> ready{0};
      std::atomic<int> failed{0}, wrong{0};
      std::vector<std::thread> callers;
      for (unsigned c = 0; c < kCallers; ++c)
        callers.emplace_back([&, c] {
          Output got(bytes);
          ready.fetch_add(1);
          while (ready.load() < kCallers) std::this_thread::yield();
          for (int r = 0; r < kRuns; ++r) {
            if (run(plan.get(), k, frames[c], got.data()) != PIXNORM_OK) failed.fetch_add(1);
            else if (std::memcmp(got.data(), want[c].data(), bytes) != 0) wrong.fetch_add(1);
          }
        });
      for (auto& t : callers) t.join();
      CHECK(failed.load() == 0);
      CHECK_MESSAGE(wrong.load() == 0, wrong.load() << " of " << kCallers * kRuns << " concurrent runs differ");
    }
  }
  setenv("PIXNORM_MIN_BAND_PIXELS", restore.c_str(), 1);
}

TEST_CASE("shared plan: a thread whose run finds every scratch set taken waits for one, then runs") {
  if (std::getenv("PIXNORM_TEST_NO_THREADS") != nullptr || built_without_threads()) return;
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 64;
  d.height = 64;
  d.out_width = 24;
  d.out_height = 24;
  d.mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
  pixnorm_plan* raw = nullptr;
  REQUIRE(pixnorm_plan_create(nullptr, &d, &raw) == PIXNORM_OK);
  const PlanPtr plan(raw);
  const Frame f = make_frame(d, 3);
  const size_t bytes = pixnorm_plan_output_bytes(plan.get());
  Output want(bytes), got(bytes);
  REQUIRE(pixnorm_plan_run(plan.get(), f.bytes.data(), f.row_bytes, want.data()) == PIXNORM_OK);
  for (int round = 0; round < 3; ++round) {
    // The 4 sets pixnorm.h documents, taken as by runs in progress on other threads.
    std::vector<void*> held;
    for (int i = 0; i < 4; ++i) held.push_back(pixnorm::scratch_acquire_for_test(plan.get()));
    for (int i = 0; i < 4; ++i) {
      REQUIRE(held[i] != nullptr);
      for (int j = 0; j < i; ++j) REQUIRE(held[i] != held[j]);
    }
    std::atomic<bool> done{false};
    pixnorm_status st = PIXNORM_ERROR_IO;
    std::thread runner([&] {
      st = pixnorm_plan_run(plan.get(), f.bytes.data(), f.row_bytes, got.data());
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(done.load());  // it cannot have run: no set was free
    // One set returned wakes it (a different one each round); the others after.
    pixnorm::scratch_release_for_test(plan.get(), held[round]);
    runner.join();
    for (int i = 0; i < 4; ++i)
      if (i != round) pixnorm::scratch_release_for_test(plan.get(), held[i]);
    CHECK(st == PIXNORM_OK);
    CHECK(std::memcmp(got.data(), want.data(), bytes) == 0);
  }
}
