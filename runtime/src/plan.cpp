// Plans: validation and folding at creation, then allocation-free runs.
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#if PIXNORM_WITH_THREADS
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

#include "c_enum.h"
#include "error.h"
#include "formats.h"
#include "geometry.h"
#include "kernels.h"
#include "machine.h"
#include "pixnorm/pixnorm.h"

using namespace pixnorm;

namespace {
constexpr unsigned kMaxThreads = 64;
class Pool;
class ScratchSets;
}  // namespace

struct pixnorm_plan {
  pixnorm_plan_desc desc;
  pixnorm_backend backend;
  const RowKernels* kernels;
  uint32_t w, h;      // output size
  unsigned src_cin;   // bytes per source pixel (packed formats; 1 for the Y plane of YUV)
  unsigned cin;       // bytes per pixel of the rows normalized (the source's, or the resampler's 1 or 3)
  unsigned cout;      // output channels
  size_t esize;       // bytes per output element
  PackParams pack;    // outputs other than f32
  Resampler* geo;     // nullptr: the source rows (or region) are normalized in place
  size_t image_bytes; // per-image modes with geometry: the whole resampled image (w * h * cin)
  size_t block_rows;  // fixed modes with geometry: rows resampled at a time by a band
  size_t band_bytes;  // per band: resampler scratch, then block rows, then a float chunk
  unsigned nbands;
  ScratchSets* sets;  // what runs write besides the tensor; nullptr: nothing
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
constexpr size_t kChunk = 512;  // pixels normalized to floats at a time before narrowing
}

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

const char* format_name(pixnorm_format f) { return format_row(f).label; }

// n samples subsampled by 1 << shift, rounded up (chroma of odd sizes covers the last pixel).
size_t shift_up(size_t n, unsigned shift) { return (n >> shift) + ((n & ((size_t{1} << shift) - 1)) != 0); }

bool checked_mul(size_t a, size_t b, size_t* out) {
  if (a != 0 && b > SIZE_MAX / a) return false;
  *out = a * b;
  return true;
}

float flush_tiny(double v) { return std::fabs(v) < kTiny ? 0.0f : static_cast<float>(v); }

bool is_quantized(pixnorm_dtype t) { return dtype_row(t).quantized; }
bool is_quantized(const pixnorm_plan* p) { return is_quantized(p->desc.dtype); }

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
  // minmax reduces the extremes only (no sums): for it, constant means hi == lo.
  const bool constant = p->desc.mode == PIXNORM_MODE_MINMAX ? !(hi > lo) : !(std_x > 0.0);
  if (constant) {
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
  if (is_quantized(p)) {
    sc /= p->desc.quant_scale;
    bi /= p->desc.quant_scale;
  }
  // Within float's range: the quantization scale may be tiny.
  *scale = flush_tiny(std::fmax(-kHuge, std::fmin(kHuge, sc)));
  *bias = flush_tiny(std::fmax(-kHuge, std::fmin(kHuge, bi)));
}

