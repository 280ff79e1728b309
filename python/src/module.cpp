// pixnorm's Python binding: the C API (statistics, plans, exact channel sums) plus the CLI's
// decoders, accumulators and importers, so that Python gets the CLI's bytes, not a re-implementation.
// Every buffer Python hands in is checked here (dtype, shape, strides, alignment, writability)
// before a pointer reaches the runtime, which then checks sizes and overlaps again.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <pixnorm/pixnorm.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "accum.h"
#include "cli_error.h"
#include "fit_json.h"
#include "image_io.h"
#include "resize.h"
#include "stats_import.h"

namespace py = pybind11;
using namespace pixnorm_cli;

namespace {

// ---------------------------------------------------------------- errors

// The runtime's status as a Python exception class; the message is the runtime's own.
py::object g_error_classes[9];

[[noreturn]] void raise_status(pixnorm_status st, const std::string& context = "") {
  std::string msg = pixnorm_last_error();
  if (msg.empty()) msg = pixnorm_status_name(st);
  if (!context.empty()) msg = context + ": " + msg;
  const int i = int(st) >= 1 && int(st) <= 8 ? int(st) : 1;
  PyErr_SetString(g_error_classes[i].ptr(), msg.c_str());
  throw py::error_already_set();
}

void check(pixnorm_status st, const std::string& context = "") {
  if (st != PIXNORM_OK) raise_status(st, context);
}

[[noreturn]] void value_error(const std::string& msg) { throw py::value_error(msg); }

// ---------------------------------------------------------------- names

template <typename E>
struct Named {
  const char* name;
  E value;
};

const Named<pixnorm_format> kFormats[] = {{"gray8", PIXNORM_FORMAT_GRAY8}, {"rgb8", PIXNORM_FORMAT_RGB8},
                                          {"bgr8", PIXNORM_FORMAT_BGR8},   {"rgba8", PIXNORM_FORMAT_RGBA8},
                                          {"bgra8", PIXNORM_FORMAT_BGRA8}, {"nv12", PIXNORM_FORMAT_NV12},
                                          {"nv21", PIXNORM_FORMAT_NV21},   {"i420", PIXNORM_FORMAT_I420},
                                          {"yuyv", PIXNORM_FORMAT_YUYV}};
const Named<pixnorm_layout> kLayouts[] = {{"nchw", PIXNORM_LAYOUT_NCHW}, {"nhwc", PIXNORM_LAYOUT_NHWC}};
const Named<pixnorm_dtype> kDtypes[] = {{"f32", PIXNORM_DTYPE_F32},
                                        {"float32", PIXNORM_DTYPE_F32},
                                        {"f16", PIXNORM_DTYPE_F16},
                                        {"float16", PIXNORM_DTYPE_F16},
                                        {"int8", PIXNORM_DTYPE_INT8},
                                        {"uint8", PIXNORM_DTYPE_UINT8}};
const Named<pixnorm_mode> kModes[] = {{"standardize", PIXNORM_MODE_STANDARDIZE},
                                      {"center", PIXNORM_MODE_CENTER},
                                      {"rescale", PIXNORM_MODE_RESCALE},
                                      {"sample-center", PIXNORM_MODE_SAMPLE_CENTER},
                                      {"sample-standardize", PIXNORM_MODE_SAMPLE_STANDARDIZE},
                                      {"per-image-standardization", PIXNORM_MODE_PER_IMAGE_STANDARDIZATION},
                                      {"minmax", PIXNORM_MODE_MINMAX}};
const Named<pixnorm_interp> kInterps[] = {
    {"bilinear", PIXNORM_INTERP_BILINEAR},         {"area", PIXNORM_INTERP_AREA},
    {"nearest", PIXNORM_INTERP_NEAREST},           {"pil-nearest", PIXNORM_INTERP_PIL_NEAREST},
    {"pil-box", PIXNORM_INTERP_PIL_BOX},           {"pil-bilinear", PIXNORM_INTERP_PIL_BILINEAR},
    {"pil-hamming", PIXNORM_INTERP_PIL_HAMMING},   {"pil-bicubic", PIXNORM_INTERP_PIL_BICUBIC},
    {"pil-lanczos", PIXNORM_INTERP_PIL_LANCZOS},   {"cv-linear-exact", PIXNORM_INTERP_CV_LINEAR_EXACT},
    {"cv-cubic", PIXNORM_INTERP_CV_CUBIC},         {"torch-bilinear-aa", PIXNORM_INTERP_TORCH_BILINEAR_AA},
    {"torch-bicubic-aa", PIXNORM_INTERP_TORCH_BICUBIC_AA}, {"torch-bicubic", PIXNORM_INTERP_TORCH_BICUBIC}};
const Named<pixnorm_fit> kFits[] = {
    {"stretch", PIXNORM_FIT_STRETCH}, {"center-crop", PIXNORM_FIT_CENTER_CROP}, {"letterbox", PIXNORM_FIT_LETTERBOX}};
const Named<pixnorm_backend> kBackends[] = {{"auto", PIXNORM_BACKEND_AUTO},
                                            {"scalar", PIXNORM_BACKEND_SCALAR},
                                            {"highway", PIXNORM_BACKEND_HIGHWAY},
                                            {"xsimd", PIXNORM_BACKEND_XSIMD}};
const Named<pixnorm_yuv_matrix> kMatrices[] = {{"bt601", PIXNORM_YUV_BT601}, {"bt709", PIXNORM_YUV_BT709}};
const Named<pixnorm_yuv_range> kRanges[] = {{"limited", PIXNORM_YUV_LIMITED}, {"full", PIXNORM_YUV_FULL}};
const Named<pixnorm_crop_rounding> kRoundings[] = {{"round", PIXNORM_CROP_ROUND}, {"floor", PIXNORM_CROP_FLOOR}};
const Named<pixnorm_variant> kVariants[] = {{"auto", PIXNORM_VARIANT_AUTO},
                                            {"measure", PIXNORM_VARIANT_MEASURE},
                                            {"256", PIXNORM_VARIANT_256},
                                            {"512", PIXNORM_VARIANT_512}};
const Named<pixnorm_channel_order> kOrders[] = {
    {"RGB", PIXNORM_ORDER_RGB}, {"BGR", PIXNORM_ORDER_BGR}, {"GRAY", PIXNORM_ORDER_GRAY}};

template <typename E, size_t N>
E parse_name(const Named<E> (&table)[N], const std::string& text, const char* what) {
  for (const auto& e : table)
    if (text == e.name) return e.value;
  std::string list;
  for (const auto& e : table) list += (list.empty() ? "" : ", ") + std::string(e.name);
  value_error(std::string(what) + ": unknown value '" + text + "' (" + list + ")");
}

template <typename E, size_t N>
const char* name_of(const Named<E> (&table)[N], E value) {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return "?";
}

// ---------------------------------------------------------------- statistics

struct StatsFree {
  void operator()(pixnorm_stats* s) const { pixnorm_stats_free(s); }
};

class Stats {
 public:
  explicit Stats(pixnorm_stats* s) : s_(s, StatsFree()) {}
  pixnorm_stats* get() const { return s_.get(); }

