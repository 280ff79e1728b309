// pixnorm: the command-line front end of the C API (pixnorm.h).
//   pixnorm apply ... IMAGE... -o OUT.npy   images to one float32 tensor in a .npy file
//   pixnorm info                            version, backends and CPU targets
#include <pixnorm/pixnorm.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <pixnorm/pixnorm.hpp>

#include "atomic_file.h"
#include "cli_error.h"
#include "cli_options.h"
#include "cmd_util.h"
#include "image_io.h"
#include "npy.h"
#include "check.h"
#include "stats_cmds.h"
#include "fit.h"

namespace pixnorm_cli {
namespace {

constexpr const char* kPresets[] = {"imagenet", "tf", "caffe", "unit"};

bool needs_stats(pixnorm_mode mode) { return mode == PIXNORM_MODE_STANDARDIZE || mode == PIXNORM_MODE_CENTER; }
bool is_per_image(pixnorm_mode mode) {
  return mode != PIXNORM_MODE_STANDARDIZE && mode != PIXNORM_MODE_CENTER && mode != PIXNORM_MODE_RESCALE;
}

// Sizes come from image headers: an overflow is the input's fault.
uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& subject) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw data_error(subject, "the tensor size overflows");
  return r;
}

// ---------------------------------------------------------------- help

void print_usage(FILE* out) {
  std::fprintf(out,
               "pixnorm %s: uint8 images to normalized float32 tensors\n"
               "\n"
               "Usage:\n"
               "  pixnorm apply (--stats FILE | --preset NAME) [options] IMAGE... -o OUT.npy\n"
               "  pixnorm info\n"
               "  pixnorm stats export (STATS.json | --preset NAME) --c-header [--name PREFIX] -o OUT.h\n"
               "  pixnorm stats import --from hf CONFIG.json -o STATS.json\n"
               "  pixnorm stats import --from keras MEAN.npy STD.npy --units raw|unit -o STATS.json\n"
               "  pixnorm check (--stats FILE | --preset NAME) IMAGE... [--plot OUT.png]\n"
               "  pixnorm fit FOLDER -o STATS.json [--resize WxH] [--sample F] [--shard I/N] [options]\n"
               "  pixnorm merge PART.json... -o STATS.json\n"
               "  pixnorm stats show STATS.json\n"
               "  pixnorm bench [--quick] [--json] [--sizes WxH,...] [--threads 1,2] [...]\n"
               "  pixnorm --help | --version\n"
               "\n"
               "Commands:\n"
               "  apply   normalize images into one float32 tensor, written as a NumPy .npy file\n"
               "  info    show the version, the backends compiled in and the CPU targets they use\n"
               "  stats export   write statistics as a self-contained C/C++ header (firmware, no parser)\n"
               "  stats import   turn Hugging Face or Keras normalization settings into a statistics file\n"
               "  check   normalize sample images with statistics and warn of a mismatch (exit 3):\n"
               "          mean/std far from 0/1, red and blue swapped, 0..255 vs 0..1 units\n"
               "  fit     exact mean and std of a folder of training images, written as a statistics file\n"
               "  merge   combine the statistics files of shards (fit --shard I/N) exactly\n"
               "  stats show     print a statistics file readably, with the scale and bias it folds into\n"
               "  bench   time every backend and CPU target against a memset of the output (runs pixnorm_bench;\n"
               "          'pixnorm bench --help' lists its options)\n"
               "\n"
               "'pixnorm apply --help' lists the options, the modes with their formulas and the presets.\n",
               pixnorm_version());
}

// One line per preset, from the library itself so that the help cannot drift from it.
std::string preset_lines() {
  std::string lines;
  for (const char* name : kPresets) {
    pixnorm::Stats stats;
    pixnorm_stats_values v;
    if (!stats.preset(name) || !stats.values(&v)) continue;
    const char* order = v.channel_order == PIXNORM_ORDER_GRAY ? "gray" : order_name(v.channel_order);
    std::string line = std::string("  ") + name + std::string(10 - std::strlen(name), ' ') + order +
                       std::string(v.channel_order == PIXNORM_ORDER_GRAY ? 2 : 3, ' ') + " rescale " +
                       short_number(v.rescale) + ", mean";
    for (uint32_t c = 0; c < v.channels; ++c) line += " " + short_number(v.mean[c]);
    if (v.has_std) {
      line += ", std";
      for (uint32_t c = 0; c < v.channels; ++c) line += " " + short_number(v.std[c]);
    } else {
      line += ", no std";
    }
    lines += line + "\n";
  }
  return lines;
}

// ---------------------------------------------------------------- info

// The target a tiny rescale plan of the default backend runs in `variant`, "" when it cannot be made.
std::string target_of_variant(pixnorm_variant variant) {
  pixnorm_plan_desc desc;
  pixnorm_plan_desc_init(&desc);
  desc.width = 8;
  desc.height = 1;
  desc.mode = PIXNORM_MODE_RESCALE;
  desc.variant = variant;
  pixnorm_plan* plan = nullptr;
  if (pixnorm_plan_create(nullptr, &desc, &plan) != PIXNORM_OK) return "";
  const char* target = pixnorm_plan_target(plan);
  std::string name = target ? target : "";
  pixnorm_plan_free(plan);
  return name;
}

