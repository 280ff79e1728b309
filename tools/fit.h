// pixnorm fit and merge: statistics of a training set, computed exactly and written
// as a pixnorm statistics file.
#ifndef PIXNORM_TOOLS_FIT_H
#define PIXNORM_TOOLS_FIT_H

namespace pixnorm_cli {

int run_fit(int argc, char** argv);         // pixnorm fit FOLDER -o OUT [options]
int run_merge(int argc, char** argv);       // pixnorm merge PART... -o OUT

}  // namespace pixnorm_cli

#endif
