// Geometry: tap tables at planning, then integer resampling of rows.
#include "geometry.h"

#include <cmath>
#include <cstring>
#include <new>
#include <type_traits>

#include "error.h"
#include "formats.h"
#include "kernels.h"

namespace pixnorm {

namespace {

template <class T>
T* alloc(size_t n) {
  T* p = new (std::nothrow) T[n == 0 ? 1 : n];
  if (p != nullptr) std::memset(p, 0, sizeof(T) * (n == 0 ? 1 : n));
  return p;
}

// The mapping of an axis's content: content index i covers source [e0 + i*a, e0 + (i+1)*a)
// (continuous coordinates: sample s covers [s, s+1)).
struct AxisMap {
  uint32_t src;  // source samples (region length)
  uint32_t out;  // output length
  uint32_t lo;   // first content index
  uint32_t n;    // content length
  double a, e0;
};

// Integer weights summing to exactly 1 << bits: each rounded, the remainder given to the largest.
void quantize_weights(const double* w, unsigned k, unsigned bits, int32_t* q) {
  double total = 0;
  for (unsigned i = 0; i < k; ++i) total += w[i];
  const int32_t one = 1 << bits;
  int32_t sum = 0;
  unsigned big = 0;
  for (unsigned i = 0; i < k; ++i) {
    q[i] = static_cast<int32_t>(std::floor(w[i] / total * one + 0.5));
    sum += q[i];
    if (w[i] > w[big]) big = i;
  }
  q[big] += one - sum;
}

pixnorm_status build_axis(AxisTaps* ax, const AxisMap& m, pixnorm_interp interp, unsigned bits, bool flip,
                          const char* name) {
  const bool area = interp == PIXNORM_INTERP_AREA && m.a > 1.0;
  unsigned k = interp == PIXNORM_INTERP_NEAREST ? 1 : area ? static_cast<unsigned>(std::ceil(m.a)) + 1 : 2;
  if (k > m.src) k = m.src;
  if (k > 4096)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: %s shrinks %u to %u samples: over 4096 source samples per output",
                name, m.src, m.n);
  ax->out = m.out;
  ax->taps = k;
  ax->lo = flip ? m.out - m.lo - m.n : m.lo;
  ax->hi = ax->lo + m.n;
  ax->start = alloc<int32_t>(m.out);
  ax->weight = alloc<int32_t>(static_cast<size_t>(m.out) * k);
  double* w = alloc<double>(k + 2);  // area: overlaps before quantizing
  if (ax->start == nullptr || ax->weight == nullptr || w == nullptr) {
    delete[] w;
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the %s taps", name);
  }
  const int32_t s_max = static_cast<int32_t>(m.src) - 1;
  for (uint32_t d = ax->lo; d < ax->hi; ++d) {
    const uint32_t u = flip ? m.out - 1 - d : d;  // the unflipped output index
    const double i = static_cast<double>(u - m.lo);
    int32_t first;  // source index of q[0]
    unsigned used;
    int32_t q[4098];
    const int32_t one = 1 << bits;
    if (interp == PIXNORM_INTERP_NEAREST) {
      const double c = std::floor(m.e0 + (i + 0.5) * m.a);
      first = c < 0 ? 0 : c > s_max ? s_max : static_cast<int32_t>(c);
      q[0] = one;
      used = 1;
    } else if (!area) {
      // Bilinear with half-pixel centres; past either edge the edge sample alone (OpenCV).
      const double t = m.e0 + (i + 0.5) * m.a - 0.5;
      const double fl = std::floor(t);
      double f = t - fl;
      int32_t s = static_cast<int32_t>(fl);
      if (fl < 0) {
        s = 0;
        f = 0;
      } else if (fl >= s_max) {
        s = s_max;
        f = 0;
      }
      first = s;
      q[0] = static_cast<int32_t>(std::nearbyint((1.0 - f) * one));
      q[1] = one - q[0];
      used = q[0] == one ? 1 : 2;  // at the last sample the second tap would be past the edge
    } else {
      // Box: the overlap of [lo, hi) with each sample, clipped to the source.
      double lo = m.e0 + i * m.a, hi = lo + m.a;
      if (lo < 0) lo = 0;
      if (hi > m.src) hi = m.src;
      if (hi <= lo) {  // cannot happen for a content index; keep one valid tap
        lo = lo >= m.src ? m.src - 1 : lo;
        hi = lo + 1;
      }
      first = static_cast<int32_t>(std::floor(lo));
      int32_t last = static_cast<int32_t>(std::ceil(hi)) - 1;
      if (last > s_max) last = s_max;
      used = static_cast<unsigned>(last - first + 1);
      if (used > k) used = k;  // rounding at the far end: the excluded overlap is < 1e-9
      for (unsigned j = 0; j < used; ++j) {
        const double a0 = std::fmax(lo, static_cast<double>(first + static_cast<int32_t>(j)));
        const double a1 = std::fmin(hi, static_cast<double>(first + static_cast<int32_t>(j) + 1));
        w[j] = a1 > a0 ? a1 - a0 : 0.0;
      }
      quantize_weights(w, used, bits, q);
    }
    // The window [start, start + k) inside the source; the taps land at first - start.
    int32_t start = first;
    if (start > static_cast<int32_t>(m.src - k)) start = static_cast<int32_t>(m.src - k);
    ax->start[d] = start;
    int32_t* wd = ax->weight + static_cast<size_t>(d) * k;
    for (unsigned j = 0; j < used; ++j) wd[first - start + static_cast<int32_t>(j)] += q[j];
  }
  delete[] w;
  return PIXNORM_OK;
}

// Content placement of one axis for a fit; sizes were validated by the caller.
AxisMap map_axis(const pixnorm_plan_desc& d, uint32_t src, uint32_t out, uint32_t src_other, uint32_t out_other,
                 bool is_x) {
  AxisMap m{src, out, 0, out, static_cast<double>(src) / out, 0.0};
  if (d.fit == PIXNORM_FIT_CENTER_CROP && d.resize_short != 0) {
    // torchvision: Resize(r), then CenterCrop offsets by int(round((resized - out) / 2.0))
    // (round half to even); Hugging Face floors.
    uint64_t rw, rh;
    resize_short_size(is_x ? src : src_other, is_x ? src_other : src, d.resize_short, &rw, &rh);
    const uint64_t resized = is_x ? rw : rh;
    const double c = center_crop_offset(d.crop_rounding, resized, out);
    m.a = static_cast<double>(src) / static_cast<double>(resized);
    m.e0 = c * m.a;
  } else if (d.fit == PIXNORM_FIT_CENTER_CROP) {
    // The largest centred region with the output's aspect.
    const double len = static_cast<uint64_t>(src) * out_other >= static_cast<uint64_t>(src_other) * out
                           ? static_cast<double>(src_other) * out / out_other
                           : static_cast<double>(src);
    const double l = len > src ? static_cast<double>(src) : len;
    m.a = l / out;
    m.e0 = (src - l) / 2.0;
  } else if (d.fit == PIXNORM_FIT_LETTERBOX) {
    letterbox_axis(src, out, src_other, out_other, &m.lo, &m.n);
    m.a = static_cast<double>(src) / m.n;
  }
  return m;
}

}  // namespace