int run_info() {
  std::printf("pixnorm %s\n", pixnorm_version());
  std::printf("backends (targets supported by this CPU, best first; the one that runs):\n");
  for (pixnorm_backend b : {PIXNORM_BACKEND_SCALAR, PIXNORM_BACKEND_HIGHWAY, PIXNORM_BACKEND_XSIMD}) {
    const char* targets = pixnorm_backend_targets(b);
    const char* target = pixnorm_backend_target(b);
    const bool available = pixnorm_backend_available(b) != 0;
    const char* state = available ? "available" : (targets && *targets) ? "compiled in, not supported by this CPU"
                                                                       : "not compiled in";
    std::printf("  %-8s %s", pixnorm_backend_name(b), state);
    if (targets && *targets) std::printf("; targets: %s", targets);
    if (available && target && *target) std::printf("; runs: %s", target);
    std::printf("\n");
  }
  const pixnorm_backend def = pixnorm_backend_default();
  const char* def_target = pixnorm_backend_target(def);
  std::printf("default (--backend auto): %s", pixnorm_backend_name(def));
  if (def_target && *def_target) std::printf(" (%s)", def_target);
  const char* force = std::getenv("PIXNORM_FORCE_SCALAR");
  if (force) std::printf(", PIXNORM_FORCE_SCALAR=%s is set", force);
  std::printf("\n");
  // Targets with one variant run it whatever is asked: two plans tell whether there is a choice.
  const std::string narrow = target_of_variant(PIXNORM_VARIANT_256), wide = target_of_variant(PIXNORM_VARIANT_512);
  if (!narrow.empty() && narrow != wide)
    std::printf("variants: 256 512 (--variant or PIXNORM_VARIANT; %s, %s)", narrow.c_str(), wide.c_str());
  else
    std::printf("variants: one");
  const char* variant_env = std::getenv("PIXNORM_VARIANT");
  if (variant_env) {
    bool known = false;
    std::string names;
    for (const auto& entry : kVariants) {
      known = known || std::strcmp(variant_env, entry.name) == 0;
      names += names.empty() ? entry.name : std::string(", ") + entry.name;
    }
    // The same check the library makes when a plan is created: said here before apply fails on it.
    if (known || !*variant_env)
      std::printf(", PIXNORM_VARIANT=%s is set", variant_env);
    else
      std::printf(", PIXNORM_VARIANT=%s is set but is not a variant (%s): plans are refused", variant_env,
                  names.c_str());
  }
  std::printf("\n");
  std::printf("limits: width and height <= %u, pixels per image <= %u, images per tensor <= %u\n",
              PIXNORM_MAX_DIMENSION, PIXNORM_MAX_PIXELS, PIXNORM_MAX_BATCH);
  return kExitOk;
}

// ---------------------------------------------------------------- apply

struct ApplyArgs {
  std::string stats_path;
  std::string preset;
  bool has_stats = false;
  bool has_preset = false;
  pixnorm_mode mode = PIXNORM_MODE_STANDARDIZE;
  pixnorm_layout layout = PIXNORM_LAYOUT_NCHW;
  pixnorm_backend backend = PIXNORM_BACKEND_AUTO;
  pixnorm_variant variant = PIXNORM_VARIANT_AUTO;
  bool per_channel = false;
  double epsilon = PIXNORM_EPSILON_DEFAULT;
  bool has_raw = false;
  ImageInfo raw;
  // Geometry, YUV and output type: the plan description's fields.
  uint32_t out_w = 0, out_h = 0;
  pixnorm_interp interp = PIXNORM_INTERP_BILINEAR;
  bool center = false, has_roi = false, has_letterbox = false, flip = false;
  bool exif_apply = false;  // --exif apply
  uint32_t roi[4] = {0, 0, 0, 0};  // x, y, w, h
  uint32_t resize_short = 0, letterbox = 114;
  bool has_interp = false;
  bool own_geometry = false;  // --resize, --crop center, --resize-short or --letterbox: the recipe is not used
  pixnorm_yuv_matrix yuv = PIXNORM_YUV_BT601;
  pixnorm_yuv_range range = PIXNORM_YUV_LIMITED;
  bool has_yuv_option = false;
  pixnorm_dtype dtype = PIXNORM_DTYPE_F32;
  double quant_scale = 0;
  int32_t zero_point = 0;
  bool has_quant = false;
  std::string output;
  bool quiet = false;
  std::vector<std::string> inputs;
};

double parse_epsilon(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(v >= 0) || v > 1e30)
    throw usage_error("--epsilon: '" + text + "' is not a number >= 0");
  return v;
}

// A decimal number in [lo, hi] for `option`.
long long parse_int(const std::string& option, const std::string& text, long long lo, long long hi) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    throw usage_error(option + ": '" + text + "' is not a whole number from " + std::to_string(lo) + " to " +
                      std::to_string(hi));
  return v;
}

