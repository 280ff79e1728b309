// Geometry: tap tables at planning, then integer resampling of rows.
#include "geometry.h"

#include <cmath>
#include <cstring>
#include <new>

#include "error.h"

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
    // (round half to even).
    uint64_t rw, rh;
    resize_short_size(is_x ? src : src_other, is_x ? src_other : src, d.resize_short, &rw, &rh);
    const uint64_t resized = is_x ? rw : rh;
    const double c = std::nearbyint((static_cast<double>(resized) - out) / 2.0);
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
    // YOLO: scale by the smaller ratio, round the size, split the padding (left = round(pad/2 - 0.1)).
    const double s = std::fmin(static_cast<double>(out) / src, static_cast<double>(out_other) / src_other);
    double n = std::nearbyint(src * s);
    if (n < 1) n = 1;
    if (n > out) n = out;
    m.n = static_cast<uint32_t>(n);
    m.lo = static_cast<uint32_t>(std::nearbyint((out - m.n) / 2.0 - 0.1));
    if (m.lo + m.n > out) m.lo = out - m.n;
    m.a = static_cast<double>(src) / m.n;
  }
  return m;
}

}  // namespace

bool is_yuv(pixnorm_format f) { return f >= PIXNORM_FORMAT_NV12 && f <= PIXNORM_FORMAT_YUYV; }

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
}

pixnorm_status Resampler::init(const pixnorm_plan_desc& d, uint32_t out_w, uint32_t out_h, unsigned src_cin,
                               unsigned channels) {
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
  pixnorm_status st = build_axis(&x_, map_axis(d, sw, out_w, sh, out_h, true), d.interp, bits_, d.flip != 0, "width");
  if (st != PIXNORM_OK) return st;
  st = build_axis(&y_, map_axis(d, sh, out_h, sw, out_w, false), d.interp, bits_, false, "height");
  if (st != PIXNORM_OK) return st;

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
  return PIXNORM_OK;
}

size_t Resampler::scratch_bytes() const {
  const size_t acc = static_cast<size_t>(x_.hi - x_.lo) * c_ * 8;
  const size_t compact = (static_cast<size_t>(ncols_) * c_ + 7) / 8 * 8;
  return acc + compact;
}

const uint8_t* Resampler::fetch(const Planes& src, uint32_t sy, uint8_t* compact) const {
  const size_t y = roi_y_ + static_cast<size_t>(sy);
  const uint8_t* row = src.p[0] + y * src.stride[0];
  if (direct_) return row + static_cast<size_t>(roi_x_) * cin_;
  const uint32_t n = ncols_;
  switch (format_) {
    case PIXNORM_FORMAT_GRAY8:
    case PIXNORM_FORMAT_RGB8:
    case PIXNORM_FORMAT_BGR8:
    case PIXNORM_FORMAT_RGBA8:
    case PIXNORM_FORMAT_BGRA8:
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
      break;
    case PIXNORM_FORMAT_NV12:
    case PIXNORM_FORMAT_NV21: {
      const uint8_t* uv = src.p[1] + (y / 2) * src.stride[1];
      const unsigned ui = format_ == PIXNORM_FORMAT_NV12 ? 0 : 1;
      for (uint32_t j = 0; j < n; ++j) {
        const size_t x = roi_x_ + static_cast<size_t>(cols_[j]);
        yuv_to_rgb(yuv_, row[x], uv[(x / 2) * 2 + ui], uv[(x / 2) * 2 + (1 - ui)], compact + 3 * j);
      }
      break;
    }
    case PIXNORM_FORMAT_I420: {
      const uint8_t* u = src.p[1] + (y / 2) * src.stride[1];
      const uint8_t* v = src.p[2] + (y / 2) * src.stride[2];
      for (uint32_t j = 0; j < n; ++j) {
        const size_t x = roi_x_ + static_cast<size_t>(cols_[j]);
        yuv_to_rgb(yuv_, row[x], u[x / 2], v[x / 2], compact + 3 * j);
      }
      break;
    }
    case PIXNORM_FORMAT_YUYV:
      for (uint32_t j = 0; j < n; ++j) {
        const size_t x = roi_x_ + static_cast<size_t>(cols_[j]);
        const uint8_t* pair = row + (x / 2) * 4;
        yuv_to_rgb(yuv_, row[2 * x], pair[1], pair[3], compact + 3 * j);
      }
      break;
  }
  return compact;
}

