// The tables of pixel formats and output types, and the C API that exposes them.
#include "formats.h"

#include <array>
#include <cstring>
#include <cstdio>
#include <utility>

#include "c_enum.h"
#include "error.h"

namespace pixnorm {
namespace {

// A switch rather than an array: a format or type added to the enum without its row here
// stops the build (-Wswitch made an error), instead of reading past a table at run time.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch"
#endif
constexpr FormatRow format_row_of(pixnorm_format f) {
  constexpr PlaneRow kPacked1{"row_bytes", 1, 0, 0}, kPacked3{"row_bytes", 3, 0, 0}, kPacked4{"row_bytes", 4, 0, 0};
  constexpr PlaneRow kY{"Y row_bytes", 1, 0, 0}, kUV{"UV row_bytes", 2, 1, 1};
  constexpr PlaneRow kU{"U row_bytes", 1, 1, 1}, kV{"V row_bytes", 1, 1, 1};
  constexpr PlaneRow kNone{nullptr, 0, 0, 0};
  switch (f) {
    //                                  name     label   bpp planes chroma ch order               yuv    alpha
    case PIXNORM_FORMAT_GRAY8: return {"gray8", "GRAY8", 1, 1, 0, 0, 1, PIXNORM_ORDER_GRAY, false, false, {kPacked1, kNone, kNone}};
    case PIXNORM_FORMAT_RGB8: return {"rgb8", "RGB8", 3, 1, 0, 0, 3, PIXNORM_ORDER_RGB, false, false, {kPacked3, kNone, kNone}};
    case PIXNORM_FORMAT_BGR8: return {"bgr8", "BGR8", 3, 1, 0, 0, 3, PIXNORM_ORDER_BGR, false, false, {kPacked3, kNone, kNone}};
    case PIXNORM_FORMAT_RGBA8: return {"rgba8", "RGBA8", 4, 1, 0, 0, 3, PIXNORM_ORDER_RGB, false, true, {kPacked4, kNone, kNone}};
    case PIXNORM_FORMAT_BGRA8: return {"bgra8", "BGRA8", 4, 1, 0, 0, 3, PIXNORM_ORDER_BGR, false, true, {kPacked4, kNone, kNone}};
    case PIXNORM_FORMAT_NV12: return {"nv12", "NV12", 1, 2, 1, 1, 3, PIXNORM_ORDER_RGB, true, false, {kY, kUV, kNone}};
    case PIXNORM_FORMAT_NV21: return {"nv21", "NV21", 1, 2, 1, 1, 3, PIXNORM_ORDER_RGB, true, false, {kY, kUV, kNone}};
    case PIXNORM_FORMAT_I420: return {"i420", "I420", 1, 3, 1, 1, 3, PIXNORM_ORDER_RGB, true, false, {kY, kU, kV}};
    // Plane 0 in groups of two pixels: Y0 U Y1 V.
    case PIXNORM_FORMAT_YUYV: return {"yuyv", "YUYV", 2, 1, 1, 0, 3, PIXNORM_ORDER_RGB, true, false, {{"row_bytes", 4, 1, 0}, kNone, kNone}};
  }
  return {};
}

constexpr DtypeRow dtype_row_of(pixnorm_dtype t) {
  switch (t) {
    case PIXNORM_DTYPE_F32: return {"f32", "float32", 4, false, 0, 0};
    case PIXNORM_DTYPE_F16: return {"f16", "float16", 2, false, 0, 0};
    case PIXNORM_DTYPE_INT8: return {"int8", "int8", 1, true, -128, 127};
    case PIXNORM_DTYPE_UINT8: return {"uint8", "uint8", 1, true, 0, 255};
  }
  return {};
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

template <class Row, class E, size_t... I>
constexpr std::array<Row, sizeof...(I)> rows_of(Row (*row)(E), std::index_sequence<I...>) {
  return {row(static_cast<E>(I))...};
}
constexpr auto kFormats = rows_of(format_row_of, std::make_index_sequence<PIXNORM_FORMAT_COUNT>());
constexpr auto kDtypes = rows_of(dtype_row_of, std::make_index_sequence<PIXNORM_DTYPE_COUNT>());

template <class Rows>
constexpr bool all_named(const Rows& rows) {
  for (const auto& r : rows)
    if (r.name == nullptr) return false;
  return true;
}
static_assert(all_named(kFormats), "a value below PIXNORM_FORMAT_COUNT has no row");
static_assert(all_named(kDtypes), "a value below PIXNORM_DTYPE_COUNT has no row");
static_assert(format_row_of(static_cast<pixnorm_format>(PIXNORM_FORMAT_COUNT)).name == nullptr,
              "PIXNORM_FORMAT_COUNT is not one past the last format");
static_assert(dtype_row_of(static_cast<pixnorm_dtype>(PIXNORM_DTYPE_COUNT)).name == nullptr,
              "PIXNORM_DTYPE_COUNT is not one past the last type");

constexpr const char* kLayoutNames[PIXNORM_LAYOUT_COUNT] = {"nchw", "nhwc"};

bool known(int bits, int count) { return bits >= 0 && bits < count; }

// The index of `name` among `count` names, or -1; the message lists them.
template <class NameOf>
int index_of(const char* what, const char* name, int count, NameOf name_of) {
  if (name == nullptr) {
    fail(PIXNORM_ERROR_INVALID_ARGUMENT, "%s name is NULL", what);
    return -1;
  }
  char names[256] = "";  // no allocation: the C API does not throw
  size_t used = 0;
  for (int i = 0; i < count; ++i) {
    if (std::strcmp(name, name_of(i)) == 0) return i;
    const int n = std::snprintf(names + used, sizeof names - used, "%s%s", i == 0 ? "" : ", ", name_of(i));
    if (n > 0) used = used + n < sizeof names ? used + n : sizeof names - 1;
  }
  fail(PIXNORM_ERROR_INVALID_ARGUMENT, "unknown %s '%.64s' (one of %s)", what, name, names);
  return -1;
}

}  // namespace

bool format_known(int bits) { return known(bits, PIXNORM_FORMAT_COUNT); }
bool dtype_known(int bits) { return known(bits, PIXNORM_DTYPE_COUNT); }
const FormatRow& format_row(pixnorm_format f) { return kFormats[static_cast<size_t>(f)]; }
const DtypeRow& dtype_row(pixnorm_dtype t) { return kDtypes[static_cast<size_t>(t)]; }

}  // namespace pixnorm

using namespace pixnorm;

extern "C" {

pixnorm_status pixnorm_format_get_info(pixnorm_format format, pixnorm_format_info* out) {
  clear_error();
  if (out == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "format_get_info: out is NULL");
  const int bits = enum_bits(format);
  if (!format_known(bits)) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "format_get_info: unknown pixel format %d", bits);
  const FormatRow& r = kFormats[static_cast<size_t>(bits)];
  *out = {r.name, r.bytes_per_pixel, r.planes, r.chroma_shift_x, r.chroma_shift_y, r.channels, r.order, r.yuv, r.alpha};
  return PIXNORM_OK;
}

const char* pixnorm_format_name(pixnorm_format format) {
  const int bits = enum_bits(format);
  return format_known(bits) ? kFormats[static_cast<size_t>(bits)].name : "unknown";
}

pixnorm_status pixnorm_format_from_name(const char* name, pixnorm_format* out) {
  clear_error();
  if (out == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "format_from_name: out is NULL");
  const int i = index_of("pixel format", name, PIXNORM_FORMAT_COUNT, [](int k) { return kFormats[k].name; });
  if (i < 0) return PIXNORM_ERROR_INVALID_ARGUMENT;
  *out = static_cast<pixnorm_format>(i);
  return PIXNORM_OK;
}

pixnorm_status pixnorm_dtype_get_info(pixnorm_dtype dtype, pixnorm_dtype_info* out) {
  clear_error();
  if (out == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "dtype_get_info: out is NULL");
  const int bits = enum_bits(dtype);
  if (!dtype_known(bits)) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "dtype_get_info: unknown output type %d", bits);
  const DtypeRow& r = kDtypes[static_cast<size_t>(bits)];
  *out = {r.name, r.numpy_name, r.bytes, r.quantized, r.min, r.max};
  return PIXNORM_OK;
}