// "WxH" with both in 1..PIXNORM_MAX_DIMENSION.
void parse_size(const std::string& option, const std::string& text, uint32_t* w, uint32_t* h) {
  const size_t x = text.find('x');
  if (x == std::string::npos) throw usage_error(option + ": expected WxH, e.g. 224x224, got '" + text + "'");
  *w = static_cast<uint32_t>(parse_int(option + " width", text.substr(0, x), 1, PIXNORM_MAX_DIMENSION));
  *h = static_cast<uint32_t>(parse_int(option + " height", text.substr(x + 1), 1, PIXNORM_MAX_DIMENSION));
}

// false when the help was printed.
bool parse_apply(int argc, char** argv, ApplyArgs& a) {
  CommandLine cl(
      "apply", "pixnorm apply (--stats FILE | --preset NAME) [options] IMAGE... -o OUT.npy",
      "Normalizes the images into one tensor of shape (N, C, H, W) or (N, H, W, C), N = number of\n"
      "images, and writes it as a NumPy .npy file (format 1.0, C order; float32 unless --dtype).\n"
      "Without --resize all images must have the same size; with it, any sizes. The images must\n"
      "have the same channel count. Geometry, YUV conversion, normalization and quantization are\n"
      "one pass per image. OUT.npy is replaced only when every image was converted; on any error\n"
      "it is left as it was.");
  std::string mode, layout, backend, variant, epsilon, raw, resize, interp, crop, resize_short, letterbox, exif, yuv, range,
      dtype, quant_scale, zero_point;
  cl.value("--stats", &a.stats_path, "FILE", "normalization statistics (JSON: rescale, mean, std, epsilon, channel order)");
  cl.value("--preset", &a.preset, "NAME", "built-in statistics: imagenet, tf, caffe or unit (listed below)");
  cl.value("--mode", &mode, "MODE", "how to normalize (default: standardize; listed below)");
  cl.value("--layout", &layout, "LAYOUT", "nchw (default; ONNX, PyTorch) or nhwc (TFLite, Keras)");
  cl.value("--backend", &backend, "BACKEND",
           "auto (default: the best one available; PIXNORM_FORCE_SCALAR=1 in the\n"
           "environment makes it scalar), scalar, highway or xsimd");
  cl.value("--variant", &variant, "VARIANT",
           "kernel variant of the CPU target: the vector width of the store-bound\n"
           "kernels on AVX-512 CPUs; the same output bytes, only the speed differs.\n"
           "auto (default: PIXNORM_VARIANT from the environment, else the CPU's\n"
           "preference: 512 on AMD, 256 elsewhere), measure (time both when the plan\n"
           "is made, keep the faster), 256 or 512 (pixnorm info lists them)");
  cl.flag("--per-channel", &a.per_channel, "per-image modes: one mean/std/min/max per channel (default: one per image)");
  cl.value("--epsilon", &epsilon, "E",
           "a number >= 0 replacing the default: the statistics' epsilon, and 1e-6\nfor sample-standardize");
  cl.value("--raw", &raw, "WxH:FORMAT",
           "the inputs are raw pixels, rows tightly packed: gray8, rgb8, bgr8, rgba8,\n"
           "bgra8 (alpha dropped): W*H*bytes-per-pixel bytes; camera YUV: nv12, nv21\n"
           "(Y plane, then interleaved chroma), i420 (Y, U, V planes): W*H +\n"
           "2*ceil(W/2)*ceil(H/2) bytes; yuyv: 4*ceil(W/2)*H bytes\n"
           "(default: decode PNG, JPEG, BMP, GIF, PGM/PPM or TGA files)");
  cl.value("--yuv", &yuv, "MATRIX", "bt601 (default) or bt709: the YUV to RGB matrix of --raw YUV inputs");
  cl.value("--range", &range, "RANGE", "limited (default; Y 16..235) or full (0..255)");
  cl.group("Geometry (in this order: --crop region, fit and resize, --flip)");
  cl.value("--resize", &resize, "WxH", "the output (model input) size; default: the image (or region) size");
  cl.value("--interp", &interp, "INTERP",
           "bilinear (default; half-pixel centres, as OpenCV INTER_LINEAR), area\n"
           "(box average when shrinking, as INTER_AREA) or nearest; Pillow's\n"
           "Image.resize byte for byte: pil-nearest, pil-box, pil-bilinear\n"
           "(torchvision on PIL images), pil-hamming, pil-bicubic, pil-lanczos;\n"
           "OpenCV cv2.resize: cv-linear-exact (INTER_LINEAR_EXACT, byte for byte),\n"
           "cv-cubic (INTER_CUBIC); torchvision Resize on uint8 tensors:\n"
           "torch-bilinear-aa, torch-bicubic-aa (antialias=True), torch-bicubic");
  cl.value("--crop", &crop, "center|WxH+X+Y",
           "center: the centre of the image with the output's aspect, resized to WxH;\n"
           "WxH+X+Y: read only this region of each image");
  cl.value("--resize-short", &resize_short, "N", "with --crop center: torchvision's Resize(N) then CenterCrop(WxH)");
  cl.value("--letterbox", &letterbox, "FILL",
           "keep the aspect, centre the image, fill the borders with FILL (0..255,\nevery channel; YOLO uses 114)");
  cl.flag("--flip", &a.flip, "mirror the output horizontally");
  cl.value("--exif", &exif, "MODE",
           "ignore (default: as Pillow's Image.open and torchvision) or apply (the\n"
           "EXIF orientation of JPEG and PNG files, as ImageOps.exif_transpose and\n"
           "cv2.imread do), before any crop or resize");
  bool no_recipe = false;
  cl.flag("--no-recipe", &no_recipe,
          "ignore the statistics' \"preprocess\" recipe (pixnorm stats show), which gives\n"
          "the geometry when none of --resize, --crop center, --resize-short and\n"
          "--letterbox is given (any of them replaces the whole recipe); --interp then\n"
          "replaces only its interpolation, --crop WxH+X+Y makes it apply to that\n"
          "region, --flip adds to it");
  cl.group("Output type");
  cl.value("--dtype", &dtype, "TYPE", "f32 (default), f16 (IEEE half, round to nearest even), int8 or uint8");
  cl.value("--quant-scale", &quant_scale, "S",
           "int8/uint8: the model input's scale: q = clamp(round(f / S) + Z), round\n"
           "half to even, f the normalized value (TFLite input quantization)");
  cl.value("--quant-zero-point", &zero_point, "Z", "int8/uint8: the model input's zero point Z (default 0)");
  cl.value("-o,--output", &a.output, "FILE",
           "the .npy file to write (required); '-' is standard output. A device or a\n"
           "FIFO (/dev/null, a named pipe) is written directly as the images come;\n"
           "a symbolic link is followed and its target replaced; an input is refused");
  cl.flag("-q,--quiet", &a.quiet, "no summary line on stderr");
  cl.operands(&a.inputs, "IMAGE");
  cl.footer(
      "Modes (x = the uint8 sample, y = x * rescale; rescale, mean, std and epsilon come from the\n"
      "statistics; mean(image) etc. are over the whole image, or per channel with --per-channel):\n"
      "  standardize                 (y - mean[c]) / (std[c] + epsilon)      needs --stats or --preset\n"
      "  center                      y - mean[c]                             needs --stats or --preset\n"
      "  rescale                     y\n"
      "  sample-center               y - mean(image)\n"
      "  sample-standardize          (y - mean(image)) / (std(image) + epsilon)\n"
      "  per-image-standardization   (y - mean(image)) / max(std(image), 1/sqrt(H*W*C))\n"
      "                              (as tf.image.per_image_standardization; H*W per channel)\n"
      "  minmax                      (y - min(image)) / (max(image) - min(image)); 0 for a constant image\n"
      "  rescale and the per-image modes work without statistics: then y = x.\n"
      "\n"
      "Presets:\n" +
      preset_lines() +
      "\n"
      "Images: JPEG (libjpeg-turbo) and PNG (libpng, checksums verified) decoded to the pixels of\n"
      "Pillow's Image.open(f).convert('RGB'); BMP, GIF (first frame), binary PGM/PPM, TGA (by its\n"
      "'.tga' name, as TGA has no signature). With RGB or BGR statistics every image is converted\n"
      "as convert('RGB') does: gray, gray+alpha, 1-bit, palette, CMYK and RGBA (alpha dropped); with\n"
      "GRAY statistics as convert('L') does. 16-bit PNGs are reduced to 8 bits as Pillow does (the\n"
      "high byte; 16-bit gray is clipped to 255). EXIF orientation: see --exif. The output\n"
      "channels follow the statistics' channel order (BGR for caffe). Only regular files are read.\n"
      "\n"
      "Exit status: 0 done, 1 a bad file, image or statistics, 2 a bad command line.\n"
      "\n"
      "Example:\n"
      "  pixnorm apply --preset imagenet examples/data/astronaut.png examples/data/chelsea.png -o batch.npy\n"
      "  # batch.npy: float32 (2, 3, 224, 224), (x/255 - mean) / std per RGB channel\n"
      "  pixnorm apply --preset imagenet --resize 224x224 --crop center --resize-short 256 \\\n"
      "      --raw 640x480:nv12 frame.nv12 -o input.npy      # torchvision's recipe on a camera frame\n"
      "  pixnorm apply --preset unit --mode rescale --resize 320x320 --letterbox 114 \\\n"
      "      --dtype int8 --quant-scale 0.003921569 --quant-zero-point -128 photo.jpg -o q.npy");
  if (!cl.parse(argc, argv)) return false;

  a.has_stats = cl.has("--stats");
  a.has_preset = cl.has("--preset");
  if (cl.has("--mode")) a.mode = parse_named(kModes, "--mode", mode);
  if (cl.has("--layout")) a.layout = parse_named(kLayouts, "--layout", layout);
  if (cl.has("--backend")) a.backend = parse_named(kBackends, "--backend", backend);
  if (cl.has("--variant")) a.variant = parse_named(kVariants, "--variant", variant);
  if (cl.has("--epsilon")) a.epsilon = parse_epsilon(epsilon);
  if (cl.has("--raw")) {
    a.raw = parse_raw_spec(raw, true);
    a.has_raw = true;
  }
  if (cl.has("--resize")) {
    parse_size("--resize", resize, &a.out_w, &a.out_h);
    a.own_geometry = true;
  }
  if (cl.has("--interp")) {
    a.interp = parse_named(kInterps, "--interp", interp);
    a.has_interp = true;
  }
  if (cl.has("--crop")) {
    if (crop == "center") {
      a.center = true;
      a.own_geometry = true;
    } else {
      const size_t p1 = crop.find('+'), p2 = p1 == std::string::npos ? p1 : crop.find('+', p1 + 1);
      if (p2 == std::string::npos) throw usage_error("--crop: expected center or WxH+X+Y, got '" + crop + "'");
      parse_size("--crop", crop.substr(0, p1), &a.roi[2], &a.roi[3]);
      a.roi[0] = static_cast<uint32_t>(parse_int("--crop X", crop.substr(p1 + 1, p2 - p1 - 1), 0, PIXNORM_MAX_DIMENSION));
      a.roi[1] = static_cast<uint32_t>(parse_int("--crop Y", crop.substr(p2 + 1), 0, PIXNORM_MAX_DIMENSION));
      a.has_roi = true;
    }
  }
  if (cl.has("--resize-short")) {
    a.resize_short = static_cast<uint32_t>(parse_int("--resize-short", resize_short, 1, PIXNORM_MAX_DIMENSION));
    a.own_geometry = true;
  }
  if (cl.has("--letterbox")) {
    a.letterbox = static_cast<uint32_t>(parse_int("--letterbox", letterbox, 0, 255));
    a.own_geometry = true;
    a.has_letterbox = true;
  }
  if (cl.has("--exif")) {
    if (exif != "ignore" && exif != "apply") throw usage_error("--exif: expected ignore or apply, got '" + exif + "'");
    a.exif_apply = exif == "apply";
  }
  if (no_recipe) a.own_geometry = true;
  if (cl.has("--yuv")) a.yuv = parse_named(kMatrices, "--yuv", yuv);
  if (cl.has("--range")) a.range = parse_named(kRanges, "--range", range);
  a.has_yuv_option = cl.has("--yuv") || cl.has("--range");
  if (cl.has("--dtype")) a.dtype = parse_named(kDtypes, "--dtype", dtype);
  if (cl.has("--quant-scale")) {
    char* end = nullptr;
    a.quant_scale = std::strtod(quant_scale.c_str(), &end);
    if (*end != '\0' || !(a.quant_scale > 1e-30 && a.quant_scale < 1e30))
      throw usage_error("--quant-scale: '" + quant_scale + "' is not a number > 0");
  }
  if (cl.has("--quant-zero-point"))
    a.zero_point = static_cast<int32_t>(parse_int("--quant-zero-point", zero_point, -128, 255));
  a.has_quant = cl.has("--quant-scale") || cl.has("--quant-zero-point");
  if (a.has_stats && a.has_preset) throw usage_error("--stats and --preset exclude each other: give one");
  if (needs_stats(a.mode) && !a.has_stats && !a.has_preset) {
    const std::string mode = a.mode == PIXNORM_MODE_CENTER ? "center" : "standardize";
    throw usage_error("--mode " + mode + " needs statistics: give --stats FILE or --preset NAME");
  }
  if (a.per_channel && !is_per_image(a.mode))
    throw usage_error("--per-channel applies to the per-image modes only (sample-center, sample-standardize, "
                      "per-image-standardization, minmax)");
  const bool quantized = a.dtype == PIXNORM_DTYPE_INT8 || a.dtype == PIXNORM_DTYPE_UINT8;
  if (quantized && a.quant_scale == 0)
    throw usage_error("--dtype int8/uint8 needs --quant-scale S (and --quant-zero-point Z, default 0): the model "
                      "input's quantization");
  if (!quantized && a.has_quant) throw usage_error("--quant-scale and --quant-zero-point apply to --dtype int8/uint8");
  if (a.center && a.out_w == 0) throw usage_error("--crop center needs --resize WxH (the output size)");
  if (a.has_letterbox && a.out_w == 0) throw usage_error("--letterbox needs --resize WxH (the output size)");
  if (a.has_letterbox && a.center) throw usage_error("--letterbox and --crop center exclude each other");
  if (a.resize_short != 0 && !a.center) throw usage_error("--resize-short applies with --crop center");
  if (a.has_yuv_option && !(a.has_raw && is_yuv(a.raw.format)))
    throw usage_error("--yuv and --range apply to --raw YUV inputs (nv12, nv21, i420, yuyv)");
  if (a.inputs.empty()) throw usage_error("no input images (see pixnorm apply --help)");
  if (a.inputs.size() > PIXNORM_MAX_BATCH)
    throw usage_error(std::to_string(a.inputs.size()) + " images: at most " + std::to_string(PIXNORM_MAX_BATCH) +
                      " go into one tensor");
  if (a.output.empty()) throw usage_error("no output file: give -o OUT.npy");
  return true;
}

