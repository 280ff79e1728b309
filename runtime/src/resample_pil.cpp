// Pillow 9.4's Image.resize (libImaging/Resample.c for the filters, Geometry.c's affine scale for
// NEAREST), reproduced byte for byte. The weights are computed here at planning with the same
// double expressions in the same order (built with -ffp-contract=off, like Debian's x86 Pillow,
// which has no FMA to contract to), then rounded to Pillow's int32 fixed point; the kernels only
// multiply and add integers, so every backend gives Pillow's bytes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>

#include "error.h"
#include "geometry.h"

namespace pixnorm {

std::atomic<bool> pil_h_only{false};

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS for 8-bit images
constexpr double kPi = 3.14159265358979323846;  // M_PI

template <class T>
T* alloc_zero(size_t n) {
  T* p = new (std::nothrow) T[n == 0 ? 1 : n];
  if (p != nullptr) std::memset(p, 0, sizeof(T) * (n == 0 ? 1 : n));
  return p;
}

// Pillow's filters; the Hamming window's constants are float literals there, widened to double.
double box_filter(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}
double hamming_filter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * kPi;
  return std::sin(x) / x * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
}
double bicubic_filter(double x) {
  const double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}
double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * kPi;
  return std::sin(x) / x;
}
double lanczos_filter(double x) { return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0; }

struct Filter {
  double (*f)(double);
  double support;
};

Filter filter_of(pixnorm_interp i) {
  switch (i) {
    case PIXNORM_INTERP_PIL_BOX: return {box_filter, 0.5};
    case PIXNORM_INTERP_PIL_HAMMING: return {hamming_filter, 1.0};
    case PIXNORM_INTERP_PIL_BICUBIC: return {bicubic_filter, 2.0};
    case PIXNORM_INTERP_PIL_LANCZOS: return {lanczos_filter, 3.0};
    default: return {bilinear_filter, 1.0};
  }
}

// One axis as Pillow sees it: a source of `src` samples, the box [in0, in1) (floats, as Pillow
// parses them) resized to `total` samples, of which `n` starting at `first` are kept and placed
// at `lo` of the plan's `out` samples.
struct PilAxisMap {
  uint32_t src, out, lo, n, total, first;
  float in0, in1;
};

PilAxisMap pil_map(const pixnorm_plan_desc& d, uint32_t src, uint32_t out, uint32_t src_other, uint32_t out_other,
                   bool is_x) {
  PilAxisMap m{src, out, 0, out, out, 0, 0.0f, static_cast<float>(src)};
  if (d.fit == PIXNORM_FIT_CENTER_CROP && d.resize_short != 0) {
    // torchvision: Resize(r) of the whole region, then CenterCrop at int(round((resized - out) / 2.0)).
    uint64_t rw, rh;
    resize_short_size(is_x ? src : src_other, is_x ? src_other : src, d.resize_short, &rw, &rh);
    m.total = static_cast<uint32_t>(is_x ? rw : rh);
    m.first = static_cast<uint32_t>(center_crop_offset(d.crop_rounding, m.total, out));
  } else if (d.fit == PIXNORM_FIT_CENTER_CROP) {
    // ImageOps.fit(image, size, method) (bleed 0, centering 0.5): a float box with the output's
    // aspect, as Python computes it.
    const double w = is_x ? src : src_other, h = is_x ? src_other : src;
    const double ow = is_x ? out : out_other, oh = is_x ? out_other : out;
    const double live_ratio = w / h, out_ratio = ow / oh;
    double cw = w, ch = h;
    if (live_ratio == out_ratio) {
    } else if (live_ratio >= out_ratio) {
      cw = out_ratio * h;
    } else {
      ch = w / out_ratio;
    }
    const double left = 0.0 + (w - cw) * 0.5, top = 0.0 + (h - ch) * 0.5;
    m.in0 = static_cast<float>(is_x ? left : top);
    m.in1 = static_cast<float>(is_x ? left + cw : top + ch);
  } else if (d.fit == PIXNORM_FIT_LETTERBOX) {
    letterbox_axis(src, out, src_other, out_other, &m.lo, &m.n);
    m.total = m.n;
  }
  return m;
}