template <unsigned C, class Acc>
void Resampler::row(const Planes& src, uint32_t yo, uint8_t* out, unsigned char* scratch) const {
  const uint32_t w = x_.out;
  if (yo < y_.lo || yo >= y_.hi) {
    std::memset(out, fill_, static_cast<size_t>(w) * C);
    return;
  }
  std::memset(out, fill_, static_cast<size_t>(x_.lo) * C);
  std::memset(out + static_cast<size_t>(x_.hi) * C, fill_, static_cast<size_t>(w - x_.hi) * C);
  const uint32_t nx = x_.hi - x_.lo;
  Acc* acc = reinterpret_cast<Acc*>(scratch);
  uint8_t* compact = scratch + static_cast<size_t>(nx) * C * 8;
  if (x_.taps == 2 && y_.taps == 2 && bits_ == 11) {
    // Bilinear: both source rows at once, every sum in registers. The same integers as the
    // general loop below (sums of products, then one rounding shift), so the same bytes.
    // The second row's compact copy goes where the general loop keeps its sums (ncols <= 2 nx).
    const int32_t* wy = y_.weight + static_cast<size_t>(yo) * 2;
    const uint32_t sy = static_cast<uint32_t>(y_.start[yo]);
    const uint8_t* l0 = fetch(src, sy, compact);
    const uint8_t* l1 = fetch(src, sy + 1, scratch);
    const int32_t wy0 = wy[0], wy1 = wy[1];
    const int32_t* wx = x_.weight + static_cast<size_t>(x_.lo) * 2;
    const int32_t* first = (direct_ ? x_.start : xstart_c_) + x_.lo;
    uint8_t* o = out + static_cast<size_t>(x_.lo) * C;
    for (uint32_t i = 0; i < nx; ++i, wx += 2, o += C) {
      const uint8_t* p0 = l0 + static_cast<size_t>(first[i]) * C;
      const uint8_t* p1 = l1 + static_cast<size_t>(first[i]) * C;
      const int32_t w0 = wx[0], w1 = wx[1];
      for (unsigned c = 0; c < C; ++c) {
        const int32_t h0 = w0 * p0[c] + w1 * p0[C + c], h1 = w0 * p1[c] + w1 * p1[C + c];
        o[c] = static_cast<uint8_t>((h0 * wy0 + h1 * wy1 + (1 << 21)) >> 22);
      }
    }
    return;
  }
  std::memset(acc, 0, sizeof(Acc) * nx * C);
  const unsigned kx = x_.taps, ky = y_.taps;
  const int32_t* wy = y_.weight + static_cast<size_t>(yo) * ky;
  for (unsigned t = 0; t < ky; ++t) {
    if (wy[t] == 0) continue;
    const Acc vw = wy[t];
    const uint8_t* line = fetch(src, static_cast<uint32_t>(y_.start[yo]) + t, compact);
    Acc* a = acc;
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
  const Acc half = static_cast<Acc>(1) << (shift - 1);
  uint8_t* o = out + static_cast<size_t>(x_.lo) * C;
  for (size_t i = 0; i < static_cast<size_t>(nx) * C; ++i) o[i] = static_cast<uint8_t>((acc[i] + half) >> shift);
}

void Resampler::rows(const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out, size_t out_row_bytes,
                     void* scratch) const {
  unsigned char* s = static_cast<unsigned char*>(scratch);
  for (uint32_t y = y0; y < y1; ++y, out += out_row_bytes) {
    // 11-bit weights fit 32-bit sums (255 << 22); 14-bit ones need 64.
    if (c_ == 3)
      bits_ == 11 ? row<3, int32_t>(src, y, out, s) : row<3, int64_t>(src, y, out, s);
    else
      bits_ == 11 ? row<1, int32_t>(src, y, out, s) : row<1, int64_t>(src, y, out, s);
  }
}

}  // namespace pixnorm
