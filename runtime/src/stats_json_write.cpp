// The JSON writer of statistics: known fields first, then the others in their original order.
#include <cstdio>
#include <string>

#include "stats_model.h"

namespace pixnorm {
namespace {

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

}  // namespace

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

}  // namespace pixnorm
