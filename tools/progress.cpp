#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

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

Progress::Progress(bool allowed) : enabled_(allowed && isatty(STDERR_FILENO) == 1) {}

unsigned Progress::columns() {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* env = std::getenv("COLUMNS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n > 0 && n < 10000) return unsigned(n);
  }
  return 80;
}

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
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(done));
  std::string count = buf, percent;
  if (total_ > 0) {
    std::snprintf(buf, sizeof(buf), "/%llu", static_cast<unsigned long long>(total_));
    count += buf;
    std::snprintf(buf, sizeof(buf), " %3d%%", int(100.0 * double(done) / double(total_)));
    percent = buf;
  }
  std::snprintf(buf, sizeof(buf), " images, %.0f/s", rate);
  std::string tail = buf;
  if (skipped > 0) {
    std::snprintf(buf, sizeof(buf), ", %llu skipped", static_cast<unsigned long long>(skipped));
    tail += buf;
  }
  std::string eta;
  if (total_ > 0 && rate > 0 && done < total_) eta = ", ETA " + clock_text(double(total_ - done) / rate);
  // What does not fit goes, least useful first: the bar shrinks, then the ETA, then the rest is cut.
  const size_t room = columns() > 1 ? columns() - 1 : 1;
  std::string text = count + percent + tail + eta;
  if (total_ > 0) {
    const size_t bar_room = text.size() + 3 < room ? room - text.size() - 3 : 0;
    const size_t width = bar_room < 24 ? bar_room : 24;
    if (width >= 5) {
      const size_t filled = size_t(double(width) * double(done) / double(total_));
      std::string bar(filled < width ? filled : width, '#');
      bar.resize(width, '.');
      text = count + " [" + bar + "]" + percent + tail + eta;
    }
  }
  if (text.size() > room) text = count + percent + tail;
  if (text.size() > room) text.resize(room);
  const std::string line = "\r" + text;
  std::fprintf(stderr, "%s\033[K", line.c_str());  // clears what a longer previous line left
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
