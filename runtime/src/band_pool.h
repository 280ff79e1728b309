// The worker threads of a plan, which share a run's row bands with the caller's thread, and the
// scratch sets that let several threads run one plan at once without allocating.
#ifndef PIXNORM_BAND_POOL_H
#define PIXNORM_BAND_POOL_H

#include <cstddef>
#include <cstdint>

#if PIXNORM_WITH_THREADS
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

#include "machine.h"

namespace pixnorm {

// Pixels of output per band below which a run uses fewer bands than threads: waking a worker
// and waiting for it costs tens of microseconds (about 60 us on the two-core virtual machine of
// the benchmark in README), about as long as normalizing 130k-250k pixels. There, 224x224 and
// 448x448 images ran slower on two threads than on one, 640x480 1.45x faster.
// PIXNORM_MIN_BAND_PIXELS (read at planning) overrides it: the tests split even tiny images with 1.
constexpr size_t kMinBandPixels = 131072;

inline size_t min_band_pixels_from_env() {
  const size_t n = env_overrides().min_band_pixels;
  return n != 0 ? n : kMinBandPixels;
}

// One run's bands: fn(ctx, b) for b < bands, each band on one thread.
struct BandTask {
  void (*fn)(const void* ctx, unsigned band);
  const void* ctx;
  unsigned bands;
};

// Worker threads owned by a plan, created at planning; a run hands each its row band and
// waits for them, so a run allocates nothing. They serve one run (phase) at a time: a run that
// finds them busy with another caller's does all its bands itself rather than wait, since that
// caller's thread and the workers already occupy the cores the wait would leave idle. A worker that
// finishes its band spins for up to kSpin (yielding the core) before it sleeps: the next hand-off
// of back-to-back runs (the reduction then normalization phases of the per-image modes, batches,
// frames decoded ahead) then skips the wake-up, about 60 us on the benchmark machine.
class Pool {
 public:
  Pool(unsigned threads, size_t min_band_pixels) : threads_(threads), min_band_pixels_(min_band_pixels) {}
#if PIXNORM_WITH_THREADS
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
  }
  // Starts the workers; false when the system refuses one (the destructor joins the others).
  bool start() {
    try {
      workers_.reserve(threads_ - 1);
      for (unsigned i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { work(i); });
      return true;
    } catch (...) {
      return false;
    }
  }
  // Band 0 on the caller's thread, band i on worker i; workers past the bands stay idle.
  // false (nothing done) when the workers are serving another run.
  bool run(const BandTask& task) {
    std::unique_lock<std::mutex> serial(run_m_, std::try_to_lock);
    if (!serial.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = &task;
      bands_ = task.bands;
      pending_ = task.bands - 1;
      generation_.store(generation_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    start_.notify_all();
    task.fn(task.ctx, 0);
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [this] { return pending_ == 0; });
    return true;
  }
#else
  bool start() { return false; }
  bool run(const BandTask&) { return false; }
#endif
  // Bands for an image of w x h pixels: no more bands than rows, none under min_band_pixels_.
  unsigned bands(size_t w, size_t h) const {
    size_t n = w * h / min_band_pixels_;
    n = n < threads_ ? n : threads_;
    n = n < h ? n : h;
    return n < 1 ? 1u : static_cast<unsigned>(n);
  }

 private:
#if PIXNORM_WITH_THREADS
  static constexpr std::chrono::microseconds kSpin{200};

  void work(unsigned index) {
    uint64_t seen = 0;
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed) &&
             std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
      const BandTask* task = nullptr;
      {
        std::unique_lock<std::mutex> lock(m_);
        start_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        // A worker past this run's bands is not waited for: it reads nothing of the job.
        if (index < bands_) task = task_;
      }
      if (task == nullptr) continue;
      task->fn(task->ctx, index);
      std::lock_guard<std::mutex> lock(m_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
  std::mutex run_m_, m_;
  std::condition_variable start_, done_;
  std::vector<std::thread> workers_;
  const BandTask* task_ = nullptr;
  unsigned bands_ = 0;
  unsigned pending_ = 0;
  std::atomic<uint64_t> generation_{0};  // written under m_; read by spinning workers
  std::atomic<bool> stop_{false};
#endif
  unsigned threads_;
  size_t min_band_pixels_;
};

// The buffers a run writes besides the caller's tensor (the bands' scratch, and the resampled
// image of the per-image modes with geometry), kScratchSets copies allocated at planning, so that
// runs of one plan from several threads at once never share one and no run allocates. A run takes
// a free set with one atomic exchange; when every set is busy it sleeps until one is returned.
// Without threads (PIXNORM_WITH_THREADS=0) there is one set and no locking.
#if PIXNORM_WITH_THREADS
constexpr unsigned kScratchSets = 4;
#else
constexpr unsigned kScratchSets = 1;
#endif

struct ScratchSet {
  unsigned char* bands = nullptr;  // nbands * band_bytes
  uint8_t* image = nullptr;        // image_bytes
};

class ScratchSets {
 public:
  ScratchSets() = default;
  ScratchSets(const ScratchSets&) = delete;
  ScratchSets& operator=(const ScratchSets&) = delete;
  ~ScratchSets() {
    for (ScratchSet& s : sets_) {
      delete[] s.bands;
      delete[] s.image;
    }
  }
  bool allocate(size_t band_bytes, size_t image_bytes) {
    for (ScratchSet& s : sets_)
      if (image_bytes != 0 && (s.image = new (std::nothrow) uint8_t[image_bytes]) == nullptr) return false;
    for (ScratchSet& s : sets_)
      if (band_bytes != 0 && (s.bands = new (std::nothrow) unsigned char[band_bytes]) == nullptr) return false;
    return true;
  }
#if PIXNORM_WITH_THREADS
  ScratchSet* acquire() {
    if (ScratchSet* s = try_acquire()) return s;
    try {
      std::unique_lock<std::mutex> lock(m_);
      waiting_.fetch_add(1);
      ScratchSet* s;
      while ((s = try_acquire()) == nullptr) freed_.wait(lock);
      waiting_.fetch_sub(1);
      return s;
    } catch (...) {  // a mutex that fails to lock: poll
      for (;;) {
        if (ScratchSet* s = try_acquire()) return s;
        std::this_thread::yield();
      }
    }
  }
  void release(ScratchSet* s) {
    // Sequentially consistent, with waiting_: a waiter that found this set busy has counted
    // itself before, so it is seen here and woken (it holds m_ until it sleeps).
    busy_[s - sets_].store(false);
    if (waiting_.load() == 0) return;
    try {
      std::lock_guard<std::mutex> lock(m_);
    } catch (...) {  // the waiter polls then
    }
    freed_.notify_one();
  }

 private:
  ScratchSet* try_acquire() {
    for (unsigned i = 0; i < kScratchSets; ++i)
      if (!busy_[i].load(std::memory_order_relaxed) && !busy_[i].exchange(true)) return &sets_[i];
    return nullptr;
  }
  std::atomic<bool> busy_[kScratchSets] = {};
  std::atomic<unsigned> waiting_{0};
  std::mutex m_;
  std::condition_variable freed_;
#else
  ScratchSet* acquire() { return &sets_[0]; }
  void release(ScratchSet*) {}

 private:
#endif
  ScratchSet sets_[kScratchSets];
};

// Holds one scratch set for the length of a run (or a batch).
class ScratchLease {
 public:
  explicit ScratchLease(ScratchSets* sets) : sets_(sets), set_(sets_ ? sets_->acquire() : nullptr) {}
  ~ScratchLease() {
    if (set_ != nullptr) sets_->release(set_);
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  unsigned char* bands() const { return set_ ? set_->bands : nullptr; }
  uint8_t* image() const { return set_ ? set_->image : nullptr; }

 private:
  ScratchSets* sets_;
  ScratchSet* set_;
};

}  // namespace pixnorm

#endif
