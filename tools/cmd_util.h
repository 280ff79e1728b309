// Shared by the stats and check commands: option parsing, library errors, statistics
// loading and bounded file reading.
#ifndef PIXNORM_TOOLS_CMD_UTIL_H
#define PIXNORM_TOOLS_CMD_UTIL_H

#include <pixnorm/pixnorm.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli_error.h"

namespace pixnorm_cli {

using StatsHandle = std::unique_ptr<pixnorm_stats, decltype(&pixnorm_stats_free)>;
using PlanHandle = std::unique_ptr<pixnorm_plan, decltype(&pixnorm_plan_free)>;

// The library's message for the last failed call, prefixed with `subject` unless it names it.
CliError library_failure(ExitCode code, const std::string& subject, pixnorm_status status);

struct OptionSpec {
  const char* name;   // "--stats"
  const char* alias;  // "-o", or nullptr
  bool takes_value;
};

struct ParsedArgs {
  std::vector<std::string> operands;
  std::map<std::string, std::string> options;  // by OptionSpec::name; "" for a flag
  bool has(const std::string& name) const { return options.count(name) != 0; }
  std::string get(const std::string& name) const;
};

// As `pixnorm apply` reads its command line: "--name value", "--name=value", "-oFILE", "--"
// ending the options, "-" alone an operand. Unknown and repeated options are usage errors
// pointing at `help_command` ("pixnorm check --help").
ParsedArgs parse_options(int argc, char** argv, const std::vector<OptionSpec>& specs,
                         const std::string& help_command);

// The whole content of a regular file of at most `limit` bytes; data errors name the file.
std::string read_small_file(const std::string& path, size_t limit);

// --stats FILE or --preset NAME (exactly one; usage error otherwise).
StatsHandle load_stats_option(const ParsedArgs& args, const std::string& help_command);
// "stats.json" or "preset imagenet": the statistics as messages name them.
std::string stats_label(const ParsedArgs& args);

const char* order_name(pixnorm_channel_order order);  // "RGB", "BGR", "GRAY"
std::string short_number(double v);                   // %.6g
// One line: "RGB, rescale 0.00392157, mean 0.485 0.456 0.406, std 0.229 0.224 0.225, epsilon 0".
std::string describe_stats(const pixnorm_stats_values& v);

}  // namespace pixnorm_cli

#endif
