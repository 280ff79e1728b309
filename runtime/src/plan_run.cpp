// Running a plan: sources checked, then rows normalized (or reduced, or resampled) band by band,
// allocation-free.
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "band_pool.h"
#include "error.h"
#include "plan.h"

namespace pixnorm {
namespace {

// One run of n pixels of normalized rows, starting at pixel index `off` of the output image,
// into the output tensor (any dtype). Outputs other than f32 are narrowed by flat_narrow,
// planar_narrow and interleave_narrow.
void normalize_pixels(const pixnorm_plan* p, const uint8_t* row, size_t n, size_t off, void* out, const float* scale,
                      const float* bias) {
  const RowKernels* k = p->kernels;
  const size_t cin = p->cin, plane = static_cast<size_t>(p->w) * p->h;
  const bool nchw = p->desc.layout == PIXNORM_LAYOUT_NCHW && cin != 1;
  // Input channel j goes to output plane o[j] (NCHW): the kernel sees planes in input order.
  const unsigned o0 = p->swap ? 2 : 0, o2 = p->swap ? 0 : 2;
  const float ps[3] = {scale[o0], scale[1], scale[o2]}, pb[3] = {bias[o0], bias[1], bias[o2]};
  if (p->esize == 4) {
    float* dst = static_cast<float*>(out);
    if (cin == 1)
      k->flat(row, n, dst + off, scale, bias, 1);
    else if (nchw)
      k->planar(row, n, static_cast<unsigned>(cin), dst + o0 * plane + off, dst + plane + off, dst + o2 * plane + off,
                ps, pb);
    else if (cin == 3 && !p->swap)
      k->flat(row, 3 * n, dst + 3 * off, scale, bias, 3);
    else
      k->interleave(row, n, static_cast<unsigned>(cin), p->swap, dst + 3 * off, scale, bias);
    return;
  }
  uint8_t* dst = static_cast<uint8_t*>(out);
  const size_t es = p->esize;
  if (cin == 1) {
    k->flat_narrow(row, n, dst + off * es, scale, bias, 1, &p->pack);
  } else if (nchw) {
    k->planar_narrow(row, n, static_cast<unsigned>(cin), dst + (o0 * plane + off) * es, dst + (plane + off) * es,
                     dst + (o2 * plane + off) * es, ps, pb, &p->pack);
  } else if (cin == 3 && !p->swap) {
    k->flat_narrow(row, 3 * n, dst + 3 * off * es, scale, bias, 3, &p->pack);
  } else {
    k->interleave_narrow(row, n, static_cast<unsigned>(cin), p->swap, dst + 3 * off * es, scale, bias, &p->pack);
  }
}

// Normalizes rows [y0, y1) of the output image; `rows` points at row y0's pixels.
void normalize(const pixnorm_plan* p, const uint8_t* rows, size_t row_bytes, void* dst, const float* scale,
               const float* bias, size_t y0, size_t y1) {
  const size_t w = p->w, cin = p->cin;
  // Tightly packed rows are one long row: fewer tails, longer vector loops.
  const bool packed = row_bytes == w * cin;
  const size_t nrows = packed ? (y0 < y1 ? 1 : 0) : y1 - y0, n = packed ? w * (y1 - y0) : w;
  for (size_t r = 0; r < nrows; ++r)
    normalize_pixels(p, rows + r * row_bytes, n, (y0 + r) * w, dst, scale, bias);
}

}  // namespace

double time_normalize(const pixnorm_plan* p) {
  pixnorm_plan q = *p;  // the same plan on fewer rows: planes of q.w * q.h elements
  const size_t max_pixels = size_t{1} << 18;
  if (static_cast<size_t>(q.w) * q.h > max_pixels) q.h = static_cast<uint32_t>(max_pixels / q.w > 0 ? max_pixels / q.w : 1);
  const size_t n = static_cast<size_t>(q.w) * q.h;
  std::unique_ptr<uint8_t[]> src(new (std::nothrow) uint8_t[n * q.cin]);
  std::unique_ptr<unsigned char[]> out(new (std::nothrow) unsigned char[n * q.cout * q.esize + 64]);
  if (!src || !out) return -1;
  for (size_t i = 0; i < n * q.cin; ++i) src[i] = static_cast<uint8_t>(i * 2654435761u >> 24);
  const float ones[3] = {1.0f, 1.0f, 1.0f}, zeros[3] = {0.0f, 0.0f, 0.0f};
  const bool fixed = is_fixed_mode(q.desc.mode);
  double best = -1;
  for (int rep = 0; rep < 6; ++rep) {  // the first warms the caches and is not counted
    const auto t0 = std::chrono::steady_clock::now();
    normalize_pixels(&q, src.get(), n, 0, out.get(), fixed ? q.scale : ones, fixed ? q.bias : zeros);
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep > 0 && (best < 0 || t < best)) best = t;
  }
  return best;
}

