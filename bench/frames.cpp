// "Camera frame to model input": a camera-sized frame (RGB8, or NV12 as cameras deliver it)
// resized (bilinear), converted and normalized into a 224x224 NCHW model input in one pass,
// per backend and CPU target, one thread, into f32, int8 and f16 tensors; the torchvision
// recipe (Resize(256) + CenterCrop(224)) once. Timed in the same run: OpenCV's cv::resize
// alone (the denominator of x_resize; the goal is a fused f32 path at most 0.5 times it), the
// resize + cv::dnn::blobFromImage chain, and for NV12 cvtColor + resize + blobFromImage.
// Before timing, every plan's output is checked: against the scalar backend, int8 and f16
// against the same backend's f32, and f32 against OpenCV's blob.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "frames.h"

#if PIXNORM_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace bench {
namespace {

constexpr uint32_t kOut = 224;          // the model input: kOut x kOut, 3 channels, NCHW
constexpr size_t kElements = 3 * size_t(kOut) * kOut;
constexpr double kQuantScale = 0.0186;  // int8 model input quantization
constexpr int32_t kQuantZero = -14;
constexpr double kGoalResize = 0.5;     // fused f32: at most this times cv::resize alone
constexpr double kGoalInt8 = 0.6;       // int8: at most this times the same backend's f32
constexpr double kMaxCvDiff = 0.05;     // mean |pixnorm f32 * std - OpenCV blob|

// A deterministic camera-like frame: smooth gradients plus noise, as RGB8 and as NV12 (BT.601
// limited range, what pixnorm and OpenCV assume; chroma the average of each 2x2 block).
struct Frame {
  uint32_t w, h;
  std::vector<uint8_t> rgb, nv12;
};

uint8_t clamp_u8(double v) { return static_cast<uint8_t>(v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5); }

Frame make_frame(uint32_t w, uint32_t h) {
  Frame f{w, h, std::vector<uint8_t>(size_t(w) * h * 3), {}};
  uint32_t state = 12345;
  auto noise = [&] { return static_cast<int>((state = state * 1664525u + 1013904223u) >> 27) - 16; };
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) {
      const double u = double(x) / w, v = double(y) / h;
      uint8_t* p = &f.rgb[(size_t(y) * w + x) * 3];
      p[0] = clamp_u8(128 + 100 * std::sin(6.0 * u + 2.0 * v) + noise());
      p[1] = clamp_u8(120 + 90 * std::cos(4.0 * u - 5.0 * v) + noise());
      p[2] = clamp_u8(110 + 80 * std::sin(9.0 * u * v + 1.0) + noise());
    }
  const uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
  f.nv12.resize(size_t(w) * h + size_t(2 * cw) * ch);
  for (size_t i = 0; i < size_t(w) * h; ++i) {
    const uint8_t* p = &f.rgb[3 * i];
    f.nv12[i] = clamp_u8(16 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255);
  }
  uint8_t* uv = f.nv12.data() + size_t(w) * h;
  for (uint32_t cy = 0; cy < ch; ++cy)
    for (uint32_t cx = 0; cx < cw; ++cx) {
      double s[3] = {0, 0, 0};
      int n = 0;
      for (uint32_t y = 2 * cy; y < std::min(2 * cy + 2, h); ++y)
        for (uint32_t x = 2 * cx; x < std::min(2 * cx + 2, w); ++x, ++n)
          for (int c = 0; c < 3; ++c) s[c] += f.rgb[(size_t(y) * w + x) * 3 + c];
      const double r = s[0] / n, g = s[1] / n, b = s[2] / n;
      uv[size_t(cy) * 2 * cw + 2 * cx] = clamp_u8(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255);
      uv[size_t(cy) * 2 * cw + 2 * cx + 1] = clamp_u8(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255);
    }
  return f;
}

float half_to_float(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const float v = e == 0    ? std::ldexp(float(m), -24)
                  : e == 31 ? (m ? NAN : INFINITY)
                            : std::ldexp(float(m | 1024), e - 25);
  return h >> 15 ? -v : v;
}

struct Row {
  std::string backend, target, format, dtype, recipe;
  unsigned threads;
  double seconds;
  double f32_seconds;  // int8, f16: the same backend's f32 on the same frame; 0: none
  double cv_diff;      // f32 stretch: mean |pixnorm * std - OpenCV blob|; < 0: not compared
  bool is_auto;        // the backend and target AUTO picks
};

