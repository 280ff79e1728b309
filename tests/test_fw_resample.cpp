// The cv-* and torch-* interpolations: outputs of OpenCV 4.6 (cv2.resize) and torchvision 0.14
// (Resize on uint8 tensors) on a small gray image, whole plans of every backend and target
// against the scalar plan (every format, fit, flip, region), and the refusals. The CLI test
// tests/cli/test_fw.py compares with the installed libraries on photos.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends.h"
#include "pixnorm/pixnorm.h"

using namespace pixnorm_test;

namespace {

constexpr pixnorm_interp kFw[] = {PIXNORM_INTERP_CV_LINEAR_EXACT, PIXNORM_INTERP_CV_CUBIC,
                                  PIXNORM_INTERP_TORCH_BILINEAR_AA, PIXNORM_INTERP_TORCH_BICUBIC_AA,
                                  PIXNORM_INTERP_TORCH_BICUBIC};

// The uint8 samples a plan feeds its normalization (mode rescale, NHWC f32).
std::vector<uint8_t> resampled(pixnorm_plan_desc d, const uint8_t* px, size_t row_bytes) {
  d.mode = PIXNORM_MODE_RESCALE;
  d.layout = PIXNORM_LAYOUT_NHWC;
  d.dtype = PIXNORM_DTYPE_F32;
  pixnorm_plan* raw = nullptr;
  const pixnorm_status st = pixnorm_plan_create(nullptr, &d, &raw);
  REQUIRE_MESSAGE(st == PIXNORM_OK, pixnorm_last_error());
  PlanPtr plan(raw);
  std::vector<float> t(pixnorm_plan_output_elements(raw));
  REQUIRE(pixnorm_plan_run(raw, px, row_bytes, t.data()) == PIXNORM_OK);
  std::vector<uint8_t> out(t.size());
  for (size_t i = 0; i < t.size(); ++i) out[i] = static_cast<uint8_t>(t[i]);
  return out;
}

int max_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  REQUIRE(a.size() == b.size());
  int m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(int{a[i]} - int{b[i]}));
  return m;
}

}  // namespace

