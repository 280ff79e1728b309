// Plans: validation and folding at creation, then allocation-free runs.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

#if PIXNORM_WITH_THREADS
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

#include "c_enum.h"
#include "error.h"
#include "kernels.h"
#include "pixnorm/pixnorm.h"

using namespace pixnorm;

namespace {
constexpr unsigned kMaxThreads = 64;
class Pool;
}  // namespace

struct pixnorm_plan {
  pixnorm_plan_desc desc;
  pixnorm_backend backend;
  const RowKernels* kernels;
  unsigned cin;   // bytes per input pixel
  unsigned cout;  // output channels
  int swap;       // the input's first three channels are in the reverse of the output order
  pixnorm_channel_order out_order;
  double rescale;
  double epsilon;
  float scale[3];  // per output channel; fixed modes only
  float bias[3];
  size_t elements;  // per image
  Pool* pool;       // nullptr: runs on the caller's thread only
};

namespace {

// Folded parameters below this magnitude are flushed to zero (bias) or refused (scale), so
// that no backend meets a subnormal: 32-bit NEON flushes them, scalar code does not.
const double kTiny = std::ldexp(1.0, -100);
const double kHuge = std::ldexp(1.0, 100);

bool is_fixed_mode(pixnorm_mode m) {
  return m == PIXNORM_MODE_STANDARDIZE || m == PIXNORM_MODE_CENTER || m == PIXNORM_MODE_RESCALE;
}

const char* mode_name(pixnorm_mode m) {
  switch (m) {
    case PIXNORM_MODE_STANDARDIZE: return "standardize";
    case PIXNORM_MODE_CENTER: return "center";
    case PIXNORM_MODE_RESCALE: return "rescale";
    case PIXNORM_MODE_SAMPLE_CENTER: return "sample-center";
    case PIXNORM_MODE_SAMPLE_STANDARDIZE: return "sample-standardize";
    case PIXNORM_MODE_PER_IMAGE_STANDARDIZATION: return "per-image-standardization";
    case PIXNORM_MODE_MINMAX: return "minmax";
  }
  return "?";
}

const char* order_name(pixnorm_channel_order o) {
  return o == PIXNORM_ORDER_RGB ? "RGB" : o == PIXNORM_ORDER_BGR ? "BGR" : "GRAY";
}

const char* format_name(pixnorm_format f) {
  static const char* const names[] = {"GRAY8", "RGB8", "BGR8", "RGBA8", "BGRA8"};
  return names[f];
}

bool checked_mul(size_t a, size_t b, size_t* out) {
  if (a != 0 && b > SIZE_MAX / a) return false;
  *out = a * b;
  return true;
}

float flush_tiny(double v) { return std::fabs(v) < kTiny ? 0.0f : static_cast<float>(v); }

// Exact n * s2 - s1 * s1 (>= 0 by Cauchy-Schwarz) as a double, through a 128-bit product
// written out by hand: 32-bit targets have no __int128.
struct U128 {
  uint64_t hi, lo;
};
U128 mul64(uint64_t a, uint64_t b) {
  const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
  const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
  return {p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (p00 & 0xFFFFFFFFu)};
}
double variance_numerator(uint64_t n, uint64_t s1, uint64_t s2) {
  const U128 a = mul64(n, s2), b = mul64(s1, s1);
  const uint64_t lo = a.lo - b.lo;
  const uint64_t hi = a.hi - b.hi - (a.lo < b.lo ? 1 : 0);
  return std::ldexp(static_cast<double>(hi), 64) + static_cast<double>(lo);
}

// Scale and bias of one output channel of a per-image mode, from the integer statistics of
// `count` samples. Plain double arithmetic: the same on every backend and target.
void per_image_params(const pixnorm_plan* p, uint64_t count, uint64_t s1, uint64_t s2, unsigned lo, unsigned hi,
                      float* scale, float* bias) {
  const double r = p->rescale;
  const double n = static_cast<double>(count);
  const double mean_x = static_cast<double>(s1) / n;
  const double std_x = std::sqrt(variance_numerator(count, s1, s2) / n / n);
  double sc = 0.0, bi = 0.0;
  // A constant image is its own mean: every mode gives exactly 0. Folded, it would give a
  // rounding residue, and with a tiny epsilon a scale past float's range (NaN outputs).
  if (!(std_x > 0.0)) {
    *scale = *bias = 0.0f;
    return;
  }
  switch (p->desc.mode) {
    case PIXNORM_MODE_SAMPLE_CENTER:
      sc = r;
      bi = -mean_x * r;
      break;
    case PIXNORM_MODE_SAMPLE_STANDARDIZE: {
      const double d = std_x * r + p->epsilon;
      sc = r / d;
      bi = -(mean_x * r) / d;
      break;
    }
    case PIXNORM_MODE_PER_IMAGE_STANDARDIZATION: {
      const double d = std::fmax(std_x * r, 1.0 / std::sqrt(n));
      sc = r / d;
      bi = -(mean_x * r) / d;
      break;
    }
    case PIXNORM_MODE_MINMAX:
      if (hi > lo) {
        sc = 1.0 / static_cast<double>(hi - lo);
        bi = -static_cast<double>(lo) / static_cast<double>(hi - lo);
      }
      break;
    default:
      break;
  }
  *scale = flush_tiny(sc);
  *bias = flush_tiny(bi);
}

pixnorm_status validate_desc(const pixnorm_plan_desc* d) {
  if (static_cast<unsigned>(enum_bits(d->format)) > PIXNORM_FORMAT_BGRA8)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown pixel format %d", enum_bits(d->format));
  if (static_cast<unsigned>(enum_bits(d->layout)) > PIXNORM_LAYOUT_NHWC)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown layout %d", enum_bits(d->layout));
  if (enum_bits(d->dtype) != PIXNORM_DTYPE_F32)
    return fail(PIXNORM_ERROR_UNSUPPORTED, "plan: unsupported output type %d", enum_bits(d->dtype));
  if (static_cast<unsigned>(enum_bits(d->mode)) > PIXNORM_MODE_MINMAX)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown mode %d", enum_bits(d->mode));
  if (static_cast<unsigned>(enum_bits(d->backend)) > PIXNORM_BACKEND_XSIMD)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown backend %d", enum_bits(d->backend));
  if (d->width == 0 || d->height == 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: image size %ux%u is empty", d->width, d->height);
  if (d->width > PIXNORM_MAX_DIMENSION || d->height > PIXNORM_MAX_DIMENSION ||
      static_cast<uint64_t>(d->width) * d->height > PIXNORM_MAX_PIXELS)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: image size %ux%u is over the limit (%u per side, %u pixels)",
                d->width, d->height, PIXNORM_MAX_DIMENSION, PIXNORM_MAX_PIXELS);
  if (d->batch == 0 || d->batch > PIXNORM_MAX_BATCH)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: batch %u is not in 1..%u", d->batch, PIXNORM_MAX_BATCH);
  if (d->threads > kMaxThreads)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: threads %u is over %u", d->threads, kMaxThreads);
#if !PIXNORM_WITH_THREADS
  if (d->threads > 1)
    return fail(PIXNORM_ERROR_UNSUPPORTED, "plan: threads %u asked of a build without threads", d->threads);
#endif
  if (d->per_channel != 0 && d->per_channel != 1)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: per_channel must be 0 or 1");
  if (d->epsilon != PIXNORM_EPSILON_DEFAULT && !(d->epsilon >= 0.0 && d->epsilon < kHuge))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: epsilon must be finite and >= 0, got %g", d->epsilon);
  return PIXNORM_OK;
}

pixnorm_status fold_fixed(pixnorm_plan* p, const pixnorm_stats_values& v) {
  for (unsigned c = 0; c < p->cout; ++c) {
    const unsigned i = v.channels == 1 ? 0 : c;
    double sc = p->rescale, bi = 0.0;
    if (p->desc.mode == PIXNORM_MODE_STANDARDIZE) {
      const double d = v.std[i] + p->epsilon;
      sc = p->rescale / d;
      bi = -v.mean[i] / d;
    } else if (p->desc.mode == PIXNORM_MODE_CENTER) {
      bi = -v.mean[i];
    }
    if (!(std::fabs(sc) >= kTiny && std::fabs(sc) <= kHuge) || !(std::fabs(bi) <= kHuge))
      return fail(PIXNORM_ERROR_INVALID_STATS,
                  "plan: statistics fold to scale %g and bias %g for channel %u, outside the usable range "
                  "(|scale| in [2^-100, 2^100], |bias| <= 2^100)",
                  sc, bi, c);
    p->scale[c] = static_cast<float>(sc);
    p->bias[c] = flush_tiny(bi);
  }
  return PIXNORM_OK;
}

// Normalizes rows [y0, y1) of one image with per-output-channel parameters (scale, bias).
void normalize(const pixnorm_plan* p, const uint8_t* src, size_t row_bytes, float* dst, const float* scale,
               const float* bias, size_t y0, size_t y1) {
  const RowKernels* k = p->kernels;
  const size_t w = p->desc.width, h = p->desc.height, cin = p->cin;
  // Tightly packed rows are one long row: fewer tails, longer vector loops.
  const bool packed = row_bytes == w * cin;
  const size_t rows = packed ? (y0 < y1 ? 1 : 0) : y1 - y0, n = packed ? w * (y1 - y0) : w;
  const size_t plane = w * h;
  for (size_t r = 0; r < rows; ++r) {
    const size_t y = y0 + r;
    const uint8_t* row = src + y * row_bytes;
    const size_t off = y * w;  // pixel index of the row's first pixel
    if (cin == 1) {
      k->flat(row, n, dst + off, scale, bias, 1);
    } else if (p->desc.layout == PIXNORM_LAYOUT_NCHW) {
      // Input channel j goes to output plane o[j]: the kernel sees planes in input order.
      const unsigned o0 = p->swap ? 2 : 0, o2 = p->swap ? 0 : 2;
      const float s[3] = {scale[o0], scale[1], scale[o2]}, b[3] = {bias[o0], bias[1], bias[o2]};
      k->planar(row, n, static_cast<unsigned>(cin), dst + o0 * plane + off, dst + plane + off,
                dst + o2 * plane + off, s, b);
    } else if (cin == 3 && !p->swap) {
      k->flat(row, 3 * n, dst + 3 * off, scale, bias, 3);
    } else {
      k->interleave(row, n, static_cast<unsigned>(cin), p->swap, dst + 3 * off, scale, bias);
    }
  }
}

unsigned bytes_per_pixel(pixnorm_format f) {
  static const unsigned bpp[] = {1, 3, 3, 4, 4};
  return bpp[f];
}

// The image must fit in the address space: (height - 1) * row_bytes + width * cin bytes.
pixnorm_status check_span(size_t w, size_t h, size_t cin, size_t row_bytes) {
  if (row_bytes < w * cin)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "row_bytes %zu is less than width * bytes per pixel (%zu)",
                row_bytes, w * cin);
  size_t span;
  if (!checked_mul(row_bytes, h - 1, &span) || span > SIZE_MAX - w * cin)
    return fail(PIXNORM_ERROR_TOO_LARGE, "row_bytes %zu times height %zu overflows", row_bytes, h);
  return PIXNORM_OK;
}