// Pillow's taps of one axis into ax (start, weights; a window of K = min(ksize, src) samples,
// moved left at the far edge, the weights placed at their source positions within it).
pixnorm_status build_pil_axis(AxisTaps* ax, const PilAxisMap& m, pixnorm_interp interp, bool flip,
                              const char* name) {
  const bool nearest = interp == PIXNORM_INTERP_PIL_NEAREST;
  const Filter filter = filter_of(interp);
  // Pillow skips an axis whose size and box are unchanged (need_horizontal, need_vertical).
  const bool identity = m.total == m.src && m.in0 == 0.0f && m.in1 == static_cast<float>(m.total);
  const double scale = static_cast<double>(m.in1 - m.in0) / m.total;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = filter.support * filterscale;
  const double ksize_d = std::ceil(support) * 2 + 1;
  unsigned k = nearest || identity ? 1 : ksize_d > 1e9 ? 1000000000u : static_cast<unsigned>(ksize_d);
  if (k > m.src) k = m.src;
  if (k > 4096)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: %s shrinks %u to %u samples: over 4096 source samples per output",
                name, m.src, m.total);
  ax->out = m.out;
  ax->taps = k;
  ax->lo = flip ? m.out - m.lo - m.n : m.lo;
  ax->hi = ax->lo + m.n;
  ax->start = alloc_zero<int32_t>(m.out);
  ax->weight = alloc_zero<int32_t>(static_cast<size_t>(m.out) * k);
  int32_t* near = nearest ? alloc_zero<int32_t>(m.n) : nullptr;
  double* w = alloc_zero<double>(static_cast<size_t>(std::ceil(support)) * 2 + 2);
  if (ax->start == nullptr || ax->weight == nullptr || w == nullptr || (nearest && near == nullptr)) {
    delete[] near;
    delete[] w;
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the %s taps", name);
  }
  if (nearest && !identity) {
    // ImagingScaleAffine: the position advances by repeated addition from the first output.
    const double a0 = static_cast<double>(m.in1 - m.in0) / m.total;
    double xo = static_cast<double>(m.in0) + a0 * 0.5;
    for (uint32_t x = 0; x < m.first + m.n; ++x, xo += a0) {
      const int xin = xo < 0.0 ? -1 : static_cast<int>(xo);
      if (x >= m.first) near[x - m.first] = xin >= 0 && xin < static_cast<int>(m.src) ? xin : -1;
    }
  }
  const int32_t one = 1 << kPrecisionBits;
  for (uint32_t dd = ax->lo; dd < ax->hi; ++dd) {
    const uint32_t u = flip ? m.out - 1 - dd : dd;  // the unflipped output index
    const uint32_t i = u - m.lo;
    int32_t* wd = ax->weight + static_cast<size_t>(dd) * k;
    if (identity || nearest) {
      const int32_t s = identity ? static_cast<int32_t>(m.first + i) : near[i];
      ax->start[dd] = s < 0 ? 0 : s;
      wd[0] = s < 0 ? 0 : one;  // outside the source: Pillow's fill, 0
      continue;
    }
    const int xx = static_cast<int>(m.first + i);
    const double center = m.in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > static_cast<int>(m.src)) xmax = static_cast<int>(m.src);
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double v = filter.f((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (int x = 0; x < xmax; ++x)
      if (ww != 0.0) w[x] /= ww;
    int32_t start = xmin;
    if (start > static_cast<int32_t>(m.src - k)) start = static_cast<int32_t>(m.src - k);
    ax->start[dd] = start;
    for (int x = 0; x < xmax; ++x)
      wd[xmin - start + x] =
          w[x] < 0 ? static_cast<int>(-0.5 + w[x] * (1 << kPrecisionBits)) : static_cast<int>(0.5 + w[x] * (1 << kPrecisionBits));
  }
  delete[] near;
  delete[] w;
  return PIXNORM_OK;
}

}  // namespace

pixnorm_status Resampler::init_pil_axes(const pixnorm_plan_desc& d, uint32_t sw, uint32_t sh, uint32_t out_w,
                                        uint32_t out_h) {
  const pixnorm_status st =
      build_pil_axis(&x_, pil_map(d, sw, out_w, sh, out_h, true), d.interp, d.flip != 0, "width");
  if (st != PIXNORM_OK) return st;
  return build_pil_axis(&y_, pil_map(d, sh, out_h, sw, out_w, false), d.interp, false, "height");
}

