#include "stats_import.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "cli_error.h"
#include "fit_json.h"

namespace pixnorm_cli {
namespace {

// A bound on the values of a foreign file, besides its size (kMaxImportBytes) and the reader's
// nesting limit: every value is read before any is looked at.
constexpr size_t kMaxValues = 1u << 16;

const char* type_name(const Json& v) {
  switch (v.kind) {
    case Json::kNull: return "null";
    case Json::kBool: return v.text == "true" ? "true" : "false";
    case Json::kNumber: return "a number";
    case Json::kString: return "a string";
    case Json::kArray: return "an array";
    case Json::kObject: return "an object";
  }
  return "?";
}

// ---------------------------------------------------------------- Hugging Face

class HfFields {
 public:
  HfFields(const Json& root, const std::string& name) : root_(root), name_(name) {
    if (root.kind != Json::kObject)
      throw data_error(name, "expected a JSON object, found " + std::string(type_name(root)));
    for (size_t i = 0; i < root.members.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (root.members[i].first == root.members[j].first)
          throw data_error(name, "field \"" + root.members[i].first + "\" appears twice");
  }

  const Json* find(const char* key) const {
    for (const auto& m : root_.members)
      if (m.first == key) return &m.second;
    return nullptr;
  }

  [[noreturn]] void refuse(const std::string& field, const std::string& what) const {
    throw data_error(name_, "field \"" + field + "\" " + what);
  }

  bool flag(const char* key, bool fallback) const {
    const Json* v = find(key);
    if (!v) return fallback;
    if (v->kind != Json::kBool) refuse(key, "must be true or false, not " + std::string(type_name(*v)));
    return v->text == "true";
  }

  // NaN, Infinity and numbers out of range are refused by the reader, naming the field.
  double number(const std::string& field, const Json& v) const {
    if (v.kind != Json::kNumber) refuse(field, "must be a number, not " + std::string(type_name(v)));
    return v.number();
  }

  // A number or an array of 1 or 3 numbers ("image_mean": 0.5 is allowed by the processors).
  std::vector<double> vector(const char* key, bool positive) const {
    const Json* v = find(key);
    if (!v) refuse(key, "is missing (needed because do_normalize is true or absent, or include_top is true)");
    std::vector<double> out;
    if (v->kind == Json::kArray) {
      if (v->items.size() != 1 && v->items.size() != 3)
        refuse(key, "has " + std::to_string(v->items.size()) + " values: expected 1 or 3");
      for (size_t i = 0; i < v->items.size(); ++i)
        out.push_back(number(std::string(key) + "[" + std::to_string(i) + "]", v->items[i]));
    } else {
      out.push_back(number(key, *v));
    }
    if (positive)
      for (size_t i = 0; i < out.size(); ++i)
        if (!(out[i] > 0)) refuse(std::string(key) + "[" + std::to_string(i) + "]", "must be > 0");
    return out;
  }

  std::string text(const char* key) const {
    const Json* v = find(key);
    return v && v->kind == Json::kString ? v->text : std::string();
  }

 private:
  const Json& root_;
  const std::string& name_;
};


// ---------------------------------------------------------------- recipes

constexpr const char* kInterpNames[] = {"bilinear",        "area",           "nearest",          "pil-nearest",
                                        "pil-box",         "pil-bilinear",   "pil-hamming",      "pil-bicubic",
                                        "pil-lanczos",     "cv-linear-exact", "cv-cubic",        "torch-bilinear-aa",
                                        "torch-bicubic-aa", "torch-bicubic"};
static_assert(sizeof(kInterpNames) / sizeof(kInterpNames[0]) == PIXNORM_INTERP_TORCH_BICUBIC + 1,
              "a name for every interpolation");

// A size for the recipe: an integer from 1 to PIXNORM_MAX_DIMENSION.
uint32_t dimension(const std::string& file, const std::string& field, const Json& v) {
  if (v.kind != Json::kNumber || v.number() != std::floor(v.number()))
    throw data_error(file, "field \"" + field + "\" must be an integer, not " +
                               (v.kind == Json::kNumber ? v.text : std::string(type_name(v))));
  if (v.number() < 1 || v.number() > PIXNORM_MAX_DIMENSION)
    throw data_error(file, "field \"" + field + "\" is " + v.text + ": expected 1 to " +
                               std::to_string(PIXNORM_MAX_DIMENSION));
  return static_cast<uint32_t>(v.number());
}

// ---------------------------------------------------------------- NPY

// The header is a Python dict literal; numpy writes exactly these three keys.
class NpyHeader {
 public:
  NpyHeader(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  void parse(std::string* descr, bool* fortran, std::vector<uint64_t>* shape) {
    bool seen[3] = {false, false, false};
    expect('{');
    for (;;) {
      ws();
      if (at('}')) break;
      const std::string key = quoted();
      expect(':');
      ws();
      int k = key == "descr" ? 0 : key == "fortran_order" ? 1 : key == "shape" ? 2 : -1;
      if (k < 0) fail("unexpected key '" + key + "' in the header");
      if (seen[k]) fail("key '" + key + "' twice in the header");
      seen[k] = true;
      if (k == 0) {
        *descr = quoted();
      } else if (k == 1) {
        if (word("True")) *fortran = true;
        else if (word("False")) *fortran = false;
        else fail("fortran_order must be True or False");
      } else {
        tuple(shape);
      }
      ws();
      if (!at(',')) break;
      ++p_;
    }
    expect('}');
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n')) ++p_;
    if (p_ != s_.size()) fail("unexpected text after the header dict");
    if (!seen[0] || !seen[1] || !seen[2]) fail("the header lacks descr, fortran_order or shape");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw data_error(name_, "bad .npy header: " + what); }
  void ws() {
    while (p_ < s_.size() && s_[p_] == ' ') ++p_;
  }
  bool at(char c) const { return p_ < s_.size() && s_[p_] == c; }
  void expect(char c) {
    ws();
    if (!at(c)) fail(std::string("expected '") + c + "'");
    ++p_;
  }
  bool word(const char* w) {
    const size_t n = std::strlen(w);
    if (s_.compare(p_, n, w) != 0) return false;
    p_ += n;
    return true;
  }
  std::string quoted() {
    ws();
    if (!at('\'') && !at('"')) fail("expected a quoted string");
    const char q = s_[p_++];
    const size_t end = s_.find(q, p_);
    if (end == std::string::npos || end - p_ > 32) fail("bad string");
    std::string v = s_.substr(p_, end - p_);
    p_ = end + 1;
    return v;
  }
  void tuple(std::vector<uint64_t>* shape) {
    if (!at('(')) fail("shape must be a tuple");
    ++p_;
    for (;;) {
      ws();
      if (at(')')) break;
      size_t digits = 0;
      uint64_t v = 0;
      while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') {
        if (++digits > 12) fail("shape entry too large");
        v = v * 10 + static_cast<uint64_t>(s_[p_++] - '0');
      }
      if (digits == 0) fail("shape entries must be integers");
      if (shape->size() >= 8) fail("more than 8 dimensions");
      shape->push_back(v);
      ws();
      if (!at(',')) break;
      ++p_;
    }
    if (!at(')')) fail("expected ')' closing the shape");
    ++p_;
  }

