// pixnorm fit, merge and stats show: statistics of a training set, computed exactly and written
// as a pixnorm statistics file.
#ifndef PIXNORM_TOOLS_FIT_H
#define PIXNORM_TOOLS_FIT_H

#include <string>

namespace pixnorm_cli {

int run_fit(int argc, char** argv);         // pixnorm fit FOLDER -o OUT [options]
int run_merge(int argc, char** argv);       // pixnorm merge PART... -o OUT
int run_stats_show(int argc, char** argv);  // pixnorm stats show FILE

// Walks a command's arguments as `apply` does: "--name value", "--name=value", "-oFILE", and
// "--" ending the options.
class OptionReader {
 public:
  OptionReader(int argc, char** argv, const std::string& command) : argc_(argc), argv_(argv), command_(command) {}
  bool next();                                   // moves to the next argument; false at the end
  bool positional() const { return positional_; }  // not an option
  const std::string& arg() const { return arg_; }
  const std::string& name() const { return name_; }
  std::string value();  // the option's value; a usage error when it has none
  bool flag();          // true; a usage error when given a value
  [[noreturn]] void unknown() const;

 private:
  int argc_;
  char** argv_;
  std::string command_;
  int i_ = -1;
  bool only_positional_ = false, positional_ = false, inline_ = false;
  std::string arg_, name_, value_;
};

}  // namespace pixnorm_cli

#endif
