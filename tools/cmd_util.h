// Shared by the commands: library errors, statistics loading, bounded file reading and the
// names and numbers their messages print.
#ifndef PIXNORM_TOOLS_CMD_UTIL_H
#define PIXNORM_TOOLS_CMD_UTIL_H

#include <pixnorm/pixnorm.h>
#include <pixnorm/pixnorm.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli_error.h"

namespace pixnorm_cli {

// The library's message for the last failed call, prefixed with `subject` unless it names it.
CliError library_failure(ExitCode code, const std::string& subject, pixnorm_status status);

// The whole content of a regular file of at most `limit` bytes; data errors name the file.
std::string read_small_file(const std::string& path, size_t limit);

// A statistics file; a failure is a data error naming it.
pixnorm::Stats load_stats_file(const std::string& path);
// --stats FILE or --preset NAME, each null when not given: exactly one (a usage error otherwise,
// pointing at `help_hint`, "pixnorm check --help").
pixnorm::Stats load_stats(const std::string* file, const std::string* preset, const std::string& help_hint);
// "stats.json" or "preset imagenet": the statistics as messages name them.
std::string stats_label(const std::string* file, const std::string* preset);

const char* order_name(pixnorm_channel_order order);  // "RGB", "BGR", "GRAY"
std::string short_number(double v);                   // %.6g
// "rescale 0.00392156862745098 (1/255: 0..1 units)"
std::string rescale_units(double rescale);
// printf into a string (help texts that quote the thresholds the code uses).
std::string format_text(const char* format, ...) __attribute__((format(printf, 1, 2)));
// One line: "RGB, rescale 0.00392157, mean 0.485 0.456 0.406, std 0.229 0.224 0.225, epsilon 0".
std::string describe_stats(const pixnorm_stats_values& v);

}  // namespace pixnorm_cli

#endif
