#include "check.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "cli_error.h"
#include "cli_options.h"
#include "cmd_util.h"
#include "image_io.h"
#include "plot.h"

namespace pixnorm_cli {
namespace {

// Thresholds of the report (stated in the help).
constexpr double kMaxAbsMean = 1.0;
constexpr double kMinStd = 0.5, kMaxStd = 2.0;
constexpr double kBetterRatio = 0.5, kBetterMargin = 0.5;  // an alternative fit "clearly better"

void check_options(CommandLine& cl) {
  cl.describe("pixnorm check (--stats FILE | --preset NAME) [--mode MODE] [--raw WxH:FORMAT] IMAGE... [--plot OUT.png]",
                 format_text("Normalizes a sample of production images with frozen statistics (standardize mode unless\n"
                             "--mode, as 'pixnorm apply' does) and reports, per channel, the mean and std of the\n"
                             "normalized values against the expected ones. Statistics fitted to the model's training\n"
                             "data (a mean and a std per channel) describe it: on images like the training images,\n"
                             "standardize gives about mean 0 and std 1, center mean 0 and the statistics' std, rescale\n"
                             "the statistics' mean and std. Conventions say nothing of the data: statistics without a\n"
                             "std (caffe) or with one std mapping 0..255 onto a fixed range (std / rescale of 1, 127.5,\n"
                             "128 or 255 for every channel: tf, unit, a Hugging Face mean 0.5 std 0.5); for them the\n"
                             "expected values are those of typical photographs (ImageNet's mean and std, 0..255 units:\n"
                             "R 123.7/58.4, G 116.3/57.1, B 103.5/57.4) through the same formula. Warnings, each with the\n"
                             "numbers behind it:\n"
                             "  far from expected  a channel's mean more than %g expected std from the expected mean, or\n"
                             "                   its std outside %g..%g times the expected std\n"
                             "  red/blue swap    the fit with R and B exchanged is clearly better: the images' channel order\n"
                             "                   is probably the reverse of the statistics' (RGB8 given for BGR data, ...)\n"
                             "  units            the fit with rescale times 255 or divided by 255 is clearly better: 0..255\n"
                             "                   statistics used on 0..1 values or the reverse (the std of the normalized\n"
                             "                   values is then about 1/255 or 255)\n"
                             "The fit is the sum over channels of |mean - expected mean| / expected std + |ln(std / expected\n"
                             "std)|, 0 for a perfect match; an alternative is\n"
                             "clearly better when its fit is at most %g times the actual one and lower by %g or more. A\n"
                             "small or unusual sample (a few dark images) moves the means: use representative images.",
                             kMaxAbsMean, kMinStd, kMaxStd, kBetterRatio, kBetterMargin));
  cl.refuse_repeats();
  cl.value("--stats", "FILE", "the statistics to check (JSON)");
  cl.value("--preset", "NAME", "built-in statistics instead: imagenet, tf, caffe or unit");
  cl.value("--raw", "WxH:FORMAT", "the inputs are raw pixel files, as for 'pixnorm apply'");
  cl.value("--mode", "MODE", "standardize (default), center or rescale, as for 'pixnorm apply'");
  cl.value("--plot", "FILE",
           format_text("also draw per-channel histograms into a PNG of %d x (%d + %d per channel)\n"
                       "pixels: the uint8 values before, the normalized values after",
                       kPlotWidth, kPlotTitleHeight, kPlotRowHeight));
  cl.flag("-q,--quiet",
          "print only the warnings (nothing when there is none); the exit status\n"
          "says the result, errors are still printed");
  cl.operands(nullptr, "IMAGE");
  cl.footer(format_text("Images: as for 'pixnorm apply' (PNG, JPEG, BMP, GIF, PGM/PPM, TGA); they may differ in size.\n"
                        "\n"
                        "Exit status: 0 no warning, %d a warning, 1 a bad image or statistics file or an unwritable\n"
                        "plot, 2 a bad command line.\n"
                        "\n"
                        "Example:\n"
                        "  pixnorm check --stats stats.json camera/*.jpg --plot report.png", kExitCheckWarning));
}

using Histogram = std::array<uint64_t, 256>;

struct Moments {
  double mean = 0, std = 0;
};

Moments moments(const Histogram& h, const std::array<double, 256>& value) {
  double n = 0, sum = 0, sq = 0;
  for (int x = 0; x < 256; ++x) {
    n += static_cast<double>(h[x]);
    sum += static_cast<double>(h[x]) * value[x];
  }
  Moments m;
  m.mean = sum / n;
  for (int x = 0; x < 256; ++x) sq += static_cast<double>(h[x]) * (value[x] - m.mean) * (value[x] - m.mean);
  m.std = std::sqrt(sq / n);
  return m;
}

// 0 for the expected mean and std; a channel that never varies counts as far off.
double deviation(const Moments& m, double mean, double std) {
  return std::fabs(m.mean - mean) / std + std::fabs(std::log(std::max(m.std, 1e-12 * std) / std));
}

// ImageNet's mean and std in 0..255 units, R, G, B: what typical photographs give.
constexpr double kPhotoMean[3] = {123.675, 116.28, 103.53};
constexpr double kPhotoStd[3] = {58.395, 57.12, 57.375};

struct Expected {
  double mean[3], std[3];  // per output channel, in the statistics' order
  std::string basis;
};

// A std that maps 0..255 onto a fixed range (std / rescale of 1, 127.5, 128 or 255, the same
// for every channel), or no std at all: a convention, not a description of the data.
bool is_convention(const pixnorm_stats_values& v) {
  if (!v.has_std) return true;
  const double first = v.std[0] / v.rescale;
  for (uint32_t c = 1; c < v.channels; ++c)
    if (v.std[c] != v.std[0] || v.mean[c] != v.mean[0]) return false;
  for (double fixed_range : {1.0, 127.5, 128.0, 255.0})
    if (std::fabs(first - fixed_range) <= 1e-6 * fixed_range) return true;
  return false;
}

Expected expectations(const pixnorm_stats_values& v, pixnorm_mode mode) {
  Expected e;
  const bool gray = v.channel_order == PIXNORM_ORDER_GRAY;
  const bool convention = is_convention(v);
  e.basis = convention ? "statistics that do not describe the data: typical photographs, ImageNet's mean and std"
                       : "statistics fitted to the data";
  for (unsigned c = 0; c < (gray ? 1u : 3u); ++c) {
    const unsigned i = v.channels == 1 ? 0 : c;
    const unsigned rgb = v.channel_order == PIXNORM_ORDER_BGR ? 2 - c : c;
    // The data's mean and std in units of x * rescale.
    double mean = v.mean[i], std = v.std[i];
    if (convention) {
      mean = (gray ? 0.299 * kPhotoMean[0] + 0.587 * kPhotoMean[1] + 0.114 * kPhotoMean[2] : kPhotoMean[rgb]) * v.rescale;
      std = (gray ? (kPhotoStd[0] + kPhotoStd[1] + kPhotoStd[2]) / 3 : kPhotoStd[rgb]) * v.rescale;
    }
    if (mode == PIXNORM_MODE_RESCALE) {
      e.mean[c] = mean;
      e.std[c] = std;
    } else if (mode == PIXNORM_MODE_CENTER) {
      e.mean[c] = mean - v.mean[i];
      e.std[c] = std;
    } else {
      e.mean[c] = (mean - v.mean[i]) / (v.std[i] + v.epsilon);
      e.std[c] = std / (v.std[i] + v.epsilon);
    }
  }
  return e;
}

std::string units_of(double rescale) {
  if (rescale == 1.0) return "0..255 units";
  if (std::fabs(rescale * 255 - 1) < 1e-9) return "0..1 units";
  return "units of x * " + short_number(rescale);
}

std::string fixed(double v, const char* format = "%.4g") {
  char buf[40];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

struct Hypothesis {
  bool swap;
  double factor;  // applied to rescale
  double fit;
};

int run(int argc, char** argv) {
  CommandLine a("check");
  check_options(a);
  if (!a.parse(argc, argv)) return kExitOk;
  const std::string help = a.help_hint();
  const std::string mode_name = a.has("--mode") ? a.get("--mode") : "standardize";
  const pixnorm_mode mode = mode_name == "standardize" ? PIXNORM_MODE_STANDARDIZE
                            : mode_name == "center"    ? PIXNORM_MODE_CENTER
                            : mode_name == "rescale"   ? PIXNORM_MODE_RESCALE
                                                       : throw usage_error("--mode: unknown value '" + mode_name +
                                                                           "' (standardize, center or rescale)");
  if (a.has("--plot") && a.get("--plot") == "-")
    throw usage_error("--plot -: the report goes to standard output; give a file");
  const bool raw = a.has("--raw");
  const ImageInfo raw_spec = raw ? parse_raw_spec(a.get("--raw")) : ImageInfo();
  const std::string file = a.get("--stats"), preset = a.get("--preset");
  const std::string* file_arg = a.has("--stats") ? &file : nullptr;
  const std::string* preset_arg = a.has("--preset") ? &preset : nullptr;
  const pixnorm::Stats stats = load_stats(file_arg, preset_arg, help);
  if (a.operands().empty()) throw usage_error("no images (see " + help + ")");
  const std::string label = stats_label(file_arg, preset_arg);
  pixnorm_stats_values v;
  pixnorm_stats_get(stats.get(), &v);
  const bool gray = v.channel_order == PIXNORM_ORDER_GRAY;
  const unsigned channels = gray ? 1 : 3;  // output channels, in the statistics' order

  // Each output is a function of its uint8 sample and channel alone, so the library's output
  // for the 256 values of every channel, weighted by the sample's histograms, gives exactly
  // the moments of the tensors 'pixnorm apply' would write, without holding them.
  pixnorm_plan_desc desc;
  pixnorm_plan_desc_init(&desc);
  desc.format = gray ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
  desc.width = 256;
  desc.height = 1;
  desc.mode = mode;
  pixnorm::Plan plan;
  pixnorm_status st = plan.create(stats, desc).code();
  if (st != PIXNORM_OK) throw library_failure(kExitData, label, st);
  std::vector<uint8_t> ramp(256 * channels);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<uint8_t>(i / channels);
  std::vector<float> lut(256 * channels);  // NCHW: lut[c * 256 + x]
  st = pixnorm_plan_run(plan.get(), ramp.data(), ramp.size(), lut.data());
  if (st != PIXNORM_OK) throw library_failure(kExitData, label, st);

  std::vector<Histogram> hist(channels, Histogram{});
  uint64_t pixels = 0;
  for (const std::string& path : a.operands()) {
    ImageInfo info = raw_spec;
    if (raw) {
      check_raw_size(path, raw_spec);
    } else {  // converted to the statistics' channels, as apply does
      info = probe_image(path);
      info.format = gray ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
    }
    if (is_gray(info.format) != gray)
      throw data_error(path, std::string("is ") + (gray ? "colour" : "gray") + ", but the statistics (" + label +
                                 ") are for " + (gray ? "gray" : "colour") + " images");
    const Image image = raw ? read_raw(path, info) : decode_image(path, info);
    const unsigned bpp = bytes_per_pixel(info.format);
    const bool bgr = info.format == PIXNORM_FORMAT_BGR8 || info.format == PIXNORM_FORMAT_BGRA8;
    // Byte of each output channel within a pixel, as the library maps the input's order.
    unsigned offset[3] = {0, 1, 2};
    if (!gray && bgr != (v.channel_order == PIXNORM_ORDER_BGR)) offset[0] = 2, offset[2] = 0;
    for (uint32_t y = 0; y < info.height; ++y) {
      const uint8_t* row = image.pixels.get() + y * image.row_bytes;
      for (uint32_t x = 0; x < info.width; ++x, row += bpp)
        for (unsigned c = 0; c < channels; ++c) ++hist[c][row[offset[c]]];
    }
    pixels += uint64_t{info.width} * info.height;
  }

  // What the normalized values should look like. Statistics fitted to the data (a mean and a
  // std per channel) describe it: standardize should give mean 0 and std 1, center mean 0 and
  // the data's std, rescale the data's mean and std. Conventions (no std, or one std that maps
  // 0..255 onto a fixed range: the tf, unit and caffe presets, a Hugging Face mean 0.5 std 0.5)
  // say nothing of the data: then typical photographs (ImageNet's mean and std) are expected.
  const Expected expected = expectations(v, mode);
  auto linear = [&](unsigned c, double factor, double x) {  // the mode's output, in double
    const unsigned i = v.channels == 1 ? 0 : c;
    const double y = x * v.rescale * factor;
    if (mode == PIXNORM_MODE_RESCALE) return y;
    if (mode == PIXNORM_MODE_CENTER) return y - v.mean[i];
    return (y - v.mean[i]) / (v.std[i] + v.epsilon);
  };
  auto fit_of = [&](const std::vector<Moments>& ms) {
    double f = 0;
    for (unsigned c = 0; c < ms.size(); ++c) f += deviation(ms[c], expected.mean[c], expected.std[c]);
    return f;
  };

  // The actual moments, from the library's values.
  std::vector<Moments> actual;
  for (unsigned c = 0; c < channels; ++c) {
    std::array<double, 256> value;
    for (int x = 0; x < 256; ++x) value[x] = lut[c * 256 + x];
    actual.push_back(moments(hist[c], value));
  }
  // The alternatives, in double: what the fit would be with R and B exchanged and/or the
  // rescale off by 255.
  auto hypothesis = [&](bool swap, double factor) {
    std::vector<Moments> ms;
    for (unsigned c = 0; c < channels; ++c) {
      std::array<double, 256> value;
      for (int x = 0; x < 256; ++x) value[x] = linear(c, factor, x);
      ms.push_back(moments(hist[swap ? channels - 1 - c : c], value));
    }
    return Hypothesis{swap, factor, fit_of(ms)};
  };
  const double fit = fit_of(actual);
  std::vector<Hypothesis> alternatives;
  const bool can_swap = channels == 3 && v.channels == 3;  // otherwise a swap changes nothing
  for (bool swap : {false, true})
    for (double factor : {1.0, 255.0, 1.0 / 255.0})
      if ((swap || factor != 1.0) && (can_swap || !swap)) alternatives.push_back(hypothesis(swap, factor));

  const char* names_rgb[3] = {"R", "G", "B"};
  const char* names_bgr[3] = {"B", "G", "R"};
  const char* const* names = v.channel_order == PIXNORM_ORDER_BGR ? names_bgr : names_rgb;
  auto name = [&](unsigned c) { return std::string(gray ? "gray" : names[c]); };

  std::vector<std::string> warnings;
  for (unsigned c = 0; c < channels; ++c) {
    const Moments& m = actual[c];
    const double em = expected.mean[c], es = expected.std[c];
    std::vector<std::string> off;
    if (std::fabs(m.mean - em) > kMaxAbsMean * es)
      off.push_back("mean " + fixed(m.mean) + (em == 0 && es == 1 ? " (|mean| > " + fixed(kMaxAbsMean, "%g") + ")"
                                                                 : " (more than " + fixed(kMaxAbsMean, "%g") +
                                                                       " expected std from the expected mean)"));
    if (m.std == 0)
      off.push_back("std 0 (every sample has the same value)");
    else if (m.std < kMinStd * es || m.std > kMaxStd * es)
      off.push_back("std " + fixed(m.std) + " (outside " + fixed(kMinStd * es) + ".." + fixed(kMaxStd * es) + ")");
    if (!off.empty())
      warnings.push_back("channel " + name(c) + " far from mean " + fixed(em) + ", std " + fixed(es) + ": " +
                         off[0] + (off.size() > 1 ? ", " + off[1] : ""));
  }
  const Hypothesis* best = nullptr;
  for (const Hypothesis& h : alternatives)
    if (!best || h.fit < best->fit) best = &h;
  if (best && best->fit <= kBetterRatio * fit && fit - best->fit >= kBetterMargin) {
    const std::string change = std::string(best->swap ? "with R and B exchanged" : "") +
                               (best->swap && best->factor != 1 ? " and " : "") +
                               (best->factor == 1 ? ""
                                : best->factor > 1 ? "with rescale " + short_number(v.rescale * 255)
                                                   : "with rescale " + short_number(v.rescale / 255));
    const std::string gain = change + " the fit would be " + fixed(best->fit, "%.3g") + " instead of " +
                             fixed(fit, "%.3g");
    if (best->swap)
      warnings.push_back(std::string("red and blue look swapped: ") + gain + ". The images' channel order is " +
                         "probably the reverse of what the statistics (" + order_name(v.channel_order) +
                         ") expect: check the pixel format given to pixnorm (RGB8 or BGR8) and the statistics' " +
                         "channel_order");
    if (best->factor != 1) {
      double spread = 0;
      for (const Moments& m : actual) spread += m.std / channels;
      warnings.push_back("units: the normalized values' std is " + fixed(spread) + ", about 255 times too " +
                         (best->factor > 1 ? "small" : "large") + ": the statistics look like they are for " +
                         units_of(v.rescale * best->factor) + " while their rescale " + short_number(v.rescale) +
                         " gives " + units_of(v.rescale) + "; " + gain);
    }
  }

  if (a.has("--plot")) {
    std::vector<HistogramRow> rows;
    static const uint8_t kColours[3][3] = {{214, 39, 40}, {44, 160, 44}, {31, 119, 180}};
    for (unsigned c = 0; c < channels; ++c) {
      const std::string n = name(c);
      const uint8_t* rgb = gray ? nullptr : kColours[n == "R" ? 0 : n == "G" ? 1 : 2];
      HistogramRow row{n, {110, 110, 110}, hist[c].data(), &lut[c * 256], actual[c].mean, actual[c].std};
      if (rgb) row.rgb[0] = rgb[0], row.rgb[1] = rgb[1], row.rgb[2] = rgb[2];
      rows.push_back(row);
    }
    const std::string title = "pixnorm check: " + label + ", " + std::to_string(a.operands().size()) + " image" +
                              (a.operands().size() == 1 ? "" : "s") + ", " + std::to_string(pixels) + " pixels";
    const std::string png = histogram_png(title, rows);
    AtomicFile out(a.get("--plot"));
    out.write(png.data(), png.size());
    out.commit();
  }

  if (a.has("--quiet")) {
    for (const std::string& w : warnings) std::printf("warning: %s\n", w.c_str());
    return warnings.empty() ? kExitOk : kExitCheckWarning;
  }
  std::printf("statistics: %s (%s)\n", label.c_str(), describe_stats(v).c_str());
  std::printf("sample: %zu image%s, %llu pixels\n", a.operands().size(), a.operands().size() == 1 ? "" : "s",
              static_cast<unsigned long long>(pixels));
  std::printf("expected (%s): ", expected.basis.c_str());
  for (unsigned c = 0; c < channels; ++c)
    std::printf("%s%s mean %s std %s", c ? ", " : "", name(c).c_str(), fixed(expected.mean[c]).c_str(),
                fixed(expected.std[c]).c_str());
  std::printf("\n");
  std::printf("normalized values (%s mode), per channel:\n", mode_name.c_str());
  std::printf("  channel       mean        std        min        max\n");
  for (unsigned c = 0; c < channels; ++c) {
    float lo = 0, hi = 0;
    bool any = false;
    for (int x = 0; x < 256; ++x)
      if (hist[c][x]) {
        const float val = lut[c * 256 + x];
        lo = any ? std::min(lo, val) : val;
        hi = any ? std::max(hi, val) : val;
        any = true;
      }
    std::printf("  %-7s %10.5g %10.5g %10.5g %10.5g\n", name(c).c_str(), actual[c].mean, actual[c].std, lo, hi);
  }
  std::printf("fit (sum over channels of |mean - expected| / expected std + |ln(std / expected std)|; 0 = as "
              "expected): %.3g\n", fit);
  for (const Hypothesis& h : alternatives) {
    std::string what = h.swap ? "R and B exchanged" : "";
    if (h.factor != 1)
      what += (h.swap ? ", " : "") + std::string("rescale ") + (h.factor > 1 ? "x 255" : "/ 255");
    std::printf("  with %-40s %.3g\n", (what + ":").c_str(), h.fit);
  }
  for (const std::string& w : warnings) std::printf("warning: %s\n", w.c_str());
  if (warnings.empty()) std::printf("result: no warning\n");
  else std::printf("result: %zu warning%s\n", warnings.size(), warnings.size() == 1 ? "" : "s");
  if (a.has("--plot")) std::printf("plot: %s\n", a.get("--plot").c_str());
  return warnings.empty() ? kExitOk : kExitCheckWarning;
}

}  // namespace

int run_check(int argc, char** argv) { return run(argc, argv); }

}  // namespace pixnorm_cli