  static Stats load(const std::string& path) {
    pixnorm_stats* s = nullptr;
    check(pixnorm_stats_load(path.c_str(), &s));
    return Stats(s);
  }
  static Stats parse(const std::string& json, const std::string& name) {
    pixnorm_stats* s = nullptr;
    check(pixnorm_stats_parse(json.data(), json.size(), name.c_str(), &s));
    return Stats(s);
  }
  static Stats preset(const std::string& name) {
    pixnorm_stats* s = nullptr;
    check(pixnorm_stats_preset(name.c_str(), &s));
    return Stats(s);
  }
  static Stats from_values(const std::vector<double>& mean, const py::object& std_obj, double rescale,
                           const std::string& order, double epsilon) {
    pixnorm_stats_values v;
    std::memset(&v, 0, sizeof(v));
    v.channel_order = parse_name(kOrders, order, "channel_order");
    if (mean.size() != 1 && mean.size() != 3) value_error("mean: expected 1 or 3 values, got " + std::to_string(mean.size()));
    v.channels = uint32_t(mean.size());
    v.rescale = rescale;
    v.epsilon = epsilon;
    for (size_t c = 0; c < mean.size(); ++c) v.mean[c] = mean[c], v.std[c] = 1.0;
    if (!std_obj.is_none()) {
      const auto stdv = std_obj.cast<std::vector<double>>();
      if (stdv.size() != mean.size())
        value_error("std: expected as many values as mean (" + std::to_string(mean.size()) + "), got " +
                    std::to_string(stdv.size()));
      for (size_t c = 0; c < stdv.size(); ++c) v.std[c] = stdv[c];
      v.has_std = 1;
    }
    pixnorm_stats* s = nullptr;
    check(pixnorm_stats_create(&v, &s));
    return Stats(s);
  }

  py::dict values() const {
    pixnorm_stats_values v;
    check(pixnorm_stats_get(s_.get(), &v));
    py::dict d;
    d["channel_order"] = name_of(kOrders, v.channel_order);
    d["rescale"] = v.rescale;
    d["mean"] = std::vector<double>(v.mean, v.mean + v.channels);
    d["std"] = v.has_std ? py::cast(std::vector<double>(v.std, v.std + v.channels)) : py::none();
    d["epsilon"] = v.epsilon;
    return d;
  }

  py::object recipe() const {
    pixnorm_recipe r;
    check(pixnorm_stats_get_recipe(s_.get(), &r));
    if (r.version == 0) return py::none();
    py::dict d;
    d["version"] = r.version;
    d["resize"] = r.resize_width ? py::cast(std::make_pair(r.resize_width, r.resize_height)) : py::none();
    d["resize_short"] = r.resize_short ? py::cast(r.resize_short) : py::none();
    d["interp"] = (r.resize_width || r.resize_short) ? py::cast(name_of(kInterps, r.interp)) : py::none();
    d["crop"] = r.crop_width ? py::cast(std::make_pair(r.crop_width, r.crop_height)) : py::none();
    d["crop_rounding"] = name_of(kRoundings, r.crop_rounding);
    return d;
  }

  void set_recipe(const py::object& o) {
    if (o.is_none()) {
      check(pixnorm_stats_set_recipe(s_.get(), nullptr));
      return;
    }
    const py::dict d = o.cast<py::dict>();
    for (auto item : d) {
      const std::string k = py::str(item.first);
      if (k != "version" && k != "resize" && k != "resize_short" && k != "interp" && k != "crop" && k != "crop_rounding")
        value_error("recipe: unknown key '" + k + "' (version, resize, resize_short, interp, crop, crop_rounding)");
    }
    pixnorm_recipe r{};
    r.version = d.contains("version") ? d["version"].cast<uint32_t>() : 1;
    auto size = [&](const char* key, uint32_t* w, uint32_t* h) {
      if (!d.contains(key) || d[key].is_none()) return;
      const auto wh = d[key].cast<std::pair<uint32_t, uint32_t>>();
      *w = wh.first, *h = wh.second;
    };
    size("resize", &r.resize_width, &r.resize_height);
    size("crop", &r.crop_width, &r.crop_height);
    if (d.contains("resize_short") && !d["resize_short"].is_none()) r.resize_short = d["resize_short"].cast<uint32_t>();
    if (d.contains("interp") && !d["interp"].is_none())
      r.interp = parse_name(kInterps, d["interp"].cast<std::string>(), "recipe interp");
    if (d.contains("crop_rounding")) r.crop_rounding = parse_name(kRoundings, d["crop_rounding"].cast<std::string>(), "recipe crop_rounding");
    check(pixnorm_stats_set_recipe(s_.get(), &r));
  }

  std::string to_json() const {
    size_t size = 0;
    check(pixnorm_stats_serialize(s_.get(), nullptr, &size));
    std::string text(size, '\0');
    check(pixnorm_stats_serialize(s_.get(), &text[0], &size));
    text.resize(size - 1);
    return text;
  }
  void save(const std::string& path) const { check(pixnorm_stats_save(s_.get(), path.c_str())); }
  py::object get_field(const std::string& key) const {
    const char* v = pixnorm_stats_get_field(s_.get(), key.c_str());
    return v ? py::cast(std::string(v)) : py::none();
  }
  void set_field(const std::string& key, const std::string& json_value) {
    check(pixnorm_stats_set_field(s_.get(), key.c_str(), json_value.c_str()));
  }

 private:
  std::shared_ptr<pixnorm_stats> s_;
};

// Statistics and recipe as `pixnorm stats import` builds them.
Stats make_imported(pixnorm_channel_order order, double rescale, const std::vector<double>& mean,
                    const std::vector<double>& stdv, double epsilon, const pixnorm_recipe& recipe,
                    const std::string& source) {
  pixnorm_stats_values v;
  std::memset(&v, 0, sizeof(v));
  v.channel_order = order;
  v.rescale = rescale;
  v.channels = uint32_t(mean.size());
  for (size_t c = 0; c < mean.size() && c < 3; ++c) v.mean[c] = mean[c], v.std[c] = stdv[c];
  v.epsilon = epsilon;
  v.has_std = 1;
  pixnorm_stats* raw = nullptr;
  check(pixnorm_stats_create(&v, &raw));
  Stats s(raw);
  check(pixnorm_stats_set_field(raw, "source", source.c_str()));
  check(pixnorm_stats_set_recipe(raw, &recipe));
  return s;
}

// CliError from the shared tool sources becomes ValueError (bad input) carrying their message.
template <typename F>
auto cli_call(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const CliError& e) {
    throw py::value_error(e.what());
  }
}