std::string describe(const ImageInfo& info) {
  return std::to_string(info.width) + "x" + std::to_string(info.height) + (is_gray(info.format) ? " gray" : " colour");
}

pixnorm::Stats apply_stats(const ApplyArgs& a) {
  return a.has_stats || a.has_preset ? load_stats(a.has_stats ? &a.stats_path : nullptr,
                                                  a.has_preset ? &a.preset : nullptr, "pixnorm apply --help")
                                     : pixnorm::Stats();
}

struct FormatPlan {
  pixnorm_format format;
  uint32_t width, height;
  pixnorm::Plan plan;
};

// The statistics' recipe fills the geometry unless the command line gives its own.
bool uses_recipe(const ApplyArgs& a, const pixnorm_stats* stats) {
  pixnorm_recipe r;
  return !a.own_geometry && pixnorm_stats_get_recipe(stats, &r) == PIXNORM_OK && r.version != 0;
}

// A recipe with a resize gives every image the same size, as --resize does.
bool recipe_resizes(const ApplyArgs& a, const pixnorm_stats* stats) {
  pixnorm_recipe r;
  return stats && uses_recipe(a, stats) && pixnorm_stats_get_recipe(stats, &r) == PIXNORM_OK &&
         (r.resize_width != 0 || r.resize_short != 0);
}

