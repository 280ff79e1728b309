// Statistics files: a strict, bounded JSON reader, validation, presets and atomic saving.
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.h"
#include "geometry.h"
#include "output_target.h"
#include "pixnorm/pixnorm.h"

using pixnorm::fail;

struct pixnorm_stats {
  pixnorm_stats_values values;  // as pixnorm_stats_get reports them
  std::vector<std::pair<std::string, std::string>> extra;  // key (decoded), raw JSON value
  pixnorm_recipe recipe;  // version 0: none
};

namespace {

constexpr int kMaxDepth = 64;
constexpr const char* kKnownKeys[] = {"format", "version", "channel_order", "rescale",
                                      "mean",   "std",     "epsilon", "preprocess"};
constexpr const char* kOrderNames[] = {"RGB", "BGR", "GRAY"};

bool is_known_key(const std::string& key) {
  for (const char* k : kKnownKeys)
    if (key == k) return true;
  return false;
}

// Shortest text that reads back as the same double; "nan"/"inf" for messages.
const char* format_double(double v, char (&buf)[32]) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, v);
  *r.ptr = '\0';
  return buf;
}

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). Returns the offset of the
// first bad byte, or `size` when valid.
size_t utf8_invalid_at(const unsigned char* s, size_t size) {
  size_t i = 0;
  while (i < size) {
    unsigned c = s[i];
    if (c < 0x80) { ++i; continue; }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return i;
    if (size - i <= n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k <= n; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += n + 1;
  }
  return size;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", c);
      out += esc;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

enum class Kind { kObject, kArray, kString, kNumber, kLiteral, kBad };

Kind kind_of(char c) {
  switch (c) {
    case '{': return Kind::kObject;
    case '[': return Kind::kArray;
    case '"': return Kind::kString;
    case 't': case 'f': case 'n': return Kind::kLiteral;
    default: return (c == '-' || (c >= '0' && c <= '9')) ? Kind::kNumber : Kind::kBad;
  }
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kObject: return "an object";
    case Kind::kArray: return "an array";
    case Kind::kString: return "a string";
    case Kind::kNumber: return "a number";
    case Kind::kLiteral: return "true, false or null";
    case Kind::kBad: break;
  }
  return "invalid JSON";
}

struct Member {
  std::string key;
  const char* begin;  // raw value text
  const char* end;
};

// A validating JSON reader over a buffer that need not be NUL-terminated. Recursion is
// bounded by kMaxDepth and every step consumes input, so time is linear in the size
// (plus the logarithmic cost of duplicate-key checks).
class Reader {
 public:
  Reader(const char* begin, const char* end, const char* name)
      : begin_(begin), p_(begin), end_(end), name_(name) {}

  // Parses the whole buffer as one object; its members go to `members` in order.
  pixnorm_status top_object(std::vector<Member>& members) {
    ws();
    if (p_ == end_) {
      error(p_, "no JSON value (the file is empty or blank)");
      return status_;
    }
    if (*p_ != '{') {
      error(p_, "the top level must be a JSON object");
      return status_;
    }
    ++p_;
    std::set<std::string> keys;
    ws();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        Member m{};
        if (!member_key(keys, &m.key)) return status_;
        field_ = &m.key;
        ws();
        m.begin = p_;
        if (!value(2)) return status_;
        m.end = p_;
        field_ = nullptr;
        members.push_back(std::move(m));
        if (!after_item('}')) return status_;
        if (p_[-1] == '}') break;
      }
    }
    ws();
    if (p_ != end_) {
      error(p_, "unexpected data after the JSON object");
      return status_;
    }
    return PIXNORM_OK;
  }

  // Parses exactly one value spanning the buffer (surrounding whitespace allowed),
  // nested as if it were a member of the top-level object.
  pixnorm_status single_value(const char** vbegin, const char** vend) {
    ws();
    if (p_ == end_) {
      error(p_, "no JSON value");
      return status_;
    }
    *vbegin = p_;
    if (!value(2)) return status_;
    *vend = p_;
    ws();
    if (p_ != end_) {
      error(p_, "unexpected data after the JSON value");
      return status_;
    }
    return PIXNORM_OK;
  }

  // Reads the string at p_, decoding it into `out` when given.
  bool string(std::string* out) {
    const char* start = p_++;
    for (;;) {
      if (p_ == end_) return error(start, "unterminated string");
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') { ++p_; return true; }
      if (c < 0x20) return error(p_, "control character in a string (it must be escaped)");
      if (c != '\\') {
        if (out) *out += char(c);
        ++p_;
        continue;
      }
      const char* esc = p_++;
      if (p_ == end_) return error(start, "unterminated string");
      char e = *p_++;
      static const char kEscapes[] = "\"\\/bfnrt", kDecoded[] = "\"\\/\b\f\n\r\t";
      if (const char* simple = e ? std::strchr(kEscapes, e) : nullptr) {
        if (out) *out += kDecoded[simple - kEscapes];
        continue;
      }
      if (e != 'u') return error(esc, "invalid escape sequence in a string");
      unsigned cp = 0;
      if (!hex4(esc, &cp)) return false;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return error(esc, "unpaired surrogate in a \\u escape");
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low = 0;
        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
          return error(esc, "unpaired surrogate in a \\u escape");
        p_ += 2;
        if (!hex4(esc, &low)) return false;
        if (low < 0xDC00 || low > 0xDFFF) return error(esc, "unpaired surrogate in a \\u escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      if (out) append_utf8(*out, cp);
    }
  }

  // Checks the number grammar at p_; stores the token span.
  bool number(const char** tbegin) {
    const char* start = p_;
    *tbegin = start;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ < end_ && (*p_ == 'I' || *p_ == 'N')) return bad_literal(start);
    if (p_ == end_ || !digit(*p_)) return error(start, "invalid number");
    if (*p_++ != '0')
      while (p_ < end_ && digit(*p_)) ++p_;
    else if (p_ < end_ && digit(*p_))
      return error(start, "invalid number (leading zero)");
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !digit(*p_)) return error(start, "invalid number (no digit after '.')");
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !digit(*p_)) return error(start, "invalid number (no digit in the exponent)");
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    return true;
  }

  bool value(int depth) {
    if (p_ == end_) return error(p_, "unexpected end of input, expected a value");
    switch (kind_of(*p_)) {
      case Kind::kString: return string(nullptr);
      case Kind::kNumber: { const char* t; return number(&t); }
      case Kind::kLiteral: return literal();
      case Kind::kObject: case Kind::kArray: return container(depth);
      case Kind::kBad: break;
    }
    if (*p_ == 'N' || *p_ == 'I') return bad_literal(p_);
    return error(p_, "expected a value");
  }

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  const char* pos() const { return p_; }
  void advance() { ++p_; }
  pixnorm_status status() const { return status_; }

  // Formats "name: line L, column C: message" (and the top-level field when inside one).
  bool error(const char* at, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
    size_t line = 1, column = 1;
    for (const char* q = begin_; q < at; ++q) {
      if (*q == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(*q) & 0xC0) != 0x80) {
        ++column;
      }
    }
    char message[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    if (field_)
      status_ = fail(PIXNORM_ERROR_PARSE, "%s: line %zu, column %zu: %s (in field \"%.64s\")", name_, line,
                     column, message, field_->c_str());
    else
      status_ = fail(PIXNORM_ERROR_PARSE, "%s: line %zu, column %zu: %s", name_, line, column, message);
    return false;
  }

 private:
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool bad_literal(const char* at) {
    return error(at, "NaN and Infinity are not valid JSON numbers");
  }

  bool literal() {
    for (const char* word : {"true", "false", "null"}) {
      size_t n = std::strlen(word);
      if (size_t(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
        p_ += n;
        return true;
      }
    }
    return error(p_, "expected a value");
  }

  bool hex4(const char* esc, unsigned* out) {
    if (end_ - p_ < 4) return error(esc, "invalid \\u escape (needs 4 hex digits)");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      unsigned d;
      if (c >= '0' && c <= '9') d = unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = unsigned(c - 'A' + 10);
      else return error(esc, "invalid \\u escape (needs 4 hex digits)");
      v = v * 16 + d;
    }
    *out = v;
    return true;
  }

  bool member_key(std::set<std::string>& keys, std::string* key) {
    ws();
    if (p_ == end_ || *p_ != '"') return error(p_, "expected a string key");
    const char* at = p_;
    if (!string(key)) return false;
    if (!keys.insert(*key).second) return error(at, "duplicate key \"%.64s\"", key->c_str());
    ws();
    if (p_ == end_ || *p_ != ':') return error(p_, "expected ':'");
    ++p_;
    return true;
  }

  // After an item: consumes ',' (more follow) or `close`; false on anything else.
  bool after_item(char close) {
    ws();
    if (p_ < end_ && (*p_ == ',' || *p_ == close)) {
      ++p_;
      return true;
    }
    return error(p_, "expected ',' or '%c'", close);
  }

  bool container(int depth) {
    if (depth > kMaxDepth) return error(p_, "nesting deeper than %d levels", kMaxDepth);
    char close = *p_ == '{' ? '}' : ']';
    ++p_;
    std::set<std::string> keys;
    ws();
    if (p_ < end_ && *p_ == close) {
      ++p_;
      return true;
    }
    for (;;) {
      if (close == '}') {
        std::string key;
        if (!member_key(keys, &key)) return false;
      }
      ws();
      if (!value(depth + 1) || !after_item(close)) return false;
      if (p_[-1] == close) return true;
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const char* name_;
  const std::string* field_ = nullptr;
  pixnorm_status status_ = PIXNORM_OK;
};

// Converts a number token known to match the JSON grammar. Overflow yields +-inf (then
// rejected as not finite); underflow yields +-0, as strtod does.
double to_double(const char* b, const char* e) {
  double v = 0;
  auto r = std::from_chars(b, e, v);
  if (r.ec != std::errc::result_out_of_range) return v;
  bool negative = *b == '-';
  if (negative) ++b;
  // Decimal magnitude: position of the first significant digit relative to the point, plus
  // the exponent; out of range with a positive magnitude can only mean overflow.
  long magnitude = 0;
  bool seen = false, after_point = false;
  const char* q = b;
  for (; q < e && *q != 'e' && *q != 'E'; ++q) {
    if (*q == '.') { after_point = true; continue; }
    if (!seen && *q == '0') { if (after_point) --magnitude; continue; }
    if (!seen) { seen = true; if (!after_point) magnitude = 1; }
    else if (!after_point) ++magnitude;
    if (magnitude > 100000) magnitude = 100000;
  }
  long exponent = 0;
  if (q < e) {
    ++q;
    bool eneg = *q == '-';
    if (*q == '+' || *q == '-') ++q;
    for (; q < e; ++q) exponent = exponent < 100000000 ? exponent * 10 + (*q - '0') : exponent;
    if (eneg) exponent = -exponent;
  }
  double big = magnitude + exponent > 0 ? HUGE_VAL : 0.0;
  return negative ? -big : big;
}

// The numbers of a file or a values struct, before validation.
struct Raw {
  pixnorm_channel_order order = PIXNORM_ORDER_RGB;
  double rescale = 0;
  double mean[PIXNORM_MAX_CHANNELS] = {0, 0, 0};
  double std[PIXNORM_MAX_CHANNELS] = {1, 1, 1};
  size_t mean_count = 0, std_count = 0;  // std_count 0: no std
  double epsilon = 0;
};

pixnorm_status invalid(const char* name, const char* field, int index, const char* what, double v) {
  char buf[32];
  char at[16] = "";
  if (index >= 0) std::snprintf(at, sizeof(at), "[%d]", index);
  return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"%s\"%s: %s, got %s", name, field, at, what,
              format_double(v, buf));
}

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

