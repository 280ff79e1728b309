// The C API of plans and channel sums (the work is in plan.cpp and plan_run.cpp).
#include <cstdint>
#include <cstring>

#include "band_pool.h"
#include "c_enum.h"
#include "error.h"
#include "plan.h"

using namespace pixnorm;

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
  return create_plan(stats, desc, out);
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
  const ScratchLease lease(plan->sets);
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
  const ScratchLease lease(plan->sets);
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
  const ScratchLease lease(plan->sets);
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
