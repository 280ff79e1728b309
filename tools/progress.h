// A one-line progress bar on stderr, drawn only when stderr is a terminal, never wider than
// the terminal less one column (a line that fills the last column wraps on some terminals,
// and the carriage return then redraws below instead of over it).
#ifndef PIXNORM_TOOLS_PROGRESS_H
#define PIXNORM_TOOLS_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace pixnorm_cli {

class Progress {
 public:
  // Enabled when `allowed` and stderr is a terminal.
  explicit Progress(bool allowed = true);
  ~Progress() { finish(); }  // an error message then starts on a clean line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  bool enabled() const { return enabled_; }
  // `total` 0: unknown (no percentage or ETA). `base`: items done before this run (resume),
  // left out of the rate.
  void start(uint64_t total, uint64_t base);
  // Redraws at most 10 times a second, unless `force`.
  void update(uint64_t done, uint64_t skipped, bool force = false);
  // Prints a line of its own above the bar (a skipped file); always printed.
  void message(const std::string& line);
  // Erases the bar, before the final summary.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  void erase();
  static unsigned columns();  // the terminal's width, else $COLUMNS, else 80
  bool enabled_;
  bool drawn_ = false;
  uint64_t total_ = 0, base_ = 0, done_ = 0, skipped_ = 0;
  Clock::time_point start_, last_draw_;
};

}  // namespace pixnorm_cli

#endif
