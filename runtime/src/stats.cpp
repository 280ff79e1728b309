// The statistics model: validation of values and of the preprocess recipe (read from a file or
// given by a caller), and objects made from values.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "stats_json.h"
#include "stats_model.h"

namespace pixnorm {

// Shortest text that reads back as the same double; "nan"/"inf" for messages.
const char* format_double(double v, char (&buf)[32]) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, v);
  *r.ptr = '\0';
  return buf;
}

namespace {

pixnorm_status invalid(const char* name, const char* field, int index, const char* what, double v) {
  char buf[32];
  char at[16] = "";
  if (index >= 0) std::snprintf(at, sizeof(at), "[%d]", index);
  return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"%s\"%s: %s, got %s", name, field, at, what,
              format_double(v, buf));
}

}  // namespace

// Checks the counts and values and fills the canonical values struct.
pixnorm_status validate(const Raw& raw, const char* name, pixnorm_stats_values* out) {
  const size_t n = raw.mean_count;
  if (n != 1 && n != 3)
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"mean\": must have 1 or 3 values, got %zu", name, n);
  if (raw.order == PIXNORM_ORDER_GRAY && n != 1)
    return fail(PIXNORM_ERROR_INVALID_STATS,
                "%s: field \"mean\": channel_order GRAY takes exactly 1 value, got %zu", name, n);
  if (raw.std_count != 0 && raw.std_count != n)
    return fail(PIXNORM_ERROR_INVALID_STATS,
                "%s: field \"std\": must have as many values as \"mean\" (%zu), got %zu", name, n,
                raw.std_count);
  if (!(raw.rescale > 0) || !std::isfinite(raw.rescale))
    return invalid(name, "rescale", -1, "must be finite and > 0", raw.rescale);
  for (size_t c = 0; c < n; ++c) {
    if (!std::isfinite(raw.mean[c])) return invalid(name, "mean", int(c), "must be finite", raw.mean[c]);
    if (raw.std_count == 0) continue;
    if (!std::isfinite(raw.std[c])) return invalid(name, "std", int(c), "must be finite", raw.std[c]);
    if (!(raw.std[c] > 0)) return invalid(name, "std", int(c), "must be > 0", raw.std[c]);
  }
  if (!(raw.epsilon >= 0) || !std::isfinite(raw.epsilon))
    return invalid(name, "epsilon", -1, "must be finite and >= 0", raw.epsilon);

  pixnorm_stats_values v{};
  v.channel_order = raw.order;
  v.channels = uint32_t(n);
  v.rescale = raw.rescale;
  for (size_t c = 0; c < n; ++c) {
    v.mean[c] = raw.mean[c];
    v.std[c] = raw.std_count ? raw.std[c] : 1.0;
  }
  v.epsilon = raw.epsilon;
  v.has_std = raw.std_count != 0;
  *out = v;
  return PIXNORM_OK;
}


// ---------------------------------------------------------------- the preprocess section

const char* const kInterpNames[] = {"bilinear",         "area",            "nearest",          "pil-nearest",
                                    "pil-box",          "pil-bilinear",    "pil-hamming",      "pil-bicubic",
                                    "pil-lanczos",      "cv-linear-exact", "cv-cubic",         "torch-bilinear-aa",
                                    "torch-bicubic-aa", "torch-bicubic"};
static_assert(sizeof(kInterpNames) / sizeof(kInterpNames[0]) == PIXNORM_INTERP_TORCH_BICUBIC + 1,
              "a name for every interpolation");
const char* const kRoundingNames[] = {"round", "floor"};

namespace {
// Reads an enum through its bits: a C caller may pass any value.
template <typename E>
long long enum_value(const E& e) {
  std::underlying_type_t<E> bits;
  std::memcpy(&bits, &e, sizeof(bits));
  return static_cast<long long>(bits);
}

}  // namespace

