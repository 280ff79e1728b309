// The statistics object and what its parts share: the model (values, recipe, validation) that
// the JSON reader (stats_json_read.cpp), the writer (stats_json_write.cpp), the presets, the
// optional file I/O (stats_file_io.cpp) and the C API (stats_api.cpp) are built on.
#ifndef PIXNORM_STATS_MODEL_H
#define PIXNORM_STATS_MODEL_H

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "pixnorm/pixnorm.h"

struct pixnorm_stats {
  pixnorm_stats_values values;  // as pixnorm_stats_get reports them
  std::vector<std::pair<std::string, std::string>> extra;  // key (decoded), raw JSON value
  pixnorm_recipe recipe;  // version 0: none
};

namespace pixnorm {

inline constexpr const char* kKnownKeys[] = {"format", "version", "channel_order", "rescale",
                                             "mean",   "std",     "epsilon",       "preprocess"};
inline constexpr const char* kOrderNames[] = {"RGB", "BGR", "GRAY"};

inline bool is_known_key(const std::string& key) {
  for (const char* k : kKnownKeys)
    if (key == k) return true;
  return false;
}

// The recipe's names of pixnorm_interp and pixnorm_crop_rounding values, by value (stats.cpp).
extern const char* const kInterpNames[];
extern const char* const kRoundingNames[];

// The numbers of a file or a values struct, before validation.
struct Raw {
  pixnorm_channel_order order = PIXNORM_ORDER_RGB;
  double rescale = 0;
  double mean[PIXNORM_MAX_CHANNELS] = {0, 0, 0};
  double std[PIXNORM_MAX_CHANNELS] = {1, 1, 1};
  size_t mean_count = 0, std_count = 0;  // std_count 0: no std
  double epsilon = 0;
};

// Checks the counts and values and fills the canonical values struct.
pixnorm_status validate(const Raw& raw, const char* name, pixnorm_stats_values* out);
// The rules a recipe obeys, whether read from a file or given by a caller.
pixnorm_status validate_recipe(const pixnorm_recipe& r, const char* name);
// A new statistics object from values, validated as a file's.
pixnorm_status check_values(const pixnorm_stats_values* values, pixnorm_stats** out);
// Shortest text that reads back as the same double; "nan"/"inf" for messages.
const char* format_double(double v, char (&buf)[32]);

// JSON reader (stats_json_read.cpp).
// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). Returns the offset of the
// first bad byte, or `size` when valid.
size_t utf8_invalid_at(const unsigned char* s, size_t size);
// A statistics file's text (at most PIXNORM_MAX_STATS_BYTES) to a new object; `name` in messages.
pixnorm_status parse_buffer(const char* json, size_t size, const char* name, pixnorm_stats** out);
// [begin, end) as exactly one JSON value, surrounding white space trimmed into [*vbegin, *vend).
pixnorm_status json_single_value(const char* begin, const char* end, const char* name, const char** vbegin,
                                 const char** vend);

// JSON writer (stats_json_write.cpp): known fields first, then the others in their order.
std::string serialize(const pixnorm_stats& s);

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

}  // namespace pixnorm

#endif