constexpr const char* kInterpNames[] = {"bilinear",        "area",           "nearest",          "pil-nearest",
                                        "pil-box",         "pil-bilinear",   "pil-hamming",      "pil-bicubic",
                                        "pil-lanczos",     "cv-linear-exact", "cv-cubic",        "torch-bilinear-aa",
                                        "torch-bicubic-aa", "torch-bicubic"};
static_assert(sizeof(kInterpNames) / sizeof(kInterpNames[0]) == PIXNORM_INTERP_TORCH_BICUBIC + 1,
              "a name for every interpolation");
constexpr const char* kRoundingNames[] = {"round", "floor"};

// Reads an enum through its bits: a C caller may pass any value.
template <typename E>
long long enum_value(const E& e) {
  std::underlying_type_t<E> bits;
  std::memcpy(&bits, &e, sizeof(bits));
  return static_cast<long long>(bits);
}

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

void append_recipe(std::string& out, const pixnorm_recipe& r) {
  auto u = [](uint32_t v) { return std::to_string(v); };
  out += "{\"version\": 1";
  if (r.resize_width) out += ", \"resize\": {\"width\": " + u(r.resize_width) + ", \"height\": " + u(r.resize_height) + "}";
  if (r.resize_short) out += ", \"resize_short\": " + u(r.resize_short);
  out += ", \"interp\": \"";
  out += kInterpNames[r.interp];
  out += '"';
  if (r.crop_width) {
    out += ", \"crop\": {\"width\": " + u(r.crop_width) + ", \"height\": " + u(r.crop_height) + "}";
    out += ", \"crop_rounding\": \"";
    out += kRoundingNames[r.crop_rounding];
    out += '"';
  }
  out += ", \"exif\": \"ignore\", \"convert\": \"RGB\"}";
}