TEST_CASE("fw: outputs of OpenCV 4.6 and torchvision 0.14 on a small gray image") {
  // 9x7 gray image, pixel (x, y) = (37x + 91y + (13xy mod 50)) mod 256; outputs of
  // cv2.resize(a, (w, h), interpolation=...) and of F.resize(torch.from_numpy(a)[None], [h, w],
  // mode, antialias=...) (torchvision 0.14.1, torch 1.13).
  std::vector<uint8_t> src(9 * 7);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 9; ++x) src[y * 9 + x] = static_cast<uint8_t>((x * 37 + y * 91 + (x * y * 13) % 50) % 256);
  struct Case {
    pixnorm_interp interp;
    uint32_t w, h;
    bool exact;
    std::vector<uint8_t> want;
  };
  const Case cases[] = {
      {PIXNORM_INTERP_CV_LINEAR_EXACT, 4, 3, true, {89, 192, 91, 96, 65, 142, 218, 53, 179, 119, 108, 117}},
      {PIXNORM_INTERP_CV_CUBIC, 4, 3, true, {72, 215, 65, 84, 63, 141, 228, 55, 212, 100, 120, 121}},
      {PIXNORM_INTERP_TORCH_BILINEAR_AA, 4, 3, false, {105, 144, 136, 120, 122, 129, 123, 115, 140, 131, 102, 111}},
      {PIXNORM_INTERP_TORCH_BICUBIC_AA, 4, 3, false, {98, 146, 142, 116, 128, 128, 119, 122, 138, 133, 100, 107}},
      {PIXNORM_INTERP_TORCH_BICUBIC, 4, 3, false, {72, 215, 65, 84, 63, 141, 228, 55, 212, 100, 120, 121}},
      {PIXNORM_INTERP_CV_LINEAR_EXACT, 5, 9, true, {15,  81,  148, 215, 25,  79,  161, 210, 121, 99,  154, 118,
                                                    168, 109, 175, 172, 39,  99,  132, 188, 47,  124, 171, 63,
                                                    59,  107, 178, 44,  75,  128, 177, 118, 60,  143, 113, 167,
                                                    80,  132, 135, 87,  60,  127, 194, 15,  92}},
      {PIXNORM_INTERP_CV_CUBIC, 5, 9, true, {5,   75,  142, 249, 1,  64,  190, 230, 111, 88,  183, 112,
                                             172, 92,  206, 198, 0,  85,  137, 203, 45,  125, 171, 57,
                                             61,  89,  207, 34,  58, 136, 209, 106, 37,  166, 119, 191,
                                             46,  141, 150, 79,  47, 132, 200, 0,   98}},
      {PIXNORM_INTERP_TORCH_BILINEAR_AA, 5, 9, false, {21,  79,  148, 169, 37,  87,  158, 178, 109, 100, 154, 139,
                                                       147, 116, 170, 165, 79,  110, 147, 182, 57,  122, 183, 94,
                                                       54,  114, 176, 94,  84,  122, 175, 141, 93,  141, 121, 163,
                                                       112, 124, 135, 99,  68,  131, 146, 25,  86}},
      {PIXNORM_INTERP_TORCH_BICUBIC_AA, 5, 9, false, {11,  74,  151, 184, 20,  75,  177, 189, 99,  95,  169, 148,
                                                      145, 105, 192, 185, 58,  99,  156, 197, 52,  123, 194, 97,
                                                      47,  103, 195, 87,  67,  129, 194, 140, 80,  155, 127, 176,
                                                      101, 124, 149, 94,  54,  143, 151, 8,   91}},
      {PIXNORM_INTERP_TORCH_BICUBIC, 5, 9, false, {5,   75,  142, 249, 1,  64,  190, 230, 111, 88,  183, 112,
                                                   172, 92,  206, 198, 0,  85,  137, 203, 45,  125, 171, 57,
                                                   61,  89,  207, 34,  58, 136, 208, 106, 37,  166, 119, 191,
                                                   46,  141, 150, 79,  47, 132, 200, 0,   98}},
  };
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = PIXNORM_FORMAT_GRAY8;
  d.width = 9;
  d.height = 7;
  for (const Case& c : cases) {
    CAPTURE(c.interp);
    CAPTURE(c.w);
    d.interp = c.interp;
    d.out_width = c.w;
    d.out_height = c.h;
    d.backend = PIXNORM_BACKEND_SCALAR;
    const std::vector<uint8_t> got = resampled(d, src.data(), 9);
    if (c.exact)
      CHECK(got == c.want);
    else
      CHECK(max_difference(got, c.want) <= 1);
  }
}

