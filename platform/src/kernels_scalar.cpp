// The scalar reference. Every other backend is tested against these loops, bit for bit.
#include <cstring>
#include <initializer_list>

#include "kernels.h"

namespace pixnorm {

namespace scalar {

// Written out so that the compiler cannot fuse the multiply and the add (the build also
// passes -ffp-contract=off): the product is rounded to float before the addition.
static inline float norm(uint8_t x, float scale, float bias) {
  const float product = static_cast<float>(x) * scale;
  return product + bias;
}

void flat(const uint8_t* src, size_t n, float* dst, const float* scale, const float* bias, unsigned period) {
  if (period == 1) {
    for (size_t i = 0; i < n; ++i) dst[i] = norm(src[i], scale[0], bias[0]);
    return;
  }
  unsigned c = 0;
  for (size_t i = 0; i < n; ++i) {
    dst[i] = norm(src[i], scale[c], bias[c]);
    c = (c + 1 == period) ? 0 : c + 1;
  }
}

void planar(const uint8_t* src, size_t n, unsigned cin, float* d0, float* d1, float* d2, const float* scale,
            const float* bias) {
  for (size_t i = 0; i < n; ++i, src += cin) {
    d0[i] = norm(src[0], scale[0], bias[0]);
    d1[i] = norm(src[1], scale[1], bias[1]);
    d2[i] = norm(src[2], scale[2], bias[2]);
  }
}

void interleave(const uint8_t* src, size_t n, unsigned cin, int swap, float* dst, const float* scale,
                const float* bias) {
  const unsigned s0 = swap ? 2 : 0, s2 = swap ? 0 : 2;
  for (size_t i = 0; i < n; ++i, src += cin, dst += 3) {
    dst[0] = norm(src[s0], scale[0], bias[0]);
    dst[1] = norm(src[1], scale[1], bias[1]);
    dst[2] = norm(src[s2], scale[2], bias[2]);
  }
}

// Adds the bytes src[i * stride + j] (i < n, j < width) to channel c of acc, as acc asks.
void reduce_into(const uint8_t* src, size_t n, unsigned stride, unsigned width, ReduceAcc* acc, unsigned c) {
  uint64_t sum = 0, sumsq = 0;
  uint8_t lo = acc->min[c], hi = acc->max[c];
  for (size_t i = 0; i < n; ++i) {
    for (unsigned j = 0; j < width; ++j) {
      const uint32_t x = src[i * stride + j];
      sum += x;
      sumsq += x * x;
      lo = x < lo ? static_cast<uint8_t>(x) : lo;
      hi = x > hi ? static_cast<uint8_t>(x) : hi;
    }
  }
  if (acc->moments) {
    acc->sum[c] += sum;
    acc->sumsq[c] += sumsq;
  }
  if (acc->extremes) {
    acc->min[c] = lo;
    acc->max[c] = hi;
  }
}

void reduce(const uint8_t* src, size_t n, unsigned cin, ReduceAcc* acc) {
  for (unsigned c = 0; c < cin; ++c) reduce_into(src + c, n, cin, 1, acc, c);
}

void reduce_pooled4(const uint8_t* src, size_t n, ReduceAcc* acc) { reduce_into(src, n, 4, 3, acc, 0); }

uint32_t float_bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Round half to even of |v| < 2^22: adding 1.5 * 2^23 leaves the integer in the low mantissa bits.
int32_t round_even(float v) {
  const float biased = v + 12582912.0f;
  return static_cast<int32_t>(float_bits(biased)) - 0x4B400000;
}

uint16_t half_bits(float v) {
  const uint32_t b = float_bits(v);
  const uint32_t sign = (b >> 16) & 0x8000u, mag = b & 0x7FFFFFFFu;
  uint32_t h;
  if (mag < 0x38800000u) {
    // Below 2^-14, half is subnormal with a step of 2^-24: the ulp of 0.5, so adding 0.5
    // rounds |v| to that step (to nearest even) and the low bits are the half's.
    float a;
    const uint32_t m = mag;
    std::memcpy(&a, &m, sizeof a);
    h = float_bits(a + 0.5f) - 0x3F000000u;
  } else {
    // Rebias the exponent, round the 13 dropped bits to nearest even; the carry may reach
    // infinity (0x7C00), which is also the clamp for everything larger.
    h = (mag - 0x38000000u + 0xFFFu + ((mag >> 13) & 1u)) >> 13;
    h = h > 0x7C00u ? 0x7C00u : h;
  }
  return static_cast<uint16_t>(sign | h);
}

void pack(const float* src, size_t n, void* dst, const PackParams* pp) {
  if (pp->dtype == PIXNORM_DTYPE_F16) {
    uint16_t* d = static_cast<uint16_t*>(dst);
    for (size_t i = 0; i < n; ++i) d[i] = half_bits(src[i]);
    return;
  }
  const float lo = pp->lo, hi = pp->hi;
  const int32_t zp = pp->zero_point;
  if (pp->dtype == PIXNORM_DTYPE_INT8) {
    int8_t* d = static_cast<int8_t*>(dst);
    for (size_t i = 0; i < n; ++i) {
      const float v = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
      d[i] = static_cast<int8_t>(round_even(v) + zp);
    }
  } else {
    uint8_t* d = static_cast<uint8_t*>(dst);
    for (size_t i = 0; i < n; ++i) {
      const float v = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
      d[i] = static_cast<uint8_t>(round_even(v) + zp);
    }
  }
}

// Rounds the vertical blend of two horizontal sums, or one when wy == 0 (resample2's formula).
inline uint8_t blend(int32_t h0, int32_t h1, int32_t wy) {
  if (wy == 0) return static_cast<uint8_t>((h0 + (1 << 10)) >> 11);  // the same value: h0 * 2048 rounded by 2^22
  return static_cast<uint8_t>(((h0 << 11) + (h1 - h0) * wy + (1 << 21)) >> 22);
}

void resample2(const uint8_t* row0, const uint8_t* row1, const int32_t* off, const int32_t* wx, int32_t wy,
               unsigned step, unsigned /*group*/, size_t n, uint8_t* out) {
  for (size_t e = 0; e < n; ++e) {
    const uint8_t* p0 = row0 + off[e];
    const int32_t h0 = (int32_t{p0[0]} << 11) + (int32_t{p0[step]} - p0[0]) * wx[e];
    const uint8_t* p1 = row1 + off[e];
    const int32_t h1 = wy == 0 ? 0 : (int32_t{p1[0]} << 11) + (int32_t{p1[step]} - p1[0]) * wx[e];
    out[e] = blend(h0, h1, wy);
  }
}

void resample2_windows(const uint8_t* row0, const uint8_t* row1, const int32_t* base, const uint8_t* idx,
                       const uint32_t* wpair, int32_t wy, size_t nblocks, uint8_t* out) {
  for (size_t k = 0; k < nblocks; ++k) {
    const uint8_t* w0 = row0 + base[k];
    const uint8_t* w1 = row1 + base[k];
    for (unsigned j = 0; j < 4; ++j) {
      const uint8_t ia = idx[16 * k + 4 * j], ib = idx[16 * k + 4 * j + 2];
      const uint32_t w = wpair[4 * k + j];
      const int32_t lo = static_cast<int32_t>(w & 0xFFFF), hi = static_cast<int32_t>(w >> 16);
      const int32_t h0 = w0[ia] * lo + w0[ib] * hi;
      const int32_t h1 = wy == 0 ? 0 : w1[ia] * lo + w1[ib] * hi;
      out[4 * k + j] = blend(h0, h1, wy);
    }
  }
}

void gather_windows(const uint8_t* r, const int32_t* base, const uint8_t* idx, size_t nblocks, uint8_t* out) {
  for (size_t k = 0; k < nblocks; ++k)
    for (unsigned j = 0; j < 4; ++j) out[4 * k + j] = r[base[k] + idx[16 * k + 4 * j]];
}

void yuv(const uint8_t* y, const uint8_t* u, const uint8_t* v, size_t n, const YuvCoef* k, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) yuv_to_rgb(*k, y[i], u[i], v[i], rgb + 3 * i);
}

}  // namespace scalar