// The rules a recipe obeys, whether read from a file or given by a caller.
pixnorm_status validate_recipe(const pixnorm_recipe& r, const char* name) {
  if (r.version != 1)
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"preprocess.version\": unsupported version %u (expected 1)",
                name, r.version);
  const long long interp = enum_value(r.interp), rounding = enum_value(r.crop_rounding);
  if (interp < 0 || interp > PIXNORM_INTERP_TORCH_BICUBIC)
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"preprocess.interp\": unknown interpolation %lld", name,
                interp);
  if (rounding < 0 || rounding > PIXNORM_CROP_FLOOR)
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"preprocess.crop_rounding\": unknown rounding %lld", name,
                rounding);
  const struct {
    const char* field;
    uint32_t a, b;
  } pairs[] = {{"resize", r.resize_width, r.resize_height}, {"crop", r.crop_width, r.crop_height}};
  for (const auto& p : pairs) {
    if ((p.a == 0) != (p.b == 0))
      return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"preprocess.%s\": width and height must both be set, got %ux%u",
                  name, p.field, p.a, p.b);
    if (p.a > PIXNORM_MAX_DIMENSION || p.b > PIXNORM_MAX_DIMENSION)
      return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"preprocess.%s\": %ux%u is over %u", name, p.field, p.a,
                  p.b, PIXNORM_MAX_DIMENSION);
  }
  if (r.resize_short > PIXNORM_MAX_DIMENSION)
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"preprocess.resize_short\": %u is over %u", name,
                r.resize_short, PIXNORM_MAX_DIMENSION);
  if (r.resize_short != 0 && r.resize_width != 0)
    return fail(PIXNORM_ERROR_INVALID_STATS,
                "%s: field \"preprocess.resize_short\": give either \"resize\" or \"resize_short\", not both", name);
  if (r.resize_width != 0 && r.crop_width != 0 && (r.crop_width != r.resize_width || r.crop_height != r.resize_height))
    return fail(PIXNORM_ERROR_INVALID_STATS,
                "%s: field \"preprocess.crop\": a %ux%u crop after a resize to %ux%u (aspect not kept) is not "
                "supported; only a crop after \"resize_short\", or without a resize",
                name, r.crop_width, r.crop_height, r.resize_width, r.resize_height);
  // The shorter side becomes resize_short: a crop wider and taller than it never fits.
  if (r.resize_short != 0 && r.crop_width > r.resize_short && r.crop_height > r.resize_short)
    return fail(PIXNORM_ERROR_INVALID_STATS,
                "%s: field \"preprocess.crop\": %ux%u is larger than every image resized to a shorter side of %u",
                name, r.crop_width, r.crop_height, r.resize_short);
  return PIXNORM_OK;
}

namespace {

// Reads the "preprocess" object (already validated as JSON) into a recipe.
class RecipeReader {
 public:
  RecipeReader(const Member& m, const char* name) : m_(m), name_(name) {}