// After the column map (cols_, xstart_c_): the horizontal pass's per-element tables.
pixnorm_status Resampler::init_pil_rows(uint32_t image_width) {
  const size_t nx = x_.hi - x_.lo, k = x_.taps;
  nh_ = nx * c_;
  hoff_ = alloc_zero<int32_t>(nh_);
  hw_ = alloc_zero<int32_t>(nh_ * k);
  if (hoff_ == nullptr || hw_ == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  for (uint32_t o = x_.lo; o < x_.hi; ++o) {
    const int32_t first = direct_ ? x_.start[o] : xstart_c_[o];
    for (unsigned c = 0; c < c_; ++c) {
      const size_t e = static_cast<size_t>(o - x_.lo) * c_ + c;
      hoff_[e] = first * static_cast<int32_t>(c_) + static_cast<int32_t>(c);
      for (size_t j = 0; j < k; ++j) hw_[j * nh_ + e] = x_.weight[static_cast<size_t>(o) * k + j];
    }
  }
  // SIMD versions read a word from every tap: the elements whose last tap's word lies inside the
  // row (the source row from the region's start, or the compact row and its slack) form one
  // range, the others (at the row's far end; its start when flipped) go to the scalar kernel.
  const size_t valid =
      direct_ ? static_cast<size_t>(image_width - roi_x_) * c_ : static_cast<size_t>(ncols_) * c_ + kCompactSlack;
  auto safe = [&](size_t e) { return static_cast<size_t>(hoff_[e]) + (k - 1) * c_ + 4 <= valid; };
  size_t lo = 0, hi = nh_;
  while (lo < nh_ && !safe(lo)) ++lo;
  while (hi > lo && !safe(hi - 1)) --hi;
  for (size_t e = lo; e < hi; ++e)
    if (!safe(e)) lo = hi = 0;
  hsafe_lo_ = lo;
  hsafe_hi_ = hi;
  if (pil_h_only) return PIXNORM_OK;
  const pixnorm_status st = init_pil_hw(valid);
  if (st != PIXNORM_OK || hwpairs_ != 0) return st;
  return init_pil_h3(valid);
}

// The widest span of nonzero weights of the columns kept (at least 1), and where output column o's
// span starts in its Pillow window (so that it fits in the window).
size_t Resampler::pil_span() const {
  const size_t k = x_.taps;
  size_t span = 1;
  for (uint32_t o = x_.lo; o < x_.hi; ++o) {
    const int32_t* wo = x_.weight + static_cast<size_t>(o) * k;
    size_t a = 0, b = k;
    while (a < k && wo[a] == 0) ++a;
    while (b > a && wo[b - 1] == 0) --b;
    span = std::max(span, b - a);
  }
  return span;
}
size_t Resampler::pil_span_start(uint32_t o, size_t span) const {
  const size_t k = x_.taps;
  const int32_t* wo = x_.weight + static_cast<size_t>(o) * k;
  size_t a = 0;
  while (a + 1 < k && wo[a] == 0) ++a;
  return a + span > k ? k - span : a;
}

// pil_hw's tables (kernels.h), when the taps of every four consecutive elements lie within 16
// bytes (three channels: downscaling by up to about 2 with the bilinear filter; one channel:
// more). The weights start at each column's first nonzero one, as in init_pil_h3.
pixnorm_status Resampler::init_pil_hw(size_t valid) {
  const size_t n = nh_, k = x_.taps;
  if (n == 0) return PIXNORM_OK;
  const size_t span = pil_span();
  if ((span - 1) * c_ + 1 > 16) return PIXNORM_OK;
  const size_t nblocks = (n + 3) / 4, pairs = (span + 1) / 2;
  std::unique_ptr<int32_t[]> off(alloc_zero<int32_t>(n));
  if (off == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  for (size_t e = 0; e < n; ++e) {
    const uint32_t o = x_.lo + static_cast<uint32_t>(e / c_);
    const int32_t first = (direct_ ? x_.start[o] : xstart_c_[o]) + static_cast<int32_t>(pil_span_start(o, span));
    off[e] = first * static_cast<int32_t>(c_) + static_cast<int32_t>(e % c_);
  }
  for (size_t b = 0; b < nblocks; ++b) {
    int32_t lo = off[4 * b], hi = off[4 * b];
    for (size_t e = 4 * b; e < n && e < 4 * b + 4; ++e) {
      lo = std::min(lo, off[e]);
      hi = std::max(hi, off[e]);
    }
    if (static_cast<size_t>(hi - lo) + (span - 1) * c_ > 15) return PIXNORM_OK;
  }
  hwbase_ = alloc_zero<int32_t>(nblocks);
  hwtbase_ = alloc_zero<int32_t>(nblocks);
  hwidx_ = alloc_zero<uint8_t>(16 * nblocks * pairs);
  hww_ = alloc_zero<int16_t>(16 * nblocks * pairs);
  if (hwbase_ == nullptr || hwtbase_ == nullptr || hwidx_ == nullptr || hww_ == nullptr)
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  std::memset(hwidx_, 0x80, 16 * nblocks * pairs);
  const size_t istride = 16 * nblocks, wstride = 8 * nblocks;
  for (size_t b = 0; b < nblocks; ++b) {
    int32_t base = off[4 * b];
    for (size_t e = 4 * b; e < n && e < 4 * b + 4; ++e) base = std::min(base, off[e]);
    hwbase_[b] = base;
    for (size_t e = 4 * b; e < n && e < 4 * b + 4; ++e) {
      const uint32_t o = x_.lo + static_cast<uint32_t>(e / c_);
      const int32_t* wo = x_.weight + static_cast<size_t>(o) * k + pil_span_start(o, span);
      for (size_t j = 0; j < span; ++j) {
        const size_t q = j / 2, i = j % 2;
        hwidx_[istride * q + 4 * e + 2 * i] = static_cast<uint8_t>(off[e] - base + static_cast<int32_t>(j * c_));
        // wo[j] = hi * 2^16 + lo modulo 2^32 (kernels.h)
        const int16_t lo = static_cast<int16_t>(wo[j]);
        const int16_t hi = static_cast<int16_t>((static_cast<uint32_t>(wo[j]) - static_cast<uint32_t>(lo)) >> 16);
        hww_[wstride * (2 * q) + 2 * e + i] = lo;
        hww_[wstride * (2 * q + 1) + 2 * e + i] = hi;
      }
    }
  }
  // Windows past the row: a prefix or a suffix of the blocks (their bases are monotonic).
  auto safe = [&](size_t b) { return static_cast<size_t>(hwbase_[b]) + 16 <= valid; };
  size_t lo = 0, hi = nblocks;
  while (lo < nblocks && !safe(lo)) ++lo;
  while (hi > lo && !safe(hi - 1)) --hi;
  for (size_t b = lo; b < hi; ++b)
    if (!safe(b)) lo = hi = 0;
  size_t from = valid;
  for (size_t b = 0; b < nblocks; ++b)
    if (b < lo || b >= hi) from = std::min(from, static_cast<size_t>(hwbase_[b]));
  for (size_t b = 0; b < nblocks; ++b)
    hwtbase_[b] = b < lo || b >= hi ? hwbase_[b] - static_cast<int32_t>(from) : 0;
  hwsafe_lo_ = lo;
  hwsafe_hi_ = hi;
  hwtail_from_ = from;
  hwvalid_ = valid;
  hwtail_bytes_ = (valid - from + 16 + 15) / 16 * 16;
  hwblocks_ = nblocks;
  hwpairs_ = static_cast<unsigned>(pairs);
  return PIXNORM_OK;
}

// pil_h3's tables (kernels.h): Pillow's weights split into int16 halves, tap pairs by window.
// Each pixel's window starts at its first nonzero weight, not at Pillow's (moved left at the
// far edge), so that the taps passed are as few as the widest span of nonzero weights.
pixnorm_status Resampler::init_pil_h3(size_t valid) {
  const size_t k = x_.taps, np = x_.hi - x_.lo;
  if (c_ != 3 || np == 0) return PIXNORM_OK;
  const size_t span = pil_span();
  if (span > 5 * kPilWindows) return PIXNORM_OK;
  const unsigned taps = static_cast<unsigned>(span), win = (taps + 4) / 5;
  h3base_ = alloc_zero<int32_t>(np);
  h3tbase_ = alloc_zero<int32_t>(np);
  h3w_ = alloc_zero<int16_t>(6 * win * 8 * np);
  if (h3base_ == nullptr || h3tbase_ == nullptr || h3w_ == nullptr)
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  const size_t stride = 8 * np;
  for (size_t p = 0; p < np; ++p) {
    const uint32_t o = x_.lo + static_cast<uint32_t>(p);
    const int32_t* wo = x_.weight + static_cast<size_t>(o) * k;
    const size_t a = pil_span_start(o, taps);
    h3base_[p] = 3 * ((direct_ ? x_.start[o] : xstart_c_[o]) + static_cast<int32_t>(a));
    for (unsigned g = 0; g < win; ++g)
      for (unsigned q = 0; q < 3; ++q)
        for (unsigned i = 0; i < 2; ++i) {
          const size_t j = 5 * g + 2 * q + i;
          const int32_t v = (q == 2 && i == 1) || j >= taps ? 0 : wo[a + j];
          // v = hi * 2^16 + lo modulo 2^32 (kernels.h)
          const int16_t lo = static_cast<int16_t>(v);
          const int16_t hi = static_cast<int16_t>((static_cast<uint32_t>(v) - static_cast<uint32_t>(lo)) >> 16);
          for (unsigned c = 0; c < 3; ++c) {
            h3w_[stride * (2 * (3 * g + q)) + 8 * p + 2 * c + i] = lo;
            h3w_[stride * (2 * (3 * g + q) + 1) + 8 * p + 2 * c + i] = hi;
          }
        }
  }
  // Windows past the row: a prefix or a suffix of the pixels (their bases are monotonic).
  auto safe = [&](size_t p) { return static_cast<size_t>(h3base_[p]) + 15 * (win - 1) + 16 <= valid; };
  size_t lo = 0, hi = np;
  while (lo < np && !safe(lo)) ++lo;
  while (hi > lo && !safe(hi - 1)) --hi;
  for (size_t p = lo; p < hi; ++p)
    if (!safe(p)) lo = hi = 0;
  size_t from = valid;
  for (size_t p = 0; p < np; ++p)
    if (p < lo || p >= hi) from = std::min(from, static_cast<size_t>(h3base_[p]));
  for (size_t p = 0; p < np; ++p) h3tbase_[p] = p < lo || p >= hi ? h3base_[p] - static_cast<int32_t>(from) : 0;
  h3safe_lo_ = lo;
  h3safe_hi_ = hi;
  h3tail_from_ = from;
  h3valid_ = valid;
  h3tail_bytes_ = (valid - from + 15 * win + 16 + 15) / 16 * 16;
  np_ = np;
  h3taps_ = taps;
  return PIXNORM_OK;
}

size_t Resampler::pil_slot_bytes() const { return (nh_ + 63) / 64 * 64; }
bool Resampler::pil_pairs_yuv() const { return hwpairs_ != 0 && is_yuv(format_); }

// Scratch: the compact row (formats read through it), the ring's row tags and row pointers,
// then the ring of intermediate rows.
size_t Resampler::pil_scratch_bytes() const {
  const size_t r = y_.taps;
  return compact_bytes() + (r * sizeof(int32_t) + 7) / 8 * 8 + r * sizeof(const uint8_t*) + 64 + r * pil_slot_bytes() +
         ((h3taps_ != 0 ? h3tail_bytes_ : 0) + (hwpairs_ != 0 ? hwtail_bytes_ : 0) + 7) / 8 * 8 +
         (pil_pairs_yuv() ? compact_bytes() : 0);
}

void Resampler::rows_pil(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                         size_t out_row_bytes, unsigned char* scratch) const {
  const unsigned r = y_.taps;
  uint8_t* compact = scratch;
  int32_t* tag = reinterpret_cast<int32_t*>(scratch + compact_bytes());
  const uint8_t** taps = reinterpret_cast<const uint8_t**>(scratch + compact_bytes() + (r * sizeof(int32_t) + 7) / 8 * 8);
  uint8_t* ring = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(taps + r) + 63) / 64 * 64);
  uint8_t* tail = ring + r * pil_slot_bytes();  // the padded copy of a row's end (horizontal_hw, horizontal_h3)
  // YUV rows converted two at a time for pil_hw: the second one's compact region.
  uint8_t* compact1 =
      tail + ((h3taps_ != 0 ? h3tail_bytes_ : 0) + (hwpairs_ != 0 ? hwtail_bytes_ : 0) + 7) / 8 * 8;
  if (pil_pairs_yuv()) reset_compact(compact1);
  unsigned converted = 0;
  for (unsigned i = 0; i < r; ++i) tag[i] = -1;
  const RowKernels* ref = scalar_kernels();
  const size_t kx = x_.taps, w = static_cast<size_t>(x_.out) * c_;
  const size_t lo = static_cast<size_t>(x_.lo) * c_, hi = static_cast<size_t>(x_.hi) * c_;
  // The scalar backend keeps pil_h: its reference pil_hw and pil_h3 exist to define the SIMD ones
  // and cost more than pil_h without vectors (measured 30% slower at 640x480 to 224x224).
  const bool use_hw = hwpairs_ != 0 && k->pil_hw != ref->pil_hw, use_h3 = h3taps_ != 0 && k->pil_h3 != ref->pil_h3;
  int32_t wy[4096];
  const uint8_t* pending[4096];
  uint8_t* pdst[4096];
  for (uint32_t yo = y0; yo < y1; ++yo, out += out_row_bytes) {
    if (yo < y_.lo || yo >= y_.hi) {
      std::memset(out, fill_, w);
      continue;
    }
    std::memset(out, fill_, lo);
    std::memset(out + hi, fill_, w - hi);
    // The source rows of the window (the vertical bounds only move forward, so a ring of r rows
    // keeps every row a later output row of this call still needs); zero weights are skipped.
    const int32_t* wrow = y_.weight + static_cast<size_t>(yo) * r;
    unsigned used = 0, npending = 0;
    for (unsigned j = 0; j < r; ++j) {
      if (wrow[j] == 0) continue;
      const int32_t sy = y_.start[yo] + static_cast<int32_t>(j);
      const unsigned slot = static_cast<unsigned>(sy) % r;
      uint8_t* dst = ring + slot * pil_slot_bytes();
      if (tag[slot] != sy && use_hw && direct_) {
        // Rows read in place: they go through pil_hw two at a time below.
        pending[npending] = fetch(k, src, static_cast<uint32_t>(sy), compact);
        pdst[npending++] = dst;
        tag[slot] = sy;
      }
      if (tag[slot] != sy && use_hw && pil_pairs_yuv()) {
        // YUV rows: converted into the two compact regions in turn (the second reusing the
        // first's chroma bytes), then through pil_hw together.
        uint8_t* mine = converted % 2 == 0 ? compact : compact1;
        pending[npending] = fetch(k, src, static_cast<uint32_t>(sy), mine, mine == compact ? compact1 : compact);
        pdst[npending++] = dst;
        ++converted;
        tag[slot] = sy;
        if (npending == 2) {
          horizontal_hw(k, pending[0], pending[1], tail, pdst[0], pdst[1]);
          npending = 0;
        }
      }
      if (tag[slot] != sy) {
        const uint8_t* line = fetch(k, src, static_cast<uint32_t>(sy), compact);
        if (use_hw) {
          horizontal_hw(k, line, nullptr, tail, dst, nullptr);
          tag[slot] = sy;
          taps[used] = dst;
          wy[used++] = wrow[j];
          continue;
        }
        if (use_h3) {
          horizontal_h3(k, line, tail, dst);
          tag[slot] = sy;
          taps[used] = dst;
          wy[used++] = wrow[j];
          continue;
        }
        if (hsafe_lo_ > 0) ref->pil_h(line, hoff_, hw_, nh_, static_cast<unsigned>(kx), c_, hsafe_lo_, dst);
        k->pil_h(line, hoff_ + hsafe_lo_, hw_ + hsafe_lo_, nh_, static_cast<unsigned>(kx), c_, hsafe_hi_ - hsafe_lo_,
                 dst + hsafe_lo_);
        if (hsafe_hi_ < nh_)
          ref->pil_h(line, hoff_ + hsafe_hi_, hw_ + hsafe_hi_, nh_, static_cast<unsigned>(kx), c_, nh_ - hsafe_hi_,
                     dst + hsafe_hi_);
        tag[slot] = sy;
      }
      taps[used] = dst;
      wy[used++] = wrow[j];
    }
    for (unsigned i = 0; i < npending; i += 2)
      horizontal_hw(k, pending[i], i + 1 < npending ? pending[i + 1] : nullptr, tail, pdst[i],
                    i + 1 < npending ? pdst[i + 1] : nullptr);
    k->pil_v(taps, wy, used, nh_, out + lo);
  }
}

