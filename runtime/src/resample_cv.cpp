// OpenCV 4.6's cv2.resize for INTER_LINEAR_EXACT and INTER_CUBIC on 8-bit images (imgproc's
// resize.cpp), as tap tables for the geometry's existing passes.
//
// INTER_LINEAR_EXACT (resize_bitExact): positions in double, 8-bit unsigned weights rounded half
// to even, the horizontal sum kept whole (8 fractional bits), the vertical one rounded once:
// (sum wy * sum wx * p + 2^15) >> 16. Weights scaled by 8 give the two-tap path's 11-bit weights
// and its rounding (+2^21 >> 22) the same bytes, so it runs on every backend's resample2 kernels.
//
// INTER_CUBIC: positions in float, Keys' cubic with a = -0.75 in float, weights rounded to
// int16 at 11 bits (they need not sum to 2048), taps past an edge replicate it. The horizontal
// pass sums in int32 (exact, so the edge taps' weights can be merged). The vertical pass over
// four rows: OpenCV's universal-intrinsics loop (VResizeCubicVec_32s8u, 128-bit on x86-64 and
// ARM builds) covers the first floor(W / 8) * 8 elements of its W-element output row in float,
// round(S0 b0 + (S1 b1 + (S2 b2 + S3 b3))) with b = beta / 2^22, unfused, saturated; its scalar
// tail the rest in integers, (sum + 2^21) >> 22 saturated. Both are reproduced per element.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "error.h"
#include "geometry.h"