// Interprets the known members of a parsed file.
class Fields {
 public:
  Fields(const std::vector<Member>& members, const char* name) : members_(members), name_(name) {}

  // Fields are checked in file-format order, so that a file from a newer version is reported
  // as such rather than by whatever its layout lacks.
  pixnorm_status read(Raw* raw, pixnorm_recipe* recipe) {
    std::string text;
    const Member* m = require("format");
    if (!m || !string_field(*m, &text)) return status_;
    if (text != "pixnorm-stats")
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"format\": expected \"pixnorm-stats\", got \"%.64s\"",
                  name_, text.c_str());

    if (!(m = require("version"))) return status_;
    if (kind_of(*m->begin) != Kind::kNumber) {
      wrong_type(*m, -1, "the integer 1", m->begin);
      return status_;
    }
    const std::string version(m->begin, m->end);
    if (version.find_first_of(".eE") != std::string::npos)
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"version\": must be an integer, got %.64s", name_,
                  version.c_str());
    if (version != "1") {
      if (version[0] != '-' && version != "0")
        return fail(PIXNORM_ERROR_PARSE,
                    "%s: field \"version\": version %.64s is from a newer pixnorm; this one reads version 1",
                    name_, version.c_str());
      return fail(PIXNORM_ERROR_PARSE, "%s: field \"version\": unsupported version %.64s (expected 1)", name_,
                  version.c_str());
    }

    if (!(m = require("channel_order")) || !string_field(*m, &text)) return status_;
    int order = 0;
    while (order < 3 && text != kOrderNames[order]) ++order;
    if (order == 3)
      return fail(PIXNORM_ERROR_INVALID_STATS,
                  "%s: field \"channel_order\": must be \"RGB\", \"BGR\" or \"GRAY\", got \"%.64s\"", name_,
                  text.c_str());
    raw->order = pixnorm_channel_order(order);

    if (!(m = require("rescale")) || !number_field(*m, &raw->rescale)) return status_;
    if (!(m = require("mean")) || !list_field(*m, raw->mean, &raw->mean_count)) return status_;
    if ((m = find("std"))) {
      if (!list_field(*m, raw->std, &raw->std_count)) return status_;
      if (raw->std_count == 0)
        return fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"std\": must have 1 or 3 values, got 0", name_);
    }
    if ((m = find("epsilon")) && !number_field(*m, &raw->epsilon)) return status_;
    *recipe = pixnorm_recipe{};
    if ((m = find("preprocess"))) return RecipeReader(*m, name_).read(recipe);
    return PIXNORM_OK;
  }

 private:
  const Member* find(const char* key) const {
    for (const Member& m : members_)
      if (m.key == key) return &m;
    return nullptr;
  }

  const Member* require(const char* key) {
    const Member* m = find(key);
    if (!m) status_ = fail(PIXNORM_ERROR_PARSE, "%s: missing required field \"%s\"", name_, key);
    return m;
  }

  bool wrong_type(const Member& m, int index, const char* expected, const char* at) {
    char idx[16] = "";
    if (index >= 0) std::snprintf(idx, sizeof(idx), "[%d]", index);
    status_ = fail(PIXNORM_ERROR_PARSE, "%s: field \"%s\"%s: expected %s, got %s", name_, m.key.c_str(), idx,
                   expected, kind_name(kind_of(*at)));
    return false;
  }

  bool string_field(const Member& m, std::string* out) {
    if (kind_of(*m.begin) != Kind::kString) return wrong_type(m, -1, "a string", m.begin);
    out->clear();
    Reader r(m.begin, m.end, name_);
    return r.string(out);  // cannot fail: the text was validated
  }

  // Converts a number token; a magnitude beyond double is refused here, where the text is known.
  bool convert(const Member& m, int index, const char* b, const char* e, double* out) {
    *out = to_double(b, e);
    if (std::isfinite(*out)) return true;
    char idx[16] = "";
    if (index >= 0) std::snprintf(idx, sizeof(idx), "[%d]", index);
    status_ = fail(PIXNORM_ERROR_INVALID_STATS, "%s: field \"%s\"%s: %.*s is out of range for a double", name_,
                   m.key.c_str(), idx, int(e - b > 64 ? 64 : e - b), b);
    return false;
  }

  bool number_field(const Member& m, double* out) {
    if (kind_of(*m.begin) != Kind::kNumber) return wrong_type(m, -1, "a number", m.begin);
    return convert(m, -1, m.begin, m.end, out);
  }

  // A number or an array of numbers; counts past 3 are counted, not stored.
  bool list_field(const Member& m, double* out, size_t* count) {
    *count = 0;
    if (kind_of(*m.begin) == Kind::kNumber) {
      *count = 1;
      return number_field(m, out);
    }
    if (kind_of(*m.begin) != Kind::kArray) return wrong_type(m, -1, "a number or an array of numbers", m.begin);
    Reader r(m.begin + 1, m.end, name_);
    for (;;) {
      r.ws();
      if (*r.pos() == ']') return true;
      const char* tb = r.pos();
      if (kind_of(*tb) != Kind::kNumber) return wrong_type(m, int(*count), "a number", tb);
      r.number(&tb);
      double v;
      if (!convert(m, int(*count), tb, r.pos(), &v)) return false;
      if (*count < PIXNORM_MAX_CHANNELS) out[*count] = v;
      ++*count;
      r.ws();
      if (*r.pos() == ',') r.advance();
    }
  }

  const std::vector<Member>& members_;
  const char* name_;
  pixnorm_status status_ = PIXNORM_ERROR_PARSE;
};