py::tuple import_hf(const std::string& json, const std::string& name) {
  return cli_call([&] {
    const HfPreprocessing hf = parse_hf_config(json, name);
    std::string extra;
    if (!hf.processor.empty()) extra = ", \"processor\": " + json_quote(hf.processor);
    if (hf.rescale_offset) extra += ", \"rescale_offset\": true";
    if (hf.include_top) extra += ", \"include_top\": true";
    const std::string units = hf.rescale == 1.0 ? "raw" : std::fabs(hf.rescale * 255.0 - 1.0) < 1e-12 ? "unit" : "custom";
    const std::string source = "{\"imported_from\": \"hf\", \"files\": [" + json_quote(name) + "], \"units\": \"" +
                               units + "\"" + extra + "}";
    Stats s = make_imported(hf.order, hf.rescale, hf.mean, hf.std, 0.0, hf.recipe, source);
    return py::make_tuple(s, hf.warnings);
  });
}

Stats import_torchvision(const std::string& json, const std::string& name) {
  return cli_call([&] {
    const TorchvisionPreprocessing tv = parse_torchvision_json(json, name);
    const std::string source = "{\"imported_from\": \"torchvision\", \"files\": [" + json_quote(name) +
                               "], \"units\": \"unit\"}";
    return make_imported(PIXNORM_ORDER_RGB, 1.0 / 255.0, tv.mean, tv.std, 0.0, tv.recipe, source);
  });
}

// ---------------------------------------------------------------- input arrays

using U8Array = py::array;

// An array of uint8 as the runtime will read it: base pointer and row stride, after checking
// everything numpy lets a caller get wrong.
struct Plane {
  const uint8_t* data;
  size_t row_bytes;
  size_t rows, row_pixels_bytes;
};

// Per-frame checks build no strings and no Python objects unless they fail: they are most of
// what a call costs over the C call.
void require_uint8(const py::array& a, const std::string& what) {
  const auto* descr = py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr);
  if (descr->kind != 'u' || descr->elsize != 1)
    throw py::type_error(what + ": expected a uint8 array, got dtype " + std::string(py::str(a.dtype())));
}

// A 2-D or 3-D uint8 image whose rows may be padded (row stride >= its bytes) but whose pixels are
// contiguous inside a row.
Plane image_plane(const py::array& a, uint32_t width, uint32_t height, unsigned channels, const std::string& what) {
  require_uint8(a, what);
  const bool shape_ok =
      (a.ndim() == 2 && channels == 1 && size_t(a.shape(0)) == height && size_t(a.shape(1)) == width) ||
      (a.ndim() == 3 && size_t(a.shape(0)) == height && size_t(a.shape(1)) == width && size_t(a.shape(2)) == channels);
  if (!shape_ok) {
    const std::string expect = channels == 1 ? "(" + std::to_string(height) + ", " + std::to_string(width) + ")"
                                             : "(" + std::to_string(height) + ", " + std::to_string(width) + ", " +
                                                   std::to_string(channels) + ")";
    std::string got = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) got += (i ? ", " : "") + std::to_string(a.shape(i));
    value_error(std::string(what) + ": expected shape " + expect + ", got " + got + ")");
  }
  if (a.ndim() == 3 && a.strides(2) != 1)
    value_error(std::string(what) + ": the channels of a pixel must be adjacent (stride of axis 2 is " + std::to_string(a.strides(2)) +
                ", not 1): pass np.ascontiguousarray(image)");
  if (a.strides(1) != py::ssize_t(channels))
    value_error(std::string(what) + ": the pixels of a row must be adjacent (stride of axis 1 is " + std::to_string(a.strides(1)) +
                ", not " + std::to_string(channels) + "): pass np.ascontiguousarray(image)");
  if (height > 1 && a.strides(0) < py::ssize_t(size_t(width) * channels))
    value_error(std::string(what) + ": rows overlap or run backwards (stride of axis 0 is " + std::to_string(a.strides(0)) +
                "): pass np.ascontiguousarray(image)");
  Plane p;
  p.data = static_cast<const uint8_t*>(a.data());
  p.row_bytes = height > 1 ? size_t(a.strides(0)) : size_t(width) * channels;
  p.rows = height;
  p.row_pixels_bytes = size_t(width) * channels;
  return p;
}

bool is_yuv_format(pixnorm_format f) {
  return f == PIXNORM_FORMAT_NV12 || f == PIXNORM_FORMAT_NV21 || f == PIXNORM_FORMAT_I420 || f == PIXNORM_FORMAT_YUYV;
}
unsigned packed_channels(pixnorm_format f) {
  switch (f) {
    case PIXNORM_FORMAT_GRAY8: return 1;
    case PIXNORM_FORMAT_RGB8:
    case PIXNORM_FORMAT_BGR8: return 3;
    case PIXNORM_FORMAT_RGBA8:
    case PIXNORM_FORMAT_BGRA8: return 4;
    default: return 0;
  }
}

// ---------------------------------------------------------------- plans

struct PlanFree {
  void operator()(pixnorm_plan* p) const { pixnorm_plan_free(p); }
};

