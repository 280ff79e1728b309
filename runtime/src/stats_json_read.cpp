// The reader of statistics files: the JSON text checked (strict, bounded in depth and size),
// then its known fields interpreted in file-format order.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "stats_json.h"
#include "stats_model.h"

namespace pixnorm {

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

namespace {

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
    if ((m = find("preprocess"))) return read_recipe(*m, name_, recipe);
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

}  // namespace

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

pixnorm_status json_single_value(const char* begin, const char* end, const char* name, const char** vbegin,
                                 const char** vend) {
  Reader reader(begin, end, name);
  return reader.single_value(vbegin, vend);
}

}  // namespace pixnorm