pixnorm_status validate_desc(const pixnorm_plan_desc* d) {
  if (!format_known(enum_bits(d->format)))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown pixel format %d", enum_bits(d->format));
  if (static_cast<unsigned>(enum_bits(d->layout)) >= PIXNORM_LAYOUT_COUNT)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown layout %d", enum_bits(d->layout));
  if (!dtype_known(enum_bits(d->dtype)))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown output type %d", enum_bits(d->dtype));
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

// The fields of geometry, YUV and quantization (after validate_desc).
pixnorm_status validate_geometry(const pixnorm_plan_desc* d) {
  if (static_cast<unsigned>(enum_bits(d->interp)) > PIXNORM_INTERP_PIL_LANCZOS)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown interpolation %d", enum_bits(d->interp));
  if (static_cast<unsigned>(enum_bits(d->fit)) > PIXNORM_FIT_LETTERBOX)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown fit %d", enum_bits(d->fit));
  if (static_cast<unsigned>(enum_bits(d->crop_rounding)) > PIXNORM_CROP_FLOOR)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown crop_rounding %d", enum_bits(d->crop_rounding));
  if (static_cast<unsigned>(enum_bits(d->yuv_matrix)) > PIXNORM_YUV_BT709)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown YUV matrix %d", enum_bits(d->yuv_matrix));
  if (static_cast<unsigned>(enum_bits(d->yuv_range)) > PIXNORM_YUV_FULL)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown YUV range %d", enum_bits(d->yuv_range));
  if (d->flip != 0 && d->flip != 1) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: flip must be 0 or 1");
  if (d->letterbox_fill > 255)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: letterbox_fill %u is not in 0..255", d->letterbox_fill);
  if ((d->roi_width == 0) != (d->roi_height == 0))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: region %ux%u: give both sides or neither", d->roi_width,
                d->roi_height);
  if (d->roi_width == 0 && (d->roi_x != 0 || d->roi_y != 0))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: region offset %u,%u without a region size", d->roi_x, d->roi_y);
  if (static_cast<uint64_t>(d->roi_x) + d->roi_width > d->width ||
      static_cast<uint64_t>(d->roi_y) + d->roi_height > d->height)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: region %ux%u+%u+%u is not inside the %ux%u image",
                d->roi_width, d->roi_height, d->roi_x, d->roi_y, d->width, d->height);
  if ((d->out_width == 0) != (d->out_height == 0))
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: output size %ux%u: give both sides or neither",
                d->out_width, d->out_height);
  if (d->out_width > PIXNORM_MAX_DIMENSION || d->out_height > PIXNORM_MAX_DIMENSION ||
      static_cast<uint64_t>(d->out_width) * d->out_height > PIXNORM_MAX_PIXELS)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: output size %ux%u is over the limit (%u per side, %u pixels)",
                d->out_width, d->out_height, PIXNORM_MAX_DIMENSION, PIXNORM_MAX_PIXELS);
  if (d->fit != PIXNORM_FIT_STRETCH && d->out_width == 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: %s needs an output size",
                d->fit == PIXNORM_FIT_CENTER_CROP ? "center crop" : "letterbox");
  if (d->resize_short != 0 && d->fit != PIXNORM_FIT_CENTER_CROP)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: resize_short applies to the center crop only");
  if (d->resize_short > PIXNORM_MAX_DIMENSION)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: resize_short %u is over %u", d->resize_short, PIXNORM_MAX_DIMENSION);
  if (d->resize_short != 0) {
    const uint64_t sw = d->roi_width ? d->roi_width : d->width, sh = d->roi_height ? d->roi_height : d->height;
    uint64_t rw, rh;
    resize_short_size(sw, sh, d->resize_short, &rw, &rh);
    if (rw < d->out_width || rh < d->out_height)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "plan: resize_short %u scales the %llux%llu region to %llux%llu, smaller than the %ux%u crop",
                  d->resize_short, static_cast<unsigned long long>(sw), static_cast<unsigned long long>(sh),
                  static_cast<unsigned long long>(rw), static_cast<unsigned long long>(rh), d->out_width,
                  d->out_height);
  }
  const DtypeRow& t = dtype_row(d->dtype);
  if (t.quantized) {
    if (!(d->quant_scale >= kTiny && d->quant_scale <= kHuge))
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "plan: %s output needs quant_scale > 0 (in [2^-100, 2^100]), got %g", t.name, d->quant_scale);
    if (d->quant_zero_point < t.min || d->quant_zero_point > t.max)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: quant_zero_point %d is outside the %s (%d..%d) range",
                  d->quant_zero_point, t.name, t.min, t.max);
  }
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
    if (is_quantized(p)) {  // q = round(f / quant_scale), folded
      sc /= p->desc.quant_scale;
      bi /= p->desc.quant_scale;
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

// One run of n pixels of normalized rows, starting at pixel index `off` of the output image,
// into the output tensor (any dtype). Outputs other than f32 are narrowed by flat_narrow and
// planar_narrow; NHWC from swapped or four-channel pixels through a float chunk of the band's
// scratch, then the narrowing kernel.
void normalize_pixels(const pixnorm_plan* p, const uint8_t* row, size_t n, size_t off, void* out, const float* scale,
                      const float* bias, unsigned char* scratch) {
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
    // NHWC from swapped or four-channel pixels: interleaved into a float chunk, then narrowed.
    float* f = reinterpret_cast<float*>(scratch + p->band_bytes - 3 * kChunk * sizeof(float));
    for (size_t i = 0; i < n; i += kChunk) {
      const size_t m = n - i < kChunk ? n - i : kChunk;
      k->interleave(row + i * cin, m, static_cast<unsigned>(cin), p->swap, f, scale, bias);
      k->pack(f, 3 * m, dst + 3 * (off + i) * es, &p->pack);
    }
  }
}