class Plan {
 public:
  Plan(const py::object& stats, const std::string& format, uint32_t width, uint32_t height, py::kwargs kw) {
    pixnorm_plan_desc_init(&desc_);
    desc_.format = parse_name(kFormats, format, "format");
    desc_.width = width;
    desc_.height = height;
    const Stats* st = nullptr;
    if (!stats.is_none()) {
      if (!py::isinstance<Stats>(stats)) throw py::type_error("stats: expected pixnorm.Stats or None");
      st = &stats.cast<const Stats&>();
      stats_keep_ = stats;
    }
    bool use_recipe = true;
    if (kw.contains("recipe")) use_recipe = kw["recipe"].cast<bool>();
    // The region first: the recipe applies to it.
    if (kw.contains("roi") && !kw["roi"].is_none()) {
      const auto r = kw["roi"].cast<std::vector<uint32_t>>();
      if (r.size() != 4) value_error("roi: expected (x, y, width, height)");
      desc_.roi_x = r[0], desc_.roi_y = r[1], desc_.roi_width = r[2], desc_.roi_height = r[3];
    }
    if (st && use_recipe) check(pixnorm_plan_desc_apply_recipe(&desc_, st->get()), "recipe");
    for (auto item : kw) {
      const std::string k = py::str(item.first);
      const py::handle v = item.second;
      if (k == "recipe" || k == "roi") continue;
      if (v.is_none()) continue;
      if (k == "batch") desc_.batch = v.cast<uint32_t>();
      else if (k == "layout") desc_.layout = parse_name(kLayouts, v.cast<std::string>(), "layout");
      else if (k == "dtype") desc_.dtype = parse_name(kDtypes, dtype_text(v), "dtype");
      else if (k == "mode") desc_.mode = parse_name(kModes, v.cast<std::string>(), "mode");
      else if (k == "per_channel") desc_.per_channel = v.cast<bool>() ? 1 : 0;
      else if (k == "epsilon") desc_.epsilon = v.cast<double>();
      else if (k == "backend") desc_.backend = parse_name(kBackends, v.cast<std::string>(), "backend");
      else if (k == "threads") desc_.threads = v.cast<uint32_t>();
      else if (k == "size") {
        const auto s = v.cast<std::pair<uint32_t, uint32_t>>();
        desc_.out_width = s.first, desc_.out_height = s.second;
      } else if (k == "interp") desc_.interp = parse_name(kInterps, v.cast<std::string>(), "interp");
      else if (k == "fit") desc_.fit = parse_name(kFits, v.cast<std::string>(), "fit");
      else if (k == "resize_short") desc_.resize_short = v.cast<uint32_t>();
      else if (k == "letterbox_fill") desc_.letterbox_fill = v.cast<uint32_t>();
      else if (k == "flip") desc_.flip = v.cast<bool>() ? 1 : 0;
      else if (k == "yuv_matrix") desc_.yuv_matrix = parse_name(kMatrices, v.cast<std::string>(), "yuv_matrix");
      else if (k == "yuv_range") desc_.yuv_range = parse_name(kRanges, v.cast<std::string>(), "yuv_range");
      else if (k == "quant_scale") desc_.quant_scale = v.cast<double>();
      else if (k == "quant_zero_point") desc_.quant_zero_point = v.cast<int32_t>();
      else if (k == "crop_rounding") desc_.crop_rounding = parse_name(kRoundings, v.cast<std::string>(), "crop_rounding");
      // variant=512 reads as naturally as variant="512".
      else if (k == "variant")
        desc_.variant = parse_name(kVariants, py::isinstance<py::int_>(v) ? std::string(py::str(v)) : v.cast<std::string>(),
                                   "variant");
      else
        throw py::type_error("Plan: unknown option '" + k +
                             "' (batch, layout, dtype, mode, per_channel, epsilon, backend, threads, size, interp, "
                             "roi, fit, resize_short, letterbox_fill, flip, yuv_matrix, yuv_range, quant_scale, "
                             "quant_zero_point, crop_rounding, variant, recipe)");
    }
    pixnorm_plan* p = nullptr;
    check(pixnorm_plan_create(st ? st->get() : nullptr, &desc_, &p));
    plan_.reset(p);
    pixnorm_plan_output_size(p, &out_w_, &out_h_);
    channels_ = pixnorm_plan_output_channels(p);
    bytes_ = pixnorm_plan_output_bytes(p);
    dtype_ = make_dtype();
    const std::vector<py::ssize_t> shape = image_shape();
    for (size_t i = 0; i < 3; ++i) shape_[i] = shape[i];
  }

  static std::string dtype_text(const py::handle& v) {
    if (py::isinstance<py::str>(v)) return v.cast<std::string>();
    // numpy dtypes and scalar types (np.float32, np.dtype('int8')).
    const py::object np_dtype = py::module_::import("numpy").attr("dtype")(v);
    return py::str(np_dtype.attr("name"));
  }

  py::dtype np_dtype() const { return dtype_; }
  py::dtype make_dtype() const {
    switch (desc_.dtype) {
      case PIXNORM_DTYPE_F32: return py::dtype("float32");
      case PIXNORM_DTYPE_F16: return py::dtype("float16");
      case PIXNORM_DTYPE_INT8: return py::dtype("int8");
      default: return py::dtype("uint8");
    }
  }
  std::vector<py::ssize_t> image_shape() const {
    if (desc_.layout == PIXNORM_LAYOUT_NCHW) return {py::ssize_t(channels_), py::ssize_t(out_h_), py::ssize_t(out_w_)};
    return {py::ssize_t(out_h_), py::ssize_t(out_w_), py::ssize_t(channels_)};
  }
  py::tuple shape() const { return py::cast(image_shape()); }