namespace pixnorm {

namespace {

template <class T>
T* alloc_zero(size_t n) {
  T* p = new (std::nothrow) T[n == 0 ? 1 : n];
  if (p != nullptr) std::memset(p, 0, sizeof(T) * (n == 0 ? 1 : n));
  return p;
}

// OpenCV's interpolateCubic, in float as there.
void cubic_coeffs(float x, float* c) {
  const float a = -0.75f;
  c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = 1.f - c[0] - c[1] - c[2];
}

// cvdx: OpenCV's output index of each plan output (x); cvy, cvbeta: the four clamped rows and
// their weights (y), unmerged as OpenCV's float pass needs them.
pixnorm_status build_cv_axis(AxisTaps* ax, const FwAxisMap& m, pixnorm_interp interp, bool flip, const char* name,
                             int32_t** cvdx, int32_t** cvy, int32_t** cvbeta) {
  const bool cubic = interp == PIXNORM_INTERP_CV_CUBIC;
  unsigned k = cubic ? 4 : 2;
  if (k > m.len) k = m.len;
  ax->out = m.out;
  ax->taps = k;
  ax->lo = flip ? m.out - m.lo - m.n : m.lo;
  ax->hi = ax->lo + m.n;
  ax->start = alloc_zero<int32_t>(m.out);
  ax->weight = alloc_zero<int32_t>(static_cast<size_t>(m.out) * k);
  if (cvdx != nullptr) *cvdx = alloc_zero<int32_t>(m.out);
  if (cvy != nullptr) *cvy = alloc_zero<int32_t>(static_cast<size_t>(m.out) * 4);
  if (cvbeta != nullptr) *cvbeta = alloc_zero<int32_t>(static_cast<size_t>(m.out) * 4);
  if (ax->start == nullptr || ax->weight == nullptr || (cvdx != nullptr && *cvdx == nullptr) ||
      (cvy != nullptr && *cvy == nullptr) || (cvbeta != nullptr && *cvbeta == nullptr))
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the %s taps", name);
  // cv2.resize(dsize=...): inv_scale = dsize / ssize, scale = 1 / inv_scale.
  const double scale = 1.0 / (static_cast<double>(m.total) / m.len);
  for (uint32_t dd = ax->lo; dd < ax->hi; ++dd) {
    const uint32_t u = flip ? m.out - 1 - dd : dd;
    const int64_t dx = static_cast<int64_t>(m.first) + (u - m.lo);
    int32_t q[4] = {0, 0, 0, 0};
    int32_t first;
    if (cvdx != nullptr) (*cvdx)[dd] = static_cast<int32_t>(dx);
    if (cubic) {
      float fx = static_cast<float>((static_cast<double>(dx) + 0.5) * scale - 0.5);
      const int32_t sx = static_cast<int32_t>(std::floor(fx));
      fx -= static_cast<float>(sx);
      float c[4];
      cubic_coeffs(fx, c);
      for (int j = 0; j < 4; ++j) {
        // saturate_cast<short>: rounded half to even, clamped
        const float v = std::nearbyint(c[j] * 2048.0f);
        q[j] = static_cast<int32_t>(v < -32768.0f ? -32768.0f : v > 32767.0f ? 32767.0f : v);
      }
      first = sx - 1;
      fw_place(ax, dd, m, first, 4, q);
      if (cvy != nullptr)
        for (int j = 0; j < 4; ++j) {
          const int32_t s = first + j, last = static_cast<int32_t>(m.len) - 1;
          (*cvy)[4 * static_cast<size_t>(dd) + j] = (s < 0 ? 0 : s > last ? last : s) + static_cast<int32_t>(m.off);
          (*cvbeta)[4 * static_cast<size_t>(dd) + j] = q[j];
        }
    } else {
      // interpolationLinear::getCoeffs
      const double f = scale * (static_cast<double>(dx) + 0.5) - 0.5;
      const double fl = std::floor(f);
      int32_t c1 = 0;
      if (fl >= 0 && m.len > 1 && fl < static_cast<double>(m.len) - 1) {
        first = static_cast<int32_t>(fl);
        c1 = static_cast<int32_t>(std::nearbyint((f - fl) * 256.0));
      } else {
        first = fl >= 0 && m.len > 1 ? static_cast<int32_t>(m.len) - 1 : 0;
      }
      q[0] = 8 * (256 - c1);
      q[1] = 8 * c1;
      fw_place(ax, dd, m, first, c1 == 0 ? 1 : 2, q);
    }
  }
  return PIXNORM_OK;
}

}  // namespace

FwAxisMap fw_map(const pixnorm_plan_desc& d, uint32_t src, uint32_t out, uint32_t src_other, uint32_t out_other,
                 bool is_x) {
  FwAxisMap m{src, out, 0, out, out, 0, 0, src};
  if (d.fit == PIXNORM_FIT_CENTER_CROP && d.resize_short != 0) {
    // Resize(r) of the whole region, then CenterCrop at the rounded (or floored) offset.
    uint64_t rw, rh;
    resize_short_size(is_x ? src : src_other, is_x ? src_other : src, d.resize_short, &rw, &rh);
    m.total = static_cast<uint32_t>(is_x ? rw : rh);
    m.first = static_cast<uint32_t>(center_crop_offset(d.crop_rounding, m.total, out));
  } else if (d.fit == PIXNORM_FIT_CENTER_CROP) {
    // The centred region of whole pixels with the output's aspect (an array slice), resized.
    if (static_cast<uint64_t>(src) * out_other > static_cast<uint64_t>(src_other) * out) {
      double len = std::nearbyint(static_cast<double>(src_other) * out / out_other);
      if (len < 1) len = 1;
      if (len > src) len = src;
      m.len = static_cast<uint32_t>(len);
    }
    m.off = (src - m.len) / 2;
  } else if (d.fit == PIXNORM_FIT_LETTERBOX) {
    letterbox_axis(src, out, src_other, out_other, &m.lo, &m.n);
    m.total = m.n;
  }
  return m;
}

void fw_place(AxisTaps* ax, uint32_t d, const FwAxisMap& m, int32_t first, unsigned used, const int32_t* q) {
  const int32_t k = static_cast<int32_t>(ax->taps), last = static_cast<int32_t>(m.len) - 1;
  int32_t start = first < 0 ? 0 : first > last ? last : first;
  if (start > static_cast<int32_t>(m.len) - k) start = static_cast<int32_t>(m.len) - k;
  ax->start[d] = start + static_cast<int32_t>(m.off);
  int32_t* wd = ax->weight + static_cast<size_t>(d) * ax->taps;
  for (unsigned j = 0; j < used; ++j) {
    int32_t s = first + static_cast<int32_t>(j);
    s = s < 0 ? 0 : s > last ? last : s;
    wd[s - start] += q[j];
  }
}

pixnorm_status Resampler::init_cv_axes(const pixnorm_plan_desc& d, uint32_t sw, uint32_t sh, uint32_t out_w,
                                       uint32_t out_h) {
  const bool cubic = d.interp == PIXNORM_INTERP_CV_CUBIC;
  const FwAxisMap mx = fw_map(d, sw, out_w, sh, out_h, true);
  cv_row_elems_ = mx.total;  // times the channels in init_cv_rows
  const pixnorm_status st =
      build_cv_axis(&x_, mx, d.interp, d.flip != 0, "width", cubic ? &cvdx_ : nullptr, nullptr, nullptr);
  if (st != PIXNORM_OK) return st;
  return build_cv_axis(&y_, fw_map(d, sh, out_h, sw, out_w, false), d.interp, false, "height", nullptr,
                       cubic ? &cvy_ : nullptr, cubic ? &cvbeta_ : nullptr);
}

// After the column map (init_tap_offsets): which elements OpenCV's float loop computes.
pixnorm_status Resampler::init_cv_rows() {
  const pixnorm_status st = init_tap_offsets();
  if (st != PIXNORM_OK) return st;
  cvvec_ = alloc_zero<uint8_t>(nh_);
  if (cvvec_ == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  const uint64_t w = static_cast<uint64_t>(cv_row_elems_) * c_, vec_end = w / 8 * 8;
  for (uint32_t o = x_.lo; o < x_.hi; ++o)
    for (unsigned c = 0; c < c_; ++c)
      cvvec_[static_cast<size_t>(o - x_.lo) * c_ + c] =
          static_cast<uint64_t>(cvdx_[o]) * c_ + c < vec_end ? 1 : 0;
  // Runs of elements on the same side (OpenCV's order is the plan's or, flipped, its mirror
  // by pixels: a few runs, the boundary pixel's channels split).
  cvruns_ = 0;
  for (size_t e = 0; e < nh_; ++e)
    if (e == 0 || cvvec_[e] != cvvec_[e - 1]) ++cvruns_;
  cvrun_ = alloc_zero<size_t>(cvruns_ + 1);
  if (cvrun_ == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  size_t r = 0;
  for (size_t e = 0; e < nh_; ++e)
    if (e == 0 || cvvec_[e] != cvvec_[e - 1]) cvrun_[r++] = e;
  cvrun_[cvruns_] = nh_;
  return PIXNORM_OK;
}

// Scratch: the compact row, the ring's row tags, then y_.taps int32 rows of nh_ elements.
size_t Resampler::cv_scratch_bytes() const {
  const size_t r = y_.taps, slot = (nh_ + 15) / 16 * 16;
  return compact_bytes() + (r * sizeof(int32_t) + 63) / 64 * 64 + r * slot * sizeof(int32_t);
}

void Resampler::rows_cv_cubic(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                              size_t out_row_bytes, unsigned char* scratch) const {
  const unsigned r = y_.taps, kx = x_.taps;
  const size_t slot = (nh_ + 15) / 16 * 16;
  uint8_t* compact = scratch;
  int32_t* tag = reinterpret_cast<int32_t*>(scratch + compact_bytes());
  int32_t* ring = reinterpret_cast<int32_t*>(scratch + compact_bytes() + (r * sizeof(int32_t) + 63) / 64 * 64);
  for (unsigned i = 0; i < r; ++i) tag[i] = -1;
  const size_t w = static_cast<size_t>(x_.out) * c_;
  const size_t lo = static_cast<size_t>(x_.lo) * c_, hi = static_cast<size_t>(x_.hi) * c_;
  const float scale = 1.f / (2048 * 2048);
  for (uint32_t yo = y0; yo < y1; ++yo, out += out_row_bytes) {
    if (yo < y_.lo || yo >= y_.hi) {
      std::memset(out, fill_, w);
      continue;
    }
    std::memset(out, fill_, lo);
    std::memset(out + hi, fill_, w - hi);
    const int32_t* S[4];
    int32_t b[4];
    float bf[4];
    for (unsigned j = 0; j < 4; ++j) {
      const int32_t sy = cvy_[4 * static_cast<size_t>(yo) + j];
      const unsigned s = static_cast<unsigned>(sy) % r;
      int32_t* dst = ring + s * slot;
      if (tag[s] != sy) {
        // Integer sums (unsigned: they wrap as OpenCV's int would, never for 8-bit sources).
        const uint8_t* line = fetch(k, src, static_cast<uint32_t>(sy), compact);
        for (uint32_t o = x_.lo; o < x_.hi; ++o) {
          const int32_t* wx = x_.weight + static_cast<size_t>(o) * kx;
          const size_t e = static_cast<size_t>(o - x_.lo) * c_;
          const uint8_t* p = line + toff_[e];
          if (c_ == 3) {
            uint32_t t0 = 0, t1 = 0, t2 = 0;
            for (unsigned i = 0; i < kx; ++i) {
              const uint32_t wi = static_cast<uint32_t>(wx[i]);
              t0 += p[3 * i] * wi;
              t1 += p[3 * i + 1] * wi;
              t2 += p[3 * i + 2] * wi;
            }
            dst[e] = static_cast<int32_t>(t0);
            dst[e + 1] = static_cast<int32_t>(t1);
            dst[e + 2] = static_cast<int32_t>(t2);
          } else {
            uint32_t t = 0;
            for (unsigned i = 0; i < kx; ++i) t += p[i] * static_cast<uint32_t>(wx[i]);
            dst[e] = static_cast<int32_t>(t);
          }
        }
        tag[s] = sy;
      }
      S[j] = dst;
      b[j] = cvbeta_[4 * static_cast<size_t>(yo) + j];
      bf[j] = static_cast<float>(b[j]) * scale;
    }
    uint8_t* o = out + lo;
    // By runs of elements on one side of OpenCV's float loop: branch-free loops that vectorize.
    auto integer = [&](size_t from, size_t to) {
      for (size_t e = from; e < to; ++e) {
        const uint32_t t = static_cast<uint32_t>(S[0][e]) * static_cast<uint32_t>(b[0]) +
                           static_cast<uint32_t>(S[1][e]) * static_cast<uint32_t>(b[1]) +
                           static_cast<uint32_t>(S[2][e]) * static_cast<uint32_t>(b[2]) +
                           static_cast<uint32_t>(S[3][e]) * static_cast<uint32_t>(b[3]) + (1u << 21);
        o[e] = static_cast<uint8_t>(std::min(std::max(static_cast<int32_t>(t) >> 22, 0), 255));
      }
    };
    auto floating = [&](size_t from, size_t to) {
      for (size_t e = from; e < to; ++e) {
      const float f = static_cast<float>(S[0][e]) * bf[0] +
                      (static_cast<float>(S[1][e]) * bf[1] +
                       (static_cast<float>(S[2][e]) * bf[2] + static_cast<float>(S[3][e]) * bf[3]));
      // |f| < 2^22 for 8-bit sources: rounded half to even (cvRound) by the magic number, clamped
      // (v_pack's and v_pack_u's saturation).
      const float rf = (f + 12582912.0f) - 12582912.0f;
      o[e] = static_cast<uint8_t>(static_cast<int32_t>(std::min(std::max(rf, 0.0f), 255.0f)));
      }
    };
    for (size_t i = 0; i < cvruns_; ++i) {
      if (cvvec_[cvrun_[i]])
        floating(cvrun_[i], cvrun_[i + 1]);
      else
        integer(cvrun_[i], cvrun_[i + 1]);
    }
  }
}

}  // namespace pixnorm