// Adds rows [y0, y1) to acc.
void reduce_rows(const RowKernels* k, const uint8_t* pixels, size_t w, unsigned cin, size_t row_bytes, size_t y0,
                 size_t y1, ReduceAcc* acc) {
  if (row_bytes == w * cin) {
    if (y0 < y1) k->reduce(pixels + y0 * row_bytes, w * (y1 - y0), cin, acc);
    return;
  }
  for (size_t y = y0; y < y1; ++y) k->reduce(pixels + y * row_bytes, w, cin, acc);
}

// One run's work, split into row bands that the caller's thread and the plan's workers share.
struct RunJob {
  const pixnorm_plan* p;
  const uint8_t* pixels;
  size_t row_bytes;
  float* dst;
  const float* scale;
  const float* bias;
  ReduceAcc* accs;  // reduction phase: one per band; nullptr in the normalization phase
  unsigned bands;
};

// Statistics over all channels of a 1- or 3-byte format need no deinterleaving: a row is then
// reduced as one channel of w * cin bytes, which is several times cheaper.
bool reduce_as_bytes(const pixnorm_plan* p) { return !p->desc.per_channel && p->cin != 4; }

void run_band(const RunJob& j, unsigned band) {
  const size_t h = j.p->desc.height, y0 = h * band / j.bands, y1 = h * (band + 1) / j.bands;
  if (j.accs != nullptr && reduce_as_bytes(j.p))
    reduce_rows(j.p->kernels, j.pixels, j.p->desc.width * j.p->cin, 1, j.row_bytes, y0, y1, &j.accs[band]);
  else if (j.accs != nullptr)
    reduce_rows(j.p->kernels, j.pixels, j.p->desc.width, j.p->cin, j.row_bytes, y0, y1, &j.accs[band]);
  else
    normalize(j.p, j.pixels, j.row_bytes, j.dst, j.scale, j.bias, y0, y1);
}