void Resampler::horizontal_hw(const RowKernels* k, const uint8_t* line, const uint8_t* line1, uint8_t* tail,
                              uint8_t* dst, uint8_t* dst1) const {
  const size_t istride = 16 * hwblocks_, wstride = 8 * hwblocks_;
  if (hwsafe_lo_ < hwsafe_hi_)
    k->pil_hw(line, line1, hwbase_ + hwsafe_lo_, hwidx_ + 16 * hwsafe_lo_, istride, hww_ + 8 * hwsafe_lo_, wstride,
              hwpairs_, hwsafe_hi_ - hwsafe_lo_, dst + 4 * hwsafe_lo_, line1 != nullptr ? dst1 + 4 * hwsafe_lo_ : nullptr);
  if (hwsafe_lo_ == 0 && hwsafe_hi_ == hwblocks_) return;
  const size_t lo = hwsafe_lo_ < hwsafe_hi_ ? hwsafe_lo_ : 0, hi = hwsafe_lo_ < hwsafe_hi_ ? hwsafe_hi_ : 0;
  for (int i = 0; i < 2; ++i) {
    const uint8_t* l = i == 0 ? line : line1;
    uint8_t* d = i == 0 ? dst : dst1;
    if (l == nullptr) break;
    std::memcpy(tail, l + hwtail_from_, hwvalid_ - hwtail_from_);
    std::memset(tail + (hwvalid_ - hwtail_from_), 0, hwtail_bytes_ - (hwvalid_ - hwtail_from_));
    if (lo > 0) k->pil_hw(tail, nullptr, hwtbase_, hwidx_, istride, hww_, wstride, hwpairs_, lo, d, nullptr);
    if (hi < hwblocks_)
      k->pil_hw(tail, nullptr, hwtbase_ + hi, hwidx_ + 16 * hi, istride, hww_ + 8 * hi, wstride, hwpairs_,
                hwblocks_ - hi, d + 4 * hi, nullptr);
  }
}

