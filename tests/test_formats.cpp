// The format, output type and layout tables of the C API: their values, their names, and that
// the plans agree with them (the sizes a plan accepts and writes are the ones the rows give).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "backends.h"
#include "pixnorm/pixnorm.h"

using namespace pixnorm_test;

namespace {

// Written out here, independently of the library's table.
struct Expected {
  pixnorm_format format;
  const char* name;
  uint32_t bpp, planes, shift_x, shift_y, channels;
  pixnorm_channel_order order;
  int yuv, alpha;
};
const Expected kExpected[] = {
    {PIXNORM_FORMAT_GRAY8, "gray8", 1, 1, 0, 0, 1, PIXNORM_ORDER_GRAY, 0, 0},
    {PIXNORM_FORMAT_RGB8, "rgb8", 3, 1, 0, 0, 3, PIXNORM_ORDER_RGB, 0, 0},
    {PIXNORM_FORMAT_BGR8, "bgr8", 3, 1, 0, 0, 3, PIXNORM_ORDER_BGR, 0, 0},
    {PIXNORM_FORMAT_RGBA8, "rgba8", 4, 1, 0, 0, 3, PIXNORM_ORDER_RGB, 0, 1},
    {PIXNORM_FORMAT_BGRA8, "bgra8", 4, 1, 0, 0, 3, PIXNORM_ORDER_BGR, 0, 1},
    {PIXNORM_FORMAT_NV12, "nv12", 1, 2, 1, 1, 3, PIXNORM_ORDER_RGB, 1, 0},
    {PIXNORM_FORMAT_NV21, "nv21", 1, 2, 1, 1, 3, PIXNORM_ORDER_RGB, 1, 0},
    {PIXNORM_FORMAT_I420, "i420", 1, 3, 1, 1, 3, PIXNORM_ORDER_RGB, 1, 0},
    {PIXNORM_FORMAT_YUYV, "yuyv", 2, 1, 1, 0, 3, PIXNORM_ORDER_RGB, 1, 0},
};
static_assert(sizeof(kExpected) / sizeof(kExpected[0]) == PIXNORM_FORMAT_COUNT, "a format without expectations");

// Bytes of plane i's rows and its row count for a w x h image, from the info alone.
size_t plane_row(const pixnorm_format_info& fi, unsigned i, uint32_t w) {
  if (i == 0) return fi.yuv && fi.planes == 1 ? (w + 1) / 2 * 4 : size_t(w) * fi.bytes_per_pixel;
  const size_t cw = (w + (1u << fi.chroma_shift_x) - 1) >> fi.chroma_shift_x;
  return fi.planes == 2 ? 2 * cw : cw;
}
size_t plane_rows(const pixnorm_format_info& fi, unsigned i, uint32_t h) {
  return i == 0 ? h : (h + (1u << fi.chroma_shift_y) - 1) >> fi.chroma_shift_y;
}

}  // namespace

TEST_CASE("formats: every format's info, name and name round trip") {
  for (const Expected& e : kExpected) {
    CAPTURE(e.name);
    pixnorm_format_info fi;
    REQUIRE(pixnorm_format_get_info(e.format, &fi) == PIXNORM_OK);
    CHECK(std::string(fi.name) == e.name);
    CHECK(std::string(pixnorm_format_name(e.format)) == e.name);
    CHECK(fi.bytes_per_pixel == e.bpp);
    CHECK(fi.planes == e.planes);
    CHECK(fi.chroma_shift_x == e.shift_x);
    CHECK(fi.chroma_shift_y == e.shift_y);
    CHECK(fi.channels == e.channels);
    CHECK(fi.order == e.order);
    CHECK(fi.yuv == e.yuv);
    CHECK(fi.alpha == e.alpha);
    pixnorm_format back = PIXNORM_FORMAT_RGB8;
    REQUIRE(pixnorm_format_from_name(e.name, &back) == PIXNORM_OK);
    CHECK(back == e.format);
    // The test helper's bytes per pixel agree for the packed formats it makes images of.
    if (!fi.yuv) CHECK(bpp(e.format) == fi.bytes_per_pixel);
  }
}

TEST_CASE("formats: output types and layouts, names and round trips") {
  struct T {
    pixnorm_dtype t;
    const char* name;
    const char* numpy;
    uint32_t bytes;
    int quantized, min, max;
  };
  const T types[] = {{PIXNORM_DTYPE_F32, "f32", "float32", 4, 0, 0, 0},
                     {PIXNORM_DTYPE_F16, "f16", "float16", 2, 0, 0, 0},
                     {PIXNORM_DTYPE_INT8, "int8", "int8", 1, 1, -128, 127},
                     {PIXNORM_DTYPE_UINT8, "uint8", "uint8", 1, 1, 0, 255}};
  static_assert(sizeof(types) / sizeof(types[0]) == PIXNORM_DTYPE_COUNT, "a type without expectations");
  for (const T& e : types) {
    CAPTURE(e.name);
    pixnorm_dtype_info ti;
    REQUIRE(pixnorm_dtype_get_info(e.t, &ti) == PIXNORM_OK);
    CHECK(std::string(ti.name) == e.name);
    CHECK(std::string(ti.numpy_name) == e.numpy);
    CHECK(std::string(pixnorm_dtype_name(e.t)) == e.name);
    CHECK(ti.bytes == e.bytes);
    CHECK(ti.quantized == e.quantized);
    CHECK(ti.min == e.min);
    CHECK(ti.max == e.max);
    pixnorm_dtype back = PIXNORM_DTYPE_F32;
    REQUIRE(pixnorm_dtype_from_name(e.name, &back) == PIXNORM_OK);
    CHECK(back == e.t);
  }
  const std::pair<pixnorm_layout, const char*> layouts[] = {{PIXNORM_LAYOUT_NCHW, "nchw"}, {PIXNORM_LAYOUT_NHWC, "nhwc"}};
  for (const auto& l : layouts) {
    CHECK(std::string(pixnorm_layout_name(l.first)) == l.second);
    pixnorm_layout back = PIXNORM_LAYOUT_NHWC;
    REQUIRE(pixnorm_layout_from_name(l.second, &back) == PIXNORM_OK);
    CHECK(back == l.first);
  }
}