TEST_CASE("fw: plans of every backend and target equal the scalar plan") {
  std::mt19937 rng(17);
  const pixnorm_format formats[] = {PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_BGRA8,
                                    PIXNORM_FORMAT_NV12};
  for (int it = 0; it < 60; ++it) {
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.format = formats[it % 4];
    d.width = 1 + rng() % 90;
    d.height = 1 + rng() % 70;
    d.interp = kFw[it % 5];
    // x0.1 .. x4 on each axis
    const double fx = 0.1 + (rng() % 40) / 10.0, fy = 0.1 + (rng() % 40) / 10.0;
    d.out_width = static_cast<uint32_t>(d.width * fx) + 1;
    d.out_height = static_cast<uint32_t>(d.height * fy) + 1;
    const int kind = (it / 5) % 5;
    if (kind == 1) d.fit = PIXNORM_FIT_CENTER_CROP;
    if (kind == 2) {
      d.fit = PIXNORM_FIT_LETTERBOX;
      d.letterbox_fill = 114;
    }
    if (kind == 3) {
      d.fit = PIXNORM_FIT_CENTER_CROP;
      d.resize_short = std::max(d.out_width, d.out_height) + rng() % 20;
    }
    if (kind == 4 && d.width > 4 && d.height > 4) {
      d.roi_x = 1;
      d.roi_y = 2;
      d.roi_width = d.width - 3;
      d.roi_height = d.height - 2;
    }
    d.flip = static_cast<int>(rng() % 2);
    const bool yuv = d.format == PIXNORM_FORMAT_NV12;
    const size_t pad = rng() % 9;
    const size_t row_bytes = static_cast<size_t>(d.width) * bpp(d.format) + pad;
    const size_t bytes = yuv ? row_bytes * d.height + 2 * ((row_bytes + 1) / 2) * ((d.height + 1) / 2)
                             : row_bytes * d.height;
    const std::vector<uint8_t> px = random_bytes(bytes, static_cast<uint32_t>(it));
    CAPTURE(it);
    CAPTURE(d.width);
    CAPTURE(d.height);
    CAPTURE(d.out_width);
    CAPTURE(d.out_height);
    CAPTURE(d.interp);
    CAPTURE(d.fit);
    CAPTURE(d.flip);
    CAPTURE(d.format);
    d.backend = PIXNORM_BACKEND_SCALAR;
    const std::vector<uint8_t> want = resampled(d, px.data(), row_bytes);
    for (const Backend& b : simd_backends()) {
      CAPTURE(b.name);
      select(b);
      d.backend = b.id;
      CHECK(resampled(d, px.data(), row_bytes) == want);
      restore_targets();
    }
  }
}

TEST_CASE("fw: a flipped plan is the mirror of the plain one; a region is the cropped image's plan") {
  const uint32_t w = 37, h = 23;
  const std::vector<uint8_t> px = random_bytes(static_cast<size_t>(w) * h * 3, 3);
  for (pixnorm_interp interp : kFw) {
    CAPTURE(interp);
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.width = w;
    d.height = h;
    d.out_width = 16;
    d.out_height = 11;
    d.interp = interp;
    const std::vector<uint8_t> plain = resampled(d, px.data(), w * 3);
    d.flip = 1;
    const std::vector<uint8_t> flipped = resampled(d, px.data(), w * 3);
    bool mirrored = true;
    for (uint32_t y = 0; y < 11; ++y)
      for (uint32_t x = 0; x < 16; ++x)
        for (uint32_t c = 0; c < 3; ++c)
          if (flipped[(y * 16 + x) * 3 + c] != plain[(y * 16 + 15 - x) * 3 + c]) mirrored = false;
    CHECK(mirrored);
    // The region (5, 3) 20x15 against the same pixels copied out.
    d.flip = 0;
    d.roi_x = 5;
    d.roi_y = 3;
    d.roi_width = 20;
    d.roi_height = 15;
    const std::vector<uint8_t> region = resampled(d, px.data(), w * 3);
    std::vector<uint8_t> crop(20 * 15 * 3);
    for (uint32_t y = 0; y < 15; ++y) std::memcpy(&crop[y * 60], &px[((y + 3) * w + 5) * 3], 60);
    pixnorm_plan_desc c;
    pixnorm_plan_desc_init(&c);
    c.width = 20;
    c.height = 15;
    c.out_width = 16;
    c.out_height = 11;
    c.interp = interp;
    CHECK(resampled(c, crop.data(), 60) == region);
  }
}

