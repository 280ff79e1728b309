#include "cli_options.h"

#include <cstdio>
#include <sstream>

namespace pixnorm_cli {
namespace {

// Usage first, then the description, the option groups and the footer; names as "-o, --output".
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter(std::string usage, std::string description)
      : usage_(std::move(usage)), description_(std::move(description)) {
    column_width(22);
  }
  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode mode) const override {
    std::stringstream out;
    out << "Usage: " << usage_ << "\n";
    if (!description_.empty()) out << "\n" << description_ << "\n";
    out << "\n" << make_groups(app, mode);
    const std::string footer = app->get_footer();
    if (!footer.empty()) out << "\n" << footer << "\n";
    return out.str();
  }
  std::string make_group(std::string group, bool positional, std::vector<const CLI::Option*> opts) const override {
    std::string out = group + ":\n";
    for (const CLI::Option* opt : opts) out += make_option(opt, positional);
    return out;
  }
  std::string make_option_name(const CLI::Option* opt, bool) const override {
    return opt->get_name(false, true).empty() ? opt->get_name() : join_names(opt);
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    return opt->get_option_text().empty() ? "" : " " + opt->get_option_text();
  }

 private:
  static std::string join_names(const CLI::Option* opt) {
    std::string names;
    for (const std::string& s : opt->get_snames()) names += (names.empty() ? "-" : ", -") + s;
    for (const std::string& l : opt->get_lnames()) names += (names.empty() ? "--" : ", --") + l;
    return names;
  }
  std::string usage_, description_;
};

}  // namespace

CommandLine::CommandLine(const std::string& command, const std::string& usage, const std::string& description)
    : app_("", "pixnorm " + command), command_(command) {
  describe(usage, description);
  app_.set_help_flag();
  // Unknown options are reported by parse(), in pixnorm's words.
  app_.allow_extras(true);
  app_.add_option("operands", operands_, "")->group("");
}

void CommandLine::describe(const std::string& usage, const std::string& description) {
  app_.formatter(std::make_shared<HelpFormatter>(usage, description));
}

CLI::Option* CommandLine::value(const std::string& names, std::string* out, const std::string& meta,
                                const std::string& help) {
  CLI::Option* opt = out ? app_.add_option(names, *out, help) : app_.add_option(names)->description(help);
  return opt->option_text(meta)
      ->group(group_)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

CLI::Option* CommandLine::flag(const std::string& names, bool* out, const std::string& help) {
  CLI::Option* opt = out ? app_.add_flag(names, *out, help) : app_.add_flag(names, help);
  return opt->group(group_)->disable_flag_override();
}

void CommandLine::operands(std::vector<std::string>* out, const std::string& meta) {
  operands_out_ = out;
  app_.get_option("operands")->description(meta);
}

std::string CommandLine::get(const std::string& name) const {
  const CLI::Option* opt = app_.get_option_no_throw(name);
  return opt && opt->count() > 0 ? opt->results().back() : std::string();
}

bool CommandLine::parse(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 0; --i) args.push_back(argv[i]);
  // Last, so that the help lists it last.
  app_.set_help_flag("-h,--help", "this help")->group(group_);
  try {
    app_.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app_.help().c_str(), stdout);
    return false;
  } catch (const CLI::ParseError& e) {
    // CLI11 names the option first: "--stats: 1 required TEXT missing".
    const std::string what = e.what();
    std::string name = what.substr(0, what.find_first_of(": "));
    const CLI::Option* opt = app_.get_option_no_throw(name);
    if (!opt && (opt = app_.get_option_no_throw("--" + name))) name = "--" + name;
    if (opt && opt->get_expected_min() == 0) throw usage_error(name + " takes no value");
    if (opt) throw usage_error(name + " needs a value (see " + help_hint() + ")");
    throw usage_error(what + " (see " + help_hint() + ")");
  }
  if (operands_out_) *operands_out_ = operands_;
  // CLI11 lists the "--" that ends the options among the extras.
  for (const std::string& extra : app_.remaining())
    if (extra != "--") throw usage_error("unknown option '" + extra + "' (see " + help_hint() + ")");
  for (const CLI::Option* opt : app_.get_options()) {
    if (opt->get_positional() || opt == app_.get_help_ptr()) continue;
    if (refuse_repeats_ && opt->count() > 1) throw usage_error(opt->get_name() + " is given twice");
    if (opt->get_expected_min() > 0)
      for (const std::string& v : opt->results())
        if (v.empty()) throw usage_error(opt->get_name() + ": empty value");
  }
  return true;
}

}  // namespace pixnorm_cli