void letterbox_axis(uint32_t src, uint32_t out, uint32_t src_other, uint32_t out_other, uint32_t* lo, uint32_t* n) {
  // YOLO: scale by the smaller ratio, round the size, split the padding (left = round(pad/2 - 0.1)).
  const double s = std::fmin(static_cast<double>(out) / src, static_cast<double>(out_other) / src_other);
  double len = std::nearbyint(src * s);
  if (len < 1) len = 1;
  if (len > out) len = out;
  *n = static_cast<uint32_t>(len);
  *lo = static_cast<uint32_t>(std::nearbyint((out - *n) / 2.0 - 0.1));
  if (*lo + *n > out) *lo = out - *n;
}

double center_crop_offset(pixnorm_crop_rounding r, uint64_t size, uint32_t crop) {
  const double margin = static_cast<double>(size) - crop;
  return r == PIXNORM_CROP_FLOOR ? std::floor(margin / 2.0) : std::nearbyint(margin / 2.0);
}

bool is_pil(pixnorm_interp i) { return i >= PIXNORM_INTERP_PIL_NEAREST && i <= PIXNORM_INTERP_PIL_LANCZOS; }
bool is_cv(pixnorm_interp i) { return i == PIXNORM_INTERP_CV_LINEAR_EXACT || i == PIXNORM_INTERP_CV_CUBIC; }
bool is_torch(pixnorm_interp i) {
  return i >= PIXNORM_INTERP_TORCH_BILINEAR_AA && i <= PIXNORM_INTERP_TORCH_BICUBIC;
}