  // The checked output: a new array, or `out` when it is exactly what the runtime writes.
  py::array output(const py::object& out, size_t count, bool batched) {
    if (out.is_none()) {
      std::vector<py::ssize_t> shape(shape_, shape_ + 3);
      if (batched) shape.insert(shape.begin(), py::ssize_t(count));
      return py::array(dtype_, shape);
    }
    if (!py::isinstance<py::array>(out)) throw py::type_error("out: expected a numpy array");
    py::array a = py::reinterpret_borrow<py::array>(out);
    const auto* descr = py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr);
    const auto* want_descr = py::detail::array_descriptor_proxy(dtype_.ptr());
    if (descr->kind != want_descr->kind || descr->elsize != want_descr->elsize || descr->byteorder == '>')
      throw py::type_error("out: expected dtype " + std::string(py::str(np_dtype())) + ", got " +
                           std::string(py::str(a.dtype())));
    // A single image also goes into a (1, ...) tensor, as interpreters' inputs are.
    const py::ssize_t nd = a.ndim();
    const py::ssize_t* sh = a.shape();
    const bool lead = batched ? (nd == 4 && sh[0] == py::ssize_t(count)) : (nd == 3 || (nd == 4 && sh[0] == 1));
    const py::ssize_t* tail = sh + (nd == 4 ? 1 : 0);
    if (!lead || tail[0] != shape_[0] || tail[1] != shape_[1] || tail[2] != shape_[2]) {
      std::vector<py::ssize_t> shape(shape_, shape_ + 3);
      if (batched) shape.insert(shape.begin(), py::ssize_t(count));
      std::vector<py::ssize_t> got(sh, sh + nd);
      std::string want = "(";
      for (size_t i = 0; i < shape.size(); ++i) want += (i ? ", " : "") + std::to_string(shape[i]);
      want += ")";
      std::string g = "(";
      for (size_t i = 0; i < got.size(); ++i) g += (i ? ", " : "") + std::to_string(got[i]);
      value_error("out: expected shape " + want + (batched ? "" : " or (1, ...)") + ", got " + g +
                  (got.size() == 1 ? ",)" : ")"));
    }
    if (!(a.flags() & py::array::c_style)) value_error("out: must be C-contiguous (the runtime writes it in one block)");
    if (!a.writeable()) value_error("out: read-only array");
    if (reinterpret_cast<uintptr_t>(a.data()) % a.itemsize() != 0)
      value_error("out: not aligned for " + std::string(py::str(a.dtype())));
    return a;
  }

  // The runtime's image description of a Python image (one array, or a tuple of planes).
  void describe(const py::object& img, pixnorm_image* im, const std::string& what) const {
    std::memset(im, 0, sizeof(*im));
    const pixnorm_format f = desc_.format;
    const uint32_t w = desc_.width, h = desc_.height;
    if (!is_yuv_format(f)) {
      if (!py::isinstance<py::array>(img)) throw py::type_error(what + ": expected a numpy uint8 array");
      const Plane p = image_plane(py::reinterpret_borrow<py::array>(img), w, h, packed_channels(f), what);
      im->planes[0] = p.data;
      im->row_bytes[0] = p.row_bytes;
      return;
    }
    const uint32_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (f == PIXNORM_FORMAT_YUYV) {
      if (!py::isinstance<py::array>(img)) throw py::type_error(what + ": expected a numpy uint8 array");
      py::array a = img.cast<py::array>();
      // (h, 2 * w) as bytes, or (h, w, 2): Y and alternately U and V per pixel.
      const Plane p = a.ndim() == 3 ? image_plane(a, w, h, 2, what) : image_plane(a, 2 * w, h, 1, what);
      im->planes[0] = p.data;
      im->row_bytes[0] = p.row_bytes;
      return;
    }
    if (py::isinstance<py::tuple>(img) || py::isinstance<py::list>(img)) {
      const py::sequence planes = img.cast<py::sequence>();
      const size_t n = f == PIXNORM_FORMAT_I420 ? 3 : 2;
      if (planes.size() != n)
        value_error(what + ": " + std::string(name_of(kFormats, f)) + " takes " + std::to_string(n) + " planes, got " +
                    std::to_string(planes.size()));
      const Plane y = image_plane(planes[0].cast<py::array>(), w, h, 1, what + " Y plane");
      im->planes[0] = y.data, im->row_bytes[0] = y.row_bytes;
      if (n == 2) {
        const Plane uv = image_plane(planes[1].cast<py::array>(), cw, ch, 2, what + " chroma plane");
        im->planes[1] = uv.data, im->row_bytes[1] = uv.row_bytes;
      } else {
        const Plane u = image_plane(planes[1].cast<py::array>(), cw, ch, 1, what + " U plane");
        const Plane v = image_plane(planes[2].cast<py::array>(), cw, ch, 1, what + " V plane");
        im->planes[1] = u.data, im->row_bytes[1] = u.row_bytes;
        im->planes[2] = v.data, im->row_bytes[2] = v.row_bytes;
      }
      return;
    }
    // One array: the contiguous frame as cameras and cv2 hand it over, (h + ceil(h/2), w) for
    // NV12/NV21 with an even width, or any C-contiguous array of exactly the frame's bytes.
    if (!py::isinstance<py::array>(img)) throw py::type_error(what + ": expected a numpy uint8 array or a tuple of planes");
    py::array a = img.cast<py::array>();
    require_uint8(a, what);
    if (!(a.flags() & py::array::c_style))
      value_error(what + ": a " + std::string(name_of(kFormats, f)) +
                  " frame in one array must be C-contiguous (or pass its planes as a tuple)");
    const size_t chroma = f == PIXNORM_FORMAT_I420 ? 2 * size_t(ch) * cw : size_t(ch) * 2 * cw;
    const size_t frame = size_t(w) * h + chroma;
    if (size_t(a.nbytes()) != frame)
      value_error(what + ": a " + std::to_string(w) + "x" + std::to_string(h) + " " + name_of(kFormats, f) +
                  " frame holds " + std::to_string(frame) + " bytes, the array " + std::to_string(a.nbytes()));
    const uint8_t* base = static_cast<const uint8_t*>(a.data());
    im->planes[0] = base, im->row_bytes[0] = w;
    if (f == PIXNORM_FORMAT_I420) {
      im->planes[1] = base + size_t(w) * h, im->row_bytes[1] = cw;
      im->planes[2] = base + size_t(w) * h + size_t(cw) * ch, im->row_bytes[2] = cw;
    } else {
      im->planes[1] = base + size_t(w) * h, im->row_bytes[1] = 2 * size_t(cw);
    }
  }

  py::array call(const py::object& img, const py::object& out) {
    pixnorm_image im;
    describe(img, &im, "image");
    py::array result = output(out, 1, false);
    void* dst = result.mutable_data();
    pixnorm_status st;
    {
      py::gil_scoped_release nogil;
      st = pixnorm_plan_run_image(plan_.get(), &im, dst);
    }
    check(st);
    return result;
  }

  py::array batch(const py::sequence& images, const py::object& out) {
    const size_t n = images.size();
    if (n == 0) value_error("images: empty list");
    if (n > desc_.batch)
      value_error("images: " + std::to_string(n) + " images for a plan of batch " + std::to_string(desc_.batch) +
                  " (Plan(..., batch=N))");
    if (is_yuv_format(desc_.format) && desc_.format != PIXNORM_FORMAT_YUYV) {
      // The batch call takes contiguous frames only: run the images one by one into the slots.
      std::vector<pixnorm_image> ims(n);
      for (size_t i = 0; i < n; ++i) describe(images[i], &ims[i], "images[" + std::to_string(i) + "]");
      py::array result = output(out, n, true);
      uint8_t* dst = static_cast<uint8_t*>(result.mutable_data());
      pixnorm_status st = PIXNORM_OK;
      {
        py::gil_scoped_release nogil;
        for (size_t i = 0; i < n && st == PIXNORM_OK; ++i) st = pixnorm_plan_run_image(plan_.get(), &ims[i], dst + i * bytes_);
      }
      check(st);
      return result;
    }
    std::vector<const uint8_t*> ptrs(n);
    std::vector<size_t> rows(n);
    for (size_t i = 0; i < n; ++i) {
      pixnorm_image im;
      describe(images[i], &im, "images[" + std::to_string(i) + "]");
      ptrs[i] = im.planes[0];
      rows[i] = im.row_bytes[0];
    }
    py::array result = output(out, n, true);
    void* dst = result.mutable_data();
    pixnorm_status st;
    {
      py::gil_scoped_release nogil;
      st = pixnorm_plan_run_batch(plan_.get(), ptrs.data(), rows.data(), uint32_t(n), dst);
    }
    check(st);
    return result;
  }

  py::tuple params() const {
    float scale[3], bias[3];
    check(pixnorm_plan_get_params(plan_.get(), scale, bias));
    return py::make_tuple(std::vector<float>(scale, scale + channels_), std::vector<float>(bias, bias + channels_));
  }

  py::dict describe_desc() const {
    py::dict d;
    d["format"] = name_of(kFormats, desc_.format);
    d["width"] = desc_.width;
    d["height"] = desc_.height;
    d["batch"] = desc_.batch;
    d["layout"] = name_of(kLayouts, desc_.layout);
    d["dtype"] = name_of(kDtypes, desc_.dtype);
    d["mode"] = name_of(kModes, desc_.mode);
    d["per_channel"] = bool(desc_.per_channel);
    d["epsilon"] = desc_.epsilon;
    d["backend"] = name_of(kBackends, desc_.backend);
    d["threads"] = desc_.threads;
    d["size"] = py::make_tuple(desc_.out_width, desc_.out_height);
    d["interp"] = name_of(kInterps, desc_.interp);
    d["roi"] = py::make_tuple(desc_.roi_x, desc_.roi_y, desc_.roi_width, desc_.roi_height);
    d["fit"] = name_of(kFits, desc_.fit);
    d["resize_short"] = desc_.resize_short;
    d["letterbox_fill"] = desc_.letterbox_fill;
    d["flip"] = bool(desc_.flip);
    d["yuv_matrix"] = name_of(kMatrices, desc_.yuv_matrix);
    d["yuv_range"] = name_of(kRanges, desc_.yuv_range);
    d["quant_scale"] = desc_.quant_scale;
    d["quant_zero_point"] = desc_.quant_zero_point;
    d["crop_rounding"] = name_of(kRoundings, desc_.crop_rounding);
    d["variant"] = name_of(kVariants, desc_.variant);
    return d;
  }

  const pixnorm_plan* raw() const { return plan_.get(); }
  size_t output_bytes() const { return bytes_; }
  uint32_t channels() const { return channels_; }
  std::string order() const { return name_of(kOrders, pixnorm_plan_output_order(plan_.get())); }
  std::string backend() const { return name_of(kBackends, pixnorm_plan_backend(plan_.get())); }
  std::string target() const { return pixnorm_plan_target(plan_.get()); }

 private:
  pixnorm_plan_desc desc_;
  std::unique_ptr<pixnorm_plan, PlanFree> plan_;
  py::dtype dtype_;
  py::ssize_t shape_[3] = {0, 0, 0};
  py::object stats_keep_;
  uint32_t out_w_ = 0, out_h_ = 0, channels_ = 0;
  size_t bytes_ = 0;
};

