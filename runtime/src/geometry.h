// Geometry of a plan: region of interest, crop or letterbox, resampling, flip and YUV
// conversion, producing the model-sized uint8 rows the normalization kernels then read.
//
// Everything here is integer arithmetic fixed at planning (tap positions and weights per
// output column and row), so the uint8 rows are the same on every backend and target.
#ifndef PIXNORM_GEOMETRY_H
#define PIXNORM_GEOMETRY_H

#include <cstddef>
#include <cstdint>

#include "pixnorm/pixnorm.h"

namespace pixnorm {

// Taps of one axis: output index d in [lo, hi) reads source samples start[d] .. start[d] +
// taps - 1 (region coordinates) with integer weights summing to 1 << bits; outside [lo, hi)
// the output is the fill value.
struct AxisTaps {
  uint32_t out = 0, lo = 0, hi = 0, taps = 0;
  int32_t* start = nullptr;   // [out]
  int32_t* weight = nullptr;  // [out * taps]
};

// The planes of a source image, validated.
struct Planes {
  const uint8_t* p[3];
  size_t stride[3];
};

// Fixed-point YUV to RGB (16 fractional bits).
struct YuvCoef {
  int32_t yoff, cy, crv, cgu, cgv, cbu;
};

class Resampler {
 public:
  Resampler() = default;
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;
  ~Resampler();

  // Plans the mapping of the description's region onto out_w x out_h, for a source of `src_cin`
  // bytes per pixel (packed formats) producing rows of `channels`. Fails with a message.
  pixnorm_status init(const pixnorm_plan_desc& d, uint32_t out_w, uint32_t out_h, unsigned src_cin,
                      unsigned channels);

  // Scratch bytes one band needs for rows().
  size_t scratch_bytes() const;
  // Output rows [y0, y1) into out (row stride out_row_bytes), using `scratch` (scratch_bytes(),
  // aligned to 8).
  void rows(const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out, size_t out_row_bytes, void* scratch) const;

 private:
  template <unsigned C, class Acc>
  void row(const Planes& src, uint32_t yo, uint8_t* out, unsigned char* scratch) const;
  const uint8_t* fetch(const Planes& src, uint32_t sy, uint8_t* compact) const;

  pixnorm_format format_ = PIXNORM_FORMAT_RGB8;
  unsigned cin_ = 3;  // bytes per source pixel (packed formats)
  unsigned c_ = 3;    // channels of the rows produced (1 or 3)
  uint32_t roi_x_ = 0, roi_y_ = 0;
  AxisTaps x_, y_;
  int32_t* cols_ = nullptr;     // source columns any output column reads, ascending
  uint32_t ncols_ = 0;
  bool direct_ = false;         // h-pass reads source rows in place (C bytes per pixel)
  int32_t* xstart_c_ = nullptr; // per output column, its first tap's index in cols_
  unsigned bits_ = 11;
  uint8_t fill_ = 0;
  YuvCoef yuv_{};
};

// 1 for YUV formats.
bool is_yuv(pixnorm_format f);
// torchvision's Resize(r) of a sw x sh region: the shorter side becomes r, the longer
// int(r * long / short).
void resize_short_size(uint64_t sw, uint64_t sh, uint64_t r, uint64_t* rw, uint64_t* rh);
// The fixed-point coefficients of a matrix and range.
YuvCoef yuv_coefficients(pixnorm_yuv_matrix m, pixnorm_yuv_range r);
// One pixel; the oracle tests compare against a float64 evaluation of the matrix.
inline void yuv_to_rgb(const YuvCoef& k, int y, int u, int v, uint8_t* rgb) {
  const int32_t yv = (y - k.yoff) * k.cy + (1 << 15);
  const int32_t cu = u - 128, cv = v - 128;
  const int32_t r = yv + k.crv * cv, g = yv - k.cgu * cu - k.cgv * cv, b = yv + k.cbu * cu;
  rgb[0] = static_cast<uint8_t>(r < 0 ? 0 : (r >> 16) > 255 ? 255 : r >> 16);
  rgb[1] = static_cast<uint8_t>(g < 0 ? 0 : (g >> 16) > 255 ? 255 : g >> 16);
  rgb[2] = static_cast<uint8_t>(b < 0 ? 0 : (b >> 16) > 255 ? 255 : b >> 16);
}

}  // namespace pixnorm

#endif