TEST_CASE("fw: refusals") {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = PIXNORM_FORMAT_GRAY8;
  d.width = 9000;
  d.height = 2;
  d.out_width = 1;
  d.out_height = 2;
  d.mode = PIXNORM_MODE_RESCALE;
  for (pixnorm_interp interp : {PIXNORM_INTERP_TORCH_BILINEAR_AA, PIXNORM_INTERP_TORCH_BICUBIC_AA}) {
    d.interp = interp;
    pixnorm_plan* p = nullptr;
    CHECK(pixnorm_plan_create(nullptr, &d, &p) == PIXNORM_ERROR_TOO_LARGE);
    CHECK(std::string(pixnorm_last_error()).find("width") != std::string::npos);
    CHECK(p == nullptr);
  }
  // Without antialiasing the taps stay four, whatever the shrink.
  for (pixnorm_interp interp : {PIXNORM_INTERP_CV_LINEAR_EXACT, PIXNORM_INTERP_CV_CUBIC, PIXNORM_INTERP_TORCH_BICUBIC}) {
    d.interp = interp;
    pixnorm_plan* p = nullptr;
    CHECK(pixnorm_plan_create(nullptr, &d, &p) == PIXNORM_OK);
    pixnorm_plan_free(p);
  }
  d.interp = static_cast<pixnorm_interp>(PIXNORM_INTERP_TORCH_BICUBIC + 1);
  pixnorm_plan* p = nullptr;
  CHECK(pixnorm_plan_create(nullptr, &d, &p) == PIXNORM_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("YUV sources: a resampling plan equals the same plan on the converted image (chroma rows reused)") {
  // Two luma rows share a chroma row: the U and V bytes gathered for one are kept for the next.
  // Whatever the interpolation, the rows a band reads and the bands, the result must be that of
  // the RGB image the conversion alone gives.
  const uint32_t w = 46, h = 31;
  for (pixnorm_format f : {PIXNORM_FORMAT_NV12, PIXNORM_FORMAT_NV21, PIXNORM_FORMAT_I420}) {
    const size_t bytes = static_cast<size_t>(w) * h + 2 * static_cast<size_t>((w + 1) / 2) * ((h + 1) / 2);
    std::vector<uint8_t> px = random_bytes(bytes, 9 + f);
    pixnorm_plan_desc c;
    pixnorm_plan_desc_init(&c);
    c.format = f;
    c.width = w;
    c.height = h;
    const std::vector<uint8_t> rgb = resampled(c, px.data(), w);
    for (pixnorm_interp interp :
         {PIXNORM_INTERP_BILINEAR, PIXNORM_INTERP_AREA, PIXNORM_INTERP_NEAREST, PIXNORM_INTERP_PIL_NEAREST,
          PIXNORM_INTERP_PIL_BILINEAR, PIXNORM_INTERP_PIL_LANCZOS, PIXNORM_INTERP_CV_LINEAR_EXACT,
          PIXNORM_INTERP_CV_CUBIC, PIXNORM_INTERP_TORCH_BILINEAR_AA, PIXNORM_INTERP_TORCH_BICUBIC}) {
      // Shrinking (columns skipped: luma bytes gathered), growing (every column: read in place),
      // a region at odd offsets, columns skipped while consecutive rows are read (and the reverse).
      for (int kind = 0; kind < 5; ++kind) {
        for (uint32_t threads : {1u, 3u}) {
          // qemu-user hangs on a thread waiting on a condition variable (tests/CMakeLists.txt).
          if (threads > 1 && std::getenv("PIXNORM_TEST_NO_THREADS") != nullptr) continue;
          CAPTURE(f);
          CAPTURE(interp);
          CAPTURE(kind);
          CAPTURE(threads);
          pixnorm_plan_desc d;
          pixnorm_plan_desc_init(&d);
          d.format = f;
          d.width = w;
          d.height = h;
          d.interp = interp;
          d.threads = threads;
          d.out_width = kind == 1 || kind == 4 ? 71 : 13;
          d.out_height = kind == 1 || kind == 3 ? 45 : 9;
          if (kind == 2) {
            d.roi_x = 3;
            d.roi_y = 5;
            d.roi_width = 29;
            d.roi_height = 19;
          }
          pixnorm_plan_desc r = d;
          r.format = PIXNORM_FORMAT_RGB8;
          CHECK(resampled(d, px.data(), w) == resampled(r, rgb.data(), w * 3));
        }
      }
    }
  }
}