// Normalizes rows [y0, y1) of the output image; `rows` points at row y0's pixels.
void normalize(const pixnorm_plan* p, const uint8_t* rows, size_t row_bytes, void* dst, const float* scale,
               const float* bias, size_t y0, size_t y1, unsigned char* scratch) {
  const size_t w = p->w, cin = p->cin;
  // Tightly packed rows are one long row: fewer tails, longer vector loops.
  const bool packed = row_bytes == w * cin;
  const size_t nrows = packed ? (y0 < y1 ? 1 : 0) : y1 - y0, n = packed ? w * (y1 - y0) : w;
  for (size_t r = 0; r < nrows; ++r)
    normalize_pixels(p, rows + r * row_bytes, n, (y0 + r) * w, dst, scale, bias, scratch);
}

// The image must fit in the address space: (height - 1) * row_bytes + width * cin bytes.
pixnorm_status check_span(size_t w, size_t h, size_t cin, size_t row_bytes, const char* what = "row_bytes") {
  if (row_bytes < w * cin)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "%s %zu is less than width * bytes per pixel (%zu)", what,
                row_bytes, w * cin);
  size_t span;
  if (!checked_mul(row_bytes, h - 1, &span) || span > SIZE_MAX - w * cin)
    return fail(PIXNORM_ERROR_TOO_LARGE, "%s %zu times height %zu overflows", what, row_bytes, h);
  return PIXNORM_OK;
}

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

size_t round64(size_t n) { return (n + 63) / 64 * 64; }

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
    normalize(p, j.rows + y0 * j.row_bytes, j.row_bytes, j.dst, j.scale, j.bias, y0, y1, scratch);
    return;
  }
  // Geometry in a fixed mode: a few rows at a time resampled into the band's scratch (cache
  // resident), then normalized; no full-size intermediate image.
  uint8_t* block = scratch + round64(p->geo->scratch_bytes());
  const size_t rb = static_cast<size_t>(p->w) * p->cin;
  for (size_t yb = y0; yb < y1; yb += p->block_rows) {
    const size_t ye = y1 - yb < p->block_rows ? y1 : yb + p->block_rows;
    p->geo->rows(p->kernels, j.src, static_cast<uint32_t>(yb), static_cast<uint32_t>(ye), block, rb, scratch);
    normalize(p, block, rb, j.dst, j.scale, j.bias, yb, ye, scratch);
  }
}

// Pixels of output per band below which a run uses fewer bands than threads: waking a worker
// and waiting for it costs tens of microseconds (about 60 us on the two-core virtual machine of
// the benchmark in README), about as long as normalizing 130k-250k pixels. There, 224x224 and
// 448x448 images ran slower on two threads than on one, 640x480 1.45x faster.
// PIXNORM_MIN_BAND_PIXELS (read at planning) overrides it: the tests split even tiny images with 1.
constexpr size_t kMinBandPixels = 131072;

size_t min_band_pixels_from_env() {
  const size_t n = env_overrides().min_band_pixels;
  return n != 0 ? n : kMinBandPixels;
}

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
  bool run(const RunJob& job) {
    std::unique_lock<std::mutex> serial(run_m_, std::try_to_lock);
    if (!serial.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &job;
      bands_ = job.bands;
      pending_ = job.bands - 1;
      generation_.store(generation_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    start_.notify_all();
    run_band(job, 0);
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [this] { return pending_ == 0; });
    return true;
  }
#else
  bool start() { return false; }
  bool run(const RunJob&) { return false; }
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
      const RunJob* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(m_);
        start_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
        if (stop_) return;
        seen = generation_.load(std::memory_order_relaxed);
        // A worker past this run's bands is not waited for: it reads nothing of the job.
        if (index < bands_) job = job_;
      }
      if (job == nullptr) continue;
      run_band(*job, index);
      std::lock_guard<std::mutex> lock(m_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
  std::mutex run_m_, m_;
  std::condition_variable start_, done_;
  std::vector<std::thread> workers_;
  const RunJob* job_ = nullptr;
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
  explicit ScratchLease(const pixnorm_plan* p) : sets_(p->sets), set_(sets_ ? sets_->acquire() : nullptr) {}
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

}  // namespace

namespace pixnorm {
// Tests: take a scratch set of a plan as a run does (nullptr for plans without scratch), and
// return it; a test holding every set sees the next run wait, then go on when one is returned.
void* scratch_acquire_for_test(const pixnorm_plan* p) { return p->sets ? p->sets->acquire() : nullptr; }
void scratch_release_for_test(const pixnorm_plan* p, void* set) {
  if (set != nullptr) p->sets->release(static_cast<ScratchSet*>(set));
}
}  // namespace pixnorm