// ---------------------------------------------------------------- decoding

py::array to_array(Image& image) {
  const uint32_t w = image.info.width, h = image.info.height;
  const bool gray = image.info.format == PIXNORM_FORMAT_GRAY8;
  const unsigned c = gray ? 1 : 3;
  std::vector<py::ssize_t> shape = gray ? std::vector<py::ssize_t>{h, w} : std::vector<py::ssize_t>{h, w, 3};
  py::array_t<uint8_t> a(shape);
  uint8_t* dst = a.mutable_data();
  for (uint32_t y = 0; y < h; ++y)
    std::memcpy(dst + size_t(y) * w * c, image.pixels.get() + size_t(y) * image.row_bytes, size_t(w) * c);
  return std::move(a);
}

void check_colour(const std::string& colour) {
  if (colour != "auto" && colour != "rgb" && colour != "gray")
    value_error("colour: unknown value '" + colour + "' (auto, rgb, gray)");
}

ImageInfo probe(const std::string& path, const std::string& colour, bool exif) {
  ImageInfo info = probe_image(path);
  if (colour == "rgb") info.format = PIXNORM_FORMAT_RGB8;
  else if (colour == "gray") info.format = PIXNORM_FORMAT_GRAY8;
  else if (colour != "auto") value_error("colour: unknown value '" + colour + "' (auto, rgb, gray)");
  if (exif) info = with_exif_orientation(info);
  return info;
}

py::array decode(const std::string& path, const std::string& colour, bool exif) {
  check_colour(colour);
  return cli_call([&] {
    Image image;
    {
      py::gil_scoped_release nogil;
      const ImageInfo info = probe(path, colour, exif);
      image = decode_image(path, info);
    }
    return to_array(image);
  });
}

py::array decode_bytes(const py::bytes& data, const std::string& name, const std::string& colour, bool exif) {
  check_colour(colour);
  return cli_call([&] {
    const std::string bytes = data;
    ImageInfo info = probe_image_memory(bytes.data(), bytes.size(), name);
    if (colour == "rgb") info.format = PIXNORM_FORMAT_RGB8;
    else if (colour == "gray") info.format = PIXNORM_FORMAT_GRAY8;
    else if (colour != "auto") value_error("colour: unknown value '" + colour + "' (auto, rgb, gray)");
    if (exif) info = with_exif_orientation(info);
    Image image = decode_image_memory(bytes.data(), bytes.size(), name, info);
    return to_array(image);
  });
}

// ---------------------------------------------------------------- exact accumulators

// The sums of `pixnorm fit`: every setting that changes them is part of the accumulator, so
// that two parts can only be merged when they were measured the same way.
class Accumulator {
 public:
  Accumulator(const std::string& colour, const py::object& resize) {
    if (colour != "auto" && colour != "rgb" && colour != "gray")
      value_error("colour: unknown value '" + colour + "' (auto, rgb, gray)");
    colour_ = colour;
    if (!resize.is_none()) {
      const auto wh = resize.cast<std::pair<uint32_t, uint32_t>>();
      if (wh.first < 1 || wh.second < 1 || wh.first > PIXNORM_MAX_DIMENSION || wh.second > PIXNORM_MAX_DIMENSION ||
          uint64_t(wh.first) * wh.second > PIXNORM_MAX_PIXELS)
        value_error("resize: expected (width, height) from 1 to " + std::to_string(PIXNORM_MAX_DIMENSION) +
                    " within " + std::to_string(PIXNORM_MAX_PIXELS) + " pixels");
      rw_ = wh.first, rh_ = wh.second;
    }
  }

  // What fit's measure() does to one decoded image; reads only the settings, so it runs
  // without the GIL. The fold into the sums then happens with it held.
  pixnorm_channel_sums measure(const uint8_t* pixels, pixnorm_format format, uint32_t w, uint32_t h,
                               size_t row_bytes, bool* is_gray) const {
    std::vector<uint8_t> luma, resized;
    bool gray = format == PIXNORM_FORMAT_GRAY8;
    if (colour_ == "gray" && !gray) {
      const unsigned bpp = packed_channels(format);
      luma.resize(size_t(w) * h);
      for (uint32_t y = 0; y < h; ++y) {
        const uint8_t* p = pixels + size_t(y) * row_bytes;
        uint8_t* d = luma.data() + size_t(y) * w;
        for (uint32_t x = 0; x < w; ++x, p += bpp)
          d[x] = uint8_t((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 32768u) >> 16);
      }
      format = PIXNORM_FORMAT_GRAY8, pixels = luma.data(), row_bytes = w;
    }
    if (rw_ && (w != rw_ || h != rh_)) {
      const unsigned bpp = packed_channels(format);
      resized.resize(size_t(rw_) * rh_ * bpp);
      resize_bilinear(pixels, w, h, row_bytes, bpp, resized.data(), rw_, rh_);
      pixels = resized.data(), w = rw_, h = rh_, row_bytes = size_t(w) * bpp;
    }
    pixnorm_channel_sums sums;
    pixnorm_channel_sums_init(&sums);
    if (pixnorm_channel_sums_add(&sums, format, w, h, pixels, row_bytes, PIXNORM_BACKEND_AUTO) != PIXNORM_OK)
      throw std::runtime_error(pixnorm_last_error());
    *is_gray = gray;
    return sums;
  }

  void fold(const pixnorm_channel_sums& sums, bool gray) {
    uint32_t channels = colour_ == "rgb" ? 3 : colour_ == "gray" ? 1 : gray ? 1 : 3;
    if (colour_ == "auto" && acc_.channels == 1 && channels == 3) widen();
    if (colour_ == "auto" && acc_.channels == 3) channels = 3;
    cli_call([&] { add_image(acc_, sums, channels); });
  }

  void widen() {
    for (uint32_t c = 1; c < 3; ++c) {
      acc_.sum[c] = acc_.sum[0], acc_.sum_sq[c] = acc_.sum_sq[0];
      acc_.min[c] = acc_.min[0], acc_.max[c] = acc_.max[0];
    }
    acc_.channels = 3;
  }