pixnorm_status parse_buffer(const char* json, size_t size, const char* name, pixnorm_stats** out) {
  if (size == 0) return fail(PIXNORM_ERROR_PARSE, "%s: empty file", name);
  if (size > PIXNORM_MAX_STATS_BYTES)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s: %zu bytes, over the limit of %u bytes", name, size,
                PIXNORM_MAX_STATS_BYTES);
  const char* begin = json;
  const char* end = json + size;
  if (size >= 3 && std::memcmp(begin, "\xEF\xBB\xBF", 3) == 0) begin += 3;  // a BOM is tolerated
  Reader reader(begin, end, name);
  size_t bad = utf8_invalid_at(reinterpret_cast<const unsigned char*>(begin), size_t(end - begin));
  if (bad != size_t(end - begin)) {
    reader.error(begin + bad, "invalid UTF-8");
    return reader.status();
  }
  std::vector<Member> members;
  pixnorm_status status = reader.top_object(members);
  if (status != PIXNORM_OK) return status;
  Raw raw;
  pixnorm_recipe recipe;
  if ((status = Fields(members, name).read(&raw, &recipe)) != PIXNORM_OK) return status;
  pixnorm_stats_values values;
  if ((status = validate(raw, name, &values)) != PIXNORM_OK) return status;

  std::unique_ptr<pixnorm_stats> stats(new pixnorm_stats{values, {}, recipe});
  for (const Member& m : members)
    if (!is_known_key(m.key)) stats->extra.emplace_back(m.key, std::string(m.begin, m.end));
  *out = stats.release();
  return PIXNORM_OK;
}

