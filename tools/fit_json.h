// JSON for the tools (nlohmann-json's reader): the extra fields of statistics files
// (accumulators, source, counts), the fit checkpoint and the files stats import reads. The
// library keeps those fields as raw JSON text; the runtime keeps its own reader.
#ifndef PIXNORM_TOOLS_FIT_JSON_H
#define PIXNORM_TOOLS_FIT_JSON_H

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace pixnorm_cli {

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = kNull;
  // kString: the decoded string; kNumber: the literal as written; kBool: "true" or "false".
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* find(const std::string& key) const;  // an object's member (the first of that name), or nullptr
  double number() const;                           // kNumber: the value
};

// Parses one JSON value: RFC 8259, a UTF-8 byte order mark skipped, no value nested in more than
// 32 arrays or objects, at most `max_values` values when not 0. Python's NaN and Infinity and
// numbers out of a double's range are refused naming the field they stand in. Throws CliError
// "<what>: ..." on bad input. Objects keep their members in order, duplicates included.
Json parse_json(const std::string& text, const std::string& what, size_t max_values = 0);

// `s` as a JSON string literal, quoted and escaped.
std::string json_quote(const std::string& s);

}  // namespace pixnorm_cli

#endif
