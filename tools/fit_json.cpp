#include "fit_json.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cli_error.h"

namespace pixnorm_cli {
namespace {

constexpr size_t kMaxDepth = 32;

// nlohmann-json's SAX events build Json rather than nlohmann::json, whose objects keep one member
// per key: stats import refuses a key given twice, and names unknown fields in file order.
class Builder : public nlohmann::json_sax<nlohmann::json> {
 public:
  Builder(const std::string& text, const std::string& what, size_t max_values)
      : s_(text), what_(what), max_values_(max_values) {}

  Json take() { return std::move(root_); }

  bool null() override { return scalar(Json::kNull, {}); }
  bool boolean(bool v) override { return scalar(Json::kBool, v ? "true" : "false"); }
  // -0 is the only integer whose literal nlohmann-json does not hand over as it reads it.
  bool number_integer(number_integer_t v) override { return scalar(Json::kNumber, v == 0 ? "-0" : std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(Json::kNumber, std::to_string(v)); }
  bool number_float(number_float_t, const string_t& literal) override { return scalar(Json::kNumber, literal); }
  bool string(string_t& v) override { return scalar(Json::kString, std::move(v)); }
  bool binary(binary_t&) override { return false; }  // not produced by the JSON reader
  bool start_object(std::size_t) override { return open(Json::kObject); }
  bool start_array(std::size_t) override { return open(Json::kArray); }
  bool key(string_t& k) override {
    open_.back()->members.emplace_back(std::move(k), Json());
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& e) override {
    // nlohmann-json reports the byte after the one that stopped it (past the end at the end).
    const size_t at = std::min(position > 0 ? position - 1 : 0, s_.size());
    // Python's tokens stop the reader at their first letter.
    for (const char* python : {"NaN", "Infinity"})
      if (s_.compare(at, std::char_traits<char>::length(python), python) == 0)
        fail_field(std::string("is ") + (at > 0 && s_[at - 1] == '-' ? "-" : "") + python + ", not a finite number");
    if (e.id == 406) fail_field("is " + last_token + ", out of the range of a double");
    if (done_) fail(at, "unexpected data after the JSON value");
    std::string why = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: why": the position is ours.
    const size_t tag = why.find("] ");
    if (tag != std::string::npos) why.erase(0, tag + 2);
    if (why.compare(0, 11, "parse error") == 0) {
      const size_t colon = why.find(": ");
      if (colon != std::string::npos) why.erase(0, colon + 2);
    }
    // "; last read: '...'" repeats the file's bytes, which need not be text.
    const size_t read = why.find("; last read: ");
    if (read != std::string::npos) why.erase(read);
    fail(at, why);
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& why) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) {
        ++column;  // UTF-8 continuation bytes are not columns of their own
      }
    }
    throw data_error(what_, "bad JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                                why);
  }

  // The value being read, as messages name fields: image_std[1], size.height.
  [[noreturn]] void fail_field(const std::string& why) const {
    std::string path;
    for (const Json* c : open_) {
      if (c->kind == Json::kArray) path += "[" + std::to_string(c->items.size()) + "]";
      else if (!c->members.empty()) path += (path.empty() ? "" : ".") + c->members.back().first;
    }
    throw data_error(what_, "field \"" + path + "\" " + why);
  }

  // The slot the next value goes into.
  Json* slot() {
    if (++values_ > max_values_ && max_values_ != 0)
      throw data_error(what_, "bad JSON: more than " + std::to_string(max_values_) + " values");
    if (open_.size() > kMaxDepth)
      throw data_error(what_, "bad JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (open_.empty()) return &root_;
    Json* c = open_.back();
    if (c->kind == Json::kObject) return &c->members.back().second;
    c->items.emplace_back();
    return &c->items.back();
  }
  bool scalar(Json::Kind kind, std::string text) {
    Json* v = slot();
    v->kind = kind;
    v->text = std::move(text);
    done_ = open_.empty();
    return true;
  }
  bool open(Json::Kind kind) {
    Json* v = slot();
    v->kind = kind;
    open_.push_back(v);
    return true;
  }
  bool close() {
    open_.pop_back();
    done_ = open_.empty();
    return true;
  }

  const std::string& s_;
  const std::string& what_;
  const size_t max_values_;
  size_t values_ = 0;
  bool done_ = false;  // the root value is complete: after it, only white space
  Json root_;
  std::vector<Json*> open_;  // the arrays and objects being read, outermost first
};

}  // namespace

const Json* Json::find(const std::string& key) const {
  for (const auto& m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

double Json::number() const { return std::strtod(text.c_str(), nullptr); }

Json parse_json(const std::string& text, const std::string& what, size_t max_values) {
  Builder b(text, what, max_values);
  nlohmann::json::sax_parse(text, &b);
  return b.take();
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_length(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  // Overlong forms, surrogates and code points past U+10FFFF, which strict readers refuse.
  const unsigned char d = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
  if (c == 0xC0 || c == 0xC1 || (c == 0xE0 && d < 0xA0) || (c == 0xED && d >= 0xA0) || (c == 0xF0 && d < 0x90) ||
      (c == 0xF4 && d >= 0x90) || c > 0xF4)
    return 0;
  return n;
}

}  // namespace

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const unsigned char u = static_cast<unsigned char>(c);
    const size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\\ufffd";  // a file name that is not UTF-8: JSON text cannot hold its bytes
    } else if (n > 1) {
      out.append(s, i, n);
      i += n - 1;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace pixnorm_cli