void Resampler::horizontal_h3(const RowKernels* k, const uint8_t* line, uint8_t* tail, uint8_t* dst) const {
  const size_t stride = 8 * np_;
  if (h3safe_lo_ < h3safe_hi_)
    k->pil_h3(line, h3base_ + h3safe_lo_, h3w_ + 8 * h3safe_lo_, stride, h3taps_, h3safe_hi_ - h3safe_lo_,
              dst + 3 * h3safe_lo_);
  if (h3safe_lo_ == 0 && h3safe_hi_ == np_) return;
  std::memcpy(tail, line + h3tail_from_, h3valid_ - h3tail_from_);
  std::memset(tail + (h3valid_ - h3tail_from_), 0, h3tail_bytes_ - (h3valid_ - h3tail_from_));
  const size_t lo = h3safe_lo_ < h3safe_hi_ ? h3safe_lo_ : 0, hi = h3safe_lo_ < h3safe_hi_ ? h3safe_hi_ : 0;
  if (lo > 0) k->pil_h3(tail, h3tbase_, h3w_, stride, h3taps_, lo, dst);
  if (hi < np_) k->pil_h3(tail, h3tbase_ + hi, h3w_ + 8 * hi, stride, h3taps_, np_ - hi, dst + 3 * hi);
}

}  // namespace pixnorm