bool is_yuv(pixnorm_format f) { return format_row(f).yuv; }

void resize_short_size(uint64_t sw, uint64_t sh, uint64_t r, uint64_t* rw, uint64_t* rh) {
  *rw = sw <= sh ? r : r * sw / sh;
  *rh = sw <= sh ? r * sh / sw : r;
}

YuvCoef yuv_coefficients(pixnorm_yuv_matrix m, pixnorm_yuv_range r) {
  const double kr = m == PIXNORM_YUV_BT709 ? 0.2126 : 0.299, kb = m == PIXNORM_YUV_BT709 ? 0.0722 : 0.114;
  const double kg = 1.0 - kr - kb;
  const bool full = r == PIXNORM_YUV_FULL;
  const double ys = full ? 1.0 : 255.0 / 219.0, cs = full ? 1.0 : 255.0 / 224.0;
  auto fx = [](double v) { return static_cast<int32_t>(std::nearbyint(v * 65536.0)); };
  YuvCoef k;
  k.yoff = full ? 0 : 16;
  k.cy = fx(ys);
  k.crv = fx(2.0 * (1.0 - kr) * cs);
  k.cbu = fx(2.0 * (1.0 - kb) * cs);
  k.cgu = fx(2.0 * kb * (1.0 - kb) / kg * cs);
  k.cgv = fx(2.0 * kr * (1.0 - kr) / kg * cs);
  return k;
}

Resampler::~Resampler() {
  delete[] x_.start;
  delete[] x_.weight;
  delete[] y_.start;
  delete[] y_.weight;
  delete[] cols_;
  delete[] xstart_c_;
  delete[] eoff_;
  delete[] ewx_;
  delete[] hoff_;
  delete[] hw_;
  delete[] h3base_;
  delete[] h3tbase_;
  delete[] h3w_;
  delete[] hwbase_;
  delete[] hwtbase_;
  delete[] hwidx_;
  delete[] hww_;
  delete[] xwf_;
  delete[] ywf_;
  delete[] toff_;
  delete[] cvdx_;
  delete[] cvy_;
  delete[] cvbeta_;
  delete[] cvvec_;
  delete[] cvrun_;
  for (int32_t* g : goff_) delete[] g;
}

Windows::~Windows() {
  delete[] base;
  delete[] idx;
  delete[] wpair;
}