  // Returns "" when the file was measured, else why it was skipped (as fit says it).
  std::string add_file(const std::string& path, bool strict) {
    std::string skip;
    pixnorm_channel_sums sums;
    bool gray = false, from_16bit = false;
    uint64_t key = 0;
    {
      py::gil_scoped_release nogil;
      key = file_key_of(path);
    }
    // fit takes each file once (links resolved): a second add would count its pixels twice.
    if (keys_.count(key)) value_error(path + ": already added to this accumulator");
    {
      py::gil_scoped_release nogil;
      skip = measure_file(path, &sums, &gray, &from_16bit);
    }
    if (!skip.empty() && strict) throw py::value_error(skip + " (strict)");
    keys_.insert(key);
    if (!skip.empty()) {
      ++acc_.skipped;
      return skip;
    }
    fold(sums, gray);
    if (from_16bit) ++from_16bit_;
    return skip;
  }

  std::string measure_file(const std::string& path, pixnorm_channel_sums* sums, bool* gray, bool* from_16bit) const {
    try {
      const ImageInfo info = probe_image(path);
      const Image image = decode_image(path, info);
      *from_16bit = info.from_16bit;
      *sums = measure(image.pixels.get(), info.format, info.width, info.height, image.row_bytes, gray);
      return "";
    } catch (const CliError& e) {
      std::string s = e.what();
      const std::string hint = " (for raw pixels use --raw WxH:FORMAT)";
      if (s.size() > hint.size() && s.compare(s.size() - hint.size(), hint.size(), hint) == 0) s.resize(s.size() - hint.size());
      return s;
    }
  }

  static uint64_t file_key_of(const std::string& path) {
    char* real = ::realpath(path.c_str(), nullptr);
    const uint64_t key = file_key(real ? std::string(real) : path);
    std::free(real);
    return key;
  }

  void add_array(const py::array& a) {
    require_uint8(a, "image");
    unsigned c = a.ndim() == 2 ? 1 : a.ndim() == 3 ? unsigned(a.shape(2)) : 0;
    if (c != 1 && c != 3) value_error("image: expected shape (H, W), (H, W, 1) or (H, W, 3) in RGB order");
    const uint32_t h = uint32_t(a.shape(0)), w = uint32_t(a.shape(1));
    const Plane p = image_plane(a, w, h, c, "image");
    const pixnorm_format f = c == 1 ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
    pixnorm_channel_sums sums;
    bool gray = false;
    {
      py::gil_scoped_release nogil;
      sums = measure(p.data, f, w, h, p.row_bytes, &gray);
    }
    fold(sums, gray);
  }

  void merge(const Accumulator& other) {
    if (other.colour_ != colour_ || other.rw_ != rw_ || other.rh_ != rh_)
      value_error("merge: accumulators measured with other settings (colour " + other.colour_ + " against " + colour_ +
                  ", resize)");
    Accumulators part = other.acc_;
    if (colour_ == "auto") {  // a gray part joins colour parts as three equal channels, and back
      if (acc_.channels == 1 && part.channels == 3) widen();
      if (acc_.channels == 3 && part.channels == 1) {
        for (uint32_t c = 1; c < 3; ++c) {
          part.sum[c] = part.sum[0], part.sum_sq[c] = part.sum_sq[0];
          part.min[c] = part.min[0], part.max[c] = part.max[0];
        }
        part.channels = 3;
      }
    }
    for (uint64_t k : other.keys_)
      if (keys_.count(k)) value_error("merge: the two accumulators share a file: it would be counted twice");
    cli_call([&] { add_part(acc_, part, "merge"); });
    keys_.insert(other.keys_.begin(), other.keys_.end());
    from_16bit_ += other.from_16bit_;
  }

  Stats to_stats(bool raw_units, const std::string& subject, const py::object& source_json) const {
    std::string source = source_json.is_none() ? std::string("{\"tool\": ") + json_quote(std::string("pixnorm ") + pixnorm_version()) + "}"
                                               : source_json.cast<std::string>();
    std::vector<uint64_t> keys(keys_.begin(), keys_.end());
    const std::string files = keys.empty() ? "" : record_field_json(record_field(keys));
    return cli_call([&] {
      OwnedStats s = build_stats(acc_, raw_units ? 1.0 : 1.0 / 255.0, subject, source, files);
      return Stats(s.release());
    });
  }

  py::bytes record() const {
    std::vector<uint64_t> keys(keys_.begin(), keys_.end());
    return py::bytes(encode_record(keys));
  }

  py::dict state() const {
    py::dict d;
    d["colour"] = colour_;
    d["resize"] = rw_ ? py::cast(std::make_pair(rw_, rh_)) : py::none();
    d["channels"] = acc_.channels;
    d["pixels"] = BigUint(acc_.pixels).to_decimal();
    std::vector<std::string> s, s2;
    for (uint32_t c = 0; c < acc_.channels; ++c) {
      s.push_back(BigUint(acc_.sum[c]).to_decimal());
      s2.push_back(BigUint(acc_.sum_sq[c]).to_decimal());
    }
    d["sum"] = s;
    d["sum_sq"] = s2;
    d["min"] = std::vector<int>(acc_.min, acc_.min + acc_.channels);
    d["max"] = std::vector<int>(acc_.max, acc_.max + acc_.channels);
    d["images"] = acc_.images;
    d["skipped"] = acc_.skipped;
    d["images_16bit"] = from_16bit_;
    d["files"] = py::bytes(std::string(reinterpret_cast<const char*>(keys_vector().data()), keys_.size() * 8));
    return d;
  }

  std::vector<uint64_t> keys_vector() const { return std::vector<uint64_t>(keys_.begin(), keys_.end()); }

  static Accumulator from_state(const py::dict& d) {
    Accumulator a(d["colour"].cast<std::string>(), d["resize"]);
    auto big = [](const std::string& t) {
      BigUint v;
      if (!BigUint::from_decimal(t, &v) || !v.fits_u128()) value_error("Accumulator state: bad integer '" + t + "'");
      return v.to_u128();
    };
    const uint32_t n = d["channels"].cast<uint32_t>();
    if (n != 0 && n != 1 && n != 3) value_error("Accumulator state: channels must be 0, 1 or 3");
    a.acc_.channels = n;
    a.acc_.pixels = big(d["pixels"].cast<std::string>());
    const auto s = d["sum"].cast<std::vector<std::string>>(), s2 = d["sum_sq"].cast<std::vector<std::string>>();
    const auto mn = d["min"].cast<std::vector<int>>(), mx = d["max"].cast<std::vector<int>>();
    if (s.size() != n || s2.size() != n || mn.size() != n || mx.size() != n)
      value_error("Accumulator state: per-channel lists of the wrong length");
    for (uint32_t c = 0; c < n; ++c) {
      a.acc_.sum[c] = big(s[c]), a.acc_.sum_sq[c] = big(s2[c]);
      if (mn[c] < 0 || mn[c] > 255 || mx[c] < 0 || mx[c] > 255) value_error("Accumulator state: min/max outside 0..255");
      a.acc_.min[c] = uint8_t(mn[c]), a.acc_.max[c] = uint8_t(mx[c]);
    }
    a.acc_.images = d["images"].cast<uint64_t>();
    a.acc_.skipped = d["skipped"].cast<uint64_t>();
    a.from_16bit_ = d["images_16bit"].cast<uint64_t>();
    const std::string keys = d["files"].cast<std::string>();
    if (keys.size() % 8) value_error("Accumulator state: file keys not a multiple of 8 bytes");
    for (size_t i = 0; i < keys.size(); i += 8) {
      uint64_t k;
      std::memcpy(&k, keys.data() + i, 8);
      a.keys_.insert(k);
    }
    if (a.acc_.images) cli_call([&] { check_accumulators(a.acc_, "Accumulator state"); });
    return a;
  }