void append_number(std::string& out, double v) {
  char buf[32];
  out += format_double(v, buf);
}

void append_list(std::string& out, const double* v, uint32_t n) {
  out += '[';
  for (uint32_t c = 0; c < n; ++c) {
    if (c) out += ", ";
    append_number(out, v[c]);
  }
  out += ']';
}

std::string serialize(const pixnorm_stats& s) {
  const pixnorm_stats_values& v = s.values;
  std::string out = "{\n  \"format\": \"pixnorm-stats\",\n  \"version\": 1,\n  \"channel_order\": \"";
  out += kOrderNames[v.channel_order];
  out += "\",\n  \"rescale\": ";
  append_number(out, v.rescale);
  out += ",\n  \"mean\": ";
  append_list(out, v.mean, v.channels);
  if (v.has_std) {
    out += ",\n  \"std\": ";
    append_list(out, v.std, v.channels);
  }
  out += ",\n  \"epsilon\": ";
  append_number(out, v.epsilon);
  if (s.recipe.version != 0) {
    out += ",\n  \"preprocess\": ";
    append_recipe(out, s.recipe);
  }
  for (const auto& field : s.extra) {
    out += ",\n  ";
    append_json_string(out, field.first);
    out += ": ";
    out += field.second;
  }
  out += "\n}\n";
  return out;
}

// Closes a descriptor on every path out of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