const char* pixnorm_dtype_name(pixnorm_dtype dtype) {
  const int bits = enum_bits(dtype);
  return dtype_known(bits) ? kDtypes[static_cast<size_t>(bits)].name : "unknown";
}

pixnorm_status pixnorm_dtype_from_name(const char* name, pixnorm_dtype* out) {
  clear_error();
  if (out == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "dtype_from_name: out is NULL");
  const int i = index_of("output type", name, PIXNORM_DTYPE_COUNT, [](int k) { return kDtypes[k].name; });
  if (i < 0) return PIXNORM_ERROR_INVALID_ARGUMENT;
  *out = static_cast<pixnorm_dtype>(i);
  return PIXNORM_OK;
}

const char* pixnorm_layout_name(pixnorm_layout layout) {
  const int bits = enum_bits(layout);
  return known(bits, PIXNORM_LAYOUT_COUNT) ? kLayoutNames[bits] : "unknown";
}

pixnorm_status pixnorm_layout_from_name(const char* name, pixnorm_layout* out) {
  clear_error();
  if (out == nullptr) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "layout_from_name: out is NULL");
  const int i = index_of("layout", name, PIXNORM_LAYOUT_COUNT, [](int k) { return kLayoutNames[k]; });
  if (i < 0) return PIXNORM_ERROR_INVALID_ARGUMENT;
  *out = static_cast<pixnorm_layout>(i);
  return PIXNORM_OK;
}

}  // extern "C"