  const Accumulators& acc() const { return acc_; }
  uint64_t files() const { return keys_.size(); }
  uint64_t from_16bit() const { return from_16bit_; }

 private:
  std::string colour_;
  uint32_t rw_ = 0, rh_ = 0;
  Accumulators acc_;
  std::set<uint64_t> keys_;
  uint64_t from_16bit_ = 0;
};

}  // namespace

PYBIND11_MODULE(_pixnorm, m) {
  m.doc() = "pixnorm: uint8 images to normalized model-input tensors (C++ core)";

  py::object base = py::reinterpret_borrow<py::object>(PyExc_RuntimeError);
  py::object error = py::reinterpret_steal<py::object>(PyErr_NewException("pixnorm.Error", base.ptr(), nullptr));
  m.attr("Error") = error;
  g_error_classes[0] = error;
  const char* names[] = {"", "InvalidArgument", "IOError", "ParseError", "InvalidStats", "ChannelMismatch",
                         "TooLarge", "Unsupported", "OutOfMemory"};
  for (int i = 1; i <= 8; ++i) {
    py::object bases = i == 1 ? py::make_tuple(error, py::reinterpret_borrow<py::object>(PyExc_ValueError))
                       : i == 2 ? py::make_tuple(error, py::reinterpret_borrow<py::object>(PyExc_OSError))
                       : i == 8 ? py::make_tuple(error, py::reinterpret_borrow<py::object>(PyExc_MemoryError))
                                : py::make_tuple(error);
    const std::string qual = std::string("pixnorm.") + names[i];
    py::object cls = py::reinterpret_steal<py::object>(PyErr_NewException(qual.c_str(), bases.ptr(), nullptr));
    m.attr(names[i]) = cls;
    g_error_classes[i] = cls;
  }

  m.def("version", [] { return std::string(pixnorm_version()); });
  m.def("backend_available", [](const std::string& b) { return bool(pixnorm_backend_available(parse_name(kBackends, b, "backend"))); });
  m.def("backend_default", [] { return std::string(name_of(kBackends, pixnorm_backend_default())); });
  m.def("backend_target", [](const std::string& b) { return std::string(pixnorm_backend_target(parse_name(kBackends, b, "backend"))); });

  py::class_<Stats>(m, "Stats")
      .def_static("load", &Stats::load, py::arg("path"))
      .def_static("parse", &Stats::parse, py::arg("json"), py::arg("name") = "<memory>")
      .def_static("preset", &Stats::preset, py::arg("name"))
      .def_static("from_values", &Stats::from_values, py::arg("mean"), py::arg("std") = py::none(),
                  py::arg("rescale") = 1.0, py::arg("channel_order") = "RGB", py::arg("epsilon") = 0.0)
      .def_property_readonly("values", &Stats::values)
      .def_property("recipe", &Stats::recipe, &Stats::set_recipe)
      .def("to_json", &Stats::to_json)
      .def("save", &Stats::save, py::arg("path"))
      .def("get_field", &Stats::get_field, py::arg("key"))
      .def("set_field", &Stats::set_field, py::arg("key"), py::arg("json_value"))
      .def(py::pickle([](const Stats& s) { return s.to_json(); },
                      [](const std::string& j) { return Stats::parse(j, "<pickle>"); }));
  m.def("_import_hf", &import_hf);
  m.def("_import_torchvision", &import_torchvision);

  py::class_<Plan>(m, "Plan")
      .def(py::init<const py::object&, const std::string&, uint32_t, uint32_t, py::kwargs>(), py::arg("stats"),
           py::arg("format"), py::arg("width"), py::arg("height"))
      .def("__call__", &Plan::call, py::arg("image"), py::arg("out") = py::none())
      .def("run_batch", &Plan::batch, py::arg("images"), py::arg("out") = py::none())
      .def_property_readonly("shape", &Plan::shape)
      .def_property_readonly("dtype", &Plan::np_dtype)
      .def_property_readonly("output_bytes", &Plan::output_bytes)
      .def_property_readonly("channels", &Plan::channels)
      .def_property_readonly("channel_order", &Plan::order)
      .def_property_readonly("backend", &Plan::backend)
      .def_property_readonly("target", &Plan::target)
      .def_property_readonly("params", &Plan::params)
      .def_property_readonly("desc", &Plan::describe_desc)
      // The C call on the same arguments without the binding's checks, for the benchmark: the
      // difference between the two is what the binding costs per call.
      .def("_raw_run_loop", [](const Plan& p, const py::array& img, py::array& out, size_t n) {
        const uint8_t* px = static_cast<const uint8_t*>(img.data());
        const size_t row = size_t(img.strides(0));
        void* dst = out.mutable_data();
        py::gil_scoped_release nogil;
        for (size_t i = 0; i < n; ++i) pixnorm_plan_run(p.raw(), px, row, dst);
      });

  m.def("decode", &decode, py::arg("path"), py::arg("colour") = "auto", py::arg("exif") = false);
  m.def("decode_bytes", &decode_bytes, py::arg("data"), py::arg("name") = "<memory>", py::arg("colour") = "auto",
        py::arg("exif") = false);

  py::class_<Accumulator>(m, "Accumulator")
      .def(py::init<const std::string&, const py::object&>(), py::arg("colour") = "auto", py::arg("resize") = py::none())
      .def("add_file", &Accumulator::add_file, py::arg("path"), py::arg("strict") = false)
      .def("add_array", &Accumulator::add_array, py::arg("image"))
      .def("merge", &Accumulator::merge, py::arg("other"))
      .def("to_stats", &Accumulator::to_stats, py::arg("raw_units") = false, py::arg("subject") = "accumulator",
           py::arg("source") = py::none())
      .def("record", &Accumulator::record)
      .def_property_readonly("state", &Accumulator::state)
      .def_property_readonly("images", [](const Accumulator& a) { return a.acc().images; })
      .def_property_readonly("skipped", [](const Accumulator& a) { return a.acc().skipped; })
      .def_property_readonly("files", &Accumulator::files)
      .def_property_readonly("channels", [](const Accumulator& a) { return a.acc().channels; })
      .def(py::pickle([](const Accumulator& a) { return a.state(); },
                      [](const py::dict& d) { return Accumulator::from_state(d); }));
  m.def("_accumulator_from_state", &Accumulator::from_state);
}