pixnorm_status read_file(const char* path, std::string* data) {
  Fd file{::open(path, O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return fail(PIXNORM_ERROR_IO, "%s: cannot open: %s", path, std::strerror(errno));
  struct stat st;
  const int err = ::fstat(file.fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (err) return fail(PIXNORM_ERROR_IO, "%s: cannot read: %s", path, std::strerror(err));
  if (S_ISREG(st.st_mode) && uint64_t(st.st_size) > PIXNORM_MAX_STATS_BYTES)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s: %llu bytes, over the limit of %u bytes", path,
                (unsigned long long)st.st_size, PIXNORM_MAX_STATS_BYTES);
  // Reads up to one byte past the limit, as the size of a non-regular file is not known.
  data->resize(PIXNORM_MAX_STATS_BYTES + 1);
  size_t got = 0;
  while (got < data->size()) {
    ssize_t n = ::read(file.fd, &(*data)[got], data->size() - got);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(PIXNORM_ERROR_IO, "%s: cannot read: %s", path, std::strerror(errno));
    got += size_t(n);
  }
  if (got > PIXNORM_MAX_STATS_BYTES)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s: over the limit of %u bytes", path, PIXNORM_MAX_STATS_BYTES);
  data->resize(got);
  return PIXNORM_OK;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

pixnorm_status save(const pixnorm_stats& stats, const char* path) {
  const std::string data = serialize(stats);
  pixnorm_output::Target target;
  const char* why = nullptr;
  if (const int err = pixnorm_output::resolve(path, &target, &why))
    return fail(PIXNORM_ERROR_IO, "%s: %s", path, why ? why : std::strerror(err));
  if (target.kind != pixnorm_output::Target::kReplace) {
    // A device, a FIFO or an inherited descriptor: written in place, as there is no file to
    // replace (renaming over /dev/null would turn it into a regular file).
    const bool own = target.kind == pixnorm_output::Target::kDirect;
    const int fd = own ? ::open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY) : target.fd;
    if (fd < 0) return fail(PIXNORM_ERROR_IO, "%s: cannot open: %s", path, std::strerror(errno));
    bool ok = write_all(fd, data);
    int err = errno;
    if (own && ::close(fd) != 0 && ok) {
      ok = false;
      err = errno;
    }
    if (!ok) return fail(PIXNORM_ERROR_IO, "%s: cannot write: %s", path, std::strerror(err));
    return PIXNORM_OK;
  }
  const std::string& file = target.path;  // a symbolic link's target: the link stays
  std::string temp;
  int fd = pixnorm_output::create_temp(file, &temp);
  if (fd < 0)
    return fail(PIXNORM_ERROR_IO, "%s: cannot create a temporary file in %s: %s", path,
                pixnorm_output::directory_of(file).c_str(), std::strerror(errno));
  // Replacing a file keeps its permissions.
  struct stat st;
  if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) (void)::fchmod(fd, st.st_mode & 07777);
  const char* step = nullptr;
  if (!write_all(fd, data)) step = "write";
  else if (::fsync(fd) != 0) step = "sync";
  int err = errno;
  if (::close(fd) != 0 && !step) {
    step = "close";
    err = errno;
  }
  if (!step && ::rename(temp.c_str(), file.c_str()) != 0) {
    step = "rename";
    err = errno;
  }
  if (step) {
    ::unlink(temp.c_str());
    return fail(PIXNORM_ERROR_IO, "%s: cannot %s: %s", path, step, std::strerror(err));
  }
  // Makes the rename itself durable; a failure here loses nothing already written.
  int dfd = ::open(pixnorm_output::directory_of(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return PIXNORM_OK;
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

// Runs an entry point's body; nothing may escape to a C caller, and the only exceptions
// the body can raise come from allocation.
template <typename Body>
pixnorm_status guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

}  // namespace

extern "C" {

pixnorm_status pixnorm_stats_parse(const char* json, size_t size, const char* name, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_parse: out is NULL");
  *out = nullptr;
  if (!name) name = "<memory>";
  if (!json && size) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_parse: json is NULL");
  return guarded([&] {
    return parse_buffer(json, size, name, out);
  });
}

pixnorm_status pixnorm_stats_load(const char* path, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_load: out is NULL");
  *out = nullptr;
  if (!path) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_load: path is NULL");
  return guarded([&] {
    std::string data;
    pixnorm_status status = read_file(path, &data);
    if (status != PIXNORM_OK) return status;
    return parse_buffer(data.data(), data.size(), path, out);
  });
}

pixnorm_status pixnorm_stats_preset(const char* name, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_preset: out is NULL");
  *out = nullptr;
  if (!name) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_preset: name is NULL");
  pixnorm_stats_values v{};
  v.channel_order = PIXNORM_ORDER_RGB;
  v.channels = 3;
  v.has_std = 1;
  if (std::strcmp(name, "imagenet") == 0) {
    v.rescale = 1.0 / 255.0;
    const double mean[] = {0.485, 0.456, 0.406}, std[] = {0.229, 0.224, 0.225};
    std::memcpy(v.mean, mean, sizeof(mean));
    std::memcpy(v.std, std, sizeof(std));
  } else if (std::strcmp(name, "tf") == 0) {
    v.rescale = 1.0 / 127.5;
    v.channels = 1;
    v.mean[0] = 1;
    v.std[0] = 1;
  } else if (std::strcmp(name, "caffe") == 0) {
    v.channel_order = PIXNORM_ORDER_BGR;
    v.rescale = 1;
    const double mean[] = {103.939, 116.779, 123.68};
    std::memcpy(v.mean, mean, sizeof(mean));
    v.has_std = 0;
  } else if (std::strcmp(name, "unit") == 0) {
    v.rescale = 1.0 / 255.0;
    v.channels = 1;
    v.mean[0] = 0;
    v.std[0] = 1;
  } else {
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                "unknown statistics preset \"%.64s\" (valid: imagenet, tf, caffe, unit)", name);
  }
  return guarded([&] {
    return check_values(&v, out);
  });
}

pixnorm_status pixnorm_stats_create(const pixnorm_stats_values* values, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_create: out is NULL");
  *out = nullptr;
  if (!values) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_create: values is NULL");
  return guarded([&] {
    return check_values(values, out);
  });
}

void pixnorm_stats_free(pixnorm_stats* stats) { delete stats; }

pixnorm_status pixnorm_stats_get(const pixnorm_stats* stats, pixnorm_stats_values* out) {
  pixnorm::clear_error();
  if (!stats || !out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_get: stats or out is NULL");
  *out = stats->values;
  return PIXNORM_OK;
}

pixnorm_status pixnorm_stats_set_field(pixnorm_stats* stats, const char* key, const char* json_value) {
  pixnorm::clear_error();
  if (!stats || !key || !json_value)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_set_field: stats, key or json_value is NULL");
  return guarded([&] {
    const std::string k = key;
    if (is_known_key(k))
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "pixnorm_stats_set_field: field \"%s\" is interpreted by the runtime; it cannot be set", key);
    if (utf8_invalid_at(reinterpret_cast<const unsigned char*>(key), k.size()) != k.size())
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_set_field: the key is not valid UTF-8");
    const size_t n = std::strlen(json_value);
    if (n > PIXNORM_MAX_STATS_BYTES)
      return fail(PIXNORM_ERROR_TOO_LARGE, "field \"%.64s\": value over the limit of %u bytes", key,
                  PIXNORM_MAX_STATS_BYTES);
    char name[96];
    std::snprintf(name, sizeof(name), "field \"%.64s\"", key);
    if (utf8_invalid_at(reinterpret_cast<const unsigned char*>(json_value), n) != n)
      return fail(PIXNORM_ERROR_PARSE, "%s: the value is not valid UTF-8", name);
    Reader reader(json_value, json_value + n, name);
    const char *vb = nullptr, *ve = nullptr;
    pixnorm_status status = reader.single_value(&vb, &ve);
    if (status != PIXNORM_OK) return status;

    // Works on a copy so that a refusal (or an allocation failure) leaves the stats as they were.
    pixnorm_stats updated = *stats;
    auto it = updated.extra.begin();
    while (it != updated.extra.end() && it->first != k) ++it;
    if (it != updated.extra.end())
      it->second.assign(vb, ve);
    else
      updated.extra.emplace_back(k, std::string(vb, ve));
    size_t total = serialize(updated).size();
    if (total > PIXNORM_MAX_STATS_BYTES)
      return fail(PIXNORM_ERROR_TOO_LARGE, "%s: the statistics would take %zu bytes, over the limit of %u", name,
                  total, PIXNORM_MAX_STATS_BYTES);
    stats->extra.swap(updated.extra);
    return PIXNORM_OK;
  });
}

pixnorm_status pixnorm_stats_get_recipe(const pixnorm_stats* stats, pixnorm_recipe* out) {
  pixnorm::clear_error();
  if (!stats || !out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_get_recipe: stats or out is NULL");
  *out = stats->recipe;
  return PIXNORM_OK;
}

pixnorm_status pixnorm_stats_set_recipe(pixnorm_stats* stats, const pixnorm_recipe* recipe) {
  pixnorm::clear_error();
  if (!stats) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_set_recipe: stats is NULL");
  if (!recipe || recipe->version == 0) {
    stats->recipe = pixnorm_recipe{};
    return PIXNORM_OK;
  }
  pixnorm_status st = validate_recipe(*recipe, "pixnorm_stats_set_recipe");
  if (st != PIXNORM_OK) return st;
  stats->recipe = *recipe;
  return PIXNORM_OK;
}

pixnorm_status pixnorm_plan_desc_apply_recipe(pixnorm_plan_desc* desc, const pixnorm_stats* stats) {
  pixnorm::clear_error();
  if (!desc || !stats)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_plan_desc_apply_recipe: desc or stats is NULL");
  const pixnorm_recipe& r = stats->recipe;
  if (r.version == 0) return PIXNORM_OK;
  const bool roi = desc->roi_width != 0 && desc->roi_height != 0;
  const uint32_t sw = roi ? desc->roi_width : desc->width, sh = roi ? desc->roi_height : desc->height;
  if (sw == 0 || sh == 0 || sw > PIXNORM_MAX_DIMENSION || sh > PIXNORM_MAX_DIMENSION)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                "pixnorm_plan_desc_apply_recipe: the %s size %ux%u must be from 1 to %u (set desc->width and "
                "desc->height first)",
                roi ? "region" : "image", sw, sh, PIXNORM_MAX_DIMENSION);
  pixnorm_plan_desc d = *desc;
  d.interp = r.interp;
  d.fit = PIXNORM_FIT_STRETCH;
  d.resize_short = 0;
  d.crop_rounding = r.crop_rounding;
  d.out_width = sw;
  d.out_height = sh;
  if (r.resize_width != 0) {
    d.out_width = r.resize_width;
    d.out_height = r.resize_height;
  } else if (r.resize_short != 0) {
    uint64_t rw = 0, rh = 0;
    pixnorm::resize_short_size(sw, sh, r.resize_short, &rw, &rh);
    if (r.crop_width != 0) {
      if (r.crop_width > rw || r.crop_height > rh)
        return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                    "pixnorm_plan_desc_apply_recipe: the recipe's %ux%u crop is larger than the %llux%llu image "
                    "resized to a shorter side of %u (torchvision would pad; not supported)",
                    r.crop_width, r.crop_height, static_cast<unsigned long long>(rw),
                    static_cast<unsigned long long>(rh), r.resize_short);
      d.fit = PIXNORM_FIT_CENTER_CROP;
      d.resize_short = r.resize_short;
      d.out_width = r.crop_width;
      d.out_height = r.crop_height;
    } else {
      if (rw > PIXNORM_MAX_DIMENSION || rh > PIXNORM_MAX_DIMENSION)
        return fail(PIXNORM_ERROR_TOO_LARGE,
                    "pixnorm_plan_desc_apply_recipe: resize_short %u makes the %ux%u image %llux%llu, over %u",
                    r.resize_short, sw, sh, static_cast<unsigned long long>(rw), static_cast<unsigned long long>(rh),
                    PIXNORM_MAX_DIMENSION);
      d.out_width = static_cast<uint32_t>(rw);
      d.out_height = static_cast<uint32_t>(rh);
    }
  } else if (r.crop_width != 0) {
    // A crop alone takes the pixels as they are: a region of interest, nothing resampled.
    if (r.crop_width > sw || r.crop_height > sh)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "pixnorm_plan_desc_apply_recipe: the recipe's %ux%u crop is larger than the %ux%u image "
                  "(torchvision would pad; not supported)",
                  r.crop_width, r.crop_height, sw, sh);
    auto offset = [&](uint32_t margin) {
      return r.crop_rounding == PIXNORM_CROP_FLOOR ? margin / 2
                                                   : static_cast<uint32_t>(std::nearbyint(margin / 2.0));
    };
    d.roi_x = (roi ? desc->roi_x : 0) + offset(sw - r.crop_width);
    d.roi_y = (roi ? desc->roi_y : 0) + offset(sh - r.crop_height);
    d.roi_width = r.crop_width;
    d.roi_height = r.crop_height;
    d.out_width = r.crop_width;
    d.out_height = r.crop_height;
  }
  *desc = d;
  return PIXNORM_OK;
}

const char* pixnorm_stats_get_field(const pixnorm_stats* stats, const char* key) {
  if (!stats || !key) return nullptr;
  for (const auto& field : stats->extra)
    if (field.first == key) return field.second.c_str();
  return nullptr;
}

pixnorm_status pixnorm_stats_serialize(const pixnorm_stats* stats, char* buffer, size_t* size) {
  pixnorm::clear_error();
  if (!stats || !size)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_serialize: stats or size is NULL");
  return guarded([&] {
    const std::string text = serialize(*stats);
    const size_t needed = text.size() + 1;
    const size_t capacity = *size;
    *size = needed;
    if (!buffer) return PIXNORM_OK;
    if (capacity < needed)
      return fail(PIXNORM_ERROR_TOO_LARGE, "pixnorm_stats_serialize: buffer of %zu bytes, %zu needed", capacity,
                  needed);
    std::memcpy(buffer, text.c_str(), needed);
    return PIXNORM_OK;
  });
}

pixnorm_status pixnorm_stats_save(const pixnorm_stats* stats, const char* path) {
  pixnorm::clear_error();
  if (!stats || !path) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_save: stats or path is NULL");
  return guarded([&] {
    return save(*stats, path);
  });
}

}  // extern "C"