pixnorm_status Windows::build(const int32_t* off, const int32_t* wx, unsigned step, size_t n, size_t valid) {
  const size_t nb = n / 4;
  if (nb == 0 || valid < 16) return PIXNORM_OK;
  auto lowest = [&](size_t k) {
    int32_t lo = off[4 * k];
    for (unsigned j = 1; j < 4; ++j) lo = off[4 * k + j] < lo ? off[4 * k + j] : lo;
    return lo;
  };
  for (size_t k = 0; k < nb; ++k) {
    int32_t hi = off[4 * k];
    for (unsigned j = 1; j < 4; ++j) hi = off[4 * k + j] > hi ? off[4 * k + j] : hi;
    if (hi + static_cast<int32_t>(step) - lowest(k) > 15) return PIXNORM_OK;
  }
  base = alloc<int32_t>(nb);
  idx = alloc<uint8_t>(16 * nb);
  if (wx != nullptr) wpair = alloc<uint32_t>(4 * nb);
  if (base == nullptr || idx == nullptr || (wx != nullptr && wpair == nullptr))
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  for (size_t k = 0; k < nb; ++k) {
    const int32_t lo = lowest(k);
    // Near the row's end the window moves left: the taps (inside the row) stay inside it.
    const int32_t b = static_cast<size_t>(lo) + 16 > valid ? static_cast<int32_t>(valid - 16) : lo;
    base[k] = b;
    for (unsigned j = 0; j < 4; ++j) {
      const size_t e = 4 * k + j;
      uint8_t* t = idx + 4 * e;
      t[0] = static_cast<uint8_t>(off[e] - b);
      t[1] = 0x80;
      t[2] = static_cast<uint8_t>(off[e] + static_cast<int32_t>(step) - b);
      t[3] = 0x80;
      if (wx != nullptr) wpair[e] = static_cast<uint32_t>(2048 - wx[e]) | static_cast<uint32_t>(wx[e]) << 16;
    }
  }
  nblocks = nb;
  return PIXNORM_OK;
}

pixnorm_status Resampler::init(const pixnorm_plan_desc& d, uint32_t out_w, uint32_t out_h, unsigned src_cin,
                               unsigned channels) {
  {
    // Read through its bits: a C caller may pass any value.
    std::underlying_type_t<pixnorm_crop_rounding> bits;
    std::memcpy(&bits, &d.crop_rounding, sizeof(bits));
    const long long v = bits;
    if (d.fit == PIXNORM_FIT_CENTER_CROP && (v < 0 || v > PIXNORM_CROP_FLOOR))
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "plan: unknown crop_rounding %lld", v);
  }
  format_ = d.format;
  cin_ = src_cin;
  c_ = channels;
  const bool whole = d.roi_width == 0;
  roi_x_ = whole ? 0 : d.roi_x;
  roi_y_ = whole ? 0 : d.roi_y;
  const uint32_t sw = whole ? d.width : d.roi_width, sh = whole ? d.height : d.roi_height;
  bits_ = d.interp == PIXNORM_INTERP_AREA ? 14 : 11;
  fill_ = static_cast<uint8_t>(d.letterbox_fill);
  yuv_ = yuv_coefficients(d.yuv_matrix, d.yuv_range);
  pil_ = is_pil(d.interp);
  torch_ = is_torch(d.interp);
  cv_cubic_ = d.interp == PIXNORM_INTERP_CV_CUBIC;
  if (pil_ || torch_ || is_cv(d.interp)) {
    const pixnorm_status st = pil_     ? init_pil_axes(d, sw, sh, out_w, out_h)
                              : torch_ ? init_torch_axes(d, sw, sh, out_w, out_h)
                                       : init_cv_axes(d, sw, sh, out_w, out_h);
    if (st != PIXNORM_OK) return st;
  } else {
    pixnorm_status st =
        build_axis(&x_, map_axis(d, sw, out_w, sh, out_h, true), d.interp, bits_, d.flip != 0, "width");
    if (st != PIXNORM_OK) return st;
    st = build_axis(&y_, map_axis(d, sh, out_h, sw, out_w, false), d.interp, bits_, false, "height");
    if (st != PIXNORM_OK) return st;
  }

  // The source columns read, and each output column's first tap among them.
  bool* used = alloc<bool>(sw);
  xstart_c_ = alloc<int32_t>(out_w);
  if (used == nullptr || xstart_c_ == nullptr) {
    delete[] used;
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the column map");
  }
  for (uint32_t o = x_.lo; o < x_.hi; ++o)
    for (uint32_t j = 0; j < x_.taps; ++j) used[x_.start[o] + static_cast<int32_t>(j)] = true;
  ncols_ = 0;
  for (uint32_t s = 0; s < sw; ++s) ncols_ += used[s] ? 1 : 0;
  cols_ = alloc<int32_t>(ncols_);
  int32_t* rank = alloc<int32_t>(sw);
  if (cols_ == nullptr || rank == nullptr) {
    delete[] used;
    delete[] rank;
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the column map");
  }
  uint32_t n = 0;
  for (uint32_t s = 0; s < sw; ++s) {
    rank[s] = static_cast<int32_t>(n);
    if (used[s]) cols_[n++] = static_cast<int32_t>(s);
  }
  for (uint32_t o = x_.lo; o < x_.hi; ++o) xstart_c_[o] = rank[x_.start[o]];
  delete[] used;
  delete[] rank;
  // Packed formats with as many bytes per pixel as channels out are read in place; the others
  // (alpha dropped, YUV converted) through the compact row of the columns used.
  direct_ = cin_ == c_ && !is_yuv(format_);
  if (is_yuv(format_)) {
    const pixnorm_status gs = init_gather(d.width);
    if (gs != PIXNORM_OK) return gs;
  }
  if (pil_) return init_pil_rows(d.width);
  if (torch_) return init_tap_offsets();
  if (cv_cubic_) return init_cv_rows();
  if (bits_ == 11 && x_.taps <= 2 && y_.taps <= 2) return init_two_tap(d.width);
  return PIXNORM_OK;
}

