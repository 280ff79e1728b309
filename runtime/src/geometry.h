// Geometry of a plan: region of interest, crop or letterbox, resampling, flip and YUV
// conversion, producing the model-sized uint8 rows the normalization kernels then read.
//
// Everything here is integer arithmetic fixed at planning (tap positions and weights per
// output column and row), so the uint8 rows are the same on every backend and target; the
// torch-* passes and cv-cubic's float elements are float, in portable code with one order of
// operations (no fused multiply-add), the same everywhere too.
#ifndef PIXNORM_GEOMETRY_H
#define PIXNORM_GEOMETRY_H

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernels.h"
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

// Window tables for RowKernels::resample2_windows (or gather_windows) over n elements of a row:
// blocks of four elements each read through one 16-byte window; the last n % 4 elements are
// left to the caller.
struct Windows {
  size_t nblocks = 0;  // 0: the elements do not fit in windows (or fewer than four)
  int32_t* base = nullptr;
  uint8_t* idx = nullptr;
  uint32_t* wpair = nullptr;  // only with weights
  Windows() = default;
  Windows(const Windows&) = delete;
  Windows& operator=(const Windows&) = delete;
  ~Windows();
  // Element e reads off[e] and off[e] + step, weights (2048 - wx[e], wx[e]) (wx nullptr: no
  // weights, for gather_windows); rows have `valid` readable bytes. No tables when some block spans
  // more than 16 bytes; fails only when out of memory.
  pixnorm_status build(const int32_t* off, const int32_t* wx, unsigned step, size_t n, size_t valid);
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
  // aligned to 8). Bilinear and nearest rows go through k->resample2_windows or k->resample2.
  void rows(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out, size_t out_row_bytes,
            void* scratch) const;

