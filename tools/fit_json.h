// A small JSON reader for the extra fields of statistics files (accumulators, source, counts)
// and the fit checkpoint: the library keeps those fields as raw JSON text.
#ifndef PIXNORM_TOOLS_FIT_JSON_H
#define PIXNORM_TOOLS_FIT_JSON_H

#include <string>
#include <utility>
#include <vector>

namespace pixnorm_cli {

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = kNull;
  std::string text;  // kString: the decoded string; kNumber and kBool: the literal as written
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json* find(const std::string& key) const;  // an object's member, or nullptr
};

// Parses one JSON value (nesting depth <= 32). Throws CliError "<what>: ..." on bad input.
Json parse_json(const std::string& text, const std::string& what);

// `s` as a JSON string literal, quoted and escaped.
std::string json_quote(const std::string& s);

}  // namespace pixnorm_cli

#endif