// The image must fit in the address space: (height - 1) * row_bytes + width * cin bytes.
pixnorm_status check_span(size_t w, size_t h, size_t cin, size_t row_bytes, const char* what) {
  if (row_bytes < w * cin)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "%s %zu is less than width * bytes per pixel (%zu)", what,
                row_bytes, w * cin);
  size_t span;
  if (!checked_mul(row_bytes, h - 1, &span) || span > SIZE_MAX - w * cin)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s %zu times height %zu overflows", what, row_bytes, h);
  return PIXNORM_OK;
}

namespace {

// Validates the planes of a source image against the plan.
pixnorm_status check_planes(const pixnorm_plan* p, const Planes& s) {
  const size_t w = p->desc.width, h = p->desc.height;
  const FormatRow& f = format_row(p->desc.format);
  for (unsigned i = 0; i < f.planes; ++i)
    if (s.p[i] == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run: plane %u of the %s image is NULL", i,
                                       f.label);
  for (unsigned i = 0; i < f.planes; ++i) {
    const PlaneRow& r = f.plane[i];
    const pixnorm_status st = check_span(shift_up(w, r.shift_x), shift_up(h, r.shift_y), r.bytes, s.stride[i], r.stride);
    if (st != PIXNORM_OK) return st;
  }
  return PIXNORM_OK;
}

}  // namespace

// The planes of one contiguous frame (pixnorm_plan_run): chroma after the Y plane.
pixnorm_status contiguous_planes(const pixnorm_plan* p, const uint8_t* pixels, size_t row_bytes, Planes* out) {
  std::memset(out, 0, sizeof(*out));
  out->p[0] = pixels;
  out->stride[0] = row_bytes;
  const FormatRow& f = format_row(p->desc.format);
  if (f.planes == 1) return PIXNORM_OK;
  if (pixels == nullptr) return PIXNORM_OK;  // refused by check_planes
  // Chroma rows: ceil(row_bytes / 2) samples of the plane's bytes (I420: U or V; NV12/NV21: U,V pairs).
  const PlaneRow& c = f.plane[1];
  const size_t h = p->desc.height, ch = shift_up(h, c.shift_y);
  const size_t cstride = shift_up(row_bytes, c.shift_x) * c.bytes;
  size_t luma, chroma, total;
  if (!checked_mul(row_bytes, h, &luma) || !checked_mul(cstride, ch, &chroma) ||
      luma > SIZE_MAX - chroma * 2 || (total = luma + chroma * 2) > UINTPTR_MAX - reinterpret_cast<uintptr_t>(pixels))
    return fail(PIXNORM_ERROR_TOO_LARGE, "run: a %s frame of row_bytes %zu and height %zu overflows", f.label,
                row_bytes, h);
  for (unsigned i = 1; i < f.planes; ++i) {
    out->p[i] = pixels + luma + (i - 1) * chroma;
    out->stride[i] = cstride;
  }
  return PIXNORM_OK;
}

// Adds rows [y0, y1) to acc: per channel, or pooled into channel 0 (statistics over all
// channels). Pooled rows need no deinterleaving, which is several times cheaper: 1- and 3-byte
// pixels are reduced as one channel of w * cin bytes, 4-byte pixels with their alpha masked.
void reduce_rows(const RowKernels* k, const uint8_t* pixels, size_t w, unsigned cin, bool pooled, size_t row_bytes,
                 size_t y0, size_t y1, ReduceAcc* acc) {
  const auto add = [&](const uint8_t* row, size_t n) {
    if (!pooled)
      k->reduce(row, n, cin, acc);
    else if (cin == 4)
      k->reduce_pooled4(row, n, acc);
    else
      k->reduce(row, n * cin, 1, acc);
  };
  if (row_bytes == w * cin) {
    if (y0 < y1) add(pixels + y0 * row_bytes, w * (y1 - y0));
    return;
  }
  for (size_t y = y0; y < y1; ++y) add(pixels + y * row_bytes, w);
}

