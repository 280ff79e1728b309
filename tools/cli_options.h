// One command-line grammar for every pixnorm command, on CLI11: "--name value", "--name=value",
// "-oFILE", "--" ending the options, "-" alone an operand, options and operands in any order.
// Values are kept as text and converted by the command, so that each message names its option;
// the help is generated from the options' texts. Grammar errors are usage errors (exit 2)
// pointing at "pixnorm COMMAND --help".
#ifndef PIXNORM_TOOLS_CLI_OPTIONS_H
#define PIXNORM_TOOLS_CLI_OPTIONS_H

#include <pixnorm/pixnorm.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cli_error.h"

namespace pixnorm_cli {

class CommandLine {
 public:
  // `command`: "stats export"; `usage`: the lines after "Usage: " (one or more); `description`:
  // the paragraphs between the usage and the options.
  CommandLine(const std::string& command, const std::string& usage, const std::string& description);
  explicit CommandLine(const std::string& command) : CommandLine(command, "", "") {}
  void describe(const std::string& usage, const std::string& description);

  // Options added from here on are listed under `heading` ("Options" until the first call).
  void group(const std::string& heading) { group_ = heading; }
  // An option with a value, as text: `names` "-o,--output", `meta` "FILE".
  CLI::Option* value(const std::string& names, std::string* out, const std::string& meta, const std::string& help);
  CLI::Option* flag(const std::string& names, bool* out, const std::string& help);
  // The same, read back with has() and get() instead of a variable.
  CLI::Option* value(const std::string& names, const std::string& meta, const std::string& help) {
    return value(names, nullptr, meta, help);
  }
  CLI::Option* flag(const std::string& names, const std::string& help) { return flag(names, nullptr, help); }
  void operands(std::vector<std::string>* out, const std::string& meta);
  // Text after the options: notes, exit status, examples.
  void footer(const std::string& text) { app_.footer(text); }
  // A repeated option is a usage error ("--stats is given twice") instead of the last one winning.
  void refuse_repeats() { refuse_repeats_ = true; }

  // false when the help was asked for (and printed to standard output).
  bool parse(int argc, char** argv);
  bool has(const std::string& name) const { return app_.count(name) > 0; }
  std::string get(const std::string& name) const;  // the value given last, or ""
  // The arguments that are not options (without operands(), every one of them).
  const std::vector<std::string>& operands() const { return operands_; }
  std::string help_hint() const { return "pixnorm " + command_ + " --help"; }

 private:
  CLI::App app_;
  std::string command_, group_ = "Options";
  bool refuse_repeats_ = false;
  std::vector<std::string> operands_;
  std::vector<std::string>* operands_out_ = nullptr;
};

// The value of `option` named `text` in a table of names: "--mode: unknown value 'x' (one of a, b)".
template <typename Enum>
struct Named {
  const char* name;
  Enum value;
};
template <typename Enum, size_t N>
Enum parse_named(const Named<Enum> (&table)[N], const std::string& option, const std::string& text) {
  std::string choices;
  for (const auto& entry : table) {
    if (text == entry.name) return entry.value;
    choices += choices.empty() ? entry.name : std::string(", ") + entry.name;
  }
  throw usage_error(option + ": unknown value '" + text + "' (one of " + choices + ")");
}

// The names of the library's enums on the command line: every name an option takes is here.
inline constexpr Named<pixnorm_mode> kModes[] = {
    {"standardize", PIXNORM_MODE_STANDARDIZE},
    {"center", PIXNORM_MODE_CENTER},
    {"rescale", PIXNORM_MODE_RESCALE},
    {"sample-center", PIXNORM_MODE_SAMPLE_CENTER},
    {"sample-standardize", PIXNORM_MODE_SAMPLE_STANDARDIZE},
    {"per-image-standardization", PIXNORM_MODE_PER_IMAGE_STANDARDIZATION},
    {"minmax", PIXNORM_MODE_MINMAX}};
inline constexpr Named<pixnorm_interp> kInterps[] = {
    {"bilinear", PIXNORM_INTERP_BILINEAR},         {"area", PIXNORM_INTERP_AREA},
    {"nearest", PIXNORM_INTERP_NEAREST},           {"pil-nearest", PIXNORM_INTERP_PIL_NEAREST},
    {"pil-box", PIXNORM_INTERP_PIL_BOX},           {"pil-bilinear", PIXNORM_INTERP_PIL_BILINEAR},
    {"pil-hamming", PIXNORM_INTERP_PIL_HAMMING},   {"pil-bicubic", PIXNORM_INTERP_PIL_BICUBIC},
    {"pil-lanczos", PIXNORM_INTERP_PIL_LANCZOS},   {"cv-linear-exact", PIXNORM_INTERP_CV_LINEAR_EXACT},
    {"cv-cubic", PIXNORM_INTERP_CV_CUBIC},         {"torch-bilinear-aa", PIXNORM_INTERP_TORCH_BILINEAR_AA},
    {"torch-bicubic-aa", PIXNORM_INTERP_TORCH_BICUBIC_AA}, {"torch-bicubic", PIXNORM_INTERP_TORCH_BICUBIC}};
inline constexpr Named<pixnorm_dtype> kDtypes[] = {{"f32", PIXNORM_DTYPE_F32},
                                                   {"f16", PIXNORM_DTYPE_F16},
                                                   {"int8", PIXNORM_DTYPE_INT8},
                                                   {"uint8", PIXNORM_DTYPE_UINT8}};
inline constexpr Named<pixnorm_yuv_matrix> kMatrices[] = {{"bt601", PIXNORM_YUV_BT601}, {"bt709", PIXNORM_YUV_BT709}};
inline constexpr Named<pixnorm_yuv_range> kRanges[] = {{"limited", PIXNORM_YUV_LIMITED}, {"full", PIXNORM_YUV_FULL}};
inline constexpr Named<pixnorm_layout> kLayouts[] = {{"nchw", PIXNORM_LAYOUT_NCHW}, {"nhwc", PIXNORM_LAYOUT_NHWC}};
inline constexpr Named<pixnorm_backend> kBackends[] = {{"auto", PIXNORM_BACKEND_AUTO},
                                                       {"scalar", PIXNORM_BACKEND_SCALAR},
                                                       {"highway", PIXNORM_BACKEND_HIGHWAY},
                                                       {"xsimd", PIXNORM_BACKEND_XSIMD}};
inline constexpr Named<pixnorm_variant> kVariants[] = {{"auto", PIXNORM_VARIANT_AUTO},
                                                       {"measure", PIXNORM_VARIANT_MEASURE},
                                                       {"256", PIXNORM_VARIANT_256},
                                                       {"512", PIXNORM_VARIANT_512}};

}  // namespace pixnorm_cli

#endif
