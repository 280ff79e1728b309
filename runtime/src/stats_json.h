// The bounded JSON tokenizer of statistics files, over buffers that need not be
// NUL-terminated: shared by the file reader (stats_json_read.cpp) and the recipe reader (stats.cpp).
#ifndef PIXNORM_STATS_JSON_H
#define PIXNORM_STATS_JSON_H

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "stats_model.h"

namespace pixnorm {

constexpr int kMaxDepth = 64;

inline void append_utf8(std::string& out, unsigned cp) {
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

enum class Kind { kObject, kArray, kString, kNumber, kLiteral, kBad };

inline Kind kind_of(char c) {
  switch (c) {
    case '{': return Kind::kObject;
    case '[': return Kind::kArray;
    case '"': return Kind::kString;
    case 't': case 'f': case 'n': return Kind::kLiteral;
    default: return (c == '-' || (c >= '0' && c <= '9')) ? Kind::kNumber : Kind::kBad;
  }
}

inline const char* kind_name(Kind k) {
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
double to_double(const char* b, const char* e);

// Reads the "preprocess" member (already validated as JSON) into a recipe (stats.cpp).
pixnorm_status read_recipe(const Member& m, const char* name, pixnorm_recipe* r);

}  // namespace pixnorm

#endif