 private:
  template <unsigned C>
  void row(const RowKernels* k, const Planes& src, uint32_t yo, uint8_t* out, unsigned char* scratch) const;
  void row2(const RowKernels* k, const Planes& src, uint32_t yo, uint8_t* out, unsigned char* scratch) const;
  pixnorm_status init_two_tap(uint32_t image_width);
  // Scratch layout: the general loop's sums, then two compact regions (source rows 0 and 1),
  // each the compact row with its slack followed by the Y, U and V bytes of YUV sources.
  size_t sums_bytes() const;
  size_t compact_row_bytes() const;
  size_t compact_bytes() const;
  // Source row sy as the resampling reads it: in place, or converted into `compact` (YUV: with the
  // U and V bytes of `other`, the pair's other compact region, when it holds that chroma row).
  const uint8_t* fetch(const RowKernels* k, const Planes& src, uint32_t sy, uint8_t* compact,
                       const uint8_t* other = nullptr) const;
  // Marks a compact region as holding no chroma row (before a band's first fetch into it).
  void reset_compact(uint8_t* compact) const;
  bool ycontig_ = false;  // YUV: the Y bytes of the columns used are consecutive (read in place)

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
  // Two taps per axis at most, 11-bit weights (bilinear, nearest): one resample2 call per row over
  // the nx * c_ output bytes, element e reading at eoff_[e] (and + estep_) with weight ewx_[e];
  // elements [safe_lo_, safe_hi_) may be read as whole words (SIMD), the others go to the scalar kernel.
  bool two_tap_ = false;
  int32_t* eoff_ = nullptr;
  int32_t* ewx_ = nullptr;
  unsigned estep_ = 0, group_ = 1;
  size_t safe_lo_ = 0, safe_hi_ = 0;
  // When every four consecutive elements read within 16 bytes (downscaling by up to about 4 for
  // three channels), k->resample2_windows does the row, the scalar resample2 its last n % 4.
  Windows win_;
  // YUV sources: the Y, U and V bytes of the columns used gathered by resample2_windows (weight
  // 2048 on one tap, one row) where they fit, per plane; goff_[c][j] the row offset of column j's byte.
  Windows gather_[3];
  int32_t* goff_[3] = {nullptr, nullptr, nullptr};
  pixnorm_status init_gather(uint32_t image_width);
  // Pillow's resampling (resample_pil.cpp): x_ and y_ hold Pillow's int32 weights (22 fractional
  // bits); each source row a band needs goes through the horizontal pass once, into a ring of
  // y_.taps intermediate rows, which the vertical pass reads.
  bool pil_ = false;
  size_t nh_ = 0;             // bytes of an intermediate row: output columns in [x_.lo, x_.hi) times c_
  int32_t* hoff_ = nullptr;   // [nh_] byte offset of each element's first tap in the (compact) source row
  int32_t* hw_ = nullptr;     // [x_.taps * nh_] weights, tap-major
  size_t hsafe_lo_ = 0, hsafe_hi_ = 0;  // elements whose taps may be read as whole words (SIMD)
  // Every four consecutive elements' taps within 16 bytes: k->pil_hw by blocks of four elements
  // (tables as pil_hw reads them); blocks outside [hwsafe_lo_, hwsafe_hi_) read a padded copy of
  // the row's end from hwtail_from_ (bases hwtbase_). Otherwise, pil_h3 or pil_h.
  unsigned hwpairs_ = 0;  // tap pairs; 0: not used
  size_t hwblocks_ = 0;
  int32_t* hwbase_ = nullptr;
  int32_t* hwtbase_ = nullptr;
  uint8_t* hwidx_ = nullptr;
  int16_t* hww_ = nullptr;
  size_t hwsafe_lo_ = 0, hwsafe_hi_ = 0, hwtail_from_ = 0, hwtail_bytes_ = 0, hwvalid_ = 0;
  // Three channels and nonzero weights spanning at most 5 * kPilWindows taps: k->pil_h3 instead.
  // Pixels outside [h3safe_lo_, h3safe_hi_) would read windows past the row: they read a padded
  // copy of the row's end from h3tail_from_ (bases h3tbase_).
  unsigned h3taps_ = 0;         // taps per pixel; 0: pil_h as above
  size_t np_ = 0;               // output pixels of an intermediate row
  int32_t* h3base_ = nullptr;   // [np_] byte offset of each pixel's first tap
  int32_t* h3tbase_ = nullptr;  // [np_] the same in the copy of the row's end
  int16_t* h3w_ = nullptr;      // [6 * windows * 8 * np_] pil_h3's weight tables
  size_t h3safe_lo_ = 0, h3safe_hi_ = 0, h3tail_from_ = 0, h3tail_bytes_ = 0, h3valid_ = 0;
  pixnorm_status init_pil_axes(const pixnorm_plan_desc& d, uint32_t sw, uint32_t sh, uint32_t out_w, uint32_t out_h);
  pixnorm_status init_pil_rows(uint32_t image_width);
  pixnorm_status init_pil_h3(size_t valid);
  pixnorm_status init_pil_hw(size_t valid);
  size_t pil_span() const;
  size_t pil_span_start(uint32_t o, size_t span) const;
  // One source row (line1 null) or two through pil_hw.
  void horizontal_hw(const RowKernels* k, const uint8_t* line, const uint8_t* line1, uint8_t* tail, uint8_t* dst,
                     uint8_t* dst1) const;
  void horizontal_h3(const RowKernels* k, const uint8_t* line, uint8_t* tail, uint8_t* dst) const;
  static constexpr unsigned kPilWindows = 8;
  size_t pil_slot_bytes() const;
  bool pil_pairs_yuv() const;
  size_t pil_scratch_bytes() const;
  void rows_pil(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                size_t out_row_bytes, unsigned char* scratch) const;
  // OpenCV's resamplers (resample_cv.cpp): cv-linear-exact as 8-bit weights scaled to the two-tap
  // path's 11 bits; cv-cubic: the horizontal pass in integers (x_'s weights, edges merged) into a
  // ring of y_.taps int32 rows, the vertical pass over OpenCV's four (clamped) rows as OpenCV
  // does it: in float for the elements its SIMD loop covers, in integers for the others.
  pixnorm_status init_cv_axes(const pixnorm_plan_desc& d, uint32_t sw, uint32_t sh, uint32_t out_w, uint32_t out_h);
  bool cv_cubic_ = false;
  int32_t* cvdx_ = nullptr;     // [x_.out] OpenCV's output column (in its whole resized row)
  uint32_t cv_row_elems_ = 0;   // elements of OpenCV's whole output row
  int32_t* cvy_ = nullptr;      // [y_.out * 4] the four source rows (region rows, clamped)
  int32_t* cvbeta_ = nullptr;   // [y_.out * 4] their weights
  uint8_t* cvvec_ = nullptr;    // [nh_] 1: OpenCV's float vertical pass computes this element
  size_t cvruns_ = 0;           // runs of consecutive elements with the same cvvec_
  size_t* cvrun_ = nullptr;     // [cvruns_ + 1] their starts, then nh_
  pixnorm_status init_cv_rows();
  size_t cv_scratch_bytes() const;
  void rows_cv_cubic(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                     size_t out_row_bytes, unsigned char* scratch) const;
  // torchvision's tensor resampling (resample_torch.cpp): float weights (x_.taps per column, tap
  // order as x_.weight's) and float passes, horizontal into a ring of y_.taps float rows, then
  // vertical, rounded half to even.
  bool torch_ = false;
  float* xwf_ = nullptr;   // [x_.out * x_.taps]
  float* ywf_ = nullptr;   // [y_.out * y_.taps]
  int32_t* toff_ = nullptr;  // [nh_] byte offset of each element's first tap in the (compact) source row
  pixnorm_status init_torch_axes(const pixnorm_plan_desc& d, uint32_t sw, uint32_t sh, uint32_t out_w,
                                 uint32_t out_h);
  pixnorm_status init_tap_offsets();  // nh_ and toff_ (torch-*, cv-cubic)
  size_t torch_scratch_bytes() const;
  void rows_torch(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                  size_t out_row_bytes, unsigned char* scratch) const;
  uint8_t fill_ = 0;
  YuvCoef yuv_{};
};