// Worker threads owned by a plan, created at planning; a run hands each its row band and
// waits for all of them, so a run allocates nothing. Runs of one plan are serialized.
class Pool {
 public:
  explicit Pool(unsigned threads) : threads_(threads) {}
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
  void run(const RunJob& job) {
    std::lock_guard<std::mutex> serial(run_m_);
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &job;
      pending_ = static_cast<unsigned>(workers_.size());
      ++generation_;
    }
    start_.notify_all();
    run_band(job, 0);
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }
#else
  bool start() { return false; }
  void run(const RunJob& job) {
    for (unsigned b = 0; b < job.bands; ++b) run_band(job, b);
  }
#endif
  // Bands for an image of h rows: no more bands than rows.
  unsigned bands(size_t h) const { return h < threads_ ? static_cast<unsigned>(h) : threads_; }

 private:
#if PIXNORM_WITH_THREADS
  void work(unsigned index) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      const RunJob* job = job_;
      lock.unlock();
      if (index < job->bands) run_band(*job, index);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }
  std::mutex run_m_, m_;
  std::condition_variable start_, done_;
  std::vector<std::thread> workers_;
  const RunJob* job_ = nullptr;
  uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stop_ = false;
#endif
  unsigned threads_;
};

void run_bands(const pixnorm_plan* p, const RunJob& job) {
  if (p->pool == nullptr || job.bands == 1) {
    for (unsigned b = 0; b < job.bands; ++b) run_band(job, b);
    return;
  }
  try {
    p->pool->run(job);
  } catch (...) {  // a mutex that fails to lock: do the work on this thread
    for (unsigned b = 0; b < job.bands; ++b) run_band(job, b);
  }
}

