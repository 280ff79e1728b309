// The CLI reports every failure by throwing one of these; main() prints it and exits with its code.
#ifndef PIXNORM_TOOLS_CLI_ERROR_H
#define PIXNORM_TOOLS_CLI_ERROR_H

#include <stdexcept>
#include <string>

namespace pixnorm_cli {

enum ExitCode { kExitOk = 0, kExitData = 1, kExitUsage = 2 };

struct CliError : std::runtime_error {
  CliError(ExitCode exit_code, const std::string& message) : std::runtime_error(message), code(exit_code) {}
  ExitCode code;
};

// A bad command line: exit code 2.
inline CliError usage_error(const std::string& message) { return CliError(kExitUsage, message); }
// A bad file, image or statistics: exit code 1. `subject` is the file (or option) at fault.
inline CliError data_error(const std::string& subject, const std::string& message) {
  return CliError(kExitData, subject + ": " + message);
}

}  // namespace pixnorm_cli

#endif