pixnorm::Plan create_plan(const ApplyArgs& a, const pixnorm::Stats& owned, const ImageInfo& info,
                          const std::string& image) {
  const pixnorm_stats* stats = owned.get();
  pixnorm_plan_desc desc;
  pixnorm_plan_desc_init(&desc);
  desc.format = info.format;
  desc.width = info.width;
  desc.height = info.height;
  desc.layout = a.layout;
  desc.mode = a.mode;
  desc.per_channel = a.per_channel ? 1 : 0;
  desc.epsilon = a.epsilon;
  desc.backend = a.backend;
  desc.variant = a.variant;
  desc.out_width = a.out_w;
  desc.out_height = a.out_h;
  desc.interp = a.interp;
  if (a.has_roi) {
    desc.roi_x = a.roi[0];
    desc.roi_y = a.roi[1];
    desc.roi_width = a.roi[2];
    desc.roi_height = a.roi[3];
  }
  desc.fit = a.center ? PIXNORM_FIT_CENTER_CROP : a.has_letterbox ? PIXNORM_FIT_LETTERBOX : PIXNORM_FIT_STRETCH;
  desc.resize_short = a.resize_short;
  desc.letterbox_fill = a.letterbox;
  desc.flip = a.flip ? 1 : 0;
  desc.yuv_matrix = a.yuv;
  desc.yuv_range = a.range;
  desc.dtype = a.dtype;
  desc.quant_scale = a.quant_scale;
  desc.quant_zero_point = a.zero_point;
  // Asked before the plan: any library call clears the message of a failure.
  const bool recipe = stats && uses_recipe(a, stats);
  if (recipe) {
    const pixnorm_status rs = pixnorm_plan_desc_apply_recipe(&desc, stats);
    if (rs != PIXNORM_OK) throw library_failure(kExitData, image, rs);
    if (a.has_interp) desc.interp = a.interp;
  }
  pixnorm::Plan plan;
  const pixnorm_status st = plan.create(owned, desc).code();
  if (st == PIXNORM_OK) return plan;
  const std::string stats_name = a.has_stats ? a.stats_path : "--preset " + a.preset;
  switch (st) {
    case PIXNORM_ERROR_CHANNEL_MISMATCH:
      throw CliError(kExitData,
                     std::string(library_failure(kExitData, image, st).what()) + " (statistics: " + stats_name + ")");
    case PIXNORM_ERROR_TOO_LARGE:
    case PIXNORM_ERROR_OUT_OF_MEMORY: throw library_failure(kExitData, image, st);
    case PIXNORM_ERROR_INVALID_STATS: throw library_failure(kExitData, stats_name, st);
    default:
      // A region outside a smaller image, a crop larger than the resized image: this image's fault.
      if (a.has_roi || a.resize_short != 0)
        throw library_failure(kExitData, image, st);
      throw library_failure(kExitUsage, "", st);
  }
}

