// Plans: validation and folding at creation (the runs are plan_run.cpp's).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

#include "band_pool.h"
#include "c_enum.h"
#include "error.h"
#include "machine.h"
#include "plan.h"
#include "wide_math.h"

namespace pixnorm {

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

namespace {
const char* order_name(pixnorm_channel_order o) {
  return o == PIXNORM_ORDER_RGB ? "RGB" : o == PIXNORM_ORDER_BGR ? "BGR" : "GRAY";
}

}  // namespace

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
  if (static_cast<unsigned>(enum_bits(d->variant)) > PIXNORM_VARIANT_512)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown kernel variant %d", enum_bits(d->variant));
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

namespace {

// The fields of geometry, YUV and quantization (after validate_desc).
pixnorm_status validate_geometry(const pixnorm_plan_desc* d) {
  if (static_cast<unsigned>(enum_bits(d->interp)) > PIXNORM_INTERP_TORCH_BICUBIC)
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
  if (!resample) return PIXNORM_OK;  // rows normalized in place need no scratch
  p->nbands = p->desc.threads > 1 ? p->desc.threads : 1;
  p->band_bytes = geo_bytes;
  p->sets = new (std::nothrow) ScratchSets();
  if (p->sets == nullptr || !p->sets->allocate(p->band_bytes * p->nbands + 64, p->image_bytes))
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for %u sets of scratch buffers (%zu bytes each)",
                kScratchSets, p->band_bytes * p->nbands + 64 + p->image_bytes);
  return PIXNORM_OK;
}

// The backend asked for (AUTO resolved now) and its kernels in the variant asked for: the
// description's, else PIXNORM_VARIANT's, else the CPU's preference. A target with one variant
// runs it whatever the choice; *measure is set when the variants are to be timed (measure_variant).
pixnorm_status choose_backend(pixnorm_plan* p, bool* measure) {
  p->backend = p->desc.backend == PIXNORM_BACKEND_AUTO ? pixnorm_backend_default() : p->desc.backend;
  p->kernels = kernels_for_backend(enum_bits(p->backend));
  if (p->kernels == nullptr)
    return fail(PIXNORM_ERROR_UNSUPPORTED, "plan: backend %s is %s", pixnorm_backend_name(p->backend),
                p->backend == PIXNORM_BACKEND_XSIMD && pixnorm_backend_targets(PIXNORM_BACKEND_XSIMD)[0] == '\0'
                    ? "not compiled in or not supported by this CPU"
                    : "not available in this build");
  int variant = enum_bits(p->desc.variant);
  if (variant == PIXNORM_VARIANT_AUTO) {
    const EnvOverrides env = env_overrides();
    if (env.variant == -2)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "plan: environment variable PIXNORM_VARIANT is '%s', not a kernel variant (auto, measure, 256, 512)",
                  env.variant_text);
    variant = env.variant >= 0 ? env.variant : preferred_variant();
  }
  const RowKernels* wide = kernels_for_backend(enum_bits(p->backend), true);
  *measure = wide != nullptr && variant == PIXNORM_VARIANT_MEASURE;
  if (wide != nullptr && variant == PIXNORM_VARIANT_512) p->kernels = wide;
  return PIXNORM_OK;
}

// PIXNORM_VARIANT_MEASURE: the plan's normalization timed with each variant of its target, the
// faster kept. Both give the same bytes, so the choice changes speed only.
void measure_variant(pixnorm_plan* p) {
  const RowKernels* variants[2] = {kernels_for_backend(enum_bits(p->backend)),
                                   kernels_for_backend(enum_bits(p->backend), true)};
  double best = 0;
  const RowKernels* chosen = variants[0];
  for (const RowKernels* k : variants) {
    p->kernels = k;
    const double t = time_normalize(p);
    if (t < 0) break;  // no memory to measure with: keep the default
    if (k == variants[0] || t < best) {
      best = t;
      chosen = k;
    }
  }
  p->kernels = chosen;
}

