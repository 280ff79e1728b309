// pixnorm check: frozen statistics against a sample of production images.
#ifndef PIXNORM_TOOLS_CHECK_H
#define PIXNORM_TOOLS_CHECK_H

namespace pixnorm_cli {

// The exit code when the check raised a warning (0: none; 1 and 2: errors as elsewhere).
constexpr int kExitCheckWarning = 3;

// `pixnorm check ARGS...`: argv holds what follows "check".
int run_check(int argc, char** argv);

}  // namespace pixnorm_cli

#endif
