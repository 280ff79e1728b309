/* The C API as a C program calls it: any int fits in an enum argument or field there. Written in
 * C because in C++ the cast of an out-of-range value to the enum, and every later copy of it, would
 * itself be undefined, and would hide what the library does with it. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pixnorm/pixnorm.h"

static int failures;
static char* report;
static size_t report_size;

static void failed(const char* fmt, ...) {
  size_t used = strlen(report);
  va_list ap;
  ++failures;
  if (used + 1 >= report_size) return;
  va_start(ap, fmt);
  vsnprintf(report + used, report_size - used, fmt, ap);
  va_end(ap);
  used = strlen(report);
  if (used + 1 < report_size) strcat(report, "\n");
}

/* One past the last enumerator of each enum, then values no enum holds. */
static const int kBad[] = {-1, INT_MIN, 1234, INT_MAX, 255, 256, 65536};
#define NBAD (sizeof kBad / sizeof kBad[0])

static void expect_refused(const char* field, const pixnorm_plan_desc* d, const char* message) {
  pixnorm_plan* plan = (pixnorm_plan*)&failures; /* must come back NULL */
  const pixnorm_status st = pixnorm_plan_create(NULL, d, &plan);
  if (st != PIXNORM_ERROR_INVALID_ARGUMENT || plan != NULL)
    failed("plan_create with %s out of range: status %d", field, (int)st);
  else if (strstr(pixnorm_last_error(), message) == NULL)
    failed("plan_create with %s out of range: message \"%s\" does not name it", field, pixnorm_last_error());
  if (st == PIXNORM_OK) pixnorm_plan_free(plan);
}