struct Case {
  pixnorm_format format;
  const char* fmt;
  pixnorm_fit fit;
  uint32_t resize_short;
  const char* recipe;
  bool all_dtypes;  // f32 only otherwise
  pixnorm_interp interp;  // bilinear (OpenCV's) unless given
};

// The recipe column of a stretch with one of the interpolations that have no OpenCV row.
const char* interp_label(pixnorm_interp i) {
  switch (i) {
    case PIXNORM_INTERP_CV_LINEAR_EXACT: return "cv-linear-exact";
    case PIXNORM_INTERP_CV_CUBIC: return "cv-cubic";
    case PIXNORM_INTERP_TORCH_BILINEAR_AA: return "torch-bilinear-aa";
    case PIXNORM_INTERP_TORCH_BICUBIC_AA: return "torch-bicubic-aa";
    case PIXNORM_INTERP_TORCH_BICUBIC: return "torch-bicubic";
    default: return "bilinear";
  }
}
std::string recipe_interp(const std::string& recipe) {
  if (recipe.compare(0, 4, "pil-") == 0) return "pil-bilinear";
  if (recipe.compare(0, 3, "cv-") == 0 || recipe.compare(0, 6, "torch-") == 0) return recipe;
  return "bilinear";
}

const char* dtype_name(pixnorm_dtype t) {
  return t == PIXNORM_DTYPE_F32 ? "f32" : t == PIXNORM_DTYPE_F16 ? "f16" : t == PIXNORM_DTYPE_INT8 ? "int8" : "uint8";
}

[[noreturn]] void die(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "pixnorm_bench: frames: %s\n", what.c_str());
  std::exit(1);
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof(b), f, v);
  return b;
}

}  // namespace