  pixnorm_status read(pixnorm_recipe* r) {
    *r = pixnorm_recipe{};
    r->interp = PIXNORM_INTERP_BILINEAR;
    if (kind_of(*m_.begin) != Kind::kObject)
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"preprocess\": expected an object, got %s", name_,
                  kind_name(kind_of(*m_.begin)));
    std::vector<Member> members;
    members_of(m_.begin, m_.end, &members);
    bool has_version = false, has_interp = false;
    for (const Member& f : members) has_version |= f.key == "version";
    // The version is checked first so that a newer recipe is reported as such, not by its fields.
    if (!has_version) return fail(PIXNORM_ERROR_PARSE, "%s: field \"preprocess\": missing \"version\"", name_);
    for (const Member& f : members)
      if (f.key == "version") {
        std::string text(f.begin, f.end);
        if (kind_of(*f.begin) != Kind::kNumber || text.find_first_of(".eE-") != std::string::npos)
          return fail(PIXNORM_ERROR_PARSE, "%s: field \"preprocess.version\": expected a positive integer, got %.64s",
                      name_, text.c_str());
        if (text != "1")
          return fail(PIXNORM_ERROR_PARSE,
                      "%s: field \"preprocess.version\": version %.64s is not supported; this pixnorm reads version 1",
                      name_, text.c_str());
        r->version = 1;
      }
    for (const Member& f : members) {
      const std::string& k = f.key;
      pixnorm_status st = PIXNORM_OK;
      if (k == "version") {
        continue;
      } else if (k == "resize") {
        st = size_pair(f, &r->resize_width, &r->resize_height);
      } else if (k == "crop") {
        st = size_pair(f, &r->crop_width, &r->crop_height);
      } else if (k == "resize_short") {
        st = size(f, "preprocess.resize_short", f.begin, f.end, &r->resize_short);
      } else if (k == "interp") {
        has_interp = true;
        int i = 0;
        st = choice(f, kInterpNames, PIXNORM_INTERP_TORCH_BICUBIC + 1, &i);
        r->interp = pixnorm_interp(i);
      } else if (k == "crop_rounding") {
        int i = 0;
        st = choice(f, kRoundingNames, 2, &i);
        r->crop_rounding = pixnorm_crop_rounding(i);
      } else if (k == "exif") {
        static const char* const kExif[] = {"ignore"};
        int i = 0;
        st = choice(f, kExif, 1, &i);
      } else if (k == "convert") {
        static const char* const kConvert[] = {"RGB"};
        int i = 0;
        st = choice(f, kConvert, 1, &i);
      } else {
        return fail(PIXNORM_ERROR_PARSE,
                    "%s: field \"preprocess.%.64s\": unknown field (known: version, resize, resize_short, interp, "
                    "crop, crop_rounding, exif, convert)",
                    name_, k.c_str());
      }
      if (st != PIXNORM_OK) return st;
    }
    if (!has_interp && (r->resize_width != 0 || r->resize_short != 0))
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"preprocess.interp\": required with a resize", name_);
    // The rounding places a crop: without one it has no effect, and the writer leaves it out, so it
    // reads as the default (the file then reads back as it was written).
    if (r->crop_width == 0) r->crop_rounding = PIXNORM_CROP_ROUND;
    return validate_recipe(*r, name_);
  }

 private:
  // The members of a validated object, in order.
  void members_of(const char* b, const char* e, std::vector<Member>* out) {
    Reader r(b + 1, e, name_);
    for (;;) {
      r.ws();
      if (*r.pos() == '}') return;
      Member f{};
      r.string(&f.key);
      r.ws();
      r.advance();  // ':'
      r.ws();
      f.begin = r.pos();
      r.value(3);
      f.end = r.pos();
      out->push_back(std::move(f));
      r.ws();
      if (*r.pos() == ',') r.advance();
    }
  }

  pixnorm_status size(const Member& f, const std::string& field, const char* b, const char* e, uint32_t* out) {
    const std::string text(b, e);
    if (kind_of(*b) != Kind::kNumber || text.find_first_of(".eE-") != std::string::npos)
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"%s\": expected an integer from 1 to %u, got %.64s", name_,
                  field.c_str(), PIXNORM_MAX_DIMENSION, text.c_str());
    (void)f;
    if (text.size() > 6 || std::stoul(text) == 0 || std::stoul(text) > PIXNORM_MAX_DIMENSION)
      return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"%s\": %.64s is out of range (1 to %u)", name_,
                  field.c_str(), text.c_str(), PIXNORM_MAX_DIMENSION);
    *out = static_cast<uint32_t>(std::stoul(text));
    return PIXNORM_OK;
  }

  pixnorm_status size_pair(const Member& f, uint32_t* w, uint32_t* h) {
    const std::string field = "preprocess." + f.key;
    if (kind_of(*f.begin) != Kind::kObject)
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"%s\": expected an object {\"width\": W, \"height\": H}, got %s",
                  name_, field.c_str(), kind_name(kind_of(*f.begin)));
    std::vector<Member> members;
    members_of(f.begin, f.end, &members);
    bool seen_w = false, seen_h = false;
    for (const Member& s : members) {
      const bool is_w = s.key == "width";
      if (!is_w && s.key != "height")
        return fail(PIXNORM_ERROR_PARSE, "%s: field \"%s.%.64s\": unknown field (width and height only)", name_,
                    field.c_str(), s.key.c_str());
      pixnorm_status st = size(s, field + "." + s.key, s.begin, s.end, is_w ? w : h);
      if (st != PIXNORM_OK) return st;
      (is_w ? seen_w : seen_h) = true;
    }
    if (!seen_w || !seen_h)
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"%s\": missing \"%s\"", name_, field.c_str(),
                  seen_w ? "height" : "width");
    return PIXNORM_OK;
  }

  pixnorm_status choice(const Member& f, const char* const* names, int n, int* out) {
    const std::string field = "preprocess." + f.key;
    std::string valid;
    for (int i = 0; i < n; ++i) valid += std::string(i ? ", " : "") + names[i];
    if (kind_of(*f.begin) != Kind::kString)
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"%s\": expected a string (%s), got %s", name_, field.c_str(),
                  valid.c_str(), kind_name(kind_of(*f.begin)));
    std::string text;
    Reader r(f.begin, f.end, name_);
    r.string(&text);
    for (int i = 0; i < n; ++i)
      if (text == names[i]) {
        *out = i;
        return PIXNORM_OK;
      }
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"%s\": unknown value \"%.64s\" (valid: %s)", name_,
                field.c_str(), text.c_str(), valid.c_str());
  }

  const Member& m_;
  const char* name_;
};

}  // namespace

pixnorm_status read_recipe(const Member& m, const char* name, pixnorm_recipe* r) {
  return RecipeReader(m, name).read(r);
}

pixnorm_status check_values(const pixnorm_stats_values* values, pixnorm_stats** out) {
  const char* name = "<values>";
  // Read as an integer: a C caller may pass any value, which is not a valid C++ enum value.
  std::underlying_type_t<pixnorm_channel_order> order_bits;
  std::memcpy(&order_bits, &values->channel_order, sizeof(order_bits));
  const long long order = order_bits;
  if (order < 0 || order > PIXNORM_ORDER_GRAY)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "%s: field \"channel_order\": invalid value %lld", name, order);
  if (values->channels != 1 && values->channels != 3)
    return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"channels\": must be 1 or 3, got %u", name,
                values->channels);
  Raw raw;
  raw.order = values->channel_order;
  raw.rescale = values->rescale;
  raw.mean_count = values->channels;
  raw.std_count = values->has_std ? values->channels : 0;
  for (uint32_t c = 0; c < values->channels; ++c) {
    raw.mean[c] = values->mean[c];
    raw.std[c] = values->std[c];
  }
  raw.epsilon = values->epsilon;
  pixnorm_stats_values canonical;
  pixnorm_status status = validate(raw, name, &canonical);
  if (status != PIXNORM_OK) return status;
  *out = new pixnorm_stats{canonical, {}, pixnorm_recipe{}};
  return PIXNORM_OK;
}

}  // namespace pixnorm
