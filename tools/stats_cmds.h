// pixnorm stats SUBCOMMAND: export, import and show.
#ifndef PIXNORM_TOOLS_STATS_CMDS_H
#define PIXNORM_TOOLS_STATS_CMDS_H

namespace pixnorm_cli {

// `pixnorm stats ARGS...`: argv holds what follows "stats", the subcommand first. Returns the
// exit code; throws CliError like the other commands.
int run_stats(int argc, char** argv);

// `pixnorm stats show ARGS...`: argv holds what follows "show". Defined with the fit commands.
int run_stats_show(int argc, char** argv);

}  // namespace pixnorm_cli

#endif
