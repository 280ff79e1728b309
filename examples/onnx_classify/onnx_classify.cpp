// onnx_classify: one camera frame (NV12) through an ImageNet-style ONNX classifier.
//
//   onnx_classify MODEL.onnx FRAME.nv12 WIDTH HEIGHT [--preset NAME | --stats FILE]
//                 [--dtype f32|f16] [--full-range] [--interp NAME] [--logits OUT.txt] [--tensor OUT.raw]
//
// pixnorm does the whole preprocessing in one pass over the frame, with the settings that
// torchvision's ImageNet models are trained with:
//
//   YUV -> RGB (BT.601, limited range unless --full-range), Resize(256) (shorter side, bilinear),
//   CenterCrop(224), ToTensor (x / 255), Normalize(mean, std of the statistics), NCHW float32
//
// and OpenCV's DNN module runs the model on that tensor. --interp picks the resampling of the
// training pipeline: bilinear (default: Resize on a uint8 tensor, antialias off), pil-bilinear
// (Resize on a PIL image, what torchvision's weights' transforms() do: Pillow's antialiased
// filter, byte for byte), pil-bicubic, or any other name of `pixnorm apply --interp`. The plan is built once; a real camera
// loop would call pixnorm_plan_run_image per frame with the same plan and the same buffer.
//
// FRAME.nv12 is a raw NV12 frame: the Y plane (HEIGHT rows of WIDTH bytes), then the chroma plane
// (ceil(HEIGHT/2) rows of ceil(WIDTH/2) interleaved U,V pairs), no padding, no header.
//
// Prints the top-5 classes with their logits; --logits writes every logit, one per line;
// --tensor writes the model input as raw native-endian samples of the chosen dtype.
// Exits 1 on any error (bad arguments, unreadable files, a pixnorm or OpenCV failure), 2 on usage.
#include <pixnorm/pixnorm.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace {

// The model's input size, and the shorter side the frame is scaled to before the centre crop
// (the 256/224 of torchvision's ImageNet evaluation transform).
constexpr uint32_t kInputSize = 224;
constexpr uint32_t kResizeShort = 256;

// Owning handles for the C API's objects.
struct StatsFree {
  void operator()(pixnorm_stats* s) const { pixnorm_stats_free(s); }
};
struct PlanFree {
  void operator()(pixnorm_plan* p) const { pixnorm_plan_free(p); }
};
using StatsPtr = std::unique_ptr<pixnorm_stats, StatsFree>;
using PlanPtr = std::unique_ptr<pixnorm_plan, PlanFree>;

struct Options {
  const char* model = nullptr;
  const char* frame = nullptr;
  uint32_t width = 0;
  uint32_t height = 0;
  const char* preset = "imagenet";
  const char* stats_file = nullptr;
  pixnorm_dtype dtype = PIXNORM_DTYPE_F32;
  bool full_range = false;
  pixnorm_interp interp = PIXNORM_INTERP_BILINEAR;  // torchvision's Resize on tensors (antialias off)
  const char* logits_file = nullptr;
  const char* tensor_file = nullptr;
};

void usage() {
  std::fprintf(stderr,
               "usage: onnx_classify MODEL.onnx FRAME.nv12 WIDTH HEIGHT [--preset NAME | --stats FILE]\n"
               "                     [--dtype f32|f16] [--full-range] [--interp NAME] [--logits OUT.txt]\n"
               "                     [--tensor OUT.raw]\n");
}

// The names of `pixnorm apply --interp`, in the order of pixnorm_interp.
const char* const kInterpNames[] = {"bilinear",          "area",         "nearest",         "pil-nearest",
                                    "pil-box",           "pil-bilinear", "pil-hamming",     "pil-bicubic",
                                    "pil-lanczos",       "cv-linear-exact", "cv-cubic",     "torch-bilinear-aa",
                                    "torch-bicubic-aa",  "torch-bicubic"};

// pixnorm reports what went wrong in pixnorm_last_error(); print it with the call that failed.
bool check(pixnorm_status st, const char* what) {
  if (st == PIXNORM_OK) return true;
  std::fprintf(stderr, "onnx_classify: %s: %s: %s\n", what, pixnorm_status_name(st), pixnorm_last_error());
  return false;
}