// The sizes of rows and elements, and the output type's packing. Returns whether the source rows
// go through the resampler (geometry, YUV) rather than being normalized in place.
bool shape_rows(pixnorm_plan* p, const FormatRow& format) {
  const pixnorm_plan_desc* desc = &p->desc;
  p->src_cin = format.bytes_per_pixel;
  // Geometry: the region, its size, and whether the source rows can be normalized in place.
  const uint32_t rw = desc->roi_width ? desc->roi_width : desc->width;
  const uint32_t rh = desc->roi_width ? desc->roi_height : desc->height;
  p->w = desc->out_width ? desc->out_width : rw;
  p->h = desc->out_width ? desc->out_height : rh;
  const bool resample = format.yuv || p->w != rw || p->h != rh || desc->flip ||
                        desc->fit != PIXNORM_FIT_STRETCH;
  p->cin = resample ? (format.order == PIXNORM_ORDER_GRAY ? 1 : 3) : p->src_cin;
  const DtypeRow& dtype = dtype_row(desc->dtype);
  p->esize = dtype.bytes;
  p->pack.dtype = desc->dtype;
  if (dtype.quantized) {
    p->pack.zero_point = desc->quant_zero_point;
    p->pack.lo = static_cast<float>(dtype.min - desc->quant_zero_point);
    p->pack.hi = static_cast<float>(dtype.max - desc->quant_zero_point);
  }
  return resample;
}

// The statistics' values (zero without statistics), checked against the input's channels; the
// output order, rescale, channels and epsilon they give.
pixnorm_status take_statistics(pixnorm_plan* p, const pixnorm_stats* stats, pixnorm_channel_order in_order,
                               pixnorm_stats_values* values) {
  const pixnorm_plan_desc* desc = &p->desc;
  const bool needs_stats = desc->mode == PIXNORM_MODE_STANDARDIZE || desc->mode == PIXNORM_MODE_CENTER;
  pixnorm_stats_values& v = *values;
  std::memset(&v, 0, sizeof(v));
  if (stats == nullptr) {
    if (needs_stats)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: mode %s needs statistics (a file or a preset)",
                  mode_name(desc->mode));
    p->out_order = in_order;
    p->rescale = 1.0;
  } else {
    const pixnorm_status st = pixnorm_stats_get(stats, &v);
    if (st != PIXNORM_OK) return st;
    const bool stats_gray = v.channel_order == PIXNORM_ORDER_GRAY, input_gray = in_order == PIXNORM_ORDER_GRAY;
    if (stats_gray != input_gray)
      return fail(PIXNORM_ERROR_CHANNEL_MISMATCH,
                  "plan: the input is %s (%u channel%s) but the statistics are for %s (%u channel%s)",
                  format_name(desc->format), input_gray ? 1u : 3u, input_gray ? "" : "s",
                  order_name(v.channel_order), stats_gray ? 1u : 3u, stats_gray ? "" : "s");
    p->out_order = v.channel_order;
    p->rescale = v.rescale;
  }
  if (!(p->rescale >= kTiny && p->rescale <= kHuge))
    return fail(PIXNORM_ERROR_INVALID_STATS, "plan: rescale %g is outside [2^-100, 2^100]", p->rescale);
  p->cout = in_order == PIXNORM_ORDER_GRAY ? 1 : 3;
  p->swap = p->cout == 3 && in_order != p->out_order;

  const double default_eps = desc->mode == PIXNORM_MODE_SAMPLE_STANDARDIZE ? 1e-6 : v.epsilon;
  p->epsilon = desc->epsilon == PIXNORM_EPSILON_DEFAULT ? default_eps : desc->epsilon;
  return PIXNORM_OK;
}

}  // namespace

pixnorm_status create_plan(const pixnorm_stats* stats, const pixnorm_plan_desc* desc, pixnorm_plan** out) {
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
  bool measure = false;
  if ((st = choose_backend(&p, &measure)) != PIXNORM_OK) return st;
  const FormatRow& format = format_row(desc->format);
  const bool resample = shape_rows(&p, format);
  pixnorm_stats_values v;
  if ((st = take_statistics(&p, stats, format.order, &v)) != PIXNORM_OK) return st;

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
  if (measure) measure_variant(plan);
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

}  // namespace pixnorm