int run_apply(int argc, char** argv) {
  ApplyArgs a;
  if (!parse_apply(argc, argv, a)) return kExitOk;

  // Every header first: a size or channel mismatch in the last image fails in milliseconds,
  // before any decoding, and the tensor shape is known before the output is created.
  const std::string& first = a.inputs.front();
  const pixnorm::Stats stats = apply_stats(a);
  // Decoded images take the statistics' channels, as a pipeline's convert('RGB') or
  // convert('L') gives them; without statistics, their own.
  pixnorm_stats_values sv{};
  const bool stats_known = stats.get() && pixnorm_stats_get(stats.get(), &sv) == PIXNORM_OK;
  const bool resized = a.out_w != 0 || recipe_resizes(a, stats.get());
  std::vector<ImageInfo> infos;
  infos.reserve(a.inputs.size());
  for (const std::string& path : a.inputs) {
    if (a.has_raw) {
      check_raw_size(path, a.raw);
      infos.push_back(a.raw);
    } else {
      infos.push_back(probe_image(path));
      if (a.exif_apply) infos.back() = with_exif_orientation(infos.back());
      if (stats_known)
        infos.back().format = sv.channel_order == PIXNORM_ORDER_GRAY ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
    }
    const ImageInfo& info = infos.back();
    const bool same_size = info.width == infos[0].width && info.height == infos[0].height;
    if ((!same_size && !resized) || is_gray(info.format) != is_gray(infos[0].format))
      throw data_error(path, "is " + describe(info) + ", but " + first + " is " + describe(infos[0]) +
                                 (!resized ? ": all images of one tensor must have the same size and channel "
                                                 "count (or give --resize)"
                                               : ": all images of one tensor must have the same channel count"));
  }

  std::vector<FormatPlan> plans;  // one per distinct input format and size
  auto plan_for = [&](const ImageInfo& info) -> const pixnorm_plan* {
    for (const FormatPlan& p : plans)
      if (p.format == info.format && p.width == info.width && p.height == info.height) return p.plan.get();
    return nullptr;
  };
  for (size_t i = 0; i < infos.size(); ++i)
    if (!plan_for(infos[i]))
      plans.push_back({infos[i].format, infos[i].width, infos[i].height,
                       create_plan(a, stats, infos[i], a.inputs[i])});

  const pixnorm_plan* first_plan = plans.front().plan.get();
  uint32_t out_w = 0, out_h = 0;
  pixnorm_plan_output_size(first_plan, &out_w, &out_h);
  const uint64_t n = a.inputs.size(), h = out_h, w = out_w;
  const uint64_t c = pixnorm_plan_output_channels(first_plan);
  const uint64_t elements = pixnorm_plan_output_elements(first_plan);
  for (const FormatPlan& p : plans) {
    uint32_t pw = 0, ph = 0;
    pixnorm_plan_output_size(p.plan.get(), &pw, &ph);
    if (pixnorm_plan_output_elements(p.plan.get()) != elements || pixnorm_plan_output_channels(p.plan.get()) != c ||
        pw != out_w || ph != out_h)
      throw data_error(first, "inputs of different formats give tensors of different shapes");
  }
  if (elements != checked_mul(checked_mul(c, h, first), w, first))
    throw data_error(first, "the library reports " + std::to_string(elements) + " elements per image, not C*H*W");
  const std::vector<uint64_t> shape = a.layout == PIXNORM_LAYOUT_NCHW ? std::vector<uint64_t>{n, c, h, w}
                                                                      : std::vector<uint64_t>{n, h, w, c};
  const uint64_t image_bytes = checked_mul(elements, pixnorm_plan_output_bytes(first_plan) / elements, first);
  checked_mul(n, image_bytes, first);  // the whole file must be addressable
  if (static_cast<uint64_t>(static_cast<size_t>(image_bytes)) != image_bytes)
    throw data_error(first, "one image's tensor is too large for this machine");

  // One image's tensor at a time: memory stays bounded by the largest image, not the batch.
  // Left uninitialized: the plan writes every element, and untouched pages cost nothing if
  // the first image then fails to decode.
  const std::unique_ptr<float[]> tensor(new (std::nothrow) float[static_cast<size_t>((image_bytes + 3) / 4)]);
  if (!tensor) throw data_error(first, "out of memory for a " + std::to_string(image_bytes) + "-byte tensor");

  AtomicFile out(a.output);
  const std::string header = npy_header(shape, a.dtype);
  out.write(header.data(), header.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const std::string& path = a.inputs[i];
    const Image image = a.has_raw ? read_raw(path, a.raw) : decode_image(path, infos[i]);
    const pixnorm_status st = pixnorm_plan_run(plan_for(image.info), image.pixels.get(), image.row_bytes, tensor.get());
    if (st != PIXNORM_OK) throw library_failure(kExitData, path, st);
    out.write(tensor.get(), static_cast<size_t>(image_bytes));
  }
  out.commit();

  if (!a.quiet) {
    const char* target = pixnorm_plan_target(first_plan);
    std::string backend = pixnorm_backend_name(pixnorm_plan_backend(first_plan));
    if (target && *target && backend != target) backend += std::string(" (") + target + ")";
    std::fprintf(stderr, "pixnorm: wrote %s: %s %s from %zu image%s, backend %s\n", a.output.c_str(),
                 dtype_name(a.dtype), shape_string(shape).c_str(), a.inputs.size(), a.inputs.size() == 1 ? "" : "s", backend.c_str());
  }
  return kExitOk;
}