namespace {

enum Phase { kNormalize, kReduce, kResample };

// One run's work, split into row bands that the caller's thread and the plan's workers share.
struct RunJob {
  const pixnorm_plan* p;
  Planes src;
  const uint8_t* rows;  // rows normalized or reduced: the source region or the resampled image;
  size_t row_bytes;     // nullptr with geometry in a fixed mode: each band resamples blocks
  void* dst;
  const float* scale;
  const float* bias;
  ReduceAcc* accs;  // reduction phase: one per band
  unsigned bands;
  Phase phase;
  unsigned char* scratch;  // this run's: band b at b * p->band_bytes
  uint8_t* image;          // this run's resampled image (per-image modes with geometry)
};

// Statistics over all channels: reduced into channel 0 (reduce_rows).
bool reduce_pooled(const pixnorm_plan* p) { return !p->desc.per_channel; }

void run_band(const RunJob& j, unsigned band) {
  const pixnorm_plan* p = j.p;
  const size_t h = p->h, y0 = h * band / j.bands, y1 = h * (band + 1) / j.bands;
  unsigned char* scratch = j.scratch != nullptr ? j.scratch + p->band_bytes * band : nullptr;
  switch (j.phase) {
    case kResample:
      p->geo->rows(p->kernels, j.src, static_cast<uint32_t>(y0), static_cast<uint32_t>(y1), j.image + y0 * j.row_bytes,
                   j.row_bytes, scratch);
      return;
    case kReduce:
      reduce_rows(p->kernels, j.rows, p->w, p->cin, reduce_pooled(p), j.row_bytes, y0, y1, &j.accs[band]);
      return;
    case kNormalize:
      break;
  }
  if (j.rows != nullptr) {
    normalize(p, j.rows + y0 * j.row_bytes, j.row_bytes, j.dst, j.scale, j.bias, y0, y1);
    return;
  }
  // Geometry in a fixed mode: a few rows at a time resampled into the band's scratch (cache
  // resident), then normalized; no full-size intermediate image.
  uint8_t* block = scratch + round64(p->geo->scratch_bytes());
  const size_t rb = static_cast<size_t>(p->w) * p->cin;
  for (size_t yb = y0; yb < y1; yb += p->block_rows) {
    const size_t ye = y1 - yb < p->block_rows ? y1 : yb + p->block_rows;
    p->geo->rows(p->kernels, j.src, static_cast<uint32_t>(yb), static_cast<uint32_t>(ye), block, rb, scratch);
    normalize(p, block, rb, j.dst, j.scale, j.bias, yb, ye);
  }
}

void run_band_task(const void* job, unsigned band) { run_band(*static_cast<const RunJob*>(job), band); }

void run_bands(const pixnorm_plan* p, const RunJob& job) {
  if (p->pool == nullptr || job.bands == 1) {
    for (unsigned b = 0; b < job.bands; ++b) run_band(job, b);
    return;
  }
  bool done = false;
  const BandTask task{run_band_task, &job, job.bands};
  try {
    done = p->pool->run(task);
  } catch (...) {  // a mutex that fails to lock: do the work on this thread
  }
  if (!done)
    for (unsigned b = 0; b < job.bands; ++b) run_band(job, b);
}

// The rows and bytes per row plane i of a source image spans (after check_planes).
void plane_extent(const pixnorm_plan* p, unsigned i, size_t* row, size_t* rows) {
  const PlaneRow& r = format_row(p->desc.format).plane[i];
  *row = shift_up(p->desc.width, r.shift_x) * r.bytes;
  *rows = shift_up(p->desc.height, r.shift_y);
}

unsigned plane_count(pixnorm_format f) { return format_row(f).planes; }

// [a, a + an) and [b, b + bn) share a byte. Compared as integers: relational operators on
// pointers into different objects are unspecified.
bool ranges_overlap(const void* a, size_t an, const void* b, size_t bn) {
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
  const uintptr_t a1 = an > UINTPTR_MAX - a0 ? UINTPTR_MAX : a0 + an;
  const uintptr_t b1 = bn > UINTPTR_MAX - b0 ? UINTPTR_MAX : b0 + bn;
  return a0 < b1 && b0 < a1;
}

}  // namespace