TEST_CASE("formats: unknown names and NULL arguments are refused with a message") {
  pixnorm_format f = PIXNORM_FORMAT_BGR8;
  CHECK(pixnorm_format_from_name("RGB8", &f) == PIXNORM_ERROR_INVALID_ARGUMENT);  // exact, lower case
  CHECK(std::string(pixnorm_last_error()) ==
        "unknown pixel format 'RGB8' (one of gray8, rgb8, bgr8, rgba8, bgra8, nv12, nv21, i420, yuyv)");
  CHECK(f == PIXNORM_FORMAT_BGR8);
  CHECK(pixnorm_format_from_name("", &f) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_format_from_name(nullptr, &f) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()).find("NULL") != std::string::npos);
  CHECK(pixnorm_format_from_name("rgb8", nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_format_get_info(PIXNORM_FORMAT_RGB8, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_dtype t = PIXNORM_DTYPE_F16;
  CHECK(pixnorm_dtype_from_name("float32", &t) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()) == "unknown output type 'float32' (one of f32, f16, int8, uint8)");
  CHECK(t == PIXNORM_DTYPE_F16);
  CHECK(pixnorm_dtype_get_info(PIXNORM_DTYPE_F32, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_layout l = PIXNORM_LAYOUT_NHWC;
  CHECK(pixnorm_layout_from_name("NCHW", &l) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()) == "unknown layout 'NCHW' (one of nchw, nhwc)");
  CHECK(l == PIXNORM_LAYOUT_NHWC);
  // A long name is cut in the message, not copied whole.
  const std::string longer(5000, 'x');
  CHECK(pixnorm_format_from_name(longer.c_str(), &f) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::strlen(pixnorm_last_error()) < 200);
}

TEST_CASE("formats: plans accept exactly the rows the info gives, and write channels x type bytes") {
  for (const Expected& e : kExpected) {
    pixnorm_format_info fi;
    REQUIRE(pixnorm_format_get_info(e.format, &fi) == PIXNORM_OK);
    for (pixnorm_dtype t : {PIXNORM_DTYPE_F32, PIXNORM_DTYPE_F16, PIXNORM_DTYPE_INT8, PIXNORM_DTYPE_UINT8}) {
      pixnorm_dtype_info ti;
      REQUIRE(pixnorm_dtype_get_info(t, &ti) == PIXNORM_OK);
      for (uint32_t w : {1u, 6u, 7u}) {
        const uint32_t h = 5;
        CAPTURE(fi.name);
        CAPTURE(ti.name);
        CAPTURE(w);
        pixnorm_plan_desc d;
        pixnorm_plan_desc_init(&d);
        d.format = e.format;
        d.width = w;
        d.height = h;
        d.dtype = t;
        d.mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
        d.quant_scale = 0.05;
        pixnorm_plan* raw = nullptr;
        REQUIRE(pixnorm_plan_create(nullptr, &d, &raw) == PIXNORM_OK);
        const PlanPtr plan(raw);
        CHECK(pixnorm_plan_output_channels(plan.get()) == fi.channels);
        CHECK(pixnorm_plan_output_bytes(plan.get()) == size_t(w) * h * fi.channels * ti.bytes);
        // Planes of exactly the sizes the info gives are accepted; one byte less per row is not.
        std::vector<std::vector<uint8_t>> store(fi.planes);
        pixnorm_image im;
        std::memset(&im, 0, sizeof im);
        for (unsigned i = 0; i < fi.planes; ++i) {
          im.row_bytes[i] = plane_row(fi, i, w);
          store[i] = random_bytes(im.row_bytes[i] * plane_rows(fi, i, h), 7 + i);
          im.planes[i] = store[i].data();
        }
        std::vector<uint8_t> out(pixnorm_plan_output_bytes(plan.get()) + 8);
        void* tensor = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(out.data()) + 7) / 8 * 8);
        CHECK(pixnorm_plan_run_image(plan.get(), &im, tensor) == PIXNORM_OK);
        for (unsigned i = 0; i < fi.planes; ++i) {
          CAPTURE(i);
          pixnorm_image shorter = im;
          shorter.row_bytes[i] -= 1;
          CHECK(pixnorm_plan_run_image(plan.get(), &shorter, tensor) == PIXNORM_ERROR_INVALID_ARGUMENT);
          pixnorm_image missing = im;
          missing.planes[i] = nullptr;
          CHECK(pixnorm_plan_run_image(plan.get(), &missing, tensor) == PIXNORM_ERROR_INVALID_ARGUMENT);
        }
      }
    }
  }
}