// `pixnorm bench` runs the benchmark program, installed beside pixnorm (or, in a build tree,
// in ../bench/), so that a board with only the installed tools can time itself.
int run_bench(char** argv) {
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir = ".";
  if (len > 0) {
    self[len] = '\0';
    dir = self;
    dir = dir.substr(0, dir.find_last_of('/'));
  }
  for (const std::string& candidate : {dir + "/pixnorm_bench", dir + "/../bench/pixnorm_bench"}) {
    if (access(candidate.c_str(), X_OK) == 0) {
      argv[1] = const_cast<char*>("pixnorm_bench");
      execv(candidate.c_str(), argv + 1);
      std::fprintf(stderr, "pixnorm: bench: cannot run %s: %s\n", candidate.c_str(), std::strerror(errno));
      return kExitData;
    }
  }
  argv[1] = const_cast<char*>("pixnorm_bench");
  execvp("pixnorm_bench", argv + 1);
  // Asking for help is not a failure: say what bench does and what it needs.
  for (int i = 2; argv[i]; ++i)
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::printf("Usage: pixnorm bench [--quick] [--json] [--sizes WxH,...] [--threads 1,2] [...]\n"
                  "\n"
                  "Times every backend and CPU target against a memset of the output by running pixnorm_bench,\n"
                  "which lists its options with --help. It was not found beside %s, in %s/../bench or on\n"
                  "PATH: build it with -DPIXNORM_BUILD_BENCH=ON (the default) and install it beside pixnorm.\n",
                  len > 0 ? self : "pixnorm", dir.c_str());
      return kExitOk;
    }
  std::fprintf(stderr, "pixnorm: bench: pixnorm_bench not found beside %s, in %s/../bench or on PATH "
                       "(build with -DPIXNORM_BUILD_BENCH=ON)\n", len > 0 ? self : "pixnorm", dir.c_str());
  return kExitData;
}