pixnorm_status Resampler::init_two_tap(uint32_t image_width) {
  const size_t nx = x_.hi - x_.lo, n = nx * c_;
  eoff_ = alloc<int32_t>(n);
  ewx_ = alloc<int32_t>(n);
  if (eoff_ == nullptr || ewx_ == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  // Packed formats are read in place (pixel stride cin_, alpha skipped); YUV through the
  // converted compact row (stride 3).
  const bool yuv = is_yuv(format_);
  const unsigned stride = yuv ? c_ : cin_;
  estep_ = x_.taps == 2 ? stride : 0;
  const size_t valid =
      yuv ? static_cast<size_t>(ncols_) * c_ + kCompactSlack : static_cast<size_t>(image_width - roi_x_) * cin_;
  group_ = c_ == 3 ? 3 : 1;
  bool* safe = alloc<bool>(n);
  if (safe == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  for (uint32_t o = x_.lo; o < x_.hi; ++o) {
    const int32_t first = yuv ? xstart_c_[o] : x_.start[o];
    const int32_t w1 = x_.taps == 2 ? x_.weight[static_cast<size_t>(o) * 2 + 1] : 0;
    for (unsigned c = 0; c < c_; ++c) {
      const size_t e = static_cast<size_t>(o - x_.lo) * c_ + c;
      eoff_[e] = first * static_cast<int32_t>(stride) + static_cast<int32_t>(c);
      ewx_[e] = w1;
    }
    // resample2 may read 8 bytes from each element's offset; a pixel's channels share one verdict.
    const size_t last = static_cast<size_t>(o - x_.lo) * c_ + c_ - 1;
    for (unsigned c = 0; c < c_; ++c) safe[last - c] = static_cast<size_t>(eoff_[last]) + 8 <= valid;
  }
  // The unsafe elements sit at the row's far end (at its start when flipped).
  size_t lo = 0, hi = n;
  while (lo < n && !safe[lo]) ++lo;
  while (hi > lo && !safe[hi - 1]) --hi;
  for (size_t e = lo; e < hi; ++e)
    if (!safe[e]) lo = hi = 0;
  delete[] safe;
  safe_lo_ = lo;
  safe_hi_ = hi;
  two_tap_ = true;
  return win_.build(eoff_, ewx_, estep_, n, valid);
}

// Per YUV plane, the byte each column used reads (offsets in its row) and their gather windows.
pixnorm_status Resampler::init_gather(uint32_t image_width) {
  const size_t w = image_width, cw = (w + 1) / 2;
  const bool nv21 = format_ == PIXNORM_FORMAT_NV21;
  for (unsigned c = 0; c < 3; ++c) {
    goff_[c] = alloc<int32_t>(ncols_);
    if (goff_[c] == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the column map");
    // The bytes of the plane's rows: Y, then interleaved chroma pairs (U first in NV12); I420's
    // separate planes; YUYV's Y0 U Y1 V per pair of pixels.
    const bool nv = format_ == PIXNORM_FORMAT_NV12 || nv21, i420 = format_ == PIXNORM_FORMAT_I420;
    const size_t valid = nv ? (c == 0 ? w : 2 * cw) : i420 ? (c == 0 ? w : cw) : 4 * cw;
    for (uint32_t j = 0; j < ncols_; ++j) {
      const int32_t x = static_cast<int32_t>(roi_x_) + cols_[j], pair = x / 2;
      goff_[c][j] = nv     ? (c == 0 ? x : 2 * pair + ((c == 1) == nv21 ? 1 : 0))
                    : i420 ? (c == 0 ? x : pair)
                           : (c == 0 ? 2 * x : 4 * pair + (c == 1 ? 1 : 3));
    }
    const pixnorm_status st = gather_[c].build(goff_[c], nullptr, 0, ncols_, valid);
    if (st != PIXNORM_OK) return st;
  }
  ycontig_ = format_ != PIXNORM_FORMAT_YUYV && ncols_ > 0;
  for (uint32_t j = 1; j < ncols_; ++j)
    if (goff_[0][j] != goff_[0][0] + static_cast<int32_t>(j)) ycontig_ = false;
  return PIXNORM_OK;
}

size_t Resampler::sums_bytes() const { return static_cast<size_t>(x_.hi - x_.lo) * c_ * sizeof(int64_t); }
size_t Resampler::compact_row_bytes() const {
  return (static_cast<size_t>(ncols_) * c_ + kCompactSlack + 7) / 8 * 8;
}
// The compact row, the Y, U and V bytes (YUV sources), then the chroma row whose bytes these are.
size_t Resampler::compact_bytes() const {
  return (compact_row_bytes() + 3 * static_cast<size_t>(ncols_) + 7) / 8 * 8 + 8;
}
void Resampler::reset_compact(uint8_t* compact) const {
  const int64_t none = -1;
  std::memcpy(compact + compact_bytes() - 8, &none, sizeof(none));
}
size_t Resampler::scratch_bytes() const {
  return pil_ ? pil_scratch_bytes() : torch_ ? torch_scratch_bytes() : cv_cubic_ ? cv_scratch_bytes()
                                                                      : sums_bytes() + 2 * compact_bytes();
}

const uint8_t* Resampler::fetch(const RowKernels* k, const Planes& src, uint32_t sy, uint8_t* compact,
                                const uint8_t* other) const {
  const size_t y = roi_y_ + static_cast<size_t>(sy);
  const uint8_t* row = src.p[0] + y * src.stride[0];
  if (direct_) return row + static_cast<size_t>(roi_x_) * cin_;
  const uint32_t n = ncols_;
  if (!is_yuv(format_)) {
    if (c_ == 1) {
      for (uint32_t j = 0; j < n; ++j) compact[j] = row[roi_x_ + cols_[j]];
    } else {
      for (uint32_t j = 0; j < n; ++j) {
        const uint8_t* px = row + static_cast<size_t>(roi_x_ + cols_[j]) * cin_;
        compact[3 * j] = px[0];
        compact[3 * j + 1] = px[1];
        compact[3 * j + 2] = px[2];
      }
    }
    return compact;
  }
  // YUV: the Y, U and V bytes of the columns used, side by side after the compact row, then
  // converted by the kernel.
  uint8_t* ys = compact + compact_row_bytes();
  uint8_t* dst[3] = {ys, ys + n, ys + 2 * static_cast<size_t>(n)};
  const uint8_t* rows[3] = {row, row, row};
  if (format_ == PIXNORM_FORMAT_NV12 || format_ == PIXNORM_FORMAT_NV21) {
    rows[1] = rows[2] = src.p[1] + (y / 2) * src.stride[1];
  } else if (format_ == PIXNORM_FORMAT_I420) {
    rows[1] = src.p[1] + (y / 2) * src.stride[1];
    rows[2] = src.p[2] + (y / 2) * src.stride[2];
  }
  // 4:2:0: two luma rows share a chroma row, whose U and V bytes the region may hold already.
  const bool shared = format_ != PIXNORM_FORMAT_YUYV;
  int64_t tag;
  std::memcpy(&tag, compact + compact_bytes() - 8, sizeof(tag));
  const bool have_chroma = shared && tag == static_cast<int64_t>(y / 2);
  // Or the other region of a pair holds them: read there, this region's own bytes kept.
  const uint8_t* chroma = nullptr;
  if (shared && !have_chroma && other != nullptr) {
    int64_t other_tag;
    std::memcpy(&other_tag, other + compact_bytes() - 8, sizeof(other_tag));
    if (other_tag == static_cast<int64_t>(y / 2)) chroma = other + compact_row_bytes();
  }
  for (unsigned c = 0; c < (have_chroma || chroma != nullptr ? 1u : 3u); ++c) {
    // Consecutive luma bytes are read in place.
    if (c == 0 && ycontig_) continue;
    const Windows& g = gather_[c];
    uint32_t j = 0;
    if (g.nblocks > 0) {
      k->gather_windows(rows[c], g.base, g.idx, g.nblocks, dst[c]);
      j = static_cast<uint32_t>(4 * g.nblocks);
    }
    for (; j < n; ++j) dst[c][j] = rows[c][goff_[c][j]];
  }
  if (shared && chroma == nullptr) {
    tag = static_cast<int64_t>(y / 2);
    std::memcpy(compact + compact_bytes() - 8, &tag, sizeof(tag));
  }
  const uint8_t* u = chroma != nullptr ? chroma + n : dst[1];
  const uint8_t* v = chroma != nullptr ? chroma + 2 * static_cast<size_t>(n) : dst[2];
  k->yuv(ycontig_ ? rows[0] + goff_[0][0] : dst[0], u, v, n, &yuv_, compact);
  return compact;
}

// The general loop (area: 14-bit weights, any number of taps; 64-bit sums).
template <unsigned C>
void Resampler::row(const RowKernels* k, const Planes& src, uint32_t yo, uint8_t* out, unsigned char* scratch) const {
  const uint32_t w = x_.out;
  if (yo < y_.lo || yo >= y_.hi) {
    std::memset(out, fill_, static_cast<size_t>(w) * C);
    return;
  }
  std::memset(out, fill_, static_cast<size_t>(x_.lo) * C);
  std::memset(out + static_cast<size_t>(x_.hi) * C, fill_, static_cast<size_t>(w - x_.hi) * C);
  const uint32_t nx = x_.hi - x_.lo;
  int64_t* acc = reinterpret_cast<int64_t*>(scratch);
  uint8_t* compact = scratch + sums_bytes();
  std::memset(acc, 0, sizeof(int64_t) * nx * C);
  const unsigned kx = x_.taps, ky = y_.taps;
  const int32_t* wy = y_.weight + static_cast<size_t>(yo) * ky;
  for (unsigned t = 0; t < ky; ++t) {
    if (wy[t] == 0) continue;
    const int64_t vw = wy[t];
    const uint8_t* line = fetch(k, src, static_cast<uint32_t>(y_.start[yo]) + t, compact);
    int64_t* a = acc;
    for (uint32_t o = x_.lo; o < x_.hi; ++o, a += C) {
      const int32_t* wx = x_.weight + static_cast<size_t>(o) * kx;
      const uint8_t* px = line + static_cast<size_t>(direct_ ? x_.start[o] : xstart_c_[o]) * C;
      if (kx == 2) {
        for (unsigned c = 0; c < C; ++c) a[c] += vw * (wx[0] * px[c] + wx[1] * px[C + c]);
      } else {
        for (unsigned c = 0; c < C; ++c) {
          int32_t h = 0;
          for (unsigned j = 0; j < kx; ++j) h += wx[j] * px[j * C + c];
          a[c] += vw * h;
        }
      }
    }
  }
  const unsigned shift = 2 * bits_;
  const int64_t half = int64_t{1} << (shift - 1);
  uint8_t* o = out + static_cast<size_t>(x_.lo) * C;
  for (size_t i = 0; i < static_cast<size_t>(nx) * C; ++i) o[i] = static_cast<uint8_t>((acc[i] + half) >> shift);
}

void Resampler::row2(const RowKernels* k, const Planes& src, uint32_t yo, uint8_t* out, unsigned char* scratch) const {
  const size_t w = static_cast<size_t>(x_.out) * c_;
  if (yo < y_.lo || yo >= y_.hi) {
    std::memset(out, fill_, w);
    return;
  }
  const size_t lo = static_cast<size_t>(x_.lo) * c_, hi = static_cast<size_t>(x_.hi) * c_, n = hi - lo;
  std::memset(out, fill_, lo);
  std::memset(out + hi, fill_, w - hi);
  const uint32_t sy = static_cast<uint32_t>(y_.start[yo]);
  const int32_t wy = y_.taps == 2 ? y_.weight[static_cast<size_t>(yo) * 2 + 1] : 0;
  const uint8_t *r0, *r1;
  if (is_yuv(format_)) {
    const size_t cb = static_cast<size_t>(ncols_) * c_;
    uint8_t* c0 = scratch + sums_bytes();
    uint8_t* c1 = c0 + compact_bytes();
    r0 = fetch(k, src, sy, c0);
    std::memset(c0 + cb, 0, kCompactSlack);  // read as parts of words, never used
    r1 = r0;
    if (wy != 0) {
      r1 = fetch(k, src, sy + 1, c1);
      std::memset(c1 + cb, 0, kCompactSlack);
    }
  } else {
    const size_t x0 = static_cast<size_t>(roi_x_) * cin_;
    r0 = src.p[0] + (roi_y_ + static_cast<size_t>(sy)) * src.stride[0] + x0;
    r1 = wy != 0 ? r0 + src.stride[0] : r0;
  }
  uint8_t* o = out + lo;
  const RowKernels* ref = scalar_kernels();
  if (win_.nblocks > 0) {
    const size_t done = 4 * win_.nblocks;
    k->resample2_windows(r0, r1, win_.base, win_.idx, win_.wpair, wy, win_.nblocks, o);
    if (done < n) ref->resample2(r0, r1, eoff_ + done, ewx_ + done, wy, estep_, 1, n - done, o + done);
    return;
  }
  if (safe_lo_ > 0) ref->resample2(r0, r1, eoff_, ewx_, wy, estep_, group_, safe_lo_, o);
  k->resample2(r0, r1, eoff_ + safe_lo_, ewx_ + safe_lo_, wy, estep_, group_, safe_hi_ - safe_lo_, o + safe_lo_);
  if (safe_hi_ < n) ref->resample2(r0, r1, eoff_ + safe_hi_, ewx_ + safe_hi_, wy, estep_, group_, n - safe_hi_, o + safe_hi_);
}

void Resampler::rows(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                     size_t out_row_bytes, void* scratch) const {
  unsigned char* s = static_cast<unsigned char*>(scratch);
  if (pil_ || torch_ || cv_cubic_) {  // their compact region starts the scratch
    reset_compact(s);
  } else {
    reset_compact(s + sums_bytes());
    reset_compact(s + sums_bytes() + compact_bytes());
  }
  if (pil_) return rows_pil(k, src, y0, y1, out, out_row_bytes, s);
  if (torch_) return rows_torch(k, src, y0, y1, out, out_row_bytes, s);
  if (cv_cubic_) return rows_cv_cubic(k, src, y0, y1, out, out_row_bytes, s);
  for (uint32_t y = y0; y < y1; ++y, out += out_row_bytes) {
    if (two_tap_) {
      row2(k, src, y, out, s);
      continue;
    }
    if (c_ == 3)
      row<3>(k, src, y, out, s);
    else
      row<1>(k, src, y, out, s);
  }
}

}  // namespace pixnorm
