// A thin header-only C++ layer over pixnorm.h: owning handles, no exceptions.
//
//   pixnorm::Stats stats;
//   if (auto st = stats.load("stats.json"); !st) { std::puts(st.message()); return 1; }
//   pixnorm::PlanDesc desc;  desc.width = 224;  desc.height = 224;
//   pixnorm::Plan plan;
//   if (auto st = plan.create(stats, desc); !st) { ... }
//   plan.run(pixels, row_bytes, tensor);
#ifndef PIXNORM_PIXNORM_HPP
#define PIXNORM_PIXNORM_HPP

#include <cstddef>
#include <cstdint>

#include "pixnorm/pixnorm.h"

namespace pixnorm {

// A status and, on failure, the message of that failure (copied, so later calls keep it).
class Status {
 public:
  Status(pixnorm_status code = PIXNORM_OK) : code_(code) {  // NOLINT: implicit on purpose
    const char* m = code == PIXNORM_OK ? "" : pixnorm_last_error();
    size_t i = 0;
    for (; m[i] != '\0' && i + 1 < sizeof(message_); ++i) message_[i] = m[i];
    message_[i] = '\0';
  }
  explicit operator bool() const { return code_ == PIXNORM_OK; }
  pixnorm_status code() const { return code_; }
  const char* message() const { return message_; }

 private:
  pixnorm_status code_;
  char message_[1024];
};

class Stats {
 public:
  Stats() = default;
  Stats(const Stats&) = delete;
  Stats& operator=(const Stats&) = delete;
  Stats(Stats&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stats& operator=(Stats&& o) noexcept {
    if (this != &o) {
      pixnorm_stats_free(s_);
      s_ = o.s_;
      o.s_ = nullptr;
    }
    return *this;
  }
  ~Stats() { pixnorm_stats_free(s_); }

  Status load(const char* path) {
    pixnorm_stats* fresh = nullptr;
    const pixnorm_status st = pixnorm_stats_load(path, &fresh);
    return replace(st, fresh);
  }
  Status preset(const char* name) {
    pixnorm_stats* fresh = nullptr;
    const pixnorm_status st = pixnorm_stats_preset(name, &fresh);
    return replace(st, fresh);
  }
  Status create(const pixnorm_stats_values& v) {
    pixnorm_stats* fresh = nullptr;
    const pixnorm_status st = pixnorm_stats_create(&v, &fresh);
    return replace(st, fresh);
  }
  Status save(const char* path) const { return pixnorm_stats_save(s_, path); }
  Status values(pixnorm_stats_values* out) const { return pixnorm_stats_get(s_, out); }
  const pixnorm_stats* get() const { return s_; }

 private:
  // Separate from the call that fills `fresh`: argument evaluation order is unspecified.
  Status replace(pixnorm_status st, pixnorm_stats* fresh) {
    if (st == PIXNORM_OK) {
      pixnorm_stats_free(s_);
      s_ = fresh;
    }
    return st;
  }
  pixnorm_stats* s_ = nullptr;
};

struct PlanDesc : pixnorm_plan_desc {
  PlanDesc() { pixnorm_plan_desc_init(this); }
};

class Plan {
 public:
  Plan() = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  Plan(Plan&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Plan& operator=(Plan&& o) noexcept {
    if (this != &o) {
      pixnorm_plan_free(p_);
      p_ = o.p_;
      o.p_ = nullptr;
    }
    return *this;
  }
  ~Plan() { pixnorm_plan_free(p_); }

  // `stats` may be an empty Stats for the per-image modes.
  Status create(const Stats& stats, const pixnorm_plan_desc& desc) {
    pixnorm_plan* fresh = nullptr;
    const pixnorm_status st = pixnorm_plan_create(stats.get(), &desc, &fresh);
    if (st == PIXNORM_OK) {
      pixnorm_plan_free(p_);
      p_ = fresh;
    }
    return st;
  }
  // Per frame: no allocation. Returns the C status; the message is pixnorm_last_error().
  // Several threads may run one Plan at the same time (see pixnorm_plan_run); moving, assigning
  // or destroying it must not overlap a run.
  pixnorm_status run(const uint8_t* pixels, size_t row_bytes, float* tensor) const {
    return pixnorm_plan_run(p_, pixels, row_bytes, tensor);
  }
  size_t output_elements() const { return pixnorm_plan_output_elements(p_); }
  pixnorm_backend backend() const { return pixnorm_plan_backend(p_); }
  const char* target() const { return pixnorm_plan_target(p_); }
  const pixnorm_plan* get() const { return p_; }

 private:
  pixnorm_plan* p_ = nullptr;
};

}  // namespace pixnorm

#endif
