#include "stats_cmds.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "cli_error.h"
#include "cli_options.h"
#include "cmd_util.h"
#include "fit_json.h"
#include "stats_import.h"

namespace pixnorm_cli {
namespace {

void print_stats_help(FILE* out) {
  std::fprintf(out,
               "Usage: pixnorm stats COMMAND ...\n"
               "\n"
               "Commands:\n"
               "  export   write statistics as a self-contained C/C++ header, for firmware with no parser\n"
               "  import   turn Hugging Face or Keras normalization settings into a statistics file\n"
               "  show     print a statistics file\n"
               "\n"
               "'pixnorm stats COMMAND --help' describes each.\n");
}

// ---------------------------------------------------------------- export

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 64 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Text for a C comment: printable ASCII only, and never a comment terminator.
std::string comment_safe(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool printable = c >= 0x20 && c < 0x7f;
    if (printable && c == '/' && !out.empty() && out.back() == '*') out += ' ';
    out += printable ? c : '?';
  }
  return out;
}

// A double literal that reads back as the same double and is never an integer constant.
std::string c_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// A float literal: 9 significant digits read back as exactly this float, whether the compiler
// rounds the decimal to float directly or through double (the digits sit far from any midpoint).
std::string c_float(float v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s + "f";
}

std::string c_array(const char* type, const std::string& name, const std::string& size,
                    const std::vector<std::string>& values) {
  std::string s = "static const " + std::string(type) + " " + name + "[" + size + "] = {";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + values[i];
  return s + "};\n";
}

// The recipe as macros a firmware fills its pixnorm_plan_desc (or its own resize) with.
std::string recipe_macros(const pixnorm_recipe& r, const std::string& up) {
  if (r.version == 0) return "#define " + up + "_HAS_PREPROCESS 0 /* the statistics carry no recipe */\n";
  static const char* const kInterpMacros[] = {
      "PIXNORM_INTERP_BILINEAR",    "PIXNORM_INTERP_AREA",         "PIXNORM_INTERP_NEAREST",
      "PIXNORM_INTERP_PIL_NEAREST", "PIXNORM_INTERP_PIL_BOX",      "PIXNORM_INTERP_PIL_BILINEAR",
      "PIXNORM_INTERP_PIL_HAMMING", "PIXNORM_INTERP_PIL_BICUBIC", "PIXNORM_INTERP_PIL_LANCZOS",
      "PIXNORM_INTERP_CV_LINEAR_EXACT", "PIXNORM_INTERP_CV_CUBIC",  "PIXNORM_INTERP_TORCH_BILINEAR_AA",
      "PIXNORM_INTERP_TORCH_BICUBIC_AA", "PIXNORM_INTERP_TORCH_BICUBIC"};
  static_assert(sizeof(kInterpMacros) / sizeof(kInterpMacros[0]) == PIXNORM_INTERP_TORCH_BICUBIC + 1,
                "a macro for every interpolation");
  auto u = [](uint32_t x) { return std::to_string(x) + "u"; };
  std::string h;
  h += "/* Preprocess recipe: " + comment_safe(recipe_text(r)) + ".\n";
  h += " * With pixnorm: pixnorm_plan_desc_apply_recipe() on the loaded statistics does the same; without\n";
  h += " * a statistics file, set the pixnorm_plan_desc fields from these (a crop alone: roi of CROP size\n";
  h += " * at the centre, offsets as CROP_ROUNDING). 0 means not done. */\n";
  h += "#define " + up + "_HAS_PREPROCESS 1\n";
  h += "#define " + up + "_RESIZE_WIDTH " + u(r.resize_width) + "  /* resize to exactly this (aspect not kept) */\n";
  h += "#define " + up + "_RESIZE_HEIGHT " + u(r.resize_height) + "\n";
  h += "#define " + up + "_RESIZE_SHORT " + u(r.resize_short) + "  /* or the shorter side to this */\n";
  h += "#define " + up + "_INTERP " + std::to_string(static_cast<int>(r.interp)) + " /* " +
       kInterpMacros[static_cast<int>(r.interp)] + " (\"" + interp_name(r.interp) + "\") */\n";
  h += "#define " + up + "_CROP_WIDTH " + u(r.crop_width) + "  /* then a center crop of this size */\n";
  h += "#define " + up + "_CROP_HEIGHT " + u(r.crop_height) + "\n";
  h += "#define " + up + "_CROP_ROUNDING " + std::to_string(static_cast<int>(r.crop_rounding)) + " /* " +
       (r.crop_rounding == PIXNORM_CROP_FLOOR ? "PIXNORM_CROP_FLOOR" : "PIXNORM_CROP_ROUND") + " */\n";
  return h;
}

std::string make_header(const pixnorm_stats_values& v, const pixnorm_recipe& recipe, const float* scale, const float* bias, uint32_t out_channels,
                        const std::string& name, const std::string& guard, const std::string& out_name,
                        const std::string& source) {
  const std::string lo = name + "_stats", up = upper(name) + "_STATS";
  const char* order = order_name(v.channel_order);
  std::string entries;  // "R, G, B" as comments name the array entries
  if (v.channel_order == PIXNORM_ORDER_GRAY) entries = "gray";
  else entries = v.channel_order == PIXNORM_ORDER_BGR ? "B, G, R" : "R, G, B";
  std::vector<std::string> mean, stdv, sc, bi;
  for (uint32_t c = 0; c < v.channels; ++c) {
    mean.push_back(c_double(v.mean[c]));
    stdv.push_back(c_double(v.std[c]));
  }
  for (uint32_t c = 0; c < out_channels; ++c) {
    sc.push_back(c_float(scale[c]));
    bi.push_back(c_float(bias[c]));
  }
  std::string h;
  h += "/* " + comment_safe(out_name) + ": image normalization statistics, and the parameters pixnorm folds\n";
  h += " * them into, for code that normalizes images without pixnorm, a parser or a file system.\n";
  h += " * Written by pixnorm " + std::string(pixnorm_version()) + " (pixnorm stats export --c-header) from " +
       comment_safe(source) + ".\n";
  h += " * Self-contained C99 and C++ (no includes, nothing to link); regenerate rather than edit.\n";
  h += " *\n";
  h += " * Channel order " + std::string(order) + ": entry c of each array belongs to channel c of that order\n";
  h += " * (" + entries + "); for pixels stored in another order, pick each byte's entry accordingly.\n";
  h += " *\n";
  h += " * Definition (x: the uint8 sample of channel c; " + lo + "_mean and " + lo + "_std hold\n";
  h += " * " + up + "_CHANNELS entries, and a single entry stands for every channel):\n";
  h += " *     y = x * " + up + "_RESCALE;\n";
  h += " *     out = (y - " + lo + "_mean[c]) / (" + lo + "_std[c] + " + up + "_EPSILON);\n";
  h += " *\n";
  h += " * The same folded into float32 as pixnorm's standardize mode computes it, bit for bit:\n";
  h += " *     out = (float)x * " + lo + "_scale[c] + " + lo + "_bias[c];\n";
  h += " * with scale = rescale / (std + epsilon) and bias = -mean / (std + epsilon) computed in double\n";
  h += " * and rounded to float once. To match pixnorm exactly, multiply then add, each rounded to\n";
  h += " * float: no fused multiply-add (GCC and Clang fuse this expression by default where the CPU\n";
  h += " * has FMA, e.g. AArch64: build with -ffp-contract=off) and no wider intermediate precision\n";
  h += " * (FLT_EVAL_METHOD 0: ARM, x86-64; on 32-bit x86 use -msse2 -mfpmath=sse).\n";
  h += " */\n";
  h += "#ifndef " + guard + "\n#define " + guard + "\n\n";
  h += "#define " + up + "_PIXNORM_VERSION \"" + pixnorm_version() + "\"\n";
  h += "#define " + up + "_CHANNEL_ORDER \"" + order + "\"\n";
  h += "#define " + up + "_CHANNELS " + std::to_string(v.channels) + "        /* entries of mean and std */\n";
  h += "#define " + up + "_OUTPUT_CHANNELS " + std::to_string(out_channels) + " /* entries of scale and bias */\n";
  h += "#define " + up + "_HAS_STD " + std::to_string(v.has_std ? 1 : 0) +
       "         /* 0: the statistics have no std, std holds 1 */\n";
  h += "#define " + up + "_RESCALE (" + c_double(v.rescale) + ")\n";
  h += "#define " + up + "_EPSILON (" + c_double(v.epsilon) + ")\n\n";
  h += recipe_macros(recipe, up) + "\n";
  h += "/* " + entries + " */\n";
  h += c_array("double", lo + "_mean", up + "_CHANNELS", mean);
  h += c_array("double", lo + "_std", up + "_CHANNELS", stdv);
  h += "\n/* standardize mode, per output channel (" + entries + "): out = (float)x * scale[c] + bias[c] */\n";
  h += c_array("float", lo + "_scale", up + "_OUTPUT_CHANNELS", sc);
  h += c_array("float", lo + "_bias", up + "_OUTPUT_CHANNELS", bi);
  h += "\n#endif /* " + guard + " */\n";
  return h;
}

int run_export(int argc, char** argv) {
  CommandLine a(
      "stats export", "pixnorm stats export (STATS.json | --preset NAME) --c-header [--name PREFIX] -o OUT.h",
      "Writes the statistics as a C header that C99 and C++ code includes with no parser and no\n"
      "file system: channel order, number of mean/std entries, rescale, mean, std and epsilon\n"
      "(static const double arrays and macros with 17 significant digits: they read back exactly),\n"
      "and the float32 scale and bias per output channel that pixnorm's standardize mode folds them\n"
      "into (9 significant digits: exactly pixnorm's floats). Computed as\n"
      "    out = (float)x * PREFIX_stats_scale[c] + PREFIX_stats_bias[c]\n"
      "(a float multiply, then a float add, never fused: build with -ffp-contract=off), they give bit\n"
      "for bit what 'pixnorm apply --mode standardize' gives. The header is free of warnings under\n"
      "-Wall -Wextra -pedantic. OUT.h is replaced only once complete.");
  a.refuse_repeats();
  a.value("--preset", "NAME", "built-in statistics instead of a file: imagenet, tf, caffe or unit");
  a.flag("--c-header", "the output format (required; the only one so far)");
  a.value("--name", "PREFIX",
          "identifier prefix, a C identifier: PREFIX_stats_mean, PREFIX_STATS_RESCALE,\n"
          "... (default: the output file name without '.h' and a final '_stats')");
  a.value("-o,--output", "FILE", "the header to write (required); its include guard comes from its name");
  a.flag("-q,--quiet", "no summary line on stderr");
  a.footer("Exit status: 0 done, 1 bad statistics or an unwritable file, 2 a bad command line.\n"
           "\n"
           "Example:\n"
           "  pixnorm stats export stats.json --c-header -o model_stats.h\n"
           "  # model_stats.h: guard MODEL_STATS_H; MODEL_STATS_RESCALE, model_stats_mean[],\n"
           "  # model_stats_scale[], model_stats_bias[], ...");
  if (!a.parse(argc, argv)) return kExitOk;
  const std::string help = a.help_hint();
  if (a.operands().size() > 1) throw usage_error("one statistics file at most (see " + help + ")");
  const std::string preset = a.get("--preset");
  const std::string* file_arg = a.operands().size() == 1 ? &a.operands()[0] : nullptr;
  const std::string* preset_arg = a.has("--preset") ? &preset : nullptr;
  if (!a.has("--c-header")) throw usage_error("give --c-header, the output format (see " + help + ")");
  if (!a.has("--output")) throw usage_error("no output file: give -o OUT.h");
  const std::string output = a.get("--output");
  const std::string out_name = base_name(output);

  std::string name = a.get("--name");
  if (!a.has("--name")) {
    name = out_name.substr(0, out_name.rfind('.'));
    if (name.size() > 6 && name.compare(name.size() - 6, 6, "_stats") == 0) name.resize(name.size() - 6);
    if (!is_identifier(name))
      throw usage_error("cannot make C identifiers from the output name '" + out_name + "': give --name PREFIX");
  } else if (!is_identifier(name)) {
    throw usage_error("--name " + name + ": expected a C identifier (a letter, then letters, digits or '_'; "
                      "at most 64)");
  }
  std::string guard;
  for (char c : out_name) guard += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  guard = upper(guard);
  if (guard.empty() || !std::isalpha(static_cast<unsigned char>(guard[0]))) guard = upper(name) + "_" + guard;

  const pixnorm::Stats stats = load_stats(file_arg, preset_arg, help);
  const std::string source = stats_label(file_arg, preset_arg);
  pixnorm_stats_values v;
  pixnorm_stats_get(stats.get(), &v);
  // The parameters come from the library itself, on a 1x1 image in the statistics' own order
  // (no channel swap), so that the header cannot drift from what pixnorm computes.
  pixnorm_plan_desc desc;
  pixnorm_plan_desc_init(&desc);
  desc.format = v.channel_order == PIXNORM_ORDER_GRAY  ? PIXNORM_FORMAT_GRAY8
                : v.channel_order == PIXNORM_ORDER_BGR ? PIXNORM_FORMAT_BGR8
                                                       : PIXNORM_FORMAT_RGB8;
  desc.width = desc.height = 1;
  desc.mode = PIXNORM_MODE_STANDARDIZE;
  pixnorm::Plan plan;
  const pixnorm_status st = plan.create(stats, desc).code();
  if (st != PIXNORM_OK) throw library_failure(kExitData, source, st);
  float scale[PIXNORM_MAX_CHANNELS], bias[PIXNORM_MAX_CHANNELS];
  if (pixnorm_plan_get_params(plan.get(), scale, bias) != PIXNORM_OK)
    throw library_failure(kExitData, source, PIXNORM_ERROR_INVALID_ARGUMENT);
  const uint32_t out_channels = pixnorm_plan_output_channels(plan.get());

  pixnorm_recipe recipe;
  pixnorm_stats_get_recipe(stats.get(), &recipe);
  const std::string text = make_header(v, recipe, scale, bias, out_channels, name, guard, out_name, source);
  AtomicFile out(output);
  out.write(text.data(), text.size());
  out.commit();
  if (!a.has("--quiet"))
    std::fprintf(stderr, "pixnorm: wrote %s: %s_stats_* and %s_STATS_* from %s (%s)\n", output.c_str(), name.c_str(),
                 upper(name).c_str(), source.c_str(), describe_stats(v).c_str());
  return kExitOk;
}

// ---------------------------------------------------------------- import

const char* units_of(double rescale) {
  if (rescale == 1.0) return "raw";
  if (std::fabs(rescale * 255.0 - 1.0) < 1e-12) return "unit";
  return "custom";
}

std::string units_text(const std::string& units, double rescale) {
  if (units == "raw") return "mean and std in 0..255 pixel units";
  if (units == "unit") return "mean and std in 0..1 units (x/255)";
  return "mean and std in units of x * " + short_number(rescale);
}

pixnorm_channel_order parse_order(const std::string& text) {
  if (text == "RGB" || text == "rgb") return PIXNORM_ORDER_RGB;
  if (text == "BGR" || text == "bgr") return PIXNORM_ORDER_BGR;
  if (text == "GRAY" || text == "gray") return PIXNORM_ORDER_GRAY;
  throw usage_error("--channel-order: unknown value '" + text + "' (one of RGB, BGR, GRAY)");
}

// Finite values; std > 0 (checked here so that the message names the file).
void check_values(const NpyVector& v, const std::string& path, bool is_std) {
  for (size_t i = 0; i < v.values.size(); ++i) {
    const double x = v.values[i];
    const std::string entry = "entry " + std::to_string(i) + " is " + short_number(x);
    if (!std::isfinite(x)) throw data_error(path, entry + ": expected a finite number");
    if (is_std && !(x > 0)) throw data_error(path, entry + ": a standard deviation must be > 0");
  }
}

// Statistics of 0..255 pixels lie within bounds (a std is largest, 127.5, for half black and
// half white): a value outside them comes from a mistake, usually the variance given as the std
// or the wrong --units, and would normalize every image wrongly without any other sign.
void check_range(const NpyVector& v, const std::string& path, bool is_std, const std::string& units) {
  const bool raw = units == "raw";
  const double top = raw ? 255.0 : 1.0;
  const double bound = is_std ? top / 2 : top;
  const double slack = 1e-6 * bound;  // float32 rounding of a bound itself
  for (size_t i = 0; i < v.values.size(); ++i) {
    const double x = v.values[i];
    if (x >= (is_std ? 0.0 : -slack) && x <= bound + slack) continue;
    std::string why = "entry " + std::to_string(i) + " is " + short_number(x) + ": the " +
                      (is_std ? "std" : "mean") + " of pixels in " + (raw ? "0..255" : "0..1") + " units (--units " +
                      units + ") lies in " + (is_std ? "(0, " + short_number(bound) + "]" : "[0, " + short_number(bound) + "]");
    if (is_std && std::sqrt(x) <= bound)
      why += "; this looks like the variance: give its square root (" + short_number(std::sqrt(x)) + ")";
    else if (!raw && x <= bound * 255 + slack)
      why += "; the values look like 0..255 units: give --units raw";
    else if (raw && x * 255 <= bound + slack)
      why += "; the values look like 0..1 units: give --units unit";
    throw data_error(path, why);
  }
}

int run_import(int argc, char** argv) {
  const std::string help = "pixnorm stats import --help";
  CommandLine a("stats import",
                "pixnorm stats import --from hf CONFIG.json -o STATS.json\n"
                "       pixnorm stats import --from keras MEAN.npy STD.npy --units raw|unit [--rescale R]\n"
                "                            [--target-size WxH [--interpolation NAME]] -o STATS.json\n"
                "       pixnorm stats import --from torchvision TRANSFORMS.json -o STATS.json",
                "Turns the normalization of a model trained elsewhere into a pixnorm statistics file.");
  a.refuse_repeats();
  a.value("--from", "SOURCE",
          "hf, torchvision or keras: where the settings come from.\n"
          "--from hf: a Hugging Face preprocessor_config.json. Its image processor\n"
          "computes y = x * rescale_factor when do_rescale (default true;\n"
          "rescale_factor default 1/255), then (y - image_mean) / image_std when\n"
          "do_normalize (default true; false gives mean 0, std 1). image_mean and\n"
          "image_std: 1 or 3 numbers, RGB; do_flip_channel_order true (MobileViT) gives\n"
          "BGR. rescale_offset true (ALIGN, EfficientNet) subtracts 1 after rescaling\n"
          "(x/127.5 - 1: -1..1), folded into the mean; EfficientNet's include_top (its\n"
          "default) divides by image_std twice, folded into the std. The resize and\n"
          "crop become the \"preprocess\" recipe: size {height, width} a resize,\n"
          "{shortest_edge} a resize of the shorter side (the longer int(edge * long /\n"
          "short)), resample PIL's enum (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4\n"
          "box, 5 hamming: pil-*), do_center_crop with crop_size a center crop with\n"
          "floored offsets; ConvNeXt's crop_pct: the shorter side to int(edge /\n"
          "crop_pct), then an edge x edge crop (a warp to edge x edge from 384 on).\n"
          "longest_edge, a crop after a {height, width} resize and crop_pct of other\n"
          "processors are refused by name; fields pixnorm does not know are named in\n"
          "warnings.\n"
          "--from torchvision: a JSON object describing Resize, CenterCrop and\n"
          "Normalize on PIL images: {\"resize\": 256 or [H, W], \"interpolation\":\n"
          "\"bilinear\", \"antialias\": true, \"center_crop\": 224 or [H, W], \"mean\": [...],\n"
          "\"std\": [...]}, every field optional; ToTensor's 1/255 is implied; the crop\n"
          "offsets are rounded as CenterCrop does. Other fields, antialias false and\n"
          "max_size are refused.\n"
          "--from keras: two NumPy .npy files: the mean, then the std (not the\n"
          "variance: take the square root of a Normalization layer's), each float32 or\n"
          "float64, little-endian, of shape (C,), (1, 1, C) or (1, 1, 1, C), C = 1 or\n"
          "3. Values no 0..255 pixels could give are refused: with --units raw a mean\n"
          "in 0..255 and a std in (0, 127.5], with --units unit a mean in 0..1 and a\n"
          "std in (0, 0.5] (a larger std is usually the variance, a larger mean the\n"
          "wrong units)");
  a.value("--units", "UNITS",
          "keras, required (.npy files carry no units): raw = the statistics are\n"
          "in 0..255 pixel units (rescale 1), unit = in 0..1 units (rescale 1/255)");
  a.value("--channel-order", "ORDER", "keras: RGB (default), BGR (OpenCV input, Keras 'caffe' mode) or GRAY");
  a.value("--epsilon", "E", "divide by (std + E) (default 0; 1e-6 with --rescale)");
  a.value("--rescale", "R",
          "keras: ImageDataGenerator(rescale=R): standardize() multiplies by R\n"
          "first, then subtracts the mean and divides by (std + 1e-6), while\n"
          "fit() computed mean and std on the arrays it was given, before R:\n"
          "the file reproduces x * R - mean as the model saw it (--units still\n"
          "names the units of the .npy values, for the range checks)");
  a.value("--target-size", "WxH", "keras: load_img(target_size=(H, W)): a Pillow resize to WxH");
  a.value("--interpolation", "NAME",
          "keras: load_img's interpolation: nearest (its default), bilinear,\n"
          "bicubic, lanczos, box, hamming (Pillow-exact: pil-*)");
  a.value("-o,--output", "FILE", "the statistics file to write (required; replaced only once complete)");
  a.flag("-q,--quiet", "no summary line on stderr");
  a.footer("The output records the origin and the units of mean and std in an extra field, e.g.\n"
           "  \"source\": {\"imported_from\": \"hf\", \"files\": [\"preprocessor_config.json\"],\n"
           "             \"units\": \"unit\"}\n"
           "units: raw (0..255, rescale 1), unit (0..1, rescale 1/255) or custom (another rescale); the\n"
           "summary line says the same. Refused with a message naming the file and the field: bad JSON\n"
           "or .npy, missing or non-numeric fields, NaN or infinite values, std <= 0, rescale_factor <= 0,\n"
           "another shape, dtype or byte order.\n"
           "\n"
           "Exit status: 0 done, 1 a bad input file or an unwritable output, 2 a bad command line.\n"
           "\n"
           "Examples:\n"
           "  pixnorm stats import --from hf preprocessor_config.json -o stats.json\n"
           "  pixnorm stats import --from keras mean.npy std.npy --units raw -o stats.json\n"
           "  pixnorm stats import --from torchvision transforms.json -o stats.json");
  if (!a.parse(argc, argv)) return kExitOk;
  const std::string from = a.get("--from");
  if (from != "hf" && from != "keras" && from != "torchvision")
    throw usage_error(a.has("--from") ? "--from: unknown value '" + from + "' (hf, keras or torchvision)"
                                      : "give --from hf, --from keras or --from torchvision (see " + help + ")");
  for (const char* k : {"--rescale", "--target-size", "--interpolation"})
    if (a.has(k) && from != "keras") throw usage_error(std::string(k) + " applies to --from keras");
  if (a.has("--interpolation") && !a.has("--target-size"))
    throw usage_error("--interpolation needs --target-size (load_img resizes only with a target size)");
  if (!a.has("--output")) throw usage_error("no output file: give -o STATS.json");
  double epsilon = a.has("--rescale") ? 1e-6 : 0;
  if (a.has("--epsilon")) {
    const std::string e = a.get("--epsilon");
    char* end = nullptr;
    epsilon = std::strtod(e.c_str(), &end);
    if (*end != '\0' || !(epsilon >= 0) || !std::isfinite(epsilon))
      throw usage_error("--epsilon: '" + e + "' is not a number >= 0");
  }

  pixnorm_stats_values v;
  std::memset(&v, 0, sizeof(v));
  std::vector<double> mean, stdv;
  std::string units, extra, note;
  pixnorm_recipe recipe{};
  if (from == "hf") {
    if (a.operands().size() != 1) throw usage_error("--from hf takes one file, the preprocessor_config.json");
    if (a.has("--units") || a.has("--channel-order"))
      throw usage_error("--from hf: the file defines the units and the channel order (no --units, --channel-order)");
    const std::string& path = a.operands()[0];
    const HfPreprocessing hf = parse_hf_config(read_small_file(path, kMaxImportBytes), path);
    v.channel_order = hf.order;
    v.rescale = hf.rescale;
    mean = hf.mean;
    stdv = hf.std;
    units = units_of(hf.rescale);
    if (!hf.processor.empty()) extra = ", \"processor\": " + json_quote(hf.processor);
    if (hf.rescale_offset) extra += ", \"rescale_offset\": true";
    if (hf.include_top) extra += ", \"include_top\": true";
    recipe = hf.recipe;
    if (!a.has("--quiet"))
      for (const std::string& w : hf.warnings) std::fprintf(stderr, "pixnorm: warning: %s: %s\n", path.c_str(), w.c_str());
  } else if (from == "torchvision") {
    if (a.operands().size() != 1) throw usage_error("--from torchvision takes one file, the transforms JSON");
    if (a.has("--units") || a.has("--channel-order"))
      throw usage_error("--from torchvision: ToTensor fixes the units and the order (no --units, --channel-order)");
    const std::string& path = a.operands()[0];
    const TorchvisionPreprocessing tv = parse_torchvision_json(read_small_file(path, kMaxImportBytes), path);
    v.channel_order = PIXNORM_ORDER_RGB;
    v.rescale = 1.0 / 255.0;
    mean = tv.mean;
    stdv = tv.std;
    units = "unit";
    recipe = tv.recipe;
  } else {
    if (a.operands().size() != 2) throw usage_error("--from keras takes two files: MEAN.npy STD.npy");
    if (!a.has("--units"))
      throw usage_error("--from keras needs --units raw or --units unit: .npy files carry no units");
    units = a.get("--units");
    if (units != "raw" && units != "unit") throw usage_error("--units: unknown value '" + units + "' (raw or unit)");
    v.channel_order = a.has("--channel-order") ? parse_order(a.get("--channel-order")) : PIXNORM_ORDER_RGB;
    v.rescale = units == "raw" ? 1.0 : 1.0 / 255.0;
    const NpyVector m = parse_npy_vector(read_small_file(a.operands()[0], kMaxImportBytes), a.operands()[0]);
    const NpyVector s = parse_npy_vector(read_small_file(a.operands()[1], kMaxImportBytes), a.operands()[1]);
    check_values(m, a.operands()[0], false);
    check_values(s, a.operands()[1], true);
    check_range(m, a.operands()[0], false, units);
    check_range(s, a.operands()[1], true, units);
    mean = m.values;
    stdv = s.values;
    if (mean.size() == 1 && stdv.size() == 3) mean.assign(3, mean[0]);
    if (stdv.size() == 1 && mean.size() == 3) stdv.assign(3, stdv[0]);
    if (v.channel_order == PIXNORM_ORDER_GRAY && mean.size() != 1)
      throw usage_error("--channel-order GRAY needs one mean and one std, not " + std::to_string(mean.size()));
    if (a.has("--rescale")) {
      const std::string r = a.get("--rescale");
      char* end = nullptr;
      v.rescale = std::strtod(r.c_str(), &end);
      if (r.empty() || *end != '\0' || !(v.rescale > 0) || !std::isfinite(v.rescale))
        throw usage_error("--rescale: '" + r + "' is not a number > 0");
      extra += ", \"keras_rescale\": " + short_number(v.rescale);
      note = "; images are multiplied by " + short_number(v.rescale) +
             " before the mean is subtracted, as ImageDataGenerator.standardize does (its fit() computed the "
             "statistics before rescale)";
    }
    if (a.has("--target-size")) {
      const std::string t = a.get("--target-size");
      const size_t x = t.find('x');
      // Named, so that the end pointers strtoul sets stay valid for the checks below.
      const std::string ws = x == std::string::npos ? "" : t.substr(0, x);
      const std::string hs = x == std::string::npos ? "" : t.substr(x + 1);
      char* e1 = nullptr;
      char* e2 = nullptr;
      const unsigned long w = std::strtoul(ws.c_str(), &e1, 10);
      const unsigned long h = std::strtoul(hs.c_str(), &e2, 10);
      if (x == std::string::npos || x == 0 || x + 1 == t.size() || *e1 || *e2 || w < 1 || h < 1 ||
          w > PIXNORM_MAX_DIMENSION || h > PIXNORM_MAX_DIMENSION || t[0] == '-' || t[x + 1] == '-')
        throw usage_error("--target-size: expected WxH (1 to " + std::to_string(PIXNORM_MAX_DIMENSION) +
                          " each), got '" + t + "'");
      recipe.version = 1;
      recipe.resize_width = static_cast<uint32_t>(w);
      recipe.resize_height = static_cast<uint32_t>(h);
      recipe.interp = PIXNORM_INTERP_PIL_NEAREST;  // load_img's default
      if (a.has("--interpolation") && !pil_interp_from_name(a.get("--interpolation"), &recipe.interp))
        throw usage_error("--interpolation: unknown value '" + a.get("--interpolation") +
                          "' (nearest, bilinear, bicubic, lanczos, box, hamming)");
    }
  }
  v.channels = static_cast<uint32_t>(mean.size());
  for (uint32_t c = 0; c < v.channels; ++c) {
    v.mean[c] = mean[c];
    v.std[c] = stdv[c];
  }
  v.epsilon = epsilon;
  v.has_std = 1;

  std::string files;
  for (const std::string& f : a.operands()) files += (files.empty() ? "" : ", ") + json_quote(f);
  const std::string source = "{\"imported_from\": \"" + from + "\", \"files\": [" + files + "], \"units\": \"" +
                             units + "\"" + extra + "}";
  const std::string subject = a.operands().size() == 1 ? a.operands()[0] : a.operands()[0] + ", " + a.operands()[1];
  pixnorm_stats* raw = nullptr;
  pixnorm_status st = pixnorm_stats_create(&v, &raw);
  if (st != PIXNORM_OK) throw library_failure(kExitData, subject, st);
  const std::unique_ptr<pixnorm_stats, decltype(&pixnorm_stats_free)> stats(raw, pixnorm_stats_free);
  st = pixnorm_stats_set_field(stats.get(), "source", source.c_str());
  if (st != PIXNORM_OK) throw library_failure(kExitData, subject, st);
  st = pixnorm_stats_set_recipe(stats.get(), &recipe);
  if (st != PIXNORM_OK) throw library_failure(kExitData, subject, st);
  size_t size = 0;
  pixnorm_stats_serialize(stats.get(), nullptr, &size);
  std::string text(size, '\0');
  st = pixnorm_stats_serialize(stats.get(), &text[0], &size);
  if (st != PIXNORM_OK) throw library_failure(kExitData, subject, st);
  text.resize(size - 1);  // the final NUL

  const std::string output = a.get("--output");
  AtomicFile out(output);
  out.write(text.data(), text.size());
  out.commit();
  if (!a.has("--quiet"))
    std::fprintf(stderr, "pixnorm: wrote %s: %s; %s%s; preprocess: %s (imported from %s %s)\n", output.c_str(),
                 describe_stats(v).c_str(), units_text(units, v.rescale).c_str(), note.c_str(),
                 recipe_text(recipe).c_str(), from.c_str(), subject.c_str());
  return kExitOk;
}

// ---------------------------------------------------------------- show

std::string row(const char* label, uint32_t n, const double* v, double factor = 1.0) {
  std::string out = label;
  out.resize(20, ' ');
  for (uint32_t c = 0; c < n; ++c) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%-20.10g", v[c] * factor);
    out += buf;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// A list field of numbers (min, max) as doubles; false when absent or not such a list.
bool number_list(const pixnorm_stats* stats, const char* key, uint32_t n, double* out) {
  const char* raw = pixnorm_stats_get_field(stats, key);
  if (!raw) return false;
  try {
    const Json j = parse_json(raw, key);
    if (j.kind != Json::kArray || j.items.size() != n) return false;
    for (uint32_t c = 0; c < n; ++c) {
      if (j.items[c].kind != Json::kNumber) return false;
      out[c] = std::strtod(j.items[c].text.c_str(), nullptr);
    }
    return true;
  } catch (const CliError&) {
    return false;
  }
}

int run_show(int argc, char** argv) {
  CommandLine a("stats show", "pixnorm stats show FILE",
                "Prints a statistics file readably: its format and version, channel order, units, mean and\n"
                "std per channel in the file's units and in 0..255 units, epsilon, min and max, counts and\n"
                "source (as written by pixnorm fit), the scale and bias the runtime folds them into\n"
                "(out = float(x) * scale[c] + bias[c] for a uint8 x), and which extra fields it has.");
  a.footer("Exit status: 0 done, 1 an unreadable or invalid file, 2 a bad command line.");
  if (!a.parse(argc, argv)) return kExitOk;
  const std::vector<std::string>& files = a.operands();
  if (files.size() != 1) throw usage_error("stats show takes one file (see pixnorm stats show --help)");
  const std::string& path = files[0];
  const pixnorm::Stats stats = load_stats_file(path);
  pixnorm_stats_values v;
  pixnorm_stats_get(stats.get(), &v);

  std::printf("%s: pixnorm-stats version 1\n", path.c_str());
  std::printf("channel order       %s%s\n", order_name(v.channel_order),
              v.channels == 1 && v.channel_order != PIXNORM_ORDER_GRAY ? " (one value for all channels)" : "");
  std::printf("units               %s\n", rescale_units(v.rescale).c_str());
  if (v.channels == 3) {
    const char* names = v.channel_order == PIXNORM_ORDER_BGR ? "BGR" : "RGB";
    std::printf("%20s%-20c%-20c%c\n", "", names[0], names[1], names[2]);
  }
  std::printf("%s\n", row("mean", v.channels, v.mean).c_str());
  if (v.has_std)
    std::printf("%s\n", row("std", v.channels, v.std).c_str());
  else
    std::printf("std                 none (center only)\n");
  if (v.rescale != 1.0) {
    std::printf("%s\n", row("mean (0..255)", v.channels, v.mean, 1.0 / v.rescale).c_str());
    if (v.has_std) std::printf("%s\n", row("std (0..255)", v.channels, v.std, 1.0 / v.rescale).c_str());
  }
  std::printf("epsilon             %.10g\n", v.epsilon);
  double values[PIXNORM_MAX_CHANNELS];
  if (number_list(stats.get(), "min", v.channels, values)) std::printf("%s\n", row("min", v.channels, values).c_str());
  if (number_list(stats.get(), "max", v.channels, values)) std::printf("%s\n", row("max", v.channels, values).c_str());
  for (const char* key : {"image_count", "skipped_count", "pixel_count"}) {
    const char* raw = pixnorm_stats_get_field(stats.get(), key);
    if (raw) std::printf("%-20s%s\n", key, raw);
  }
  if (const char* source = pixnorm_stats_get_field(stats.get(), "source")) std::printf("source              %s\n", source);
  pixnorm_recipe recipe;
  pixnorm_stats_get_recipe(stats.get(), &recipe);
  std::printf("preprocess          %s\n", recipe_text(recipe).c_str());

  pixnorm_plan_desc desc;
  pixnorm_plan_desc_init(&desc);
  desc.format = v.channel_order == PIXNORM_ORDER_GRAY ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
  desc.width = desc.height = 1;
  desc.mode = v.has_std ? PIXNORM_MODE_STANDARDIZE : PIXNORM_MODE_CENTER;
  pixnorm::Plan plan;
  float scale[PIXNORM_MAX_CHANNELS], bias[PIXNORM_MAX_CHANNELS];
  if (!plan.create(stats, desc) || pixnorm_plan_get_params(plan.get(), scale, bias) != PIXNORM_OK)
    throw data_error(path, pixnorm_last_error());
  const uint32_t out_channels = pixnorm_plan_output_channels(plan.get());
  std::printf("folded (%s, out = float(x) * scale + bias, channels %s):\n", v.has_std ? "standardize" : "center",
              order_name(pixnorm_plan_output_order(plan.get())));
  double s[PIXNORM_MAX_CHANNELS], b[PIXNORM_MAX_CHANNELS];
  for (uint32_t c = 0; c < out_channels; ++c) {
    s[c] = scale[c];
    b[c] = bias[c];
  }
  std::printf("%s\n%s\n", row("  scale", out_channels, s).c_str(), row("  bias", out_channels, b).c_str());

  // The extra fields, by name: the library keeps them but has no call to list them.
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string extra;
  try {
    std::string body = text.str();
    if (body.compare(0, 3, "\xEF\xBB\xBF") == 0) body.erase(0, 3);  // a byte-order mark, which the library allows
    const Json doc = parse_json(body, path);
    for (const auto& m : doc.members) {
      bool known = false;
      for (const char* k : {"format", "version", "channel_order", "rescale", "mean", "std", "epsilon", "preprocess"})
        known = known || m.first == k;
      if (!known) extra += (extra.empty() ? "" : ", ") + m.first;
    }
  } catch (const CliError&) {
    extra = "?";
  }
  std::printf("extra fields        %s\n", extra.empty() ? "none" : extra.c_str());
  return kExitOk;
}

}  // namespace

int run_stats(int argc, char** argv) {
  if (argc < 1) {
    print_stats_help(stderr);
    return kExitUsage;
  }
  const std::string command = argv[0];
  if (command == "export") return run_export(argc - 1, argv + 1);
  if (command == "import") return run_import(argc - 1, argv + 1);
  if (command == "show") return run_show(argc - 1, argv + 1);
  if (command == "-h" || command == "--help" || command == "help") {
    print_stats_help(stdout);
    return kExitOk;
  }
  throw usage_error("unknown stats command '" + command + "' (export, import or show; see pixnorm stats --help)");
}

}  // namespace pixnorm_cli