bool parse_dimension(const char* text, const char* name, uint32_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v == 0 || v > PIXNORM_MAX_DIMENSION) {
    std::fprintf(stderr, "onnx_classify: %s: expected an integer 1..%u, got \"%s\"\n", name,
                 PIXNORM_MAX_DIMENSION, text);
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

// Returns 0 when the options are usable, otherwise the exit code.
int parse_options(int argc, char** argv, Options* o) {
  if (argc < 5) {
    usage();
    return 2;
  }
  o->model = argv[1];
  o->frame = argv[2];
  if (!parse_dimension(argv[3], "WIDTH", &o->width) || !parse_dimension(argv[4], "HEIGHT", &o->height)) return 2;
  for (int i = 5; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--full-range") {
      o->full_range = true;
    } else if (!has_value && (arg == "--preset" || arg == "--stats" || arg == "--dtype" || arg == "--logits" ||
                              arg == "--tensor" || arg == "--interp")) {
      std::fprintf(stderr, "onnx_classify: %s needs a value\n", arg.c_str());
      return 2;
    } else if (arg == "--preset") {
      o->preset = argv[++i];
      o->stats_file = nullptr;
    } else if (arg == "--stats") {
      o->stats_file = argv[++i];
    } else if (arg == "--dtype") {
      const std::string d = argv[++i];
      if (d == "f32") {
        o->dtype = PIXNORM_DTYPE_F32;
      } else if (d == "f16") {
        o->dtype = PIXNORM_DTYPE_F16;
      } else {
        std::fprintf(stderr, "onnx_classify: --dtype: expected f32 or f16, got \"%s\"\n", d.c_str());
        return 2;
      }
    } else if (arg == "--interp") {
      const std::string n = argv[++i];
      const size_t count = sizeof(kInterpNames) / sizeof(kInterpNames[0]);
      size_t k = 0;
      while (k < count && n != kInterpNames[k]) ++k;
      if (k == count) {
        std::fprintf(stderr, "onnx_classify: --interp: unknown interpolation \"%s\" (bilinear, pil-bilinear, ...)\n",
                     n.c_str());
        return 2;
      }
      o->interp = static_cast<pixnorm_interp>(k);
    } else if (arg == "--logits") {
      o->logits_file = argv[++i];
    } else if (arg == "--tensor") {
      o->tensor_file = argv[++i];
    } else {
      std::fprintf(stderr, "onnx_classify: unknown option \"%s\"\n", arg.c_str());
      usage();
      return 2;
    }
  }
  return 0;
}

// Reads the whole NV12 frame, refusing a file of any other size: a wrong WIDTH/HEIGHT would
// otherwise show up only as a garbled image and a confident wrong class.
bool read_frame(const Options& o, std::vector<uint8_t>* frame) {
  const uint64_t chroma_w = (o.width + 1u) / 2u, chroma_h = (o.height + 1u) / 2u;
  const uint64_t expected = uint64_t(o.width) * o.height + 2u * chroma_w * chroma_h;
  std::ifstream in(o.frame, std::ios::binary | std::ios::ate);
  if (!in) {
    std::fprintf(stderr, "onnx_classify: %s: cannot open: %s\n", o.frame, std::strerror(errno));
    return false;
  }
  const std::streamoff size = in.tellg();
  if (size < 0 || uint64_t(size) != expected) {
    std::fprintf(stderr,
                 "onnx_classify: %s: %lld bytes, but an NV12 frame of %ux%u has %llu "
                 "(%ux%u luma + %llux%llu U,V pairs)\n",
                 o.frame, static_cast<long long>(size), o.width, o.height,
                 static_cast<unsigned long long>(expected), o.width, o.height,
                 static_cast<unsigned long long>(chroma_w), static_cast<unsigned long long>(chroma_h));
    return false;
  }
  frame->resize(expected);
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(frame->data()), std::streamsize(expected))) {
    std::fprintf(stderr, "onnx_classify: %s: read failed\n", o.frame);
    return false;
  }
  return true;
}

bool write_file(const char* path, const void* data, size_t bytes) {
  FILE* f = std::fopen(path, "wb");
  bool ok = f && std::fwrite(data, 1, bytes, f) == bytes;
  if (f && std::fclose(f) != 0) ok = false;
  if (!ok) std::fprintf(stderr, "onnx_classify: %s: cannot write: %s\n", path, std::strerror(errno));
  return ok;
}

bool write_logits(const char* path, const float* logits, size_t count) {
  FILE* f = std::fopen(path, "w");
  if (!f) {
    std::fprintf(stderr, "onnx_classify: %s: cannot write: %s\n", path, std::strerror(errno));
    return false;
  }
  for (size_t i = 0; i < count; ++i) std::fprintf(f, "%.9g\n", double(logits[i]));  // round-trips a float
  if (std::fclose(f) != 0) {
    std::fprintf(stderr, "onnx_classify: %s: write failed\n", path);
    return false;
  }
  return true;
}

