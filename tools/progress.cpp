#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace pixnorm_cli {
namespace {

std::string clock_text(double seconds) {
  const long s = long(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

Progress::Progress() : enabled_(isatty(STDERR_FILENO) == 1) {}

void Progress::start(uint64_t total, uint64_t base) {
  total_ = total;
  base_ = base;
  start_ = Clock::now();
  last_draw_ = Clock::time_point();
}

void Progress::update(uint64_t done, uint64_t skipped, bool force) {
  done_ = done;
  skipped_ = skipped;
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 && done > base_ ? double(done - base_) / elapsed : 0.0;
  char line[160];
  int n = std::snprintf(line, sizeof(line), "\r%llu", static_cast<unsigned long long>(done));
  if (total_ > 0) {
    const int width = 24;
    const int filled = int(double(width) * double(done) / double(total_));
    std::string bar(size_t(filled), '#');
    bar.resize(size_t(width), '.');
    n += std::snprintf(line + n, sizeof(line) - size_t(n), "/%llu [%s] %3d%%",
                       static_cast<unsigned long long>(total_), bar.c_str(), int(100.0 * double(done) / double(total_)));
  }
  n += std::snprintf(line + n, sizeof(line) - size_t(n), " images, %.0f/s", rate);
  if (skipped > 0) n += std::snprintf(line + n, sizeof(line) - size_t(n), ", %llu skipped",
                                      static_cast<unsigned long long>(skipped));
  if (total_ > 0 && rate > 0 && done < total_)
    std::snprintf(line + n, sizeof(line) - size_t(n), ", ETA %s",
                  clock_text(double(total_ - done) / rate).c_str());
  std::fprintf(stderr, "%s\033[K", line);  // clears what a longer previous line left
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::erase() {
  if (enabled_ && drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

void Progress::message(const std::string& line) {
  erase();
  std::fprintf(stderr, "%s\n", line.c_str());
  if (enabled_) update(done_, skipped_, true);
}

void Progress::finish() {
  erase();
  std::fflush(stderr);
}

}  // namespace pixnorm_cli