int run_frames(const Options& o, const pixnorm_stats* stats) {
  pixnorm_stats_values sv;
  if (pixnorm_stats_get(stats, &sv) != PIXNORM_OK) die(pixnorm_last_error());
  auto stdev = [&](unsigned c) { return sv.std[sv.channels == 1 ? 0 : c] + sv.epsilon; };
  const pixnorm_backend def = pixnorm_backend_default();
  const std::string auto_name = std::string(pixnorm_backend_name(def)) +
                                (def == PIXNORM_BACKEND_SCALAR ? "" : "/" + std::string(pixnorm_backend_target(def)));
  std::vector<pixnorm_dtype> dtypes = {PIXNORM_DTYPE_F32, PIXNORM_DTYPE_INT8};
  if (!o.quick) dtypes.push_back(PIXNORM_DTYPE_F16);
#if PIXNORM_HAVE_OPENCV
  const int cv_default_threads = cv::getNumThreads();
  const bool have_cv = true;
#else
  const int cv_default_threads = 0;
  const bool have_cv = false;
#endif
  if (!o.json) {
    std::printf("%scamera frame to model input: each frame resized (bilinear, stretch), converted and normalized\n"
                "into a %ux%u NCHW tensor in one pass; ImageNet standardize; int8: scale %g, zero point %d. One\n"
                "thread, median of %d repetitions. crop256: torchvision Resize(256) + CenterCrop(%u). x_f32: time\n"
                "over the same backend's f32 row (goal for int8: <= %.2f).\n",
                o.same_size ? "\n" : "", kOut, kOut, kQuantScale, kQuantZero, o.reps, kOut, kGoalInt8);
    if (have_cv)
      std::printf("x_resize: time over OpenCV's cv::resize alone (INTER_LINEAR, the RGB8 frame to %ux%u RGB8) with\n"
                  "cv::setNumThreads(1), in the same run (goal for the fused f32 path: <= %.2f). OpenCV rows 'x1' run\n"
                  "with cv::setNumThreads(1), 'xN' with OpenCV's default (%d threads); blob: cv::dnn::blobFromImage\n"
                  "(scale 1/255, mean in pixel units; it has no std, so it does less than pixnorm).\n",
                  kOut, kOut, kGoalResize, cv_default_threads);
    else
      std::printf("built without OpenCV: no x_resize.\n");
    std::printf("%-16s %-10s %-6s %-5s %-16s %9s %8s %6s\n", "backend", "source", "format", "dtype", "recipe",
                "time_us", "x_resize", "x_f32");
  }
  bool first = true;
  const std::vector<Backend> bs = backends();
  for (size_t group = 0; group < o.frame_sizes.size(); ++group) {
    const uint32_t w = o.frame_sizes[group].first, h = o.frame_sizes[group].second;
    char src_s[32];
    std::snprintf(src_s, sizeof(src_s), "%ux%u", w, h);
    Frame fr = make_frame(w, h);
    std::vector<Row> rows;
    double t_resize = 0;  // cv::resize alone, one thread: the faster of before and after the group
    std::vector<float> ref_rgb, ref_nv12;  // OpenCV blobs (x / 255 - mean), planes R, G, B
#if PIXNORM_HAVE_OPENCV
    cv::setNumThreads(1);
    const cv::Mat img(int(h), int(w), CV_8UC3, fr.rgb.data());
    const bool cv_nv12 = w % 2 == 0 && h % 2 == 0;  // OpenCV's NV12 conversion wants even sizes
    const cv::Mat yuv(int(h + h / 2), int(w), CV_8UC1, fr.nv12.data());
    const cv::Size out_size{int(kOut), int(kOut)};
    const cv::Scalar mean(sv.mean[0] / sv.rescale, sv.mean[sv.channels == 1 ? 0 : 1] / sv.rescale,
                          sv.mean[sv.channels == 1 ? 0 : 2] / sv.rescale);
    cv::Mat resized, full, blob;
    const std::function<void()> cv_resize = [&] { cv::resize(img, resized, out_size, 0, 0, cv::INTER_LINEAR); };
    const std::function<void()> cv_blob = [&] {
      cv::resize(img, resized, out_size, 0, 0, cv::INTER_LINEAR);
      cv::dnn::blobFromImage(resized, blob, sv.rescale, cv::Size(), mean, false, false, CV_32F);
    };
    const std::function<void()> cv_nv12_blob = [&] {
      cv::cvtColor(yuv, full, cv::COLOR_YUV2RGB_NV12);
      cv::resize(full, resized, out_size, 0, 0, cv::INTER_LINEAR);
      cv::dnn::blobFromImage(resized, blob, sv.rescale, cv::Size(), mean, false, false, CV_32F);
    };
    cv_blob();
    if (blob.total() != kElements) die("unexpected OpenCV blob size");
    ref_rgb.assign(blob.ptr<float>(), blob.ptr<float>() + kElements);
    if (cv_nv12) {
      cv_nv12_blob();
      ref_nv12.assign(blob.ptr<float>(), blob.ptr<float>() + kElements);
    }
    t_resize = median_seconds(o, cv_resize);
#endif

    std::vector<Case> cases = {{PIXNORM_FORMAT_RGB8, "rgb8", PIXNORM_FIT_STRETCH, 0, "stretch", true, PIXNORM_INTERP_BILINEAR},
                               {PIXNORM_FORMAT_NV12, "nv12", PIXNORM_FIT_STRETCH, 0, "stretch", true, PIXNORM_INTERP_BILINEAR}};
    if (group == 0) cases.push_back({PIXNORM_FORMAT_RGB8, "rgb8", PIXNORM_FIT_CENTER_CROP, 256, "crop256", false,
                                     PIXNORM_INTERP_BILINEAR});
    // torchvision's recipe on a PIL image, Pillow's bytes (pil-bilinear)
    if (group == 0) {
      cases.push_back({PIXNORM_FORMAT_RGB8, "rgb8", PIXNORM_FIT_CENTER_CROP, 256, "pil-crop256", false,
                       PIXNORM_INTERP_PIL_BILINEAR});
      // The same from a camera's NV12 frame (converted at full resolution first, as Pillow would see it).
      cases.push_back({PIXNORM_FORMAT_NV12, "nv12", PIXNORM_FIT_CENTER_CROP, 256, "pil-crop256", false,
                       PIXNORM_INTERP_PIL_BILINEAR});
      // OpenCV's and torchvision's other resamplers, stretched as the OpenCV rows.
      for (pixnorm_interp i : {PIXNORM_INTERP_CV_LINEAR_EXACT, PIXNORM_INTERP_CV_CUBIC, PIXNORM_INTERP_TORCH_BILINEAR_AA,
                               PIXNORM_INTERP_TORCH_BICUBIC_AA, PIXNORM_INTERP_TORCH_BICUBIC})
        cases.push_back({PIXNORM_FORMAT_RGB8, "rgb8", PIXNORM_FIT_STRETCH, 0, interp_label(i), false, i});
    }
    std::vector<float> out_f32(kElements), scalar_f32(kElements);
    std::vector<int8_t> out_i8(kElements), scalar_i8(kElements);
    std::vector<uint16_t> out_f16(kElements);
    double max_f32_diff = 0, cv_diff_rgb = -1, cv_diff_nv12 = -1;
    int max_i8_diff = 0;
    for (const Case& cs : cases) {
      const bool rgb = cs.format == PIXNORM_FORMAT_RGB8;
      const uint8_t* px = rgb ? fr.rgb.data() : fr.nv12.data();
      const size_t row_bytes = rgb ? size_t(w) * 3 : w;
      for (size_t bi = 0; bi < bs.size(); ++bi) {
        const Backend& b = bs[bi];
        double t_f32 = 0;
        for (pixnorm_dtype dt : dtypes) {
          if (dt != PIXNORM_DTYPE_F32 && !cs.all_dtypes) continue;
          const std::string what = b.name + " " + src_s + " " + cs.fmt + " " + dtype_name(dt) + " " + cs.recipe;
          pixnorm_plan_desc d;
          pixnorm_plan_desc_init(&d);
          d.format = cs.format;
          d.width = w;
          d.height = h;
          d.layout = PIXNORM_LAYOUT_NCHW;
          d.dtype = dt;
          d.mode = PIXNORM_MODE_STANDARDIZE;
          d.threads = 1;
          d.out_width = kOut;
          d.out_height = kOut;
          d.interp = cs.interp;
          d.fit = cs.fit;
          d.resize_short = cs.resize_short;
          if (dt == PIXNORM_DTYPE_INT8) {
            d.quant_scale = kQuantScale;
            d.quant_zero_point = kQuantZero;
          }
          pixnorm_plan* plan = nullptr;
          if (create_plan(b, stats, d, &plan) != PIXNORM_OK) die(what + ": " + pixnorm_last_error());
          void* out = dt == PIXNORM_DTYPE_F32 ? static_cast<void*>(out_f32.data())
                      : dt == PIXNORM_DTYPE_INT8 ? static_cast<void*>(out_i8.data())
                                                 : static_cast<void*>(out_f16.data());
          const size_t esize = dt == PIXNORM_DTYPE_F32 ? 4 : dt == PIXNORM_DTYPE_F16 ? 2 : 1;
          if (pixnorm_plan_output_bytes(plan) != kElements * esize)
            die(what + ": pixnorm_plan_output_bytes " + std::to_string(pixnorm_plan_output_bytes(plan)));
          if (pixnorm_plan_run(plan, px, row_bytes, out) != PIXNORM_OK) die(what + ": " + pixnorm_last_error());

          // The output, checked once before timing.
          double cv_diff = -1;
          if (dt == PIXNORM_DTYPE_F32) {
            for (float v : out_f32)
              if (!(v > -4.f && v < 4.f)) die(what + ": output " + fmt("%g", v) + " outside the ImageNet range");
            if (bi == 0) {
              scalar_f32 = out_f32;
            } else {
              for (size_t i = 0; i < kElements; ++i) {
                const double e = std::fabs(double(out_f32[i]) - scalar_f32[i]);
                if (e > 1e-4) die(what + ": differs from scalar by " + fmt("%g", e) + " at " + std::to_string(i));
                max_f32_diff = std::max(max_f32_diff, e);
              }
            }
            const std::vector<float>& ref = rgb ? ref_rgb : ref_nv12;
            if (cs.fit == PIXNORM_FIT_STRETCH && cs.interp == PIXNORM_INTERP_BILINEAR && !ref.empty()) {
              double sum = 0;
              for (size_t i = 0; i < kElements; ++i)
                sum += std::fabs(out_f32[i] * stdev(unsigned(i / (kOut * kOut))) - ref[i]);
              cv_diff = sum / kElements;
              if (cv_diff > kMaxCvDiff) die(what + ": mean |difference| from OpenCV's blob " + fmt("%g", cv_diff));
              double& worst = rgb ? cv_diff_rgb : cv_diff_nv12;
              worst = std::max(worst, cv_diff);
            }
          } else if (dt == PIXNORM_DTYPE_INT8) {  // against this backend's f32, quantized here
            for (size_t i = 0; i < kElements; ++i) {
              const double q = std::min(127.0, std::max(-128.0, std::nearbyint(out_f32[i] / kQuantScale) + kQuantZero));
              if (std::fabs(out_i8[i] - q) > 1)
                die(what + ": " + std::to_string(out_i8[i]) + " where f32 gives " + fmt("%g", q));
            }
            if (bi == 0) {
              scalar_i8 = out_i8;
            } else {
              for (size_t i = 0; i < kElements; ++i)
                max_i8_diff = std::max(max_i8_diff, std::abs(out_i8[i] - scalar_i8[i]));
              if (max_i8_diff > 1) die(what + ": differs from scalar by " + std::to_string(max_i8_diff));
            }
          } else {
            for (size_t i = 0; i < kElements; ++i) {
              const float v = half_to_float(out_f16[i]), f = out_f32[i];
              if (!(std::fabs(v - f) <= 1e-3f + 1e-3f * std::fabs(f)))
                die(what + ": " + fmt("%g", v) + " where f32 gives " + fmt("%g", f));
            }
          }

          bool failed = false;
          const double t = median_seconds(o, [&] {
            failed |= pixnorm_plan_run(plan, px, row_bytes, out) != PIXNORM_OK;
            asm volatile("" ::"r"(out) : "memory");
          });
          if (failed) die(what + ": a timed run failed: " + pixnorm_last_error());
          if (dt == PIXNORM_DTYPE_F32) t_f32 = t;
          const std::string ran = ran_name(b.id, plan, 1);
          rows.push_back({ran, pixnorm_plan_target(plan), cs.fmt, dtype_name(dt), cs.recipe, 1, t,
                          dt == PIXNORM_DTYPE_F32 ? 0.0 : t_f32, cv_diff, ran == auto_name});
          pixnorm_plan_free(plan);
        }
      }
    }

#if PIXNORM_HAVE_OPENCV
    struct Peer {
      const char* format;
      const char* dtype;
      const char* recipe;
      const std::function<void()>* fn;
    };
    std::vector<Peer> peers = {{"rgb8", "f32", "resize+blob", &cv_blob}};
    if (cv_nv12) peers.push_back({"nv12", "f32", "cvt+resize+blob", &cv_nv12_blob});
    const size_t resize_row = rows.size();  // its time is known at the end of the group
    rows.push_back({"opencv x1", "", "rgb8", "u8", "resize", 1, 0, 0, -1, false});
    for (const Peer& p : peers)
      rows.push_back({"opencv x1", "", p.format, p.dtype, p.recipe, 1, median_seconds(o, *p.fn), 0, -1, false});
    if (!o.quick) {  // OpenCV's default threads, for reference
      cv::setNumThreads(cv_default_threads);
      const unsigned n = unsigned(cv::getNumThreads());
      const std::string name = "opencv x" + std::to_string(n);
      rows.push_back({name, "", "rgb8", "u8", "resize", n, median_seconds(o, cv_resize), 0, -1, false});
      for (const Peer& p : peers)
        rows.push_back({name, "", p.format, p.dtype, p.recipe, n, median_seconds(o, *p.fn), 0, -1, false});
      cv::setNumThreads(1);
    }
    t_resize = std::min(t_resize, median_seconds(o, cv_resize));
    rows[resize_row].seconds = t_resize;
    cv::setNumThreads(cv_default_threads);
#endif

    for (const Row& r : rows) {
      const double x_resize = t_resize > 0 ? r.seconds / t_resize : -1;
      const double x_f32 = r.f32_seconds > 0 ? r.seconds / r.f32_seconds : -1;
      if (o.json) {
        auto num = [](double v) { return v < 0 ? std::string("null") : fmt("%.9g", v); };
        const bool cv = r.backend.compare(0, 6, "opencv") == 0, resize_only = r.recipe == "resize";
        std::printf(
            "%s  {\"backend\": \"%s\", \"target\": \"%s\", \"auto\": %s, \"threads\": %u, \"source_format\": \"%s\", "
            "\"source_width\": %u, \"source_height\": %u, \"out_width\": %u, \"out_height\": %u, \"layout\": \"%s\", "
            "\"dtype\": \"%s\", \"recipe\": \"%s\", \"interp\": \"%s\", \"mode\": \"%s\", "
            "\"seconds\": %.9g, \"cv_resize_seconds\": %s, \"ratio_cv_resize\": %s, \"goal_ratio_cv_resize\": %g, "
            "\"f32_seconds\": %s, \"ratio_f32\": %s, \"goal_ratio_f32\": %g, \"opencv_mean_abs_diff\": %s}",
            first ? "" : ",\n", r.backend.c_str(), r.target.c_str(), r.is_auto ? "true" : "false", r.threads,
            r.format.c_str(), w, h, kOut, kOut, resize_only ? "nhwc" : "nchw", r.dtype.c_str(), r.recipe.c_str(),
            recipe_interp(r.recipe).c_str(), resize_only ? "none" : cv ? "scale-mean" : "standardize", r.seconds,
            num(t_resize > 0 ? t_resize : -1).c_str(), num(x_resize).c_str(), kGoalResize,
            num(r.f32_seconds > 0 ? r.f32_seconds : -1).c_str(), num(x_f32).c_str(), kGoalInt8, num(r.cv_diff).c_str());
      } else {
        std::printf("%-16s %-10s %-6s %-5s %-16s %9.1f %8s %6s\n", r.backend.c_str(), src_s, r.format.c_str(),
                    r.dtype.c_str(), r.recipe.c_str(), r.seconds * 1e6, x_resize < 0 ? "-" : fmt("%.2f", x_resize).c_str(),
                    x_f32 < 0 ? "-" : fmt("%.2f", x_f32).c_str());
      }
      first = false;
    }
    if (!o.json) {
      std::printf("%-16s %-10s outputs agree: backends with scalar (f32 max |diff| %.2g, int8 max %d LSB)", "check", src_s,
                  max_f32_diff, max_i8_diff);
      if (cv_diff_rgb >= 0) std::printf("; f32 * std with OpenCV's blob: mean |diff| rgb8 %.4f", cv_diff_rgb);
      if (cv_diff_nv12 >= 0) std::printf(", nv12 %.4f", cv_diff_nv12);
      std::printf("\n");
      // The goals, for the backend and target AUTO picks.
      std::string goals;
      for (const Row& r : rows) {
        if (!r.is_auto || r.recipe != "stretch") continue;
        if (r.dtype == "f32" && t_resize > 0)
          goals += std::string(goals.empty() ? "" : ", ") + r.format + " f32 " + fmt("%.2f", r.seconds / t_resize) +
                   "x resize (" + (r.seconds / t_resize <= kGoalResize ? "met" : "NOT met") + ")";
        if (r.dtype == "int8")
          goals += std::string(goals.empty() ? "" : ", ") + r.format + " int8 " + fmt("%.2f", r.seconds / r.f32_seconds) +
                   "x f32 (" + (r.seconds / r.f32_seconds <= kGoalInt8 ? "met" : "NOT met") + ")";
      }
      // NV12 with pil-bilinear against RGB8 with it (goal: at most 1.5x).
      double pil_rgb = 0, pil_nv12 = 0;
      for (const Row& r : rows)
        if (r.is_auto && r.recipe == "pil-crop256" && r.dtype == "f32") (r.format == "nv12" ? pil_nv12 : pil_rgb) = r.seconds;
      if (pil_rgb > 0 && pil_nv12 > 0)
        goals += std::string(goals.empty() ? "" : ", ") + "nv12 pil-crop256 " + fmt("%.2f", pil_nv12 / pil_rgb) +
                 "x rgb8 (" + (pil_nv12 / pil_rgb <= 1.5 ? "met" : "NOT met") + ")";
      std::printf("%-16s %-10s %s: %s\n", "goals", src_s, (auto_name + " (auto)").c_str(),
                  goals.empty() ? "no row of the auto backend" : goals.c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace bench