pixnorm_status run_one(const pixnorm_plan* p, const uint8_t* pixels, size_t row_bytes, float* dst) {
  const size_t w = p->desc.width, h = p->desc.height;
  if (pixels == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run: pixels is NULL");
  const pixnorm_status st = check_span(w, h, p->cin, row_bytes);
  if (st != PIXNORM_OK) return st;
  const unsigned bands = p->pool ? p->pool->bands(h) : 1;
  RunJob job{p, pixels, row_bytes, dst, p->scale, p->bias, nullptr, bands};
  if (is_fixed_mode(p->desc.mode)) {
    run_bands(p, job);
    return PIXNORM_OK;
  }
  ReduceAcc accs[kMaxThreads];
  for (unsigned b = 0; b < bands; ++b) reduce_acc_init(&accs[b]);
  job.accs = accs;
  run_bands(p, job);
  ReduceAcc acc = accs[0];
  for (unsigned b = 1; b < bands; ++b) {
    for (unsigned c = 0; c < 3; ++c) {
      acc.sum[c] += accs[b].sum[c];
      acc.sumsq[c] += accs[b].sumsq[c];
      acc.min[c] = accs[b].min[c] < acc.min[c] ? accs[b].min[c] : acc.min[c];
      acc.max[c] = accs[b].max[c] > acc.max[c] ? accs[b].max[c] : acc.max[c];
    }
  }
  // Statistics arrive per input channel; parameters are per output channel.
  float scale[3] = {0, 0, 0}, bias[3] = {0, 0, 0};
  const uint64_t plane = static_cast<uint64_t>(w) * h;
  if (p->desc.per_channel || p->cout == 1) {
    for (unsigned j = 0; j < p->cout; ++j) {
      const unsigned o = (p->swap && j != 1) ? 2 - j : j;
      per_image_params(p, plane, acc.sum[j], acc.sumsq[j], acc.min[j], acc.max[j], &scale[o], &bias[o]);
    }
  } else {
    uint64_t s1 = 0, s2 = 0;
    unsigned lo = 255, hi = 0;
    for (unsigned j = 0; j < (reduce_as_bytes(p) ? 1u : p->cout); ++j) {
      s1 += acc.sum[j];
      s2 += acc.sumsq[j];
      lo = acc.min[j] < lo ? acc.min[j] : lo;
      hi = acc.max[j] > hi ? acc.max[j] : hi;
    }
    per_image_params(p, plane * p->cout, s1, s2, lo, hi, &scale[0], &bias[0]);
    for (unsigned c = 1; c < p->cout; ++c) {
      scale[c] = scale[0];
      bias[c] = bias[0];
    }
  }
  job.accs = nullptr;
  job.scale = scale;
  job.bias = bias;
  run_bands(p, job);
  return PIXNORM_OK;
}

}  // namespace