namespace {

void run_bands(const pixnorm_plan* p, const RunJob& job) {
  if (p->pool == nullptr || job.bands == 1) {
    for (unsigned b = 0; b < job.bands; ++b) run_band(job, b);
    return;
  }
  bool done = false;
  try {
    done = p->pool->run(job);
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

// The resampler and every buffer a run uses, allocated once here: runs allocate nothing.
pixnorm_status plan_buffers(pixnorm_plan* p, bool resample) {
  size_t geo_bytes = 0;
  if (resample) {
    p->geo = new (std::nothrow) Resampler();
    if (p->geo == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory");
    const pixnorm_status st = p->geo->init(p->desc, p->w, p->h, p->src_cin, p->cin);
    if (st != PIXNORM_OK) return st;
    geo_bytes = round64(p->geo->scratch_bytes());
    const size_t row = static_cast<size_t>(p->w) * p->cin;
    if (is_fixed_mode(p->desc.mode)) {
      p->block_rows = row >= 16384 ? 1 : 16384 / row;  // about 16 KiB of rows per block
      geo_bytes += round64(p->block_rows * row);
    } else {
      p->image_bytes = row * p->h;
    }
  }
  if (!resample && p->esize == 4) return PIXNORM_OK;
  p->nbands = p->desc.threads > 1 ? p->desc.threads : 1;
  p->band_bytes = geo_bytes + 3 * kChunk * sizeof(float);
  p->sets = new (std::nothrow) ScratchSets();
  if (p->sets == nullptr || !p->sets->allocate(p->band_bytes * p->nbands + 64, p->image_bytes))
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for %u sets of scratch buffers (%zu bytes each)",
                kScratchSets, p->band_bytes * p->nbands + 64 + p->image_bytes);
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
  desc->letterbox_fill = 114;
}

pixnorm_status pixnorm_plan_create(const pixnorm_stats* stats, const pixnorm_plan_desc* desc, pixnorm_plan** out) {
  clear_error();
  if (out == nullptr || desc == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: %s is NULL", out == nullptr ? "out" : "desc");
  *out = nullptr;
  pixnorm_status st = validate_desc(desc);
  if (st == PIXNORM_OK) st = validate_geometry(desc);
  if (st != PIXNORM_OK) return st;

  pixnorm_plan p;
  std::memset(&p, 0, sizeof(p));
  p.desc = *desc;
  p.backend = desc->backend == PIXNORM_BACKEND_AUTO ? pixnorm_backend_default() : desc->backend;
  p.kernels = kernels_for_backend(enum_bits(p.backend));
  if (p.kernels == nullptr)
    return fail(PIXNORM_ERROR_UNSUPPORTED, "plan: backend %s is %s", pixnorm_backend_name(p.backend),
                p.backend == PIXNORM_BACKEND_XSIMD && pixnorm_backend_targets(PIXNORM_BACKEND_XSIMD)[0] == '\0'
                    ? "not compiled in or not supported by this CPU"
                    : "not available in this build");

  const FormatRow& format = format_row(desc->format);
  p.src_cin = format.bytes_per_pixel;
  const pixnorm_channel_order in_order = format.order;
  // Geometry: the region, its size, and whether the source rows can be normalized in place.
  const uint32_t rw = desc->roi_width ? desc->roi_width : desc->width;
  const uint32_t rh = desc->roi_width ? desc->roi_height : desc->height;
  p.w = desc->out_width ? desc->out_width : rw;
  p.h = desc->out_width ? desc->out_height : rh;
  const bool resample = format.yuv || p.w != rw || p.h != rh || desc->flip ||
                        desc->fit != PIXNORM_FIT_STRETCH;
  p.cin = resample ? (in_order == PIXNORM_ORDER_GRAY ? 1 : 3) : p.src_cin;
  const DtypeRow& dtype = dtype_row(desc->dtype);
  p.esize = dtype.bytes;
  p.pack.dtype = desc->dtype;
  if (dtype.quantized) {
    p.pack.zero_point = desc->quant_zero_point;
    p.pack.lo = static_cast<float>(dtype.min - desc->quant_zero_point);
    p.pack.hi = static_cast<float>(dtype.max - desc->quant_zero_point);
  }

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

  if (!checked_mul(static_cast<size_t>(p.w) * p.h, p.cout, &p.elements))
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: output size overflows");
  size_t total;
  if (!checked_mul(p.elements, static_cast<size_t>(desc->batch) * p.esize, &total))
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: a batch of %u outputs of %zu elements does not fit in memory",
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
  st = plan_buffers(plan, resample);
  if (st != PIXNORM_OK) {
    pixnorm_plan_free(plan);
    return st;
  }
  if (desc->threads > 1) {
    plan->pool = new (std::nothrow) Pool(desc->threads, min_band_pixels_from_env());
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
  delete plan->geo;
  delete plan->sets;
  delete plan;
}

pixnorm_status pixnorm_plan_run(const pixnorm_plan* plan, const uint8_t* pixels, size_t row_bytes, void* tensor) {
  if (plan == nullptr || tensor == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run: %s is NULL", plan == nullptr ? "plan" : "tensor");
  if (reinterpret_cast<uintptr_t>(tensor) % plan->esize != 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run: tensor is not aligned for its type (%zu bytes)", plan->esize);
  Planes src;
  pixnorm_status st = contiguous_planes(plan, pixels, row_bytes, &src);
  if (st == PIXNORM_OK) st = check_source(plan, src, tensor, plan->elements * plan->esize, "run", -1);
  if (st != PIXNORM_OK) return st;
  const ScratchLease lease(plan);
  run_one(plan, src, tensor, lease);
  return PIXNORM_OK;
}

pixnorm_status pixnorm_plan_run_image(const pixnorm_plan* plan, const pixnorm_image* image, void* tensor) {
  if (plan == nullptr || tensor == nullptr || image == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_image: %s is NULL",
                plan == nullptr ? "plan" : tensor == nullptr ? "tensor" : "image");
  if (reinterpret_cast<uintptr_t>(tensor) % plan->esize != 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_image: tensor is not aligned for its type (%zu bytes)",
                plan->esize);
  Planes src;
  for (unsigned i = 0; i < 3; ++i) {
    src.p[i] = image->planes[i];
    src.stride[i] = image->row_bytes[i];
  }
  const pixnorm_status st = check_source(plan, src, tensor, plan->elements * plan->esize, "run_image", -1);
  if (st != PIXNORM_OK) return st;
  const ScratchLease lease(plan);
  run_one(plan, src, tensor, lease);
  return PIXNORM_OK;
}

pixnorm_status pixnorm_plan_run_batch(const pixnorm_plan* plan, const uint8_t* const* images,
                                      const size_t* row_bytes, uint32_t count, void* tensor) {
  if (plan == nullptr || tensor == nullptr || images == nullptr || row_bytes == nullptr)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_batch: a pointer argument is NULL");
  if (count > plan->desc.batch)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_batch: %u images for a plan of batch %u", count,
                plan->desc.batch);
  if (reinterpret_cast<uintptr_t>(tensor) % plan->esize != 0)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "run_batch: tensor is not aligned for its type (%zu bytes)",
                plan->esize);
  // Every image checked before any is converted: a refused batch leaves the tensor untouched.
  const size_t bytes = plan->elements * plan->esize;
  Planes src;
  for (uint32_t i = 0; i < count; ++i) {
    pixnorm_status st = contiguous_planes(plan, images[i], row_bytes[i], &src);
    if (st == PIXNORM_OK) st = check_source(plan, src, tensor, bytes * count, "run_batch", i);
    if (st != PIXNORM_OK) return st;
  }
  uint8_t* dst = static_cast<uint8_t*>(tensor);
  const ScratchLease lease(plan);
  for (uint32_t i = 0; i < count; ++i) {
    contiguous_planes(plan, images[i], row_bytes[i], &src);
    run_one(plan, src, dst + i * bytes, lease);
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
  // Copied as bytes: validate_desc reads them as integers; a copy as enums is undefined for
  // values outside the enumerations, which a C caller can pass.
  std::memcpy(&d.format, &format, sizeof format);
  d.width = width;
  d.height = height;
  std::memcpy(&d.backend, &backend, sizeof backend);
  pixnorm_status st = validate_desc(&d);
  if (st != PIXNORM_OK) return st;
  const FormatRow& f = format_row(format);
  if (f.yuv) return fail(PIXNORM_ERROR_UNSUPPORTED, "sums: %s images: convert them with a plan first", f.label);
  const unsigned cin = f.bytes_per_pixel, channels = f.channels;
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
  const RowKernels* k = kernels_for_backend(enum_bits(b));
  if (k == nullptr) return fail(PIXNORM_ERROR_UNSUPPORTED, "sums: backend %s is not available", pixnorm_backend_name(b));
  ReduceAcc acc;
  reduce_acc_init(&acc);
  reduce_rows(k, pixels, width, cin, false, row_bytes, 0, height, &acc);
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
size_t pixnorm_plan_output_bytes(const pixnorm_plan* plan) { return plan ? plan->elements * plan->esize : 0; }
void pixnorm_plan_output_size(const pixnorm_plan* plan, uint32_t* width, uint32_t* height) {
  if (width != nullptr) *width = plan ? plan->w : 0;
  if (height != nullptr) *height = plan ? plan->h : 0;
}
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
