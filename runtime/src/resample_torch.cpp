// torchvision 0.14's Resize on uint8 tensors (torch 1.13's interpolate on the image cast to
// float32): separable float passes, horizontal then vertical, the intermediate kept in float,
// the result clamped and rounded half to even (torch.round) back to uint8.
//
// The weights follow ATen's UpSampleKernel.cpp in float (antialias: Pillow's windows and filters
// with the support scaled by the shrink factor, normalized per output; without: Keys' cubic with
// a = -0.75 on four taps, edges replicated). The sums are plain float multiply-then-add in tap
// order, the same on every backend (this file is built with -ffp-contract=off); torch may fuse
// them or sum in another order, so a value near .5 can round the other way: within 1.
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

// ATen's aa filters take and return float; the bicubic one computes in double (its a is a
// double literal), as Pillow's.
float aa_bilinear(float x) {
  if (x < 0.0f) x = -x;
  return x < 1.0f ? 1.0f - x : 0.0f;
}
float aa_bicubic(float x) {
  const double a = -0.5;
  if (x < 0.0f) x = -x;
  if (x < 1.0f) return static_cast<float>(((a + 2.0) * x - (a + 3.0)) * x * x + 1);
  if (x < 2.0f) return static_cast<float>((((x - 5) * x + 8) * x - 4) * a);
  return 0.0f;
}
// upsample_bicubic2d's coefficients (A = -0.75), in float.
float cubic1(float x, float a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }
float cubic2(float x, float a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }

pixnorm_status build_torch_axis(AxisTaps* ax, float** wf, const FwAxisMap& m, pixnorm_interp interp, bool flip,
                                const char* name) {
  const bool aa = interp != PIXNORM_INTERP_TORCH_BICUBIC;
  const float interp_size = interp == PIXNORM_INTERP_TORCH_BILINEAR_AA ? 2.0f : 4.0f;
  // area_pixel_compute_scale<float>: input / output, in float.
  const float scale = static_cast<float>(m.len) / static_cast<float>(m.total);
  const float support =
      aa ? static_cast<float>(scale >= 1.0f ? (interp_size * 0.5) * scale : interp_size * 0.5) : 2.0f;
  const double kmax_d = aa ? std::ceil(support) * 2 + 1 : 4;
  if (kmax_d > 8193)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: %s shrinks %u to %u samples: over 4096 source samples per output",
                name, m.len, m.total);
  const int64_t kmax = static_cast<int64_t>(kmax_d);
  unsigned k = static_cast<unsigned>(std::min<int64_t>(kmax, m.len));
  if (k > 4096)
    return fail(PIXNORM_ERROR_TOO_LARGE, "plan: %s shrinks %u to %u samples: over 4096 source samples per output",
                name, m.len, m.total);
  ax->out = m.out;
  ax->taps = k;
  ax->lo = flip ? m.out - m.lo - m.n : m.lo;
  ax->hi = ax->lo + m.n;
  ax->start = alloc_zero<int32_t>(m.out);
  ax->weight = alloc_zero<int32_t>(static_cast<size_t>(m.out) * k);
  *wf = alloc_zero<float>(static_cast<size_t>(m.out) * k);
  float* w = alloc_zero<float>(static_cast<size_t>(kmax));
  if (ax->start == nullptr || ax->weight == nullptr || *wf == nullptr || w == nullptr) {
    delete[] w;
    return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the %s taps", name);
  }
  const int64_t len = m.len, last = len - 1;
  for (uint32_t dd = ax->lo; dd < ax->hi; ++dd) {
    const uint32_t u = flip ? m.out - 1 - dd : dd;
    const int64_t i = static_cast<int64_t>(m.first) + (u - m.lo);
    int64_t first, used;
    if (aa) {
      // _compute_indices_weights_aa with scalar_t = float (its double literals promote
      // intermediate steps, as here).
      const float center = static_cast<float>(scale * (i + 0.5));
      const float invscale = static_cast<float>(scale >= 1.0f ? 1.0 / scale : 1.0);
      first = std::max(static_cast<int64_t>(center - support + 0.5), int64_t{0});
      used = std::min(static_cast<int64_t>(center + support + 0.5), len) - first;
      used = std::clamp(used, int64_t{0}, kmax);
      float total = 0.0f;
      for (int64_t j = 0; j < used; ++j) {
        const float x = static_cast<float>((static_cast<float>(j + first) - center + 0.5) * invscale);
        w[j] = interp == PIXNORM_INTERP_TORCH_BILINEAR_AA ? aa_bilinear(x) : aa_bicubic(x);
        total += w[j];
      }
      if (total != 0.0f)
        for (int64_t j = 0; j < used; ++j) w[j] /= total;
    } else {
      // area_pixel_compute_source_index(cubic = true), get_cubic_upsample_coefficients.
      const float real = scale * (static_cast<float>(i) + 0.5f) - 0.5f;
      const float fl = std::floor(real);
      const float t = real - fl;
      const float a = -0.75f;
      w[0] = cubic2(static_cast<float>(t + 1.0), a);
      w[1] = cubic1(t, a);
      const float t2 = static_cast<float>(1.0 - t);
      w[2] = cubic1(t2, a);
      w[3] = cubic2(static_cast<float>(t2 + 1.0), a);
      first = static_cast<int64_t>(fl) - 1;
      used = 4;
    }
    int64_t start = std::clamp(first, int64_t{0}, last);
    if (start > len - k) start = len - k;
    ax->start[dd] = static_cast<int32_t>(start + m.off);
    float* wd = *wf + static_cast<size_t>(dd) * k;
    for (int64_t j = 0; j < used; ++j) wd[std::clamp(first + j, int64_t{0}, last) - start] += w[j];
  }
  delete[] w;
  return PIXNORM_OK;
}

}  // namespace

