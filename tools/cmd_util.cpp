#include "cmd_util.h"

#include "accum.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace pixnorm_cli {

CliError library_failure(ExitCode code, const std::string& subject, pixnorm_status status) {
  std::string message = pixnorm_last_error();
  if (message.empty()) message = pixnorm_status_name(status);
  if (!subject.empty() && message.find(subject) == std::string::npos) message = subject + ": " + message;
  return CliError(code, message);
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

pixnorm::Stats load_stats_file(const std::string& path) {
  pixnorm::Stats stats;
  const pixnorm::Status st = stats.load(path.c_str());
  if (!st) throw library_failure(kExitData, path, st.code());
  return stats;
}

pixnorm::Stats load_stats(const std::string* file, const std::string* preset, const std::string& help_hint) {
  if (file && preset) throw usage_error("--stats and --preset exclude each other: give one");
  if (!file && !preset) throw usage_error("no statistics: give --stats FILE or --preset NAME (see " + help_hint + ")");
  if (file) return load_stats_file(*file);
  pixnorm::Stats stats;
  const pixnorm::Status st = stats.preset(preset->c_str());
  if (!st) throw library_failure(kExitUsage, "--preset " + *preset, st.code());
  return stats;
}

std::string stats_label(const std::string* file, const std::string* preset) {
  return file ? *file : "preset " + *preset;
}

const char* order_name(pixnorm_channel_order order) {
  return order == PIXNORM_ORDER_BGR ? "BGR" : order == PIXNORM_ORDER_GRAY ? "GRAY" : "RGB";
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string rescale_units(double rescale) {
  const std::string text = "rescale " + shortest_double(rescale);
  if (rescale == 1.0) return text + " (raw 0..255 units)";
  if (rescale == 1.0 / 255.0) return text + " (1/255: 0..1 units)";
  return text;
}

std::string format_text(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  std::vsnprintf(&text[0], text.size() + 1, format, again);
  va_end(again);
  return text;
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