int pixnorm_test_c_enum_args(char* out, size_t out_size) {
  size_t i;
  failures = 0;
  report = out;
  report_size = out_size;
  out[0] = '\0';
  for (i = 0; i < NBAD + 1; ++i) {
    /* The first round: one past the last enumerator of each enum. */
    const int past = i == NBAD;
    const int v = past ? 0 : kBad[i];
    pixnorm_plan_desc d;
    pixnorm_stats_values sv;
    pixnorm_stats* stats = NULL;
    pixnorm_channel_sums sums, before;
    const uint8_t px[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    pixnorm_status st;

    {
      const pixnorm_status s = (pixnorm_status)(past ? PIXNORM_ERROR_OUT_OF_MEMORY + 1 : v);
      if (strcmp(pixnorm_status_name(s), "unknown status") != 0)
        failed("status_name(%d) gave \"%s\"", (int)s, pixnorm_status_name(s));
    }
    {
      const pixnorm_backend b = (pixnorm_backend)(past ? PIXNORM_BACKEND_XSIMD + 1 : v);
      if (strcmp(pixnorm_backend_name(b), "unknown") != 0) failed("backend_name(%d) gave \"%s\"", (int)b, pixnorm_backend_name(b));
      if (pixnorm_backend_available(b) != 0) failed("backend_available(%d) gave 1", (int)b);
      if (strcmp(pixnorm_backend_targets(b), "") != 0) failed("backend_targets(%d) is not empty", (int)b);
      if (strcmp(pixnorm_backend_target(b), "") != 0) failed("backend_target(%d) is not empty", (int)b);

      pixnorm_channel_sums_init(&sums);
      before = sums;
      st = pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_RGB8, 2, 2, px, 6, b);
      if (st != PIXNORM_ERROR_INVALID_ARGUMENT) failed("channel_sums_add with backend %d: status %d", (int)b, (int)st);
      else if (strstr(pixnorm_last_error(), "backend") == NULL)
        failed("channel_sums_add with backend %d: message \"%s\"", (int)b, pixnorm_last_error());
      if (memcmp(&sums, &before, sizeof sums) != 0) failed("channel_sums_add with backend %d changed the sums", (int)b);
    }
    {
      const pixnorm_format f = (pixnorm_format)(past ? PIXNORM_FORMAT_COUNT : v);
      pixnorm_channel_sums_init(&sums);
      before = sums;
      st = pixnorm_channel_sums_add(&sums, f, 2, 2, px, 6, PIXNORM_BACKEND_SCALAR);
      if (st != PIXNORM_ERROR_INVALID_ARGUMENT) failed("channel_sums_add with format %d: status %d", (int)f, (int)st);
      else if (strstr(pixnorm_last_error(), "format") == NULL)
        failed("channel_sums_add with format %d: message \"%s\"", (int)f, pixnorm_last_error());
      if (memcmp(&sums, &before, sizeof sums) != 0) failed("channel_sums_add with format %d changed the sums", (int)f);
    }
    {
      /* The format, type and layout tables: names "unknown", infos refused and left untouched. */
      const pixnorm_format f = (pixnorm_format)(past ? PIXNORM_FORMAT_COUNT : v);
      const pixnorm_dtype t = (pixnorm_dtype)(past ? PIXNORM_DTYPE_COUNT : v);
      const pixnorm_layout l = (pixnorm_layout)(past ? PIXNORM_LAYOUT_COUNT : v);
      pixnorm_format_info fi, fi_before;
      pixnorm_dtype_info ti, ti_before;
      memset(&fi, 0x5A, sizeof fi);
      memset(&ti, 0x5A, sizeof ti);
      fi_before = fi;
      ti_before = ti;
      if (strcmp(pixnorm_format_name(f), "unknown") != 0) failed("format_name(%d) gave \"%s\"", (int)f, pixnorm_format_name(f));
      if (strcmp(pixnorm_dtype_name(t), "unknown") != 0) failed("dtype_name(%d) gave \"%s\"", (int)t, pixnorm_dtype_name(t));
      if (strcmp(pixnorm_layout_name(l), "unknown") != 0) failed("layout_name(%d) gave \"%s\"", (int)l, pixnorm_layout_name(l));
      st = pixnorm_format_get_info(f, &fi);
      if (st != PIXNORM_ERROR_INVALID_ARGUMENT || strstr(pixnorm_last_error(), "format") == NULL)
        failed("format_get_info(%d): status %d, message \"%s\"", (int)f, (int)st, pixnorm_last_error());
      if (memcmp(&fi, &fi_before, sizeof fi) != 0) failed("format_get_info(%d) wrote its output", (int)f);
      st = pixnorm_dtype_get_info(t, &ti);
      if (st != PIXNORM_ERROR_INVALID_ARGUMENT || strstr(pixnorm_last_error(), "output type") == NULL)
        failed("dtype_get_info(%d): status %d, message \"%s\"", (int)t, (int)st, pixnorm_last_error());
      if (memcmp(&ti, &ti_before, sizeof ti) != 0) failed("dtype_get_info(%d) wrote its output", (int)t);
    }
    {
      memset(&sv, 0, sizeof sv);
      sv.channel_order = (pixnorm_channel_order)(past ? PIXNORM_ORDER_GRAY + 1 : v);
      sv.channels = 3;
      sv.rescale = 1.0 / 255;
      sv.std[0] = sv.std[1] = sv.std[2] = 1;
      sv.has_std = 1;
      st = pixnorm_stats_create(&sv, &stats);
      if (st != PIXNORM_ERROR_INVALID_ARGUMENT || stats != NULL)
        failed("stats_create with channel_order %d: status %d", (int)sv.channel_order, (int)st);
      pixnorm_stats_free(stats);
      stats = NULL;
    }
#define FIELD(name, last, message)                                  \
  pixnorm_plan_desc_init(&d);                                       \
  d.width = 4;                                                      \
  d.height = 4;                                                     \
  d.mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;                         \
  d.name = past ? (last) + 1 : v;                                   \
  expect_refused(#name, &d, message);
    FIELD(format, PIXNORM_FORMAT_COUNT - 1, "format")
    FIELD(layout, PIXNORM_LAYOUT_COUNT - 1, "layout")
    FIELD(dtype, PIXNORM_DTYPE_COUNT - 1, "output type")
    FIELD(mode, PIXNORM_MODE_MINMAX, "mode")
    FIELD(backend, PIXNORM_BACKEND_XSIMD, "backend")
    FIELD(interp, PIXNORM_INTERP_TORCH_BICUBIC, "interpolation")
    FIELD(fit, PIXNORM_FIT_LETTERBOX, "fit")
    FIELD(crop_rounding, PIXNORM_CROP_FLOOR, "crop_rounding")
    FIELD(yuv_matrix, PIXNORM_YUV_BT709, "YUV matrix")
    FIELD(yuv_range, PIXNORM_YUV_FULL, "YUV range")
#undef FIELD
  }
  /* The layouts have no table that fails to compile without a row (formats and types do). */
  if (PIXNORM_LAYOUT_COUNT != PIXNORM_LAYOUT_NHWC + 1) failed("PIXNORM_LAYOUT_COUNT is %d", PIXNORM_LAYOUT_COUNT);
  /* The valid values still work. */
  if (pixnorm_backend_available(PIXNORM_BACKEND_SCALAR) != 1) failed("backend_available(SCALAR) gave 0");
  if (pixnorm_backend_available(PIXNORM_BACKEND_AUTO) != 1) failed("backend_available(AUTO) gave 0");
  if (strcmp(pixnorm_backend_name(PIXNORM_BACKEND_XSIMD), "xsimd") != 0) failed("backend_name(XSIMD)");
  if (strcmp(pixnorm_status_name(PIXNORM_ERROR_OUT_OF_MEMORY), "out of memory") != 0) failed("status_name(OOM)");
  return failures;
}
