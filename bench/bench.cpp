// Throughput of pixnorm plans per backend and CPU target, against a memset and a memcpy of
// the same output bytes timed in the same run (absolute times on shared machines are noise;
// the ratios are what to compare), and against floors that glibc cannot flatter (floor.h): a
// plain vector store loop and copy loop of the same bytes at the CPU's widest vector width, and
// hand-written AVX2 / AVX-512 conversions of RGB8 and GRAY8 to float32, checked byte for byte
// against the plan's output before they are timed.
//
//   pixnorm_bench [--quick] [--json] [--reps N] [--sizes 224x224,1920x1080]
//                 [--modes standardize,sample-standardize] [--layouts nchw,nhwc]
//                 [--formats rgb8,bgra8,gray8] [--threads 1,2]
//                 [--frames | --no-frames] [--frame-sizes 640x480,1920x1080]
//
// When built with OpenCV (optional, found at configure time; never a runtime dependency) it
// also times cv::dnn::blobFromImage and the convertTo/subtract/divide/split chain on the same
// data, with the same output sizes.
//
// A second section, "camera frame to model input" (frames.cpp), times a camera frame (RGB8 or
// NV12) resized, converted and normalized into a 224x224 model input in one pass, against
// OpenCV's resize (and resize + blobFromImage) on the same pixels. --frames runs only that
// section, --no-frames only this one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "floor.h"
#include "frames.h"
#include "kernels.h"
#include "pixnorm/pixnorm.h"

#if PIXNORM_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

#if PIXNORM_HAVE_HIGHWAY
#include <hwy/targets.h>
#endif

namespace bench {

std::vector<Backend> backends() {
  std::vector<Backend> out{{"scalar", PIXNORM_BACKEND_SCALAR, 0}};
#if PIXNORM_HAVE_HIGHWAY
#if defined(__arm__)
  out.push_back({std::string("highway/") + pixnorm_backend_target(PIXNORM_BACKEND_HIGHWAY), PIXNORM_BACKEND_HIGHWAY, 0});
#else
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    if (t == HWY_SCALAR) continue;  // that target is the scalar backend
    hwy::SetSupportedTargetsForTest(t);
    const bool variants = pixnorm::highway_wide_kernels() != nullptr;
    hwy::SetSupportedTargetsForTest(0);
    const std::string name = std::string("highway/") + hwy::TargetName(t);
    if (!variants) {
      out.push_back({name, PIXNORM_BACKEND_HIGHWAY, t});
      continue;
    }
    out.push_back({name + "/256", PIXNORM_BACKEND_HIGHWAY, t, PIXNORM_VARIANT_256});
    out.push_back({name + "/512", PIXNORM_BACKEND_HIGHWAY, t, PIXNORM_VARIANT_512});
  }
#endif
#endif
  if (pixnorm_backend_available(PIXNORM_BACKEND_XSIMD))
    out.push_back({std::string("xsimd/") + pixnorm_backend_target(PIXNORM_BACKEND_XSIMD), PIXNORM_BACKEND_XSIMD, 0});
  return out;
}

pixnorm_status create_plan(const Backend& b, const pixnorm_stats* stats, const pixnorm_plan_desc& d,
                           pixnorm_plan** plan) {
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
  if (b.hwy_target) hwy::SetSupportedTargetsForTest(b.hwy_target);
#endif
  pixnorm_plan_desc desc = d;
  desc.backend = b.id;
  if (b.variant != PIXNORM_VARIANT_AUTO) desc.variant = b.variant;
  const pixnorm_status st = pixnorm_plan_create(stats, &desc, plan);
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
  hwy::SetSupportedTargetsForTest(0);
#endif
  return st;
}

