// Readers for statistics written by other frameworks, from memory so that they can be fuzzed
// on their own: Hugging Face preprocessor_config.json and NumPy .npy vectors (Keras).
// Both throw CliError (exit code 1) with a message naming the file and the field at fault.
#ifndef PIXNORM_TOOLS_STATS_IMPORT_H
#define PIXNORM_TOOLS_STATS_IMPORT_H

#include <pixnorm/pixnorm.h>

#include <cstddef>
#include <string>
#include <vector>

namespace pixnorm_cli {

constexpr size_t kMaxImportBytes = 1u << 20;  // either file

struct HfPreprocessing {
  pixnorm_channel_order order = PIXNORM_ORDER_RGB;  // BGR with do_flip_channel_order
  double rescale = 1.0;
  std::vector<double> mean, std;  // same count, 1 or 3; 0 and 1 without do_normalize
  std::string processor;          // image_processor_type or feature_extractor_type, if given
  bool rescale_offset = false;    // folded into mean: x * rescale - 1
  bool include_top = false;       // EfficientNet: folded into std (divided by image_std twice)
  pixnorm_recipe recipe{};        // the resize and crop (version 0: the file has none)
  std::vector<std::string> warnings;  // fields read but not reproduced, each named
};

// Hugging Face image processors: y = x * rescale_factor when do_rescale (default true,
// rescale_factor default 1/255; minus 1 with rescale_offset), then (y - image_mean) / image_std
// when do_normalize (default true), then / image_std again with EfficientNet's include_top
// (default true for that processor). `name` is used in messages.
HfPreprocessing parse_hf_config(const std::string& json, const std::string& name);

// torchvision's Resize / CenterCrop / ToTensor / Normalize on PIL images, described by a small
// JSON object: {"resize": 256 or [H, W], "interpolation": "bilinear", "antialias": true,
// "center_crop": 224 or [H, W], "mean": [...], "std": [...]} (every field optional; ToTensor's
// 1/255 is implied). Anything else is refused by name.
struct TorchvisionPreprocessing {
  std::vector<double> mean, std;  // 0 and 1 without "mean" and "std"
  pixnorm_recipe recipe{};
};
TorchvisionPreprocessing parse_torchvision_json(const std::string& json, const std::string& name);

// The name of an interpolation as the statistics file and --interp spell it.
const char* interp_name(pixnorm_interp i);
// Keras/PIL names (nearest, bilinear, bicubic, lanczos, box, hamming) to the Pillow-exact ones;
// false for others.
bool pil_interp_from_name(const std::string& name, pixnorm_interp* out);
// One line describing a recipe ("resize_short 256 (pil-bilinear), center crop 224x224 (round)").
std::string recipe_text(const pixnorm_recipe& r);

struct NpyVector {
  std::vector<double> values;  // 1 or 3
  std::string descr;           // "<f4" or "<f8"
  std::string shape;           // "(3,)", "(1, 1, 3)", ...
};

// A little-endian float32/float64 array of shape (C,), (1, 1, C) or (1, 1, 1, C), C = 1 or 3,
// NPY format 1.0 to 3.0; anything else is refused. Values are not checked here.
NpyVector parse_npy_vector(const std::string& bytes, const std::string& name);

}  // namespace pixnorm_cli

#endif
