// A plan's state and what its parts share: planning and folding (plan.cpp), the run path
// (plan_run.cpp), the band pool and scratch sets (band_pool.h) and the C API (plan_api.cpp).
#ifndef PIXNORM_PLAN_H
#define PIXNORM_PLAN_H

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "formats.h"
#include "geometry.h"
#include "kernels.h"
#include "pixnorm/pixnorm.h"

namespace pixnorm {
constexpr unsigned kMaxThreads = 64;
class Pool;
class ScratchSets;
class ScratchLease;
}  // namespace pixnorm

struct pixnorm_plan {
  pixnorm_plan_desc desc;
  pixnorm_backend backend;
  const pixnorm::RowKernels* kernels;
  uint32_t w, h;      // output size
  unsigned src_cin;   // bytes per source pixel (packed formats; 1 for the Y plane of YUV)
  unsigned cin;       // bytes per pixel of the rows normalized (the source's, or the resampler's 1 or 3)
  unsigned cout;      // output channels
  size_t esize;       // bytes per output element
  pixnorm::PackParams pack;  // outputs other than f32
  pixnorm::Resampler* geo;   // nullptr: the source rows (or region) are normalized in place
  size_t image_bytes; // per-image modes with geometry: the whole resampled image (w * h * cin)
  size_t block_rows;  // fixed modes with geometry: rows resampled at a time by a band
  size_t band_bytes;  // per band: resampler scratch, then block rows, then a float chunk
  unsigned nbands;
  pixnorm::ScratchSets* sets;  // what runs write besides the tensor; nullptr: nothing
  int swap;       // the input's first three channels are in the reverse of the output order
  pixnorm_channel_order out_order;
  double rescale;
  double epsilon;
  float scale[3];  // per output channel; fixed modes only
  float bias[3];
  size_t elements;  // per image
  pixnorm::Pool* pool;  // nullptr: runs on the caller's thread only
};

namespace pixnorm {

// Folded parameters below this magnitude are flushed to zero (bias) or refused (scale), so
// that no backend meets a subnormal: 32-bit NEON flushes them, scalar code does not.
inline const double kTiny = std::ldexp(1.0, -100);
inline const double kHuge = std::ldexp(1.0, 100);

inline bool is_fixed_mode(pixnorm_mode m) {
  return m == PIXNORM_MODE_STANDARDIZE || m == PIXNORM_MODE_CENTER || m == PIXNORM_MODE_RESCALE;
}

inline const char* format_name(pixnorm_format f) { return format_row(f).label; }

// n samples subsampled by 1 << shift, rounded up (chroma of odd sizes covers the last pixel).
inline size_t shift_up(size_t n, unsigned shift) { return (n >> shift) + ((n & ((size_t{1} << shift) - 1)) != 0); }

inline bool checked_mul(size_t a, size_t b, size_t* out) {
  if (a != 0 && b > SIZE_MAX / a) return false;
  *out = a * b;
  return true;
}

inline float flush_tiny(double v) { return std::fabs(v) < kTiny ? 0.0f : static_cast<float>(v); }

inline bool is_quantized(pixnorm_dtype t) { return dtype_row(t).quantized; }
inline bool is_quantized(const pixnorm_plan* p) { return is_quantized(p->desc.dtype); }

inline size_t round64(size_t n) { return (n + 63) / 64 * 64; }

// Planning (plan.cpp).
const char* mode_name(pixnorm_mode m);
pixnorm_status validate_desc(const pixnorm_plan_desc* d);
// pixnorm_plan_create's work: validates, folds, allocates every buffer a run uses.
pixnorm_status create_plan(const pixnorm_stats* stats, const pixnorm_plan_desc* desc, pixnorm_plan** out);
// Scale and bias of one output channel of a per-image mode, from the integer statistics of
// `count` samples. Plain double arithmetic: the same on every backend and target.
void per_image_params(const pixnorm_plan* p, uint64_t count, uint64_t s1, uint64_t s2, unsigned lo, unsigned hi,
                      float* scale, float* bias);

// Running (plan_run.cpp).
// The image must fit in the address space: (height - 1) * row_bytes + width * cin bytes.
pixnorm_status check_span(size_t w, size_t h, size_t cin, size_t row_bytes, const char* what = "row_bytes");
// The planes of one contiguous frame (pixnorm_plan_run): chroma after the Y plane.
pixnorm_status contiguous_planes(const pixnorm_plan* p, const uint8_t* pixels, size_t row_bytes, Planes* out);
// Validates a source image and refuses an output [dst, dst + dst_bytes) that overlaps any byte
// the run reads. `image` >= 0 names the image of a batch in messages.
pixnorm_status check_source(const pixnorm_plan* p, const Planes& src, const void* dst, size_t dst_bytes,
                            const char* fn, long image);
// Adds rows [y0, y1) to acc: per channel, or pooled into channel 0.
void reduce_rows(const RowKernels* k, const uint8_t* pixels, size_t w, unsigned cin, bool pooled, size_t row_bytes,
                 size_t y0, size_t y1, ReduceAcc* acc);
// One validated image into dst, with the scratch of `lease`.
// Seconds the plan's kernels take to normalize its output rows (at most 2^18 pixels of them,
// from synthetic bytes), the best of a few runs; -1 when out of memory. For choosing a variant.
double time_normalize(const pixnorm_plan* p);
void run_one(const pixnorm_plan* p, const Planes& src, void* dst, const ScratchLease& lease);

}  // namespace pixnorm

#endif
