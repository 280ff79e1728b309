#include "cmd_util.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pixnorm_cli {

CliError library_failure(ExitCode code, const std::string& subject, pixnorm_status status) {
  std::string message = pixnorm_last_error();
  if (message.empty()) message = pixnorm_status_name(status);
  if (!subject.empty() && message.find(subject) == std::string::npos) message = subject + ": " + message;
  return CliError(code, message);
}

std::string ParsedArgs::get(const std::string& name) const {
  const auto it = options.find(name);
  return it == options.end() ? std::string() : it->second;
}

ParsedArgs parse_options(int argc, char** argv, const std::vector<OptionSpec>& specs,
                         const std::string& help_command) {
  ParsedArgs parsed;
  bool only_operands = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (only_operands || arg.size() < 2 || arg[0] != '-') {
      parsed.operands.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_operands = true;
      continue;
    }
    std::string name = arg, value;
    bool inline_value = false;
    const size_t eq = arg.find('=');
    if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    } else if (arg.compare(0, 2, "--") != 0 && arg.size() > 2) {  // "-oFILE"
      name = arg.substr(0, 2);
      value = arg.substr(2);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs)
      if (name == s.name || (s.alias && name == s.alias)) spec = &s;
    if (!spec) throw usage_error("unknown option '" + arg + "' (see " + help_command + ")");
    if (parsed.has(spec->name)) throw usage_error(std::string(spec->name) + " is given twice");
    if (spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= argc) throw usage_error(name + " needs a value (see " + help_command + ")");
        value = argv[++i];
      }
      if (value.empty()) throw usage_error(name + ": empty value");
    } else if (inline_value) {
      throw usage_error(name + " takes no value");
    }
    parsed.options[spec->name] = value;
  }
  return parsed;
}

std::string read_small_file(const std::string& path, size_t limit) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw data_error(path, std::string("cannot open: ") + std::strerror(errno));
  std::unique_ptr<FILE, int (*)(FILE*)> closer(f, std::fclose);
  struct stat st;
  if (fstat(fileno(f), &st) != 0) throw data_error(path, std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw data_error(path, "not a regular file");
  if (static_cast<uint64_t>(st.st_size) > limit)
    throw data_error(path, std::to_string(st.st_size) + " bytes, over the limit of " + std::to_string(limit));
  // Read one byte past the limit: a file that grew after fstat is still caught.
  std::string data(limit + 1, '\0');
  const size_t n = std::fread(&data[0], 1, data.size(), f);
  if (std::ferror(f)) throw data_error(path, std::string("cannot read: ") + std::strerror(errno));
  if (n > limit) throw data_error(path, "over the limit of " + std::to_string(limit) + " bytes");
  data.resize(n);
  return data;
}

StatsHandle load_stats_option(const ParsedArgs& args, const std::string& help_command) {
  const bool file = args.has("--stats"), preset = args.has("--preset");
  if (file == preset)
    throw usage_error(file ? "--stats and --preset exclude each other: give one"
                           : "no statistics: give --stats FILE or --preset NAME (see " + help_command + ")");
  pixnorm_stats* raw = nullptr;
  if (file) {
    const std::string path = args.get("--stats");
    const pixnorm_status st = pixnorm_stats_load(path.c_str(), &raw);
    if (st != PIXNORM_OK) throw library_failure(kExitData, path, st);
  } else {
    const std::string name = args.get("--preset");
    const pixnorm_status st = pixnorm_stats_preset(name.c_str(), &raw);
    if (st != PIXNORM_OK) throw library_failure(kExitUsage, "--preset " + name, st);
  }
  return StatsHandle(raw, pixnorm_stats_free);
}

std::string stats_label(const ParsedArgs& args) {
  return args.has("--stats") ? args.get("--stats") : "preset " + args.get("--preset");
}

const char* order_name(pixnorm_channel_order order) {
  return order == PIXNORM_ORDER_BGR ? "BGR" : order == PIXNORM_ORDER_GRAY ? "GRAY" : "RGB";
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string describe_stats(const pixnorm_stats_values& v) {
  std::string s = std::string(order_name(v.channel_order)) + ", rescale " + short_number(v.rescale) + ", mean";
  for (uint32_t c = 0; c < v.channels; ++c) s += " " + short_number(v.mean[c]);
  if (v.has_std) {
    s += ", std";
    for (uint32_t c = 0; c < v.channels; ++c) s += " " + short_number(v.std[c]);
  } else {
    s += ", no std";
  }
  return s + ", epsilon " + short_number(v.epsilon);
}

}  // namespace pixnorm_cli