// One axis as OpenCV and torchvision see it: the source samples [off, off + len) of the region
// resized to `total`, of which `n` starting at `first` are kept and placed at `lo` of `out`.
struct FwAxisMap {
  uint32_t src, out, lo, n, total, first, off, len;
};
FwAxisMap fw_map(const pixnorm_plan_desc& d, uint32_t src, uint32_t out, uint32_t src_other, uint32_t out_other,
                 bool is_x);
// Window of k taps starting at start (inside [0, len)) for the taps first .. first + used - 1
// of one output sample, edges replicated: q[j] is added to the weight of clamp(first + j).
// Fills ax->start[d] and ax->weight[d * k ...] (zeroed before).
void fw_place(AxisTaps* ax, uint32_t d, const FwAxisMap& m, int32_t first, unsigned used, const int32_t* q);
// 1 for the OpenCV (cv-*) and torchvision (torch-*) interpolations.
bool is_cv(pixnorm_interp i);
bool is_torch(pixnorm_interp i);

// 1 for the Pillow interpolations.
bool is_pil(pixnorm_interp i);
// Tests: pil-* plans created while this is set take pil_h alone (the first kernel written for
// Pillow's horizontal pass), the reference the faster ones are compared with.
extern std::atomic<bool> pil_h_only;
// The letterbox placement of one axis: content of n samples starting at lo, of `out`.
void letterbox_axis(uint32_t src, uint32_t out, uint32_t src_other, uint32_t out_other, uint32_t* lo, uint32_t* n);
// Slack after a compact row: whole-word reads past its last byte stay inside the scratch.
constexpr size_t kCompactSlack = 16;
// 1 for YUV formats.
bool is_yuv(pixnorm_format f);
// torchvision's Resize(r) of a sw x sh region: the shorter side becomes r, the longer
// int(r * long / short).
void resize_short_size(uint64_t sw, uint64_t sh, uint64_t r, uint64_t* rw, uint64_t* rh);
// The offset of a center crop of `crop` samples out of `size`, rounded as asked.
double center_crop_offset(pixnorm_crop_rounding r, uint64_t size, uint32_t crop);
// The fixed-point coefficients of a matrix and range.
YuvCoef yuv_coefficients(pixnorm_yuv_matrix m, pixnorm_yuv_range r);
}  // namespace pixnorm

#endif