// Validates a source image and refuses an output [dst, dst + dst_bytes) that overlaps any byte
// the run reads: the kernels would read what they have already overwritten. `image` >= 0 names
// the image of a batch in messages.
pixnorm_status check_source(const pixnorm_plan* p, const Planes& src, const void* dst, size_t dst_bytes,
                            const char* fn, long image) {
  if (src.p[0] == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "%s: pixels is NULL", fn);
  const pixnorm_status st = check_planes(p, src);
  if (st != PIXNORM_OK) return st;
  const unsigned planes = plane_count(p->desc.format);
  for (unsigned i = 0; i < planes; ++i) {
    size_t row, rows;
    plane_extent(p, i, &row, &rows);
    const size_t bytes = (rows - 1) * src.stride[i] + row;  // cannot overflow: check_planes
    if (!ranges_overlap(src.p[i], bytes, dst, dst_bytes)) continue;
    char which[48] = "";
    if (image >= 0) std::snprintf(which, sizeof which, "image %ld, ", image);
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                "%s: the output tensor (%zu bytes) overlaps the input (%splane %u, %zu bytes): the output "
                "must not share any byte with the input",
                fn, dst_bytes, which, i, bytes);
  }
  return PIXNORM_OK;
}

// One validated image into dst, with the scratch of `lease`.
void run_one(const pixnorm_plan* p, const Planes& src, void* dst, const ScratchLease& lease) {
  const size_t w = p->w, h = p->h;
  const unsigned bands = p->pool ? p->pool->bands(w, h) : 1;
  RunJob job{p, src, nullptr, 0, dst, p->scale, p->bias, nullptr, bands, kNormalize, lease.bands(), lease.image()};
  if (p->geo == nullptr) {  // the source region in place
    const size_t x0 = p->desc.roi_width ? p->desc.roi_x : 0, y0 = p->desc.roi_width ? p->desc.roi_y : 0;
    job.rows = src.p[0] + y0 * src.stride[0] + x0 * p->src_cin;
    job.row_bytes = src.stride[0];
  } else if (p->image_bytes != 0) {  // per-image modes: the statistics need the whole resampled image
    job.rows = job.image;
    job.row_bytes = w * p->cin;
    job.phase = kResample;
    run_bands(p, job);
    job.phase = kNormalize;
  }
  if (is_fixed_mode(p->desc.mode)) {
    run_bands(p, job);
    return;
  }
  ReduceAcc accs[kMaxThreads];
  // minmax needs the extremes only, the other per-image modes the moments only.
  const bool minmax = p->desc.mode == PIXNORM_MODE_MINMAX;
  for (unsigned b = 0; b < bands; ++b) reduce_acc_init(&accs[b], !minmax, minmax);
  job.accs = accs;
  job.phase = kReduce;
  run_bands(p, job);
  job.phase = kNormalize;
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
    // Pooled: the whole image's statistics are in channel 0.
    per_image_params(p, plane * p->cout, acc.sum[0], acc.sumsq[0], acc.min[0], acc.max[0], &scale[0], &bias[0]);
    for (unsigned c = 1; c < p->cout; ++c) {
      scale[c] = scale[0];
      bias[c] = bias[0];
    }
  }
  job.scale = scale;
  job.bias = bias;
  run_bands(p, job);
}

// Tests: take a scratch set of a plan as a run does (nullptr for plans without scratch), and
// return it; a test holding every set sees the next run wait, then go on when one is returned.
void* scratch_acquire_for_test(const pixnorm_plan* p) { return p->sets ? p->sets->acquire() : nullptr; }
void scratch_release_for_test(const pixnorm_plan* p, void* set) {
  if (set != nullptr) p->sets->release(static_cast<ScratchSet*>(set));
}

}  // namespace pixnorm