pixnorm_status Resampler::init_torch_axes(const pixnorm_plan_desc& d, uint32_t sw, uint32_t sh, uint32_t out_w,
                                          uint32_t out_h) {
  const pixnorm_status st =
      build_torch_axis(&x_, &xwf_, fw_map(d, sw, out_w, sh, out_h, true), d.interp, d.flip != 0, "width");
  if (st != PIXNORM_OK) return st;
  return build_torch_axis(&y_, &ywf_, fw_map(d, sh, out_h, sw, out_w, false), d.interp, false, "height");
}

// After the column map: each element's first tap in the row fetch() gives.
pixnorm_status Resampler::init_tap_offsets() {
  nh_ = static_cast<size_t>(x_.hi - x_.lo) * c_;
  toff_ = alloc_zero<int32_t>(nh_);
  if (toff_ == nullptr) return fail(PIXNORM_ERROR_OUT_OF_MEMORY, "plan: out of memory for the taps");
  for (uint32_t o = x_.lo; o < x_.hi; ++o)
    for (unsigned c = 0; c < c_; ++c)
      toff_[static_cast<size_t>(o - x_.lo) * c_ + c] =
          (direct_ ? x_.start[o] : xstart_c_[o]) * static_cast<int32_t>(c_) + static_cast<int32_t>(c);
  return PIXNORM_OK;
}

// Scratch: the compact row, the ring's row tags, then y_.taps float rows of nh_ elements and the
// vertical pass's sums.
size_t Resampler::torch_scratch_bytes() const {
  const size_t r = y_.taps, slot = (nh_ + 15) / 16 * 16;
  return compact_bytes() + (r * sizeof(int32_t) + 63) / 64 * 64 + (r + 1) * slot * sizeof(float);
}

namespace {
// Rounds half to even (as nearbyint in the default mode, torch.round) for |x| < 2^22: adding
// 1.5 * 2^23 leaves no fraction bits. Written out so that the loops it sits in vectorize.
inline float round_even(float x) {
  const float magic = 12582912.0f;
  return (x + magic) - magic;
}
}  // namespace

