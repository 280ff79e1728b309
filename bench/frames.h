// Shared by the benchmark's two sections: bench.cpp (same-size normalization, and main) and
// frames.cpp (camera frame to model input): the options, the timing helper, the backends and
// CPU targets timed.
#ifndef PIXNORM_BENCH_FRAMES_H
#define PIXNORM_BENCH_FRAMES_H

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pixnorm/pixnorm.h"

namespace bench {

using Clock = std::chrono::steady_clock;

struct Options {
  bool json = false;
  bool quick = false;
  int reps = 11;
  double min_seconds = 0.01;  // per repetition
  bool same_size = true;      // the same-size normalization section (--no-frames / --frames pick one)
  bool frames = true;         // the camera frame to model input section
  std::vector<std::pair<uint32_t, uint32_t>> sizes = {{224, 224}, {1920, 1080}};
  std::vector<std::string> modes = {"standardize", "sample-standardize"};
  std::vector<std::string> layouts = {"nchw", "nhwc"};
  std::vector<std::string> formats = {"rgb8"};
  std::vector<unsigned> threads = {1};
  std::vector<std::string> dtypes = {"f32"};  // first section: f32, int8, uint8, f16
  std::vector<std::pair<uint32_t, uint32_t>> frame_sizes = {{640, 480}, {1920, 1080}};
};

// Median over `reps` repetitions of the time of one call, each repetition looping until it
// has run at least min_seconds.
template <class F>
double median_seconds(const Options& o, F&& f) {
  f();  // warm caches and page-in
  size_t iters = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (size_t i = 0; i < iters; ++i) f();
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    if (dt >= o.min_seconds || iters > (1u << 24)) break;
    iters *= 2;
  }
  std::vector<double> times;
  for (int r = 0; r < o.reps; ++r) {
    const auto t0 = Clock::now();
    for (size_t i = 0; i < iters; ++i) f();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(iters));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Backend {
  std::string name;
  pixnorm_backend id;
  int64_t hwy_target;
  pixnorm_variant variant = PIXNORM_VARIANT_AUTO;  // a target with several: each is a row
};

// Every backend, and every Highway target this CPU supports.
std::vector<Backend> backends();
// pixnorm_plan_create on backend b, Highway pinned to b's target while planning.
pixnorm_status create_plan(const Backend& b, const pixnorm_stats* stats, const pixnorm_plan_desc& d,
                           pixnorm_plan** plan);
// What ran: the backend, the plan's target (pixnorm_plan_target), " xN" for N threads.
std::string ran_name(pixnorm_backend id, const pixnorm_plan* plan, unsigned threads);

// The camera frame to model input section. Prints its table, or with o.json the elements of
// the "frames" array. Returns 0, or an exit code after a message on stderr.
int run_frames(const Options& o, const pixnorm_stats* imagenet);

}  // namespace bench

#endif