namespace scalar {
void flat_narrow(const uint8_t* src, size_t n, void* dst, const float* scale, const float* bias, unsigned period,
                 const PackParams* pp) {
  flat_narrow_chunks(scalar_kernels(), src, n, dst, scale, bias, period, pp);
}
void planar_narrow(const uint8_t* src, size_t n, unsigned cin, void* d0, void* d1, void* d2, const float* scale,
                   const float* bias, const PackParams* pp) {
  planar_narrow_chunks(scalar_kernels(), src, n, cin, d0, d1, d2, scale, bias, pp);
}
void interleave_narrow(const uint8_t* src, size_t n, unsigned cin, int swap, void* dst, const float* scale,
                       const float* bias, const PackParams* pp) {
  interleave_narrow_chunks(scalar_kernels(), src, n, cin, swap, dst, scale, bias, pp);
}
// Unsigned arithmetic: Pillow's int sums wrap (never in practice: the weights' absolute sum stays
// under 2^23); signed overflow would be undefined here.
inline uint8_t pil_clip8(uint32_t s) {
  const int32_t v = static_cast<int32_t>(s) >> 22;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

void pil_h(const uint8_t* r, const int32_t* off, const int32_t* w, size_t wstride, unsigned taps, unsigned step,
           size_t n, uint8_t* out) {
  for (size_t e = 0; e < n; ++e) {
    uint32_t s = 1u << 21;
    const uint8_t* p = r + off[e];
    for (unsigned j = 0; j < taps; ++j) s += p[j * step] * static_cast<uint32_t>(w[j * wstride + e]);
    out[e] = pil_clip8(s);
  }
}

void pil_v(const uint8_t* const* rows, const int32_t* w, unsigned taps, size_t n, uint8_t* out) {
  for (size_t e = 0; e < n; ++e) {
    uint32_t s = 1u << 21;
    for (unsigned j = 0; j < taps; ++j) s += rows[j][e] * static_cast<uint32_t>(w[j]);
    out[e] = pil_clip8(s);
  }
}

void pil_h3(const uint8_t* r, const int32_t* base, const int16_t* w, size_t wstride, unsigned taps, size_t n,
            uint8_t* out) {
  const unsigned windows = (taps + 4) / 5;
  for (size_t p = 0; p < n; ++p) {
    for (unsigned c = 0; c < 3; ++c) {
      uint32_t lo = 0, hi = 0;
      for (unsigned g = 0; g < windows; ++g) {
        const uint8_t* win = r + base[p] + 15 * g;
        const unsigned pairs = g + 1 < windows ? 3 : (taps - 5 * g + 1) / 2;
        for (unsigned q = 0; q < pairs; ++q) {
          const uint32_t a = win[6 * q + c], b = q < 2 ? win[6 * q + 3 + c] : 0;
          const int16_t* wl = w + wstride * (2 * (3 * g + q)) + 8 * p + 2 * c;
          const int16_t* wh = wl + wstride;
          lo += a * static_cast<uint32_t>(wl[0]) + b * static_cast<uint32_t>(wl[1]);
          hi += a * static_cast<uint32_t>(wh[0]) + b * static_cast<uint32_t>(wh[1]);
        }
      }
      out[3 * p + c] = pil_clip8((1u << 21) + lo + (hi << 16));
    }
  }
}

void pil_hw(const uint8_t* r, const uint8_t* r1, const int32_t* base, const uint8_t* idx, size_t istride,
            const int16_t* w, size_t wstride, unsigned pairs, size_t nblocks, uint8_t* out, uint8_t* out1) {
  if (r1 != nullptr) pil_hw(r1, nullptr, base, idx, istride, w, wstride, pairs, nblocks, out1, nullptr);
  for (size_t k = 0; k < nblocks; ++k) {
    const uint8_t* win = r + base[k];
    for (unsigned j = 0; j < 4; ++j) {
      // a lo + (a hi << 16) = a (lo + (hi << 16)) modulo 2^32: one product per tap.
      uint32_t s = 1u << 21;
      for (unsigned q = 0; q < pairs; ++q) {
        const uint8_t* t = idx + istride * q + 16 * k + 4 * j;
        const uint32_t a = t[0] < 0x80 ? win[t[0]] : 0, b = t[2] < 0x80 ? win[t[2]] : 0;
        const int16_t* wl = w + wstride * (2 * q) + 8 * k + 2 * j;
        const int16_t* wh = wl + wstride;
        s += a * (static_cast<uint32_t>(wl[0]) + (static_cast<uint32_t>(wh[0]) << 16)) +
             b * (static_cast<uint32_t>(wl[1]) + (static_cast<uint32_t>(wh[1]) << 16));
      }
      out[4 * k + j] = pil_clip8(s);
    }
  }
}
}  // namespace scalar

namespace {
constexpr RowKernels make_scalar_kernels() {
  RowKernels k{};
#define PIXNORM_SET_KERNEL(field, Name) k.field = scalar::field;
  PIXNORM_KERNEL_CATALOGUE(PIXNORM_SET_KERNEL)
#undef PIXNORM_SET_KERNEL
  k.target = "scalar";
  return k;
}
constexpr RowKernels kScalarKernels = make_scalar_kernels();
}  // namespace

const RowKernels* scalar_kernels() { return &kScalarKernels; }

}  // namespace pixnorm