std::string ran_name(pixnorm_backend id, const pixnorm_plan* plan, unsigned threads) {
  return std::string(pixnorm_backend_name(id)) +
         (id == PIXNORM_BACKEND_SCALAR ? "" : "/" + std::string(pixnorm_plan_target(plan))) +
         (threads > 1 ? " x" + std::to_string(threads) : "");
}

}  // namespace bench

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find(',', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

bool parse_mode(const std::string& s, pixnorm_mode* m) {
  static const char* const names[] = {"standardize",        "center",
                                      "rescale",            "sample-center",
                                      "sample-standardize", "per-image-standardization",
                                      "minmax"};
  for (int i = 0; i < 7; ++i)
    if (s == names[i]) {
      *m = static_cast<pixnorm_mode>(i);
      return true;
    }
  return false;
}

bool parse_format(const std::string& s, pixnorm_format* f, unsigned* bpp) {
  static const char* const names[] = {"gray8", "rgb8", "bgr8", "rgba8", "bgra8"};
  static const unsigned sizes[] = {1, 3, 3, 4, 4};
  for (int i = 0; i < 5; ++i)
    if (s == names[i]) {
      *f = static_cast<pixnorm_format>(i);
      *bpp = sizes[i];
      return true;
    }
  return false;
}

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: pixnorm_bench [--quick] [--json] [--reps N] [--sizes WxH,...] [--modes M,...]\n"
               "                     [--layouts nchw,nhwc] [--formats gray8,rgb8,bgr8,rgba8,bgra8] [--threads 1,2]\n"
               "                     [--dtypes f32,int8,uint8,f16] [--frames | --no-frames] [--frame-sizes WxH,...]\n"
               "Times every backend and CPU target on the same data and prints, per case, the median time,\n"
               "megapixels per second, output GB/s, and ratios of its time to references timed in the same run\n"
               "(the faster of a timing before and one after each size and format's cases):\n"
               "  x_memset, x_memcpy  a glibc memset, memcpy of the output bytes (1.00 = as fast as writing\n"
               "                      the output at all; memset may be 'rep stosb', slower than a store loop)\n"
               "  x_store             a plain vector store loop of the same bytes, 4 stores per iteration, at\n"
               "                      the widest width this CPU runs (AVX-512, AVX2, SSE2, NEON or scalar);\n"
               "                      the reference line also gives a copy loop of the same width\n"
               "  x_hand              the fastest hand-written loop (AVX-512 F+BW, AVX2) this CPU runs for the\n"
               "                      format and layout: rgb8 and gray8, f32, standardize, one thread ('-':\n"
               "                      none); each is checked against the plan's output before it is timed\n"
               "  x_f32               narrow dtypes: the same backend's f32 time for the same case ('-': f32\n"
               "                      not among --dtypes)\n"
               "defaults: --reps 11 --sizes 224x224,1920x1080 --modes standardize,sample-standardize\n"
               "          --layouts nchw,nhwc --formats rgb8 --threads 1; --quick: 3 reps, 224x224 only\n"
               "Threads > 1 split each run into row bands (desc.threads); other rows are one thread.\n"
               "--dtypes (default f32): other output types show as mode:dtype (int8: quantization scale\n"
               "0.0186, zero point -14; uint8: 0.0186, 114); x_memset, x_memcpy and x_store stay against the\n"
               "f32 output's bytes, x_f32 gives the ratio to the f32 output.\n"
               "Second section, camera frame to model input: RGB8 and NV12 frames (--frame-sizes, default\n"
               "640x480,1920x1080) resized (bilinear) and normalized into 224x224 NCHW f32, int8 and f16 in one\n"
               "pass, one thread, against OpenCV's resize alone (x_resize) and the same backend's f32 (x_f32).\n"
               "--frames: only that section; --no-frames: only the first; --quick there: no f16, no OpenCV\n"
               "default-threads rows. --sizes, --modes, --layouts, --formats, --threads and --dtypes apply to\n"
               "the first.\n");
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bench;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "pixnorm_bench: %s needs a value\n", a.c_str());
        usage(2);
      }
      return argv[++i];
    };
    if (a == "--json") {
      o.json = true;
    } else if (a == "--quick") {
      o.quick = true;
      o.reps = 3;
      o.min_seconds = 0.002;
      o.sizes = {{224, 224}};
    } else if (a == "--reps") {
      o.reps = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--sizes" || a == "--frame-sizes") {
      auto& sizes = a == "--sizes" ? o.sizes : o.frame_sizes;
      sizes.clear();
      for (const auto& s : split(value())) {
        unsigned w = 0, h = 0;
        if (std::sscanf(s.c_str(), "%ux%u", &w, &h) != 2 || w == 0 || h == 0) {
          std::fprintf(stderr, "pixnorm_bench: bad size '%s' (want WxH)\n", s.c_str());
          return 2;
        }
        sizes.push_back({w, h});
      }
    } else if (a == "--frames") {
      o.frames = true;
      o.same_size = false;
    } else if (a == "--no-frames") {
      o.frames = false;
      o.same_size = true;
    } else if (a == "--modes") {
      o.modes = split(value());
    } else if (a == "--layouts") {
      o.layouts = split(value());
    } else if (a == "--dtypes") {
      o.dtypes = split(value());
      for (const auto& t : o.dtypes)
        if (t != "f32" && t != "int8" && t != "uint8" && t != "f16") {
          std::fprintf(stderr, "pixnorm_bench: unknown dtype '%s' (f32, int8, uint8, f16)\n", t.c_str());
          return 2;
        }
    } else if (a == "--formats") {
      o.formats = split(value());
    } else if (a == "--threads") {
      o.threads.clear();
      for (const auto& t : split(value())) {
        const int n = std::atoi(t.c_str());
        if (n < 1 || n > 64) {
          std::fprintf(stderr, "pixnorm_bench: bad thread count '%s' (1..64)\n", t.c_str());
          return 2;
        }
        o.threads.push_back(static_cast<unsigned>(n));
      }
    } else if (a == "-h" || a == "--help") {
      usage(0);
    } else {
      std::fprintf(stderr, "pixnorm_bench: unknown option '%s'\n", a.c_str());
      usage(2);
    }
  }
  if (!o.same_size) o.sizes.clear();  // --frames: nothing to do in the first section

  {  // bring the core to its working frequency before anything is timed
    std::vector<float> warm(1 << 18);
    const auto t0 = Clock::now();
    while (std::chrono::duration<double>(Clock::now() - t0).count() < 0.2) {
      std::memset(warm.data(), 0, warm.size() * sizeof(float));
      asm volatile("" ::"r"(warm.data()) : "memory");
    }
  }
  pixnorm_stats* stats = nullptr;
  if (pixnorm_stats_preset("imagenet", &stats) != PIXNORM_OK) {
    std::fprintf(stderr, "pixnorm_bench: %s\n", pixnorm_last_error());
    return 1;
  }
  pixnorm_stats* gray_stats = nullptr;
  pixnorm_stats_values gv{};
  gv.channel_order = PIXNORM_ORDER_GRAY;
  gv.channels = 1;
  gv.rescale = 1.0 / 255.0;
  gv.mean[0] = 0.45;
  gv.std[0] = 0.226;
  gv.has_std = 1;
  if (pixnorm_stats_create(&gv, &gray_stats) != PIXNORM_OK) {
    std::fprintf(stderr, "pixnorm_bench: %s\n", pixnorm_last_error());
    return 1;
  }

  const StoreLoops plain = store_loops();
  uint64_t store_value = 0;  // changes on every call, so that no compiler turns the loop into a memset
  if (o.json) {
    std::printf("{\"version\": \"%s\", \"store_width\": \"%s\", \"results\": [\n", pixnorm_version(),
                plain.width);
  } else if (!o.sizes.empty()) {
    std::printf("pixnorm %s benchmark: median of %d repetitions; x_memset, x_memcpy, x_store: time over that of\n"
                "a memset, a memcpy, a plain %s store loop of the f32 output bytes in the same run (the faster of\n"
                "two timings; narrow dtypes too against the f32 bytes); x_hand: over the fastest hand-written loop\n"
                "for the format and layout (f32 standardize, one thread; '-': none); x_f32: over the same\n"
                "backend's f32 time; 'xN': N threads; opencv/blob*: blobFromImage (scale and mean, no std);\n"
                "opencv/chain: convertTo, subtract, divide (and split for nchw)\n",
                pixnorm_version(), o.reps, plain.width);
    std::printf("%-16s %-6s %-5s %-10s %-19s %10s %9s %7s %8s %8s %7s %7s %7s\n", "backend", "format", "layout",
                "size", "mode", "time_us", "Mpix/s", "GB/s", "x_memset", "x_memcpy", "x_store", "x_hand", "x_f32");
  }
  bool first = true;
  for (const auto& sz : o.sizes) {
    const size_t pixels = size_t(sz.first) * sz.second;
    for (const auto& fmt : o.formats) {
      pixnorm_format f;
      unsigned bpp;
      if (!parse_format(fmt, &f, &bpp)) {
        std::fprintf(stderr, "pixnorm_bench: unknown format '%s'\n", fmt.c_str());
        return 2;
      }
      const unsigned cout = f == PIXNORM_FORMAT_GRAY8 ? 1 : 3;
      std::vector<uint8_t> src(pixels * bpp);
      uint32_t state = 12345;
      for (auto& b : src) b = static_cast<uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
      const size_t out_bytes = pixels * cout * sizeof(float);
      std::vector<float> out(pixels * cout), copy_src(pixels * cout, 1.0f);
      // The references are timed before and after this group's cases and the faster time kept,
      // so a slow moment (frequency ramp, a neighbour's burst) cannot flatter the ratios.
      auto time_memset = [&] {
        return median_seconds(o, [&] {
          std::memset(out.data(), static_cast<int>(out[0]) & 1, out_bytes);
          asm volatile("" ::"r"(out.data()) : "memory");
        });
      };
      auto time_memcpy = [&] {
        return median_seconds(o, [&] {
          std::memcpy(out.data(), copy_src.data(), out_bytes);
          asm volatile("" ::"r"(out.data()) : "memory");
        });
      };
      auto time_store = [&] {
        return median_seconds(o, [&] {
          plain.store(out.data(), out_bytes, ++store_value);
          asm volatile("" ::"r"(out.data()) : "memory");
        });
      };
      auto time_copy = [&] {
        return median_seconds(o, [&] {
          plain.copy(out.data(), copy_src.data(), out_bytes);
          asm volatile("" ::"r"(out.data()) : "memory");
        });
      };
      // Hand-written f32 conversions of this format, per layout, checked against a plan's output
      // (its folded scale and bias, one thread, standardize) before anything is timed.
      struct Hand {
        std::string layout;
        HandLoop loop;
        float scale[PIXNORM_MAX_CHANNELS], bias[PIXNORM_MAX_CHANNELS];
        double seconds;
      };
      std::vector<Hand> hands;
      if (f == PIXNORM_FORMAT_RGB8 || f == PIXNORM_FORMAT_GRAY8) {
        for (const auto& layout : o.layouts) {
          const bool nchw = layout != "nhwc";
          const std::vector<HandLoop> loops = hand_loops(cout, nchw);
          if (loops.empty()) continue;
          pixnorm_plan_desc d;
          pixnorm_plan_desc_init(&d);
          d.format = f;
          d.width = sz.first;
          d.height = sz.second;
          d.layout = nchw ? PIXNORM_LAYOUT_NCHW : PIXNORM_LAYOUT_NHWC;
          d.mode = PIXNORM_MODE_STANDARDIZE;
          d.backend = PIXNORM_BACKEND_SCALAR;
          pixnorm_plan* plan = nullptr;
          float scale[PIXNORM_MAX_CHANNELS], bias[PIXNORM_MAX_CHANNELS];
          if (pixnorm_plan_create(f == PIXNORM_FORMAT_GRAY8 ? gray_stats : stats, &d, &plan) != PIXNORM_OK ||
              pixnorm_plan_get_params(plan, scale, bias) != PIXNORM_OK) {
            std::fprintf(stderr, "pixnorm_bench: hand-loop reference plan (%s %s): %s\n", fmt.c_str(),
                         layout.c_str(), pixnorm_last_error());
            pixnorm_plan_free(plan);
            return 1;
          }
          std::vector<float> expect(out.size());
          pixnorm_plan_run(plan, src.data(), size_t(sz.first) * bpp, expect.data());
          pixnorm_plan_free(plan);
          for (const HandLoop& h : loops) {
            std::fill(out.begin(), out.end(), -1.0f);
            h.fn(src.data(), pixels, out.data(), scale, bias);
            if (std::memcmp(out.data(), expect.data(), out_bytes) != 0) {
              size_t i = 0;
              while (std::memcmp(&out[i], &expect[i], sizeof(float)) == 0) ++i;
              std::fprintf(stderr,
                           "pixnorm_bench: hand-written %s loop (%s to f32 %s, %ux%u) differs from the plan's "
                           "output at element %zu: %.9g, plan %.9g\n",
                           h.width, fmt.c_str(), layout.c_str(), sz.first, sz.second, i, out[i], expect[i]);
              return 1;
            }
            Hand entry{layout, h, {}, {}, 0.0};
            std::copy(scale, scale + PIXNORM_MAX_CHANNELS, entry.scale);
            std::copy(bias, bias + PIXNORM_MAX_CHANNELS, entry.bias);
            hands.push_back(entry);
          }
        }
      }
      auto time_hands = [&] {
        for (Hand& h : hands) {
          const double t = median_seconds(o, [&] {
            h.loop.fn(src.data(), pixels, out.data(), h.scale, h.bias);
            asm volatile("" ::"r"(out.data()) : "memory");
          });
          h.seconds = h.seconds > 0 ? std::min(h.seconds, t) : t;
        }
      };
      double t_memset = time_memset(), t_memcpy = time_memcpy(), t_store = time_store(), t_copy = time_copy();
      time_hands();
      struct Row {
        std::string backend, layout, mode;
        double seconds;
        std::string key, base_mode, dtype;  // key: the backend and target timed, and the threads
        unsigned threads;
      };
      std::vector<Row> rows;
      for (const auto& mode_name : o.modes) {
        pixnorm_mode mode;
        if (!parse_mode(mode_name, &mode)) {
          std::fprintf(stderr, "pixnorm_bench: unknown mode '%s'\n", mode_name.c_str());
          return 2;
        }
        for (const auto& layout : o.layouts) {
          for (const auto& dtype : o.dtypes) {
          for (unsigned threads : o.threads) {
          for (const auto& b : backends()) {
            pixnorm_plan_desc d;
            pixnorm_plan_desc_init(&d);
            d.format = f;
            d.width = sz.first;
            d.height = sz.second;
            d.layout = layout == "nhwc" ? PIXNORM_LAYOUT_NHWC : PIXNORM_LAYOUT_NCHW;
            d.mode = mode;
            d.threads = threads;
            d.dtype = dtype == "int8" ? PIXNORM_DTYPE_INT8 : dtype == "uint8" ? PIXNORM_DTYPE_UINT8
                      : dtype == "f16" ? PIXNORM_DTYPE_F16 : PIXNORM_DTYPE_F32;
            d.quant_scale = 0.0186;
            d.quant_zero_point = dtype == "int8" ? -14 : 114;
            pixnorm_plan* plan = nullptr;
            const pixnorm_status st = create_plan(b, f == PIXNORM_FORMAT_GRAY8 ? gray_stats : stats, d, &plan);
            if (st != PIXNORM_OK) {
              std::fprintf(stderr, "pixnorm_bench: %s: %s\n", b.name.c_str(), pixnorm_last_error());
              return 1;
            }
            const std::string ran = ran_name(b.id, plan, threads);
            const double t = median_seconds(o, [&] {
              pixnorm_plan_run(plan, src.data(), size_t(sz.first) * bpp, out.data());
              asm volatile("" ::"r"(out.data()) : "memory");
            });
            pixnorm_plan_free(plan);
            rows.push_back({ran, layout, dtype == "f32" ? mode_name : mode_name + ":" + dtype, t,
                            b.name + " x" + std::to_string(threads), mode_name, dtype, threads});
          }
          }
          }
        }
      }
#if PIXNORM_HAVE_OPENCV
      if (f == PIXNORM_FORMAT_RGB8) {
        // The usual OpenCV preprocessing of the same pixels into the same output sizes.
        const cv::Mat img(static_cast<int>(sz.second), static_cast<int>(sz.first), CV_8UC3, src.data());
        const cv::Scalar mean(0.485 * 255, 0.456 * 255, 0.406 * 255), stdev(0.229 * 255, 0.224 * 255, 0.225 * 255);
        cv::Mat blob, f32, planes[3];
        const struct {
          const char* name;
          const char* layout;
          std::function<void()> fn;
        } peers[] = {
            {"opencv/blob*", "nchw",
             [&] { cv::dnn::blobFromImage(img, blob, 1.0 / 255, cv::Size(), mean, false, false, CV_32F); }},
            {"opencv/chain", "nchw",
             [&] {
               img.convertTo(f32, CV_32F);
               cv::subtract(f32, mean, f32);
               cv::divide(f32, stdev, f32);
               cv::split(f32, planes);
             }},
            {"opencv/chain", "nhwc",
             [&] {
               img.convertTo(f32, CV_32F);
               cv::subtract(f32, mean, f32);
               cv::divide(f32, stdev, f32);
             }},
        };
        for (const auto& peer : peers)
          rows.push_back({peer.name, peer.layout, "standardize", median_seconds(o, peer.fn), peer.name, "standardize",
                          "f32", 1});
      }
#endif
      t_memset = std::min(t_memset, time_memset());
      t_memcpy = std::min(t_memcpy, time_memcpy());
      t_store = std::min(t_store, time_store());
      t_copy = std::min(t_copy, time_copy());
      time_hands();
      char size_s[32];
      std::snprintf(size_s, sizeof(size_s), "%ux%u", sz.first, sz.second);
      for (const Row& r : rows) {
        const double t = r.seconds;
        const double mpix = static_cast<double>(pixels) / t / 1e6, gbs = static_cast<double>(out_bytes) / t / 1e9;
        // The hand loops write f32 for standardize on one thread: other rows have no hand ratio.
        const bool hand_case = r.dtype == "f32" && r.base_mode == "standardize" && r.threads == 1;
        double t_hand = 0;
        std::string hand_json;
        for (const Hand& h : hands)
          if (h.layout == r.layout) {
            if (hand_case) t_hand = t_hand > 0 ? std::min(t_hand, h.seconds) : h.seconds;
            char buf[96];
            std::snprintf(buf, sizeof(buf), "%s\"%s\": %.9g", hand_json.empty() ? "" : ", ", h.loop.width,
                          h.seconds);
            hand_json += buf;
          }
        double t_f32 = 0;
        if (r.dtype != "f32")
          for (const Row& other : rows)
            if (other.dtype == "f32" && other.key == r.key && other.layout == r.layout &&
                other.base_mode == r.base_mode)
              t_f32 = other.seconds;
        auto ratio = [](double t, double ref, char* buf, size_t n, const char* none) {
          if (ref > 0)
            std::snprintf(buf, n, "%.4f", t / ref);
          else
            std::snprintf(buf, n, "%s", none);
          return buf;
        };
        char hand_s[32], f32_s[32];
        if (o.json) {
          std::printf(
              "%s  {\"backend\": \"%s\", \"format\": \"%s\", \"layout\": \"%s\", \"width\": %u, \"height\": %u, "
              "\"mode\": \"%s\", \"dtype\": \"%s\", \"seconds\": %.9g, \"mpix_per_s\": %.6g, \"gb_per_s\": %.6g, "
              "\"memset_seconds\": %.9g, \"memcpy_seconds\": %.9g, \"store_seconds\": %.9g, "
              "\"copy_seconds\": %.9g, \"hand_seconds\": {%s}, \"ratio_memset\": %.4f, \"ratio_memcpy\": %.4f, "
              "\"ratio_store\": %.4f, \"ratio_copy\": %.4f, \"ratio_hand\": %s, \"ratio_f32\": %s}",
              first ? "" : ",\n", r.backend.c_str(), fmt.c_str(), r.layout.c_str(), sz.first, sz.second,
              r.mode.c_str(), r.dtype.c_str(), t, mpix, gbs, t_memset, t_memcpy, t_store, t_copy, hand_json.c_str(),
              t / t_memset, t / t_memcpy, t / t_store, t / t_copy, ratio(t, t_hand, hand_s, sizeof(hand_s), "null"),
              ratio(t, t_f32, f32_s, sizeof(f32_s), "null"));
        } else {
          auto cell = [](double t, double ref, char* buf, size_t n) {
            if (ref > 0)
              std::snprintf(buf, n, "%.2f", t / ref);
            else
              std::snprintf(buf, n, "-");
            return buf;
          };
          std::printf("%-16s %-6s %-5s %-10s %-19s %10.1f %9.1f %7.2f %8.2f %8.2f %7.2f %7s %7s\n", r.backend.c_str(),
                      fmt.c_str(), r.layout.c_str(), size_s, r.mode.c_str(), t * 1e6, mpix, gbs, t / t_memset,
                      t / t_memcpy, t / t_store, cell(t, t_hand, hand_s, sizeof(hand_s)),
                      cell(t, t_f32, f32_s, sizeof(f32_s)));
        }
        first = false;
      }
      if (!o.json) {
        std::printf("%-16s %-6s %-5s %ux%-6u memset %.1f us (%.2f GB/s), memcpy %.1f us, store/%s %.1f us, copy/%s "
                    "%.1f us",
                    "reference", fmt.c_str(), "", sz.first, sz.second, t_memset * 1e6,
                    static_cast<double>(out_bytes) / t_memset / 1e9, t_memcpy * 1e6, plain.width, t_store * 1e6,
                    plain.width, t_copy * 1e6);
        for (const Hand& h : hands) std::printf(", hand/%s %s %.1f us", h.loop.width, h.layout.c_str(), h.seconds * 1e6);
        std::printf("\n");
      }
      std::fflush(stdout);
    }
  }
  int rc = 0;
  if (o.json) std::printf("\n]");
  if (o.frames) {
    if (o.json) std::printf(",\n\"frames\": [\n");
    std::fflush(stdout);
    rc = run_frames(o, stats);
    if (o.json) std::printf("\n]");
  }
  if (o.json) std::printf("}\n");
  pixnorm_stats_free(stats);
  pixnorm_stats_free(gray_stats);
  return rc;
}