extern "C" {

void pixnorm_plan_desc_init(pixnorm_plan_desc* desc) {
  if (desc == nullptr) return;
  std::memset(desc, 0, sizeof(*desc));
  desc->format = PIXNORM_FORMAT_RGB8;
  desc->batch = 1;
  desc->layout = PIXNORM_LAYOUT_NCHW;
  desc->dtype = PIXNORM_DTYPE_F32;
  desc->mode = PIXNORM_MODE_STANDARDIZE;
  desc->epsilon = PIXNORM_EPSILON_DEFAULT;
  desc->backend = PIXNORM_BACKEND_AUTO;
}

pixnorm_status pixnorm_plan_create(const pixnorm_stats* stats, const pixnorm_plan_desc* desc, pixnorm_plan** out) {
  clear_error();
  if (out == nullptr || desc == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: %s is NULL", out == nullptr ? "out" : "desc");
  *out = nullptr;
  pixnorm_status st = validate_desc(desc);
  if (st != PIXNORM_OK) return st;

  pixnorm_plan p;
  std::memset(&p, 0, sizeof(p));
  p.desc = *desc;
  p.backend = desc->backend == PIXNORM_BACKEND_AUTO ? pixnorm_backend_default() : desc->backend;
  p.kernels = kernels_for(p.backend);
  if (p.kernels == nullptr)
    return fail(PIXNORM_ERROR_UNSUPPORTED, "plan: backend %s is %s", pixnorm_backend_name(p.backend),
                p.backend == PIXNORM_BACKEND_XSIMD && pixnorm_backend_targets(PIXNORM_BACKEND_XSIMD)[0] == '\0'
                    ? "not compiled in or not supported by this CPU"
                    : "not available in this build");

  static const pixnorm_channel_order order_of[] = {PIXNORM_ORDER_GRAY, PIXNORM_ORDER_RGB, PIXNORM_ORDER_BGR,
                                                   PIXNORM_ORDER_RGB, PIXNORM_ORDER_BGR};
  p.cin = bytes_per_pixel(desc->format);
  const pixnorm_channel_order in_order = order_of[desc->format];

  const bool needs_stats = desc->mode == PIXNORM_MODE_STANDARDIZE || desc->mode == PIXNORM_MODE_CENTER;
  pixnorm_stats_values v;
  std::memset(&v, 0, sizeof(v));
  if (stats == nullptr) {
    if (needs_stats)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: mode %s needs statistics (a file or a preset)",
                  mode_name(desc->mode));
    p.out_order = in_order;
    p.rescale = 1.0;
  } else {
    st = pixnorm_stats_get(stats, &v);
    if (st != PIXNORM_OK) return st;
    const bool stats_gray = v.channel_order == PIXNORM_ORDER_GRAY, input_gray = in_order == PIXNORM_ORDER_GRAY;
    if (stats_gray != input_gray)
      return fail(PIXNORM_ERROR_CHANNEL_MISMATCH,
                  "plan: the input is %s (%u channel%s) but the statistics are for %s (%u channel%s)",
                  format_name(desc->format), input_gray ? 1u : 3u, input_gray ? "" : "s",
                  order_name(v.channel_order), stats_gray ? 1u : 3u, stats_gray ? "" : "s");
    p.out_order = v.channel_order;
    p.rescale = v.rescale;
  }
  if (!(p.rescale >= kTiny && p.rescale <= kHuge))
    return fail(PIXNORM_ERROR_INVALID_STATS, "plan: rescale %g is outside [2^-100, 2^100]", p.rescale);
  p.cout = in_order == PIXNORM_ORDER_GRAY ? 1 : 3;
  p.swap = p.cout == 3 && in_order != p.out_order;

  const double default_eps = desc->mode == PIXNORM_MODE_SAMPLE_STANDARDIZE ? 1e-6 : v.epsilon;
  p.epsilon = desc->epsilon == PIXNORM_EPSILON_DEFAULT ? default_eps : desc->epsilon;

  if (!checked_mul(static_cast<size_t>(desc->width) * desc->height, p.cout, &p.elements))
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: output size overflows");
  size_t total;
  if (!checked_mul(p.elements, static_cast<size_t>(desc->batch) * sizeof(float), &total))
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: a batch of %u outputs of %zu floats does not fit in memory",
                desc->batch, p.elements);

  if (is_fixed_mode(desc->mode)) {
    if (stats == nullptr) {  // rescale without statistics: the identity
      v.channels = 1;
      v.std[0] = 1.0;
    }
    st = fold_fixed(&p, v);
    if (st != PIXNORM_OK) return st;
  }

  pixnorm_plan* plan = new (std::nothrow) pixnorm_plan(p);
  if (plan == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory");
  if (desc->threads > 1) {
    plan->pool = new (std::nothrow) Pool(desc->threads);
    if (plan->pool == nullptr || !plan->pool->start()) {
      pixnorm_plan_free(plan);
      return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: cannot start %u threads", desc->threads - 1);
    }
  }
  *out = plan;
  return PIXNORM_OK;
}

void pixnorm_plan_free(pixnorm_plan* plan) {
  if (plan == nullptr) return;
  delete plan->pool;
  delete plan;
}

pixnorm_status pixnorm_plan_run(const pixnorm_plan* plan, const uint8_t* pixels, size_t row_bytes, void* tensor) {
  if (plan == nullptr || tensor == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run: %s is NULL", plan == nullptr ? "plan" : "tensor");
  if (reinterpret_cast<uintptr_t>(tensor) % alignof(float) != 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run: tensor is not aligned for float");
  return run_one(plan, pixels, row_bytes, static_cast<float*>(tensor));
}

pixnorm_status pixnorm_plan_run_batch(const pixnorm_plan* plan, const uint8_t* const* images,
                                      const size_t* row_bytes, uint32_t count, void* tensor) {
  if (plan == nullptr || tensor == nullptr || images == nullptr || row_bytes == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_batch: a pointer argument is NULL");
  if (count > plan->desc.batch)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_batch: %u images for a plan of batch %u", count,
                plan->desc.batch);
  if (reinterpret_cast<uintptr_t>(tensor) % alignof(float) != 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_batch: tensor is not aligned for float");
  float* dst = static_cast<float*>(tensor);
  for (uint32_t i = 0; i < count; ++i) {
    const pixnorm_status st = run_one(plan, images[i], row_bytes[i], dst + i * plan->elements);
    if (st != PIXNORM_OK) return st;
  }
  return PIXNORM_OK;
}

void pixnorm_channel_sums_init(pixnorm_channel_sums* sums) {
  if (sums == nullptr) return;
  std::memset(sums, 0, sizeof(*sums));
  for (unsigned c = 0; c < PIXNORM_MAX_CHANNELS; ++c) sums->min[c] = 255;
}

pixnorm_status pixnorm_channel_sums_add(pixnorm_channel_sums* sums, pixnorm_format format, uint32_t width,
                                        uint32_t height, const uint8_t* pixels, size_t row_bytes,
                                        pixnorm_backend backend) {
  clear_error();
  if (sums == nullptr || pixels == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "sums: %s is NULL", sums == nullptr ? "sums" : "pixels");
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = format;
  d.width = width;
  d.height = height;
  d.backend = backend;
  pixnorm_status st = validate_desc(&d);
  if (st != PIXNORM_OK) return st;
  const unsigned cin = bytes_per_pixel(format), channels = cin == 1 ? 1 : 3;
  if (sums->channels != 0 && sums->channels != channels)
    return fail(PIXNORM_ERROR_CHANNEL_MISMATCH, "sums: a %s image (%u channel%s) added to sums of %u channels",
                format_name(format), channels, channels == 1 ? "" : "s", sums->channels);
  st = check_span(width, height, cin, row_bytes);
  if (st != PIXNORM_OK) return st;
  const uint64_t n = static_cast<uint64_t>(width) * height;
  if (sums->pixels > UINT64_MAX / 65025 - n)
    return fail(PIXNORM_ERROR_TOO_LARGE,
                "sums: %llu more pixels would overflow the 64-bit sums of squares: split the data and add "
                "the parts' sums in wider integers",
                static_cast<unsigned long long>(n));
  const pixnorm_backend b = backend == PIXNORM_BACKEND_AUTO ? pixnorm_backend_default() : backend;
  const RowKernels* k = kernels_for(b);
  if (k == nullptr) return fail(PIXNORM_ERROR_UNSUPPORTED, "sums: backend %s is not available", pixnorm_backend_name(b));
  ReduceAcc acc;
  reduce_acc_init(&acc);
  reduce_rows(k, pixels, width, cin, row_bytes, 0, height, &acc);
  sums->channels = channels;
  sums->pixels += n;
  for (unsigned c = 0; c < channels; ++c) {
    sums->sum[c] += acc.sum[c];
    sums->sum_sq[c] += acc.sumsq[c];
    sums->min[c] = acc.min[c] < sums->min[c] ? acc.min[c] : sums->min[c];
    sums->max[c] = acc.max[c] > sums->max[c] ? acc.max[c] : sums->max[c];
  }
  return PIXNORM_OK;
}

size_t pixnorm_plan_output_elements(const pixnorm_plan* plan) { return plan ? plan->elements : 0; }
uint32_t pixnorm_plan_output_channels(const pixnorm_plan* plan) { return plan ? plan->cout : 0; }
pixnorm_channel_order pixnorm_plan_output_order(const pixnorm_plan* plan) {
  return plan ? plan->out_order : PIXNORM_ORDER_RGB;
}
pixnorm_backend pixnorm_plan_backend(const pixnorm_plan* plan) {
  return plan ? plan->backend : PIXNORM_BACKEND_AUTO;
}
const char* pixnorm_plan_target(const pixnorm_plan* plan) { return plan ? plan->kernels->target : ""; }

pixnorm_status pixnorm_plan_get_params(const pixnorm_plan* plan, float scale[PIXNORM_MAX_CHANNELS],
                                       float bias[PIXNORM_MAX_CHANNELS]) {
  clear_error();
  if (plan == nullptr || scale == nullptr || bias == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "get_params: a pointer argument is NULL");
  if (!is_fixed_mode(plan->desc.mode))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "get_params: mode %s computes its parameters per image",
                mode_name(plan->desc.mode));
  for (unsigned c = 0; c < PIXNORM_MAX_CHANNELS; ++c) {
    scale[c] = c < plan->cout ? plan->scale[c] : 0.0f;
    bias[c] = c < plan->cout ? plan->bias[c] : 0.0f;
  }
  return PIXNORM_OK;
}

}  // extern "C"