int run(const Options& o) {
  std::vector<uint8_t> frame;
  if (!read_frame(o, &frame)) return 1;

  // The normalization statistics: a preset ("imagenet": x/255, then (x - mean) / std per
  // channel, RGB) or a file written by `pixnorm fit` / `pixnorm stats`.
  pixnorm_stats* raw_stats = nullptr;
  if (o.stats_file ? !check(pixnorm_stats_load(o.stats_file, &raw_stats), "pixnorm_stats_load")
                   : !check(pixnorm_stats_preset(o.preset, &raw_stats), "pixnorm_stats_preset"))
    return 1;
  const StatsPtr stats(raw_stats);

  // One plan for every frame of this size: YUV conversion, resize, crop and normalization are
  // folded into it once, so each run is a single pass with no allocation.
  pixnorm_plan_desc desc;
  pixnorm_plan_desc_init(&desc);
  desc.format = PIXNORM_FORMAT_NV12;
  desc.width = o.width;
  desc.height = o.height;
  desc.yuv_matrix = PIXNORM_YUV_BT601;
  desc.yuv_range = o.full_range ? PIXNORM_YUV_FULL : PIXNORM_YUV_LIMITED;
  desc.out_width = kInputSize;
  desc.out_height = kInputSize;
  desc.fit = PIXNORM_FIT_CENTER_CROP;
  desc.resize_short = kResizeShort;
  desc.interp = o.interp;
  desc.mode = PIXNORM_MODE_STANDARDIZE;
  desc.layout = PIXNORM_LAYOUT_NCHW;  // what ONNX image models take
  desc.dtype = o.dtype;
  pixnorm_plan* raw_plan = nullptr;
  if (!check(pixnorm_plan_create(stats.get(), &desc, &raw_plan), "pixnorm_plan_create")) return 1;
  const PlanPtr plan(raw_plan);

  uint32_t out_w = 0, out_h = 0;
  pixnorm_plan_output_size(plan.get(), &out_w, &out_h);
  const int channels = int(pixnorm_plan_output_channels(plan.get()));
  const size_t bytes = pixnorm_plan_output_bytes(plan.get());

  // The caller owns the tensor. A vector of floats is aligned for f32 and f16 alike.
  std::vector<float> tensor((bytes + sizeof(float) - 1) / sizeof(float));

  // The two planes of the frame, each with its own stride (an odd width has a chroma row of
  // width + 1 bytes, so the single-buffer pixnorm_plan_run does not fit every size).
  pixnorm_image image{};
  image.planes[0] = frame.data();
  image.row_bytes[0] = o.width;
  image.planes[1] = frame.data() + size_t(o.width) * o.height;
  image.row_bytes[1] = 2 * ((size_t(o.width) + 1) / 2);
  if (!check(pixnorm_plan_run_image(plan.get(), &image, tensor.data()), "pixnorm_plan_run_image")) return 1;
  if (o.tensor_file && !write_file(o.tensor_file, tensor.data(), bytes)) return 1;

  std::printf("pixnorm %s, backend %s (%s): %ux%u NV12 -> %dx%ux%u %s, %s\n", pixnorm_version(),
              pixnorm_backend_name(pixnorm_plan_backend(plan.get())), pixnorm_plan_target(plan.get()), o.width,
              o.height, channels, out_h, out_w, o.dtype == PIXNORM_DTYPE_F16 ? "f16" : "f32", kInterpNames[o.interp]);

  // The buffer becomes the network's input without a copy: a 1xCxHxW Mat over it. OpenCV DNN
  // computes in float32, so a half-precision tensor is widened first.
  const int dims[4] = {1, channels, int(out_h), int(out_w)};
  cv::Mat blob;
  if (o.dtype == PIXNORM_DTYPE_F16)
    cv::Mat(4, dims, CV_16F, tensor.data()).convertTo(blob, CV_32F);
  else
    blob = cv::Mat(4, dims, CV_32F, tensor.data());

  cv::dnn::Net net = cv::dnn::readNetFromONNX(o.model);
  net.setInput(blob);
  cv::Mat out = net.forward();
  const cv::Mat logits = out.reshape(1, 1);  // 1 x classes
  const float* l = logits.ptr<float>();
  const size_t classes = logits.total();

  std::vector<size_t> order(classes);
  std::iota(order.begin(), order.end(), size_t(0));
  const size_t top = std::min<size_t>(5, classes);
  std::partial_sort(order.begin(), order.begin() + top, order.end(),
                    [l](size_t a, size_t b) { return l[a] > l[b]; });
  std::printf("top-%zu of %zu classes:\n", top, classes);
  for (size_t i = 0; i < top; ++i) std::printf("  %4zu  %10.5f\n", order[i], double(l[order[i]]));

  if (o.logits_file && !write_logits(o.logits_file, l, classes)) return 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const int code = parse_options(argc, argv, &o)) return code;
  try {
    return run(o);
  } catch (const cv::Exception& e) {  // a missing or unreadable model, a shape the model refuses
    std::fprintf(stderr, "onnx_classify: OpenCV: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onnx_classify: %s\n", e.what());
    return 1;
  }
}