  const std::string& s_;
  const std::string& name_;
  size_t p_ = 0;
};

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}


// The resize and center crop of a Hugging Face image processor (image_transforms.resize with
// PIL, center_crop flooring the offsets), as a recipe; what cannot be reproduced is refused or
// warned about by name.
void hf_geometry(const HfFields& f, const Json& root, const std::string& name, HfPreprocessing* hf) {
  static const char* const kUsed[] = {
      "do_resize",      "size",          "resample",      "do_center_crop", "crop_size",      "crop_pct",
      "do_rescale",     "rescale_factor", "rescale_offset", "do_normalize",   "image_mean",     "image_std",
      "do_convert_rgb", "do_flip_channel_order", "include_top", "image_processor_type", "feature_extractor_type",
      "processor_class", "_processor_class"};
  for (const auto& m : root.members) {
    bool used = false;
    for (const char* k : kUsed) used = used || m.first == k;
    if (!used) hf->warnings.push_back("field \"" + m.first + "\" is not reproduced (pixnorm does not know it)");
  }
  if (f.flag("do_convert_rgb", true) == false)
    hf->warnings.push_back("field \"do_convert_rgb\" is false: pixnorm converts every image to RGB "
                           "(as PIL convert(\"RGB\")); RGB images are unaffected");
  const bool convnext = hf->processor.compare(0, 8, "ConvNext") == 0;
  const Json* crop_pct = f.find("crop_pct");
  if (crop_pct && crop_pct->kind != Json::kNull && !convnext)
    f.refuse("crop_pct", "is only known for ConvNextImageProcessor (this file's processor is \"" +
                             (hf->processor.empty() ? std::string("not named") : hf->processor) +
                             "\"): not reproduced");
  pixnorm_recipe& r = hf->recipe;
  r = pixnorm_recipe{};
  if (!f.find("size") && !f.find("do_resize") && !f.find("do_center_crop") && !crop_pct) {
    hf->warnings.push_back("the file gives no size (no \"size\", \"do_resize\" or \"do_center_crop\"): no "
                           "preprocess recipe is written, the processor's defaults are not known");
    return;
  }
  r.version = 1;
  r.crop_rounding = PIXNORM_CROP_FLOOR;
  r.interp = PIXNORM_INTERP_PIL_BILINEAR;
  // Without "size", only an explicit do_resize true asks for a resize (and is refused below).
  const bool resize = f.flag("do_resize", f.find("size") != nullptr);
  bool crop = f.flag("do_center_crop", false);
  if (resize) {
    const Json* size = f.find("size");
    if (!size) f.refuse("size", "is missing (needed because do_resize is true or absent)");
    if (size->kind == Json::kNumber)
      f.refuse("size", "is a bare number, which means a square or the shortest edge depending on the processor: "
                       "write {\"height\": N, \"width\": N} or {\"shortest_edge\": N}");
    if (size->kind != Json::kObject) f.refuse("size", "must be an object, not " + std::string(type_name(*size)));
    for (const auto& m : size->members)
      if (m.first != "shortest_edge" && m.first != "height" && m.first != "width")
        f.refuse("size." + m.first, "cannot be reproduced (pixnorm resizes to height x width or to a shortest edge)");
    const Json* se = size->find("shortest_edge");
    const Json* h = size->find("height");
    const Json* w = size->find("width");
    if (se && (h || w)) f.refuse("size", "gives both shortest_edge and height/width");
    if (!se && (!h || !w)) f.refuse("size", "needs shortest_edge, or height and width");
    const Json* resample = f.find("resample");
    if (!resample)
      f.refuse("resample", "is missing: each processor has its own default; add it (2 bilinear, 3 bicubic)");
    static const pixnorm_interp kPil[] = {PIXNORM_INTERP_PIL_NEAREST, PIXNORM_INTERP_PIL_LANCZOS,
                                          PIXNORM_INTERP_PIL_BILINEAR, PIXNORM_INTERP_PIL_BICUBIC,
                                          PIXNORM_INTERP_PIL_BOX,     PIXNORM_INTERP_PIL_HAMMING};
    const double rs = f.number("resample", *resample);
    if (rs != std::floor(rs) || rs < 0 || rs > 5)
      f.refuse("resample", "is " + resample->text + ": expected PIL's 0 (nearest) to 5 (hamming)");
    r.interp = kPil[static_cast<int>(rs)];
    if (se) {
      const uint32_t edge = dimension(name, "size.shortest_edge", *se);
      if (convnext) {
        // ConvNextImageProcessor: below 384, the shortest edge to int(edge / crop_pct), then a
        // center crop of edge x edge; from 384 on, a warp to edge x edge. do_center_crop is not read.
        double pct = 224.0 / 256.0;
        if (crop_pct && crop_pct->kind != Json::kNull) pct = f.number("crop_pct", *crop_pct);
        if (!(pct > 0 && pct <= 1)) f.refuse("crop_pct", "is " + crop_pct->text + ": expected a number in (0, 1]");
        crop = false;
        if (edge < 384) {
          const double scaled = std::floor(edge / pct);
          if (scaled > PIXNORM_MAX_DIMENSION) f.refuse("crop_pct", "makes the shortest edge over the size limit");
          r.resize_short = static_cast<uint32_t>(scaled);
          r.crop_width = r.crop_height = edge;
        } else {
          r.resize_width = r.resize_height = edge;
        }
        return;
      }
      r.resize_short = edge;
    } else {
      r.resize_width = dimension(name, "size.width", *w);
      r.resize_height = dimension(name, "size.height", *h);
    }
  }
  if (crop) {
    const Json* cs = f.find("crop_size");
    if (!cs) f.refuse("crop_size", "is missing (needed because do_center_crop is true)");
    if (cs->kind == Json::kNumber) {
      r.crop_width = r.crop_height = dimension(name, "crop_size", *cs);
    } else if (cs->kind == Json::kObject) {
      for (const auto& m : cs->members)
        if (m.first != "height" && m.first != "width") f.refuse("crop_size." + m.first, "is not height or width");
      const Json* h = cs->find("height");
      const Json* w = cs->find("width");
      if (!h || !w) f.refuse("crop_size", "needs height and width");
      r.crop_width = dimension(name, "crop_size.width", *w);
      r.crop_height = dimension(name, "crop_size.height", *h);
    } else {
      f.refuse("crop_size", "must be an object or a number, not " + std::string(type_name(*cs)));
    }
    if (r.resize_width != 0 && (r.crop_width != r.resize_width || r.crop_height != r.resize_height))
      f.refuse("do_center_crop", "crops " + std::to_string(r.crop_width) + "x" + std::to_string(r.crop_height) +
                                     " out of the " + std::to_string(r.resize_width) + "x" +
                                     std::to_string(r.resize_height) +
                                     " resize (aspect not kept): pixnorm crops only after a shortest-edge resize");
    if (r.resize_short != 0 && r.crop_width > r.resize_short && r.crop_height > r.resize_short)
      f.refuse("crop_size", "is larger than the shortest edge: Hugging Face would pad; not reproduced");
    if (r.resize_width != 0) r.crop_width = r.crop_height = 0;  // a crop of the whole image
  }
}

}  // namespace

HfPreprocessing parse_hf_config(const std::string& json, const std::string& name) {
  if (json.size() > kMaxImportBytes)
    throw data_error(name, "over the limit of " + std::to_string(kMaxImportBytes) + " bytes");
  const Json root = parse_json(json, name, kMaxValues);
  const HfFields f(root, name);
  HfPreprocessing hf;
  hf.processor = f.text("image_processor_type");
  if (hf.processor.empty()) hf.processor = f.text("feature_extractor_type");
  // Processors flip RGB to BGR themselves (MobileViT): the model then sees BGR.
  if (f.flag("do_flip_channel_order", false)) hf.order = PIXNORM_ORDER_BGR;
  // EfficientNet's processor (ALIGN uses it) rescales as x * rescale_factor - 1 with
  // rescale_offset (1/127.5 gives -1..1), and with include_top (its default: true) divides by
  // image_std once more after normalizing, with mean 0.
  const bool efficientnet = hf.processor.compare(0, 26, "EfficientNetImageProcessor") == 0;
  double offset = 0;
  if (f.flag("do_rescale", true)) {
    const Json* r = f.find("rescale_factor");
    hf.rescale = r ? f.number("rescale_factor", *r) : 1.0 / 255.0;
    if (!(hf.rescale > 0)) f.refuse("rescale_factor", "must be > 0");
    if (f.flag("rescale_offset", false)) offset = 1.0;
  }
  const bool normalize = f.flag("do_normalize", true);
  const bool include_top = efficientnet && f.flag("include_top", true);
  if (normalize) {
    hf.mean = f.vector("image_mean", false);
    hf.std = f.vector("image_std", true);
  } else {
    hf.mean = {0.0};
    hf.std = include_top ? f.vector("image_std", true) : std::vector<double>{1.0};
  }
  // One value stands for every channel: expand it to match the other field.
  if (hf.mean.size() == 1 && hf.std.size() == 3) hf.mean.assign(3, hf.mean[0]);
  if (hf.std.size() == 1 && hf.mean.size() == 3) hf.std.assign(3, hf.std[0]);
  // (x * r - offset - mean) / std [/ std]: the offset joins the mean, the second division the std.
  for (double& m : hf.mean) m += offset;
  if (include_top && normalize)
    for (double& s : hf.std) s *= s;
  hf.rescale_offset = offset != 0;
  hf.include_top = include_top;
  hf_geometry(f, root, name, &hf);
  return hf;
}

TorchvisionPreprocessing parse_torchvision_json(const std::string& json, const std::string& name) {
  if (json.size() > kMaxImportBytes)
    throw data_error(name, "over the limit of " + std::to_string(kMaxImportBytes) + " bytes");
  const Json root = parse_json(json, name, kMaxValues);
  const HfFields f(root, name);
  for (const auto& m : root.members) {
    bool known = false;
    for (const char* k : {"resize", "interpolation", "antialias", "max_size", "center_crop", "mean", "std"})
      known = known || m.first == k;
    if (!known)
      f.refuse(m.first, "is unknown (known: resize, interpolation, antialias, max_size, center_crop, mean, std)");
  }
  TorchvisionPreprocessing tv;
  pixnorm_recipe& r = tv.recipe;
  r.version = 1;
  r.crop_rounding = PIXNORM_CROP_ROUND;
  r.interp = PIXNORM_INTERP_PIL_BILINEAR;  // torchvision's default
  // A size: an integer, or a list [H, W] (a single-item list is the integer).
  auto size = [&](const char* key, uint32_t* one, uint32_t* w, uint32_t* h) {
    const Json& v = *f.find(key);
    if (v.kind == Json::kArray) {
      if (v.items.size() == 1) {
        *one = dimension(name, std::string(key) + "[0]", v.items[0]);
      } else if (v.items.size() == 2) {
        *h = dimension(name, std::string(key) + "[0]", v.items[0]);
        *w = dimension(name, std::string(key) + "[1]", v.items[1]);
      } else {
        f.refuse(key, "has " + std::to_string(v.items.size()) + " values: expected N or [H, W]");
      }
    } else {
      *one = dimension(name, key, v);
    }
  };
  if (f.find("resize")) size("resize", &r.resize_short, &r.resize_width, &r.resize_height);
  if (const Json* i = f.find("interpolation")) {
    if (i->kind != Json::kString || !pil_interp_from_name(i->text, &r.interp))
      f.refuse("interpolation", "must be one of nearest, bilinear, bicubic, box, hamming, lanczos (PIL images)");
  }
  if (const Json* a = f.find("antialias"))
    if (a->kind == Json::kBool && a->text == "false")
      f.refuse("antialias", "is false: PIL images are always antialiased; the tensor path is not reproduced");
  if (const Json* m = f.find("max_size"))
    if (m->kind != Json::kNull) f.refuse("max_size", "is not reproduced (give null or leave it out)");
  if (f.find("center_crop")) {
    uint32_t one = 0;
    size("center_crop", &one, &r.crop_width, &r.crop_height);
    if (one) r.crop_width = r.crop_height = one;
    if (r.resize_width != 0) {
      if (r.crop_width != r.resize_width || r.crop_height != r.resize_height)
        f.refuse("center_crop", "after a resize to [H, W] is not reproduced: pixnorm crops after resize N only");
      r.crop_width = r.crop_height = 0;
    }
  }
  if (f.find("mean") || f.find("std")) {
    tv.mean = f.vector("mean", false);
    tv.std = f.vector("std", true);
    if (tv.mean.size() == 1 && tv.std.size() == 3) tv.mean.assign(3, tv.mean[0]);
    if (tv.std.size() == 1 && tv.mean.size() == 3) tv.std.assign(3, tv.std[0]);
  } else {
    tv.mean = {0.0};
    tv.std = {1.0};
  }
  return tv;
}

const char* interp_name(pixnorm_interp i) {
  const int k = static_cast<int>(i);
  return k >= 0 && k <= PIXNORM_INTERP_TORCH_BICUBIC ? kInterpNames[k] : "?";
}

bool pil_interp_from_name(const std::string& n, pixnorm_interp* out) {
  static const std::pair<const char*, pixnorm_interp> kNames[] = {
      {"nearest", PIXNORM_INTERP_PIL_NEAREST}, {"bilinear", PIXNORM_INTERP_PIL_BILINEAR},
      {"bicubic", PIXNORM_INTERP_PIL_BICUBIC}, {"lanczos", PIXNORM_INTERP_PIL_LANCZOS},
      {"box", PIXNORM_INTERP_PIL_BOX},         {"hamming", PIXNORM_INTERP_PIL_HAMMING}};
  for (const auto& k : kNames)
    if (n == k.first) {
      *out = k.second;
      return true;
    }
  return false;
}

std::string recipe_text(const pixnorm_recipe& r) {
  if (r.version == 0) return "none";
  auto wh = [](uint32_t w, uint32_t h) { return std::to_string(w) + "x" + std::to_string(h); };
  std::string t;
  if (r.resize_width) t = "resize to " + wh(r.resize_width, r.resize_height);
  if (r.resize_short) t = "resize the shorter side to " + std::to_string(r.resize_short);
  if (!t.empty()) t += std::string(" (") + interp_name(r.interp) + ")";
  if (r.crop_width) {
    t += (t.empty() ? "" : ", then ") + std::string("center crop ") + wh(r.crop_width, r.crop_height) +
         (r.crop_rounding == PIXNORM_CROP_FLOOR ? " (offsets floored, as Hugging Face)"
                                                : " (offsets rounded, as torchvision)");
  }
  return t.empty() ? "no resize, no crop" : t;
}

NpyVector parse_npy_vector(const std::string& bytes, const std::string& name) {
  if (bytes.size() > kMaxImportBytes)
    throw data_error(name, "over the limit of " + std::to_string(kMaxImportBytes) + " bytes");
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 10 || std::memcmp(b, "\x93NUMPY", 6) != 0) throw data_error(name, "not a NumPy .npy file");
  const int major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    throw data_error(name, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  const size_t prefix = major == 1 ? 10 : 12;
  if (bytes.size() < prefix) throw data_error(name, "truncated .npy header");
  const size_t header_len = static_cast<size_t>(little_endian(b + 8, major == 1 ? 2 : 4));
  if (header_len > bytes.size() - prefix) throw data_error(name, "truncated .npy header");
  const std::string header = bytes.substr(prefix, header_len);
  for (unsigned char c : header)
    if (c < 0x20 && c != '\n') throw data_error(name, "bad .npy header: control character");

  std::string descr;
  bool fortran = false;
  std::vector<uint64_t> shape;
  NpyHeader(header, name).parse(&descr, &fortran, &shape);
  NpyVector out;
  out.descr = descr;
  out.shape = "(";
  for (size_t i = 0; i < shape.size(); ++i) out.shape += (i ? ", " : "") + std::to_string(shape[i]);
  out.shape += shape.size() == 1 ? ",)" : ")";

  if (descr != "<f4" && descr != "<f8")
    throw data_error(name, "dtype '" + descr + "': expected little-endian float32 ('<f4') or float64 ('<f8')");
  // Every accepted shape has at most one axis longer than 1, so C and Fortran order hold the
  // same bytes: fortran_order does not matter.
  (void)fortran;
  const size_t n = shape.empty() ? 0 : static_cast<size_t>(shape.back());
  bool ok = (shape.size() == 1 || shape.size() == 3 || shape.size() == 4) && (n == 1 || n == 3);
  for (size_t i = 0; ok && i + 1 < shape.size(); ++i) ok = shape[i] == 1;
  if (!ok) throw data_error(name, "shape " + out.shape + ": expected (C,), (1, 1, C) or (1, 1, 1, C) with C = 1 or 3");
  const size_t item = descr == "<f4" ? 4 : 8;
  const size_t data_size = bytes.size() - prefix - header_len;
  if (data_size != n * item)
    throw data_error(name, std::to_string(data_size) + " bytes of data, but shape " + out.shape + " of " + descr +
                               " needs " + std::to_string(n * item));
  const unsigned char* data = b + prefix + header_len;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t bits = little_endian(data + i * item, static_cast<int>(item));
    if (item == 4) {
      const uint32_t b32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b32, 4);
      out.values.push_back(f);
    } else {
      double d;
      std::memcpy(&d, &bits, 8);
      out.values.push_back(d);
    }
  }
  return out;
}

}  // namespace pixnorm_cli