// Every file a command line names, other than its outputs, may be read: registered, so that an
// output naming one of them (under any spelling) is refused before any work, not after a fit.
// Options whose value is an output: -o/--output and check's --plot.
void guard_inputs(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> outputs;  // option, file
  bool operands_only = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (operands_only || arg == "-" || arg.empty() || arg[0] != '-') {
      register_input(arg);
      continue;
    }
    if (arg == "--") {
      operands_only = true;
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.compare(0, 2, "--") == 0 && eq != std::string::npos ? arg.substr(0, eq) : arg;
    const bool is_output = name == "-o" || name == "--output" || name == "--plot";
    if (arg.size() > 2 && arg.compare(0, 2, "-o") == 0 && arg[2] != '-') {
      outputs.push_back({"-o", arg.substr(2)});
    } else if (is_output && eq != std::string::npos && name != arg) {
      outputs.push_back({name, arg.substr(eq + 1)});
    } else if (is_output && i + 1 < argc) {
      outputs.push_back({name, argv[++i]});
    } else if (eq != std::string::npos && name != arg) {
      register_input(arg.substr(eq + 1));
    }
  }
  for (const auto& out : outputs) refuse_input_as_output(out.second, out.first);
}

int run(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string command = argv[1];
  if (command != "bench") guard_inputs(argc - 2, argv + 2);
  if (command == "apply") return run_apply(argc - 2, argv + 2);
  if (command == "stats") return run_stats(argc - 2, argv + 2);
  if (command == "check") return run_check(argc - 2, argv + 2);
  if (command == "fit") return run_fit(argc - 2, argv + 2);
  if (command == "merge") return run_merge(argc - 2, argv + 2);
  if (command == "bench") return run_bench(argv);
  if (command == "info") {
    if (argc == 3 && (std::strcmp(argv[2], "-h") == 0 || std::strcmp(argv[2], "--help") == 0)) {
      std::printf("Usage: pixnorm info\n"
                  "\n"
                  "Prints the version, the backends compiled in, the CPU targets each supports on this CPU\n"
                  "(best first) and the one that runs. PIXNORM_FORCE_SCALAR=1 in the environment makes the\n"
                  "automatic choice scalar.\n"
                  "\n"
                  "Exit status: 0.\n");
      return kExitOk;
    }
    if (argc > 2) throw usage_error("info takes no arguments (see pixnorm info --help)");
    return run_info();
  }
  if (command == "-h" || command == "--help" || command == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  if (command == "--version" || command == "-V") {
    std::printf("pixnorm %s\n", pixnorm_version());
    return kExitOk;
  }
  throw usage_error("unknown command '" + command + "' (see pixnorm --help)");
}

}  // namespace
}  // namespace pixnorm_cli

int main(int argc, char** argv) {
  using namespace pixnorm_cli;
  try {
    return run(argc, argv);
  } catch (const CliError& e) {
    std::fprintf(stderr, "pixnorm: %s\n", e.what());
    return e.code;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "pixnorm: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pixnorm: %s\n", e.what());
  }
  return kExitData;
}
