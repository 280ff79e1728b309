// What sharing one plan between threads costs and gives: the median time of one run from a
// single caller, and the throughput of two callers running the same plan at once (against two
// callers with a plan each), with every shared result compared to a single-threaded reference.
//
//   pixnorm_shared_plan [runs per sample, default 100] [samples, default 301]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "pixnorm/pixnorm.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Case {
  const char* name;
  uint32_t w, h, out_w, out_h;
  pixnorm_mode mode;
};

pixnorm_plan* make_plan(const pixnorm_stats* stats, const Case& c) {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = PIXNORM_FORMAT_RGB8;
  d.width = c.w;
  d.height = c.h;
  d.out_width = c.out_w;
  d.out_height = c.out_h;
  d.mode = c.mode;
  pixnorm_plan* p = nullptr;
  if (pixnorm_plan_create(stats, &d, &p) != PIXNORM_OK) {
    std::fprintf(stderr, "%s: %s\n", c.name, pixnorm_last_error());
    std::exit(1);
  }
  return p;
}

// Median microseconds per run over `samples` timings of `runs` back-to-back runs.
double median_us(const pixnorm_plan* p, const uint8_t* px, size_t row_bytes, float* out, int runs, int samples) {
  std::vector<double> t;
  for (int s = 0; s < samples; ++s) {
    const auto t0 = Clock::now();
    for (int r = 0; r < runs; ++r) pixnorm_plan_run(p, px, row_bytes, out);
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / runs);
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

// Two threads, each `total` runs of plans[i] on image px[i], started together; runs per second
// of both, and how many outputs differ from want[i]. The images differ: with the same input, a
// caller whose scratch another overwrote could still get the right bytes.
double two_threads(pixnorm_plan* const plans[2], const std::vector<uint8_t> px[2], size_t row_bytes, size_t n,
                   const std::vector<float> want[2], int total, long* wrong) {
  std::atomic<int> ready{0};
  std::atomic<long> bad{0};
  Clock::time_point start, end[2];
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i)
    ts.emplace_back([&, i] {
      std::vector<float> out(n);
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      if (i == 0) start = Clock::now();
      for (int r = 0; r < total; ++r) {
        pixnorm_plan_run(plans[i], px[i].data(), row_bytes, out.data());
        if (std::memcmp(out.data(), want[i].data(), n * sizeof(float)) != 0) bad.fetch_add(1);
      }
      end[i] = Clock::now();
    });
  for (auto& t : ts) t.join();
  *wrong = bad.load();
  const double s = std::chrono::duration<double>(std::max(end[0], end[1]) - start).count();
  return 2.0 * total / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 100;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 301;
  pixnorm_stats* stats = nullptr;
  if (pixnorm_stats_preset("imagenet", &stats) != PIXNORM_OK) return 1;
  const Case cases[] = {
      {"224x224 RGB8 standardize", 224, 224, 0, 0, PIXNORM_MODE_STANDARDIZE},
      {"64x64 to 24x24 bilinear standardize", 64, 64, 24, 24, PIXNORM_MODE_STANDARDIZE},
      {"64x64 to 24x24 bilinear sample-standardize", 64, 64, 24, 24, PIXNORM_MODE_SAMPLE_STANDARDIZE},
  };
  std::printf("backend %s, target %s\n", pixnorm_backend_name(pixnorm_backend_default()),
              pixnorm_backend_target(pixnorm_backend_default()));
  for (const Case& c : cases) {
    std::vector<uint8_t> px[2];
    uint32_t x = 12345;
    for (auto& image : px) {
      image.resize(static_cast<size_t>(c.w) * c.h * 3);
      for (auto& v : image) v = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
    }
    pixnorm_plan* shared = make_plan(stats, c);
    pixnorm_plan* own = make_plan(stats, c);
    const size_t n = pixnorm_plan_output_elements(shared);
    std::vector<float> want[2], out(n);
    for (int i = 0; i < 2; ++i) {
      want[i].resize(n);
      pixnorm_plan_run(shared, px[i].data(), c.w * 3, want[i].data());
    }
    const double one = median_us(shared, px[0].data(), c.w * 3, out.data(), runs, samples);
    const int total = runs * samples / 4;
    pixnorm_plan* const same[2] = {shared, shared};
    pixnorm_plan* const apart[2] = {shared, own};
    long wrong_same = 0, wrong_apart = 0;
    const double rate_same = two_threads(same, px, c.w * 3, n, want, total, &wrong_same);
    const double rate_apart = two_threads(apart, px, c.w * 3, n, want, total, &wrong_apart);
    std::printf("%-44s one caller %7.3f us/run (median); two callers: one shared plan %8.0f runs/s (%ld of %d wrong), "
                "a plan each %8.0f runs/s (%ld wrong)\n",
                c.name, one, rate_same, wrong_same, 2 * total, rate_apart, wrong_apart);
    pixnorm_plan_free(shared);
    pixnorm_plan_free(own);
  }
  pixnorm_stats_free(stats);
  return 0;
}