void Resampler::rows_torch(const RowKernels* k, const Planes& src, uint32_t y0, uint32_t y1, uint8_t* out,
                           size_t out_row_bytes, unsigned char* scratch) const {
  const unsigned r = y_.taps, kx = x_.taps;
  const size_t slot = (nh_ + 15) / 16 * 16;
  uint8_t* compact = scratch;
  int32_t* tag = reinterpret_cast<int32_t*>(scratch + compact_bytes());
  float* ring = reinterpret_cast<float*>(scratch + compact_bytes() + (r * sizeof(int32_t) + 63) / 64 * 64);
  float* acc = ring + r * slot;
  for (unsigned i = 0; i < r; ++i) tag[i] = -1;
  const size_t w = static_cast<size_t>(x_.out) * c_;
  const size_t lo = static_cast<size_t>(x_.lo) * c_, hi = static_cast<size_t>(x_.hi) * c_;
  const float* taps[4096];
  float wy[4096];
  for (uint32_t yo = y0; yo < y1; ++yo, out += out_row_bytes) {
    if (yo < y_.lo || yo >= y_.hi) {
      std::memset(out, fill_, w);
      continue;
    }
    std::memset(out, fill_, lo);
    std::memset(out + hi, fill_, w - hi);
    const float* wrow = ywf_ + static_cast<size_t>(yo) * r;
    unsigned used = 0;
    for (unsigned j = 0; j < r; ++j) {
      // A zero weight adds nothing to torch's sum (0 + x is x): its row is not needed.
      if (wrow[j] == 0.0f) continue;
      const int32_t sy = y_.start[yo] + static_cast<int32_t>(j);
      const unsigned s = static_cast<unsigned>(sy) % r;
      float* dst = ring + s * slot;
      if (tag[s] != sy) {
        // Each element's sum in tap order from +0, over the span of nonzero weights: a zero
        // weight adds +0, which changes no sum that starts at +0 (+0 + -0 is +0).
        const uint8_t* line = fetch(k, src, static_cast<uint32_t>(sy), compact);
        uint32_t o0 = x_.lo;
        if (c_ == 3) {
          // Two pixels at a time over the whole window (six independent sums: the adds' latency,
          // not their number, bounds this loop).
          for (; o0 + 2 <= x_.hi; o0 += 2) {
            const float* w0 = xwf_ + static_cast<size_t>(o0) * kx;
            const float* w1 = w0 + kx;
            const size_t e = static_cast<size_t>(o0 - x_.lo) * 3;
            const uint8_t* p0 = line + toff_[e];
            const uint8_t* p1 = line + toff_[e + 3];
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, b0 = 0.0f, b1 = 0.0f, b2 = 0.0f;
            for (unsigned i = 0; i < kx; ++i) {
              a0 += static_cast<float>(p0[3 * i]) * w0[i];
              a1 += static_cast<float>(p0[3 * i + 1]) * w0[i];
              a2 += static_cast<float>(p0[3 * i + 2]) * w0[i];
              b0 += static_cast<float>(p1[3 * i]) * w1[i];
              b1 += static_cast<float>(p1[3 * i + 1]) * w1[i];
              b2 += static_cast<float>(p1[3 * i + 2]) * w1[i];
            }
            dst[e] = a0;
            dst[e + 1] = a1;
            dst[e + 2] = a2;
            dst[e + 3] = b0;
            dst[e + 4] = b1;
            dst[e + 5] = b2;
          }
        }
        for (uint32_t o = o0; o < x_.hi; ++o) {
          const float* wx = xwf_ + static_cast<size_t>(o) * kx;
          unsigned a = 0, b = kx;
          while (a < b && wx[a] == 0.0f) ++a;
          while (b > a && wx[b - 1] == 0.0f) --b;
          const size_t e = static_cast<size_t>(o - x_.lo) * c_;
          const uint8_t* p = line + toff_[e];
          if (c_ == 3) {
            float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f;
            for (unsigned i = a; i < b; ++i) {
              t0 += static_cast<float>(p[3 * i]) * wx[i];
              t1 += static_cast<float>(p[3 * i + 1]) * wx[i];
              t2 += static_cast<float>(p[3 * i + 2]) * wx[i];
            }
            dst[e] = t0;
            dst[e + 1] = t1;
            dst[e + 2] = t2;
          } else {
            float t = 0.0f;
            for (unsigned i = a; i < b; ++i) t += static_cast<float>(p[i]) * wx[i];
            dst[e] = t;
          }
        }
        tag[s] = sy;
      }
      taps[used] = dst;
      wy[used++] = wrow[j];
    }
    // Tap by tap over the row (each element's sum still in tap order), so that the loops
    // vectorize (the count in a local: the byte stores could otherwise alias the member).
    const size_t n = nh_;
    for (size_t e = 0; e < n; ++e) acc[e] = 0.0f;
    for (unsigned j = 0; j < used; ++j) {
      const float* t = taps[j];
      const float wj = wy[j];
      for (size_t e = 0; e < n; ++e) acc[e] += t[e] * wj;
    }
    uint8_t* o = out + lo;
    for (size_t e = 0; e < n; ++e) {
      const float v = std::min(std::max(round_even(acc[e]), 0.0f), 255.0f);
      o[e] = static_cast<uint8_t>(static_cast<int32_t>(v));
    }
  }
}

}  // namespace pixnorm
