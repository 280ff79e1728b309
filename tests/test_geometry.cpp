// Camera frame to model input: narrowing kernels (int8, uint8, f16), YUV conversion,
// resampling, crop, letterbox and flip, each against an independent reference, and every
// backend and target against the scalar one, bit for bit.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends.h"
#include "kernel_checks.h"
#include "geometry.h"
#include "kernels.h"
#include "pixnorm/pixnorm.h"

using namespace pixnorm_test;

namespace {

// The first len bytes of src at an address skew bytes past the start of a new buffer.
std::vector<uint8_t> skewed(const std::vector<uint8_t>& src, size_t len, size_t skew) {
  std::vector<uint8_t> r(len + skew);
  if (len > 0) std::memcpy(r.data() + skew, src.data(), len);
  return r;
}

size_t esize(pixnorm_dtype d) { return d == PIXNORM_DTYPE_F32 ? 4 : d == PIXNORM_DTYPE_F16 ? 2 : 1; }

// The correctly rounded IEEE half of f, computed in double (no bit tricks).
uint16_t reference_half(float f) {
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7C00;
  if (a < std::ldexp(1.0, -14)) return sign | static_cast<uint16_t>(std::nearbyint(a / std::ldexp(1.0, -24)));
  int ex;
  const double fr = std::frexp(a, &ex);  // a = fr * 2^ex, fr in [0.5, 1)
  int e = ex - 1;
  double q = std::nearbyint((fr * 2.0 - 1.0) * 1024.0);
  if (q == 1024.0) {
    q = 0;
    ++e;
  }
  if (e > 15) return sign | 0x7C00;
  return sign | static_cast<uint16_t>(((e + 15) << 10) | static_cast<int>(q));
}

std::vector<float> pack_inputs() {
  std::vector<float> v = {0.0f, -0.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.5f, 128.5f, -128.5f,
                          -129.5f, 255.5f, 254.5f, 1e30f, -1e30f, 65504.0f, 65519.99f, 65520.0f, -65520.0f,
                          1e-8f, 6.1e-5f, 6.103515625e-05f, 5.96e-8f, 2.98e-8f, 2.9802322e-8f, 1e-38f, 3.4e38f};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-400.0f, 400.0f);
  for (int i = 0; i < 600; ++i) v.push_back(wide(rng));
  for (int i = 0; i < 200; ++i) v.push_back(std::ldexp(wide(rng) / 400.0f, -static_cast<int>(rng() % 30)));
  for (int i = 0; i < 100; ++i) v.push_back(std::nearbyint(wide(rng)) + 0.5f);  // ties
  return v;
}

pixnorm::PackParams params_for(pixnorm_dtype d, int32_t zp) {
  pixnorm::PackParams p{d, 0, 0, zp};
  const int32_t lo = d == PIXNORM_DTYPE_INT8 ? -128 : 0;
  p.lo = static_cast<float>(lo - zp);
  p.hi = static_cast<float>(lo + 255 - zp);
  return p;
}

}  // namespace

TEST_CASE("pack: the scalar reference against the formulas") {
  // f16 over a sweep of every exponent and many mantissas, both signs.
  size_t checked = 0;
  for (uint32_t bits = 0; bits < 0x7F800000u; bits += 4099) {
    for (uint32_t s : {0u, 0x80000000u}) {
      float f;
      const uint32_t b = bits | s;
      std::memcpy(&f, &b, 4);
      uint16_t got;
      const pixnorm::PackParams p = params_for(PIXNORM_DTYPE_F16, 0);
      pixnorm::scalar_kernels()->pack(&f, 1, &got, &p);
      if (got != reference_half(f)) FAIL_CHECK("half of " << f << ": " << got << " != " << reference_half(f));
      ++checked;
    }
  }
  const std::vector<float> v = pack_inputs();
  for (float f : v) {
    uint16_t got;
    const pixnorm::PackParams p = params_for(PIXNORM_DTYPE_F16, 0);
    pixnorm::scalar_kernels()->pack(&f, 1, &got, &p);
    CHECK(got == reference_half(f));
  }
  // int8/uint8: clamp(round half to even(v) + zp) over the type.
  for (pixnorm_dtype d : {PIXNORM_DTYPE_INT8, PIXNORM_DTYPE_UINT8}) {
    for (int32_t zp : {0, -14, 5, 127, -128, 128, 255}) {
      if (d == PIXNORM_DTYPE_INT8 && zp > 127) continue;
      if (d == PIXNORM_DTYPE_UINT8 && zp < 0) continue;
      const pixnorm::PackParams p = params_for(d, zp);
      for (float f : v) {
        const double r = std::nearbyint(static_cast<double>(f)) + zp;  // FE_TONEAREST: half to even
        const double lo = d == PIXNORM_DTYPE_INT8 ? -128 : 0;
        const int want = static_cast<int>(std::fmin(std::fmax(r, lo), lo + 255));
        uint8_t got;
        pixnorm::scalar_kernels()->pack(&f, 1, &got, &p);
        const int g = d == PIXNORM_DTYPE_INT8 ? static_cast<int8_t>(got) : got;
        if (g != want) FAIL_CHECK("dtype " << d << " zp " << zp << " v " << f << ": " << g << " != " << want);
      }
    }
  }
  MESSAGE("half conversions checked against the float64 reference: " << checked + v.size());
}

// pack: every SIMD backend equals the scalar reference bit for bit
static void pack_cases(const Backend& b) {
  const std::vector<float> v = pack_inputs();
  {
    for (pixnorm_dtype d : {PIXNORM_DTYPE_F16, PIXNORM_DTYPE_INT8, PIXNORM_DTYPE_UINT8}) {
      const pixnorm::PackParams p = params_for(d, d == PIXNORM_DTYPE_INT8 ? -14 : d == PIXNORM_DTYPE_UINT8 ? 128 : 0);
      for (size_t n : {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 900}) {
        for (size_t skew : {0, 1, 3}) {
          const size_t es = esize(d);
          std::vector<uint8_t> want(n * es + 1);
          std::vector<float> src(v.begin(), v.begin() + static_cast<long>(n < v.size() ? n : v.size()));
          while (src.size() < n) src.push_back(v[src.size() % v.size()] * 0.75f);
          pixnorm::scalar_kernels()->pack(src.data(), n, want.data(), &p);
          // A skewed byte buffer: halves are misaligned by one byte on purpose for odd skews
          // only when the type allows it (the API requires element alignment).
          INFO(b.name << " dtype " << d << " n " << n << " skew " << skew);
          check_guarded(want, n * es, es == 2 ? skew * 2 : skew,
                        [&](uint8_t* out) { b.kernels->pack(src.data(), n, out, &p); });
        }
      }
    }
  }
}

// Rows, offsets and weights for resample2; offsets leave room for the 8-byte reads the kernel
// contract allows. group 3: pixels of three channels (n rounded down to a multiple of 3).
struct TwoTapCase {
  std::vector<uint8_t> r0, r1;
  std::vector<int32_t> off, wx;
};

// Two source rows of len random bytes, the second with saturated bytes every `period`.
void random_rows(size_t len, size_t period, std::mt19937& rng, std::vector<uint8_t>* r0, std::vector<uint8_t>* r1) {
  r0->resize(len);
  r1->resize(len);
  for (size_t i = 0; i < len; ++i) {
    (*r0)[i] = static_cast<uint8_t>(rng());
    (*r1)[i] = static_cast<uint8_t>(i % period == 0 ? 255 : rng());
  }
}

TwoTapCase two_tap_case(size_t n, unsigned group, std::mt19937& rng) {
  TwoTapCase t;
  const size_t len = 3 * n + 64;
  random_rows(len, 7, rng, &t.r0, &t.r1);
  for (size_t e = 0; e + group <= n; e += group) {
    const int32_t base = static_cast<int32_t>(rng() % (len - 8 - group + 2));
    const uint32_t r = rng() % 8;
    const int32_t w = r == 0 ? 0 : r == 1 ? 2048 : static_cast<int32_t>(rng() % 2049);  // the edges, then any weight
    for (unsigned c = 0; c < group; ++c) {
      t.off.push_back(base + static_cast<int32_t>(c));
      t.wx.push_back(w);
    }
  }
  return t;
}

TEST_CASE("resample2: the scalar reference against the weighted sum, rounded") {
  std::mt19937 rng(17);
  for (unsigned step : {0u, 1u, 3u, 4u}) {
    for (int32_t wy : {0, 1, 1024, 1500, 2047, 2048}) {
      const size_t n = 500;
      const TwoTapCase t = two_tap_case(n, 1, rng);
      std::vector<uint8_t> got(n);
      pixnorm::scalar_kernels()->resample2(t.r0.data(), t.r1.data(), t.off.data(), t.wx.data(), wy, step, 1, n,
                                           got.data());
      for (size_t e = 0; e < n; ++e) {
        const int64_t w1 = t.wx[e], w0 = 2048 - w1, v1 = wy, v0 = 2048 - wy;
        const size_t o = static_cast<size_t>(t.off[e]);
        const int64_t sum = v0 * (w0 * t.r0[o] + w1 * t.r0[o + step]) + v1 * (w0 * t.r1[o] + w1 * t.r1[o + step]);
        const int64_t want = (sum + (int64_t{1} << 21)) >> 22;  // round half up of sum / 2^22
        INFO("step " << step << " wy " << wy << " e " << e);
        REQUIRE(got[e] == want);
      }
    }
  }
}

// resample2: every SIMD backend equals the scalar reference bit for bit
static void resample2_cases(const Backend& b) {
  std::mt19937 rng(29);
  size_t runs = 0;
  {
    for (unsigned step : {0u, 1u, 3u, 4u}) {
      for (unsigned group : {1u, 3u}) {
        for (int32_t wy : {0, 700, 2048}) {
          for (size_t n_any : {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 36, 64, 100, 257}) {
            const size_t n = n_any - n_any % group;
            for (size_t skew : {0, 1, 3}) {
              const TwoTapCase t = two_tap_case(n, group, rng);
              // Rows starting at odd addresses, output with guards on both sides.
              const std::vector<uint8_t> r0 = skewed(t.r0, t.r0.size(), skew), r1 = skewed(t.r1, t.r1.size(), skew);
              std::vector<uint8_t> want(n + 1);
              pixnorm::scalar_kernels()->resample2(t.r0.data(), t.r1.data(), t.off.data(), t.wx.data(), wy, step, 1, n,
                                                   want.data());
              INFO(b.name << " step " << step << " group " << group << " wy " << wy << " n " << n << " skew " << skew);
              check_guarded(want, n, skew, [&](uint8_t* out) {
                b.kernels->resample2(r0.data() + skew, r1.data() + skew, t.off.data(), t.wx.data(), wy, step, group, n,
                                     out);
              });
              ++runs;
            }
          }
        }
      }
    }
  }
  CHECK(runs > 0);
}

// Rows and window tables for resample2_windows: per block a window inside the rows, per
// element two taps anywhere in it (the same or different bytes) and weights from 0 to 2048.
// near: each window within -6 .. +12 bytes of the previous one (as a plan lays them out when
// downscaling, forwards or flipped), so that groups of blocks share 64 bytes; else anywhere.
struct WindowCase {
  std::vector<uint8_t> r0, r1;
  std::vector<int32_t> base;
  std::vector<uint8_t> idx;
  std::vector<uint32_t> wpair;
};

WindowCase window_case(size_t nblocks, std::mt19937& rng, bool near = false) {
  WindowCase t;
  const size_t len = 5 * nblocks + 40;
  random_rows(len, 5, rng, &t.r0, &t.r1);
  int32_t at = static_cast<int32_t>(rng() % (len - 15));
  for (size_t k = 0; k < nblocks; ++k) {
    if (near) {
      at += static_cast<int32_t>(rng() % 19) - 6;
      at = at < 0 ? 0 : at > static_cast<int32_t>(len - 16) ? static_cast<int32_t>(len - 16) : at;
    }
    t.base.push_back(near ? at : static_cast<int32_t>(rng() % (len - 15)));
    for (unsigned j = 0; j < 4; ++j) {
      const uint8_t a = static_cast<uint8_t>(rng() % 16);
      const uint8_t b = rng() % 4 == 0 ? a : static_cast<uint8_t>(rng() % 16);
      t.idx.insert(t.idx.end(), {a, 0x80, b, 0x80});
      const uint32_t r = rng() % 8;
      const uint32_t w = r == 0 ? 0 : r == 1 ? 2048 : rng() % 2049;
      t.wpair.push_back((2048 - w) | w << 16);
    }
  }
  return t;
}

TEST_CASE("resample2_windows: the scalar reference against the weighted sum, rounded") {
  std::mt19937 rng(41);
  for (int32_t wy : {0, 1, 1024, 1500, 2047, 2048}) {
    const size_t nb = 150;
    const WindowCase t = window_case(nb, rng);
    std::vector<uint8_t> got(4 * nb);
    pixnorm::scalar_kernels()->resample2_windows(t.r0.data(), t.r1.data(), t.base.data(), t.idx.data(),
                                                 t.wpair.data(), wy, nb, got.data());
    for (size_t e = 0; e < 4 * nb; ++e) {
      const size_t a = static_cast<size_t>(t.base[e / 4]) + t.idx[4 * e], b = static_cast<size_t>(t.base[e / 4]) + t.idx[4 * e + 2];
      const int64_t w1 = t.wpair[e] >> 16, w0 = 2048 - w1, v1 = wy, v0 = 2048 - wy;
      const int64_t sum = v0 * (w0 * t.r0[a] + w1 * t.r0[b]) + v1 * (w0 * t.r1[a] + w1 * t.r1[b]);
      INFO("wy " << wy << " e " << e);
      REQUIRE(got[e] == (sum + (int64_t{1} << 21)) >> 22);
    }
  }
}

// resample2_windows: every SIMD backend equals the scalar reference bit for bit
static void resample2_windows_cases(const Backend& b) {
  std::mt19937 rng(43);
  size_t runs = 0;
  {
    for (int32_t wy : {0, 700, 2048}) {
      for (size_t nb : {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 33, 64, 70}) {
        for (size_t skew : {0, 1, 3, 4, 5}) {  // skews 3 to 5: windows near each other
          const WindowCase t = window_case(nb, rng, skew >= 3);
          const std::vector<uint8_t> r0 = skewed(t.r0, t.r0.size(), skew), r1 = skewed(t.r1, t.r1.size(), skew);
          const size_t n = 4 * nb;
          std::vector<uint8_t> want(n + 1);
          pixnorm::scalar_kernels()->resample2_windows(t.r0.data(), t.r1.data(), t.base.data(), t.idx.data(),
                                                       t.wpair.data(), wy, nb, want.data());
          INFO(b.name << " wy " << wy << " blocks " << nb << " skew " << skew);
          check_guarded(want, n, skew, [&](uint8_t* out) {
            b.kernels->resample2_windows(r0.data() + skew, r1.data() + skew, t.base.data(), t.idx.data(),
                                         t.wpair.data(), wy, nb, out);
          });
          ++runs;
        }
      }
    }
  }
  CHECK(runs > 0);
}

// gather_windows: the scalar reference picks the bytes; every SIMD backend the same
static void gather_windows_cases(const Backend& b) {
  std::mt19937 rng(47);
  {
    const size_t nb = 150;
    const WindowCase t = window_case(nb, rng);
    std::vector<uint8_t> got(4 * nb);
    pixnorm::scalar_kernels()->gather_windows(t.r0.data(), t.base.data(), t.idx.data(), nb, got.data());
    for (size_t e = 0; e < 4 * nb; ++e) REQUIRE(got[e] == t.r0[static_cast<size_t>(t.base[e / 4]) + t.idx[4 * e]]);
  }
  size_t runs = 0;
  {
    for (size_t nb : {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 64, 70, 200}) {
      for (size_t skew : {0, 1, 3, 4, 5}) {
        const WindowCase t = window_case(nb, rng, skew >= 3);
        // The row ends where the last window ends: SIMD reads stay inside the windows.
        size_t end = 0;
        for (int32_t at : t.base) end = std::max(end, static_cast<size_t>(at) + 16);
        const std::vector<uint8_t> r = skewed(t.r0, end, skew);
        const size_t n = 4 * nb;
        std::vector<uint8_t> want(n + 1);
        pixnorm::scalar_kernels()->gather_windows(t.r0.data(), t.base.data(), t.idx.data(), nb, want.data());
        INFO(b.name << " blocks " << nb << " skew " << skew);
        check_guarded(want, n, skew, [&](uint8_t* out) {
          b.kernels->gather_windows(r.data() + skew, t.base.data(), t.idx.data(), nb, out);
        });
        ++runs;
      }
    }
  }
  CHECK(runs > 0);
}

// yuv kernel: every SIMD backend equals the scalar reference bit for bit
static void yuv_cases(const Backend& b) {
  std::mt19937 rng(41);
  {
    for (pixnorm_yuv_matrix m : {PIXNORM_YUV_BT601, PIXNORM_YUV_BT709}) {
      for (pixnorm_yuv_range r : {PIXNORM_YUV_LIMITED, PIXNORM_YUV_FULL}) {
        const pixnorm::YuvCoef k = pixnorm::yuv_coefficients(m, r);
        // Up to several blocks of four AVX-512 vectors, with every kind of tail.
        for (size_t n : {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 191, 192, 193,
                         257, 1000}) {
          for (size_t skew : {0, 1, 3}) {
            std::vector<uint8_t> y(n + skew), u(n + skew), v(n + skew);
            for (size_t i = 0; i < n + skew; ++i) {  // the extremes too: the clamps must agree
              const uint32_t x = rng();
              y[i] = static_cast<uint8_t>(i % 5 == 0 ? 255 : i % 5 == 1 ? 0 : x);
              u[i] = static_cast<uint8_t>(i % 7 == 0 ? 255 : x >> 8);
              v[i] = static_cast<uint8_t>(i % 3 == 0 ? 0 : x >> 16);
            }
            std::vector<uint8_t> want(3 * n + 1);
            pixnorm::scalar_kernels()->yuv(y.data() + skew, u.data() + skew, v.data() + skew, n, &k, want.data());
            INFO(b.name << " matrix " << m << " range " << r << " n " << n << " skew " << skew);
            check_guarded(want, 3 * n, skew, [&](uint8_t* out) {
              b.kernels->yuv(y.data() + skew, u.data() + skew, v.data() + skew, n, &k, out);
            });
          }
        }
      }
    }
  }
}

TEST_CASE("yuv: fixed-point conversion within one level of the float64 matrix") {
  for (pixnorm_yuv_matrix m : {PIXNORM_YUV_BT601, PIXNORM_YUV_BT709}) {
    for (pixnorm_yuv_range r : {PIXNORM_YUV_LIMITED, PIXNORM_YUV_FULL}) {
      const double kr = m == PIXNORM_YUV_BT709 ? 0.2126 : 0.299, kb = m == PIXNORM_YUV_BT709 ? 0.0722 : 0.114;
      const double kg = 1 - kr - kb;
      const bool full = r == PIXNORM_YUV_FULL;
      const pixnorm::YuvCoef k = pixnorm::yuv_coefficients(m, r);
      int worst = 0;
      size_t exact = 0, total = 0;
      for (int y = 0; y < 256; ++y)
        for (int u = 0; u < 256; u += 3)
          for (int v = 0; v < 256; v += 3) {
            const double yy = full ? y : (y - 16) * 255.0 / 219.0;
            const double cb = (u - 128) * (full ? 1.0 : 255.0 / 224.0), cr = (v - 128) * (full ? 1.0 : 255.0 / 224.0);
            const double rgb[3] = {yy + 2 * (1 - kr) * cr, yy - 2 * kb * (1 - kb) / kg * cb - 2 * kr * (1 - kr) / kg * cr,
                                   yy + 2 * (1 - kb) * cb};
            uint8_t got[3];
            pixnorm::yuv_to_rgb(k, y, u, v, got);
            for (int c = 0; c < 3; ++c) {
              const int want = static_cast<int>(std::fmin(255, std::fmax(0, std::nearbyint(rgb[c]))));
              const int d = std::abs(want - got[c]);
              worst = d > worst ? d : worst;
              exact += d == 0;
              ++total;
            }
          }
      INFO("matrix " << m << " range " << r);
      CHECK(worst <= 1);
      MESSAGE("YUV matrix " << std::string(m ? "BT.709" : "BT.601") << std::string(full ? " full" : " limited")
                            << ": max difference "
                            << worst << " level, " << 100.0 * exact / total << "% exact");
    }
  }
}

namespace {

// A source frame of any format with a padded stride, at an odd address.
struct Frame {
  pixnorm_format format;
  uint32_t w, h;
  std::vector<uint8_t> store;
  pixnorm_image image{};
};

Frame make_frame(pixnorm_format f, uint32_t w, uint32_t h, uint32_t seed, size_t pad = 5) {
  Frame fr{f, w, h, {}, {}};
  const size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
  size_t s0 = 0, s1 = 0, rows1 = 0, s2 = 0, rows2 = 0;
  switch (f) {
    case PIXNORM_FORMAT_NV12:
    case PIXNORM_FORMAT_NV21: s0 = w + pad; s1 = 2 * cw + pad; rows1 = ch; break;
    case PIXNORM_FORMAT_I420: s0 = w + pad; s1 = s2 = cw + pad; rows1 = rows2 = ch; break;
    case PIXNORM_FORMAT_YUYV: s0 = 4 * cw + pad; break;
    default: s0 = static_cast<size_t>(w) * bpp(f) + pad; break;
  }
  const size_t total = 1 + s0 * h + s1 * rows1 + s2 * rows2;
  // Smooth content plus noise, so that resampling errors would show.
  fr.store.resize(total);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < total; ++i)
    fr.store[i] = static_cast<uint8_t>((i * 7 / 3 + (i / (s0 ? s0 : 1)) * 5 + rng() % 24) & 0xFF);
  fr.image.planes[0] = fr.store.data() + 1;
  fr.image.row_bytes[0] = s0;
  if (rows1) {
    fr.image.planes[1] = fr.store.data() + 1 + s0 * h;
    fr.image.row_bytes[1] = s1;
  }
  if (rows2) {
    fr.image.planes[2] = fr.store.data() + 1 + s0 * h + s1 * rows1;
    fr.image.row_bytes[2] = s2;
  }
  return fr;
}

struct Out {
  pixnorm_status status;
  std::vector<uint8_t> bytes;
  bool guards = true;
  std::string error;
};

// Runs one plan; the output has 64 guard bytes on each side.
Out run(const pixnorm_stats* stats, const pixnorm_plan_desc& d, const Frame& fr, size_t skew = 0) {
  Out o;
  pixnorm_plan* raw = nullptr;
  o.status = pixnorm_plan_create(stats, &d, &raw);
  if (o.status != PIXNORM_OK) {
    o.error = pixnorm_last_error();
    return o;
  }
  PlanPtr plan(raw);
  const size_t bytes = pixnorm_plan_output_bytes(plan.get()), guard = 64;
  std::vector<uint8_t> buf(bytes + 2 * guard + 64, 0x5A);
  const uintptr_t base = reinterpret_cast<uintptr_t>(buf.data());
  const size_t start = (64 - base % 64) % 64 + guard + skew * esize(d.dtype);
  o.status = pixnorm_plan_run_image(plan.get(), &fr.image, buf.data() + start);
  if (o.status != PIXNORM_OK) o.error = pixnorm_last_error();
  o.bytes.assign(buf.begin() + static_cast<long>(start), buf.begin() + static_cast<long>(start + bytes));
  for (size_t i = 0; i < start; ++i) o.guards &= buf[i] == 0x5A;
  for (size_t i = start + bytes; i < buf.size(); ++i) o.guards &= buf[i] == 0x5A;
  return o;
}

pixnorm_plan_desc base_desc(pixnorm_format f, uint32_t w, uint32_t h) {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = f;
  d.width = w;
  d.height = h;
  d.backend = PIXNORM_BACKEND_SCALAR;
  return d;
}

// The plan's resampled uint8 image, read through mode rescale without statistics (f32 = x).
std::vector<float> resampled(const pixnorm_plan_desc& d0, const Frame& fr) {
  pixnorm_plan_desc d = d0;
  d.mode = PIXNORM_MODE_RESCALE;
  d.layout = PIXNORM_LAYOUT_NHWC;
  d.dtype = PIXNORM_DTYPE_F32;
  const Out o = run(nullptr, d, fr);
  REQUIRE_MESSAGE(o.status == PIXNORM_OK, o.error);
  std::vector<float> v(o.bytes.size() / 4);
  std::memcpy(v.data(), o.bytes.data(), o.bytes.size());
  return v;
}

// Independent float64 references on an RGB8 frame (no fixed point): OpenCV's bilinear with
// half-pixel centres and clamped edges, and the box average.
double ref_bilinear(const Frame& fr, double sx, double sy, unsigned c) {
  auto px = [&](long x, long y) {
    x = x < 0 ? 0 : x >= static_cast<long>(fr.w) ? fr.w - 1 : x;
    y = y < 0 ? 0 : y >= static_cast<long>(fr.h) ? fr.h - 1 : y;
    return static_cast<double>(fr.image.planes[0][static_cast<size_t>(y) * fr.image.row_bytes[0] + 3 * x + c]);
  };
  double fx = std::floor(sx), fy = std::floor(sy);
  double ax = sx - fx, ay = sy - fy;
  if (fx < 0) ax = 0;
  if (fy < 0) ay = 0;
  const long x0 = static_cast<long>(fx), y0 = static_cast<long>(fy);
  return (1 - ay) * ((1 - ax) * px(x0, y0) + ax * px(x0 + 1, y0)) + ay * ((1 - ax) * px(x0, y0 + 1) + ax * px(x0 + 1, y0 + 1));
}

}  // namespace

TEST_CASE("resample: bilinear, area and nearest against float64 references") {
  const Frame fr = make_frame(PIXNORM_FORMAT_RGB8, 157, 93, 3);
  struct Case {
    uint32_t ow, oh;
  };
  for (Case cs : {Case{224, 224}, Case{64, 40}, Case{31, 17}, Case{300, 120}, Case{157, 46}}) {
    pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
    d.out_width = cs.ow;
    d.out_height = cs.oh;
    const double ax = static_cast<double>(fr.w) / cs.ow, ay = static_cast<double>(fr.h) / cs.oh;
    for (pixnorm_interp it : {PIXNORM_INTERP_BILINEAR, PIXNORM_INTERP_AREA, PIXNORM_INTERP_NEAREST}) {
      d.interp = it;
      const std::vector<float> got = resampled(d, fr);
      double worst = 0;
      for (uint32_t y = 0; y < cs.oh; ++y)
        for (uint32_t x = 0; x < cs.ow; ++x)
          for (unsigned c = 0; c < 3; ++c) {
            double want;
            const bool box_x = it == PIXNORM_INTERP_AREA && ax > 1, box_y = it == PIXNORM_INTERP_AREA && ay > 1;
            if (it == PIXNORM_INTERP_NEAREST) {
              const long sx = static_cast<long>(std::floor((x + 0.5) * ax)), sy = static_cast<long>(std::floor((y + 0.5) * ay));
              want = fr.image.planes[0][static_cast<size_t>(sy) * fr.image.row_bytes[0] + 3 * sx + c];
            } else if (!box_x && !box_y) {
              want = ref_bilinear(fr, (x + 0.5) * ax - 0.5, (y + 0.5) * ay - 0.5, c);
            } else {
              // Box along shrinking axes, bilinear along a growing one (separable).
              double acc = 0, wsum = 0;
              const double x0 = x * ax, x1 = x0 + ax, y0 = y * ay, y1 = y0 + ay;
              // x1, y1 may exceed the size by a rounding error at the last pixel: clip to the image.
              const long h = static_cast<long>(fr.h), w = static_cast<long>(fr.w);
              for (long sy = box_y ? static_cast<long>(std::floor(y0)) : 0; box_y ? sy < y1 && sy < h : sy < 1; ++sy)
                for (long sx = box_x ? static_cast<long>(std::floor(x0)) : 0; box_x ? sx < x1 && sx < w : sx < 1;
                     ++sx) {
                  const double wx = box_x ? std::fmin(x1, sx + 1.0) - std::fmax(x0, static_cast<double>(sx)) : 1;
                  const double wy = box_y ? std::fmin(y1, sy + 1.0) - std::fmax(y0, static_cast<double>(sy)) : 1;
                  double v;
                  if (box_x && box_y)
                    v = fr.image.planes[0][static_cast<size_t>(sy) * fr.image.row_bytes[0] + 3 * sx + c];
                  else if (box_x)
                    v = ref_bilinear(fr, static_cast<double>(sx), (y + 0.5) * ay - 0.5, c);
                  else
                    v = ref_bilinear(fr, (x + 0.5) * ax - 0.5, static_cast<double>(sy), c);
                  acc += wx * wy * v;
                  wsum += wx * wy;
                }
              want = acc / wsum;
            }
            const double diff = std::fabs(got[(static_cast<size_t>(y) * cs.ow + x) * 3 + c] - want);
            worst = diff > worst ? diff : worst;
          }
      INFO(fr.w << "x" << fr.h << " -> " << cs.ow << "x" << cs.oh << " interp " << it);
      // Before rounding the reference is real-valued: rounding alone is 0.5; weights in 1/2048
      // (bilinear) or 1/16384 (area) add at most a few hundredths.
      CHECK(worst <= (it == PIXNORM_INTERP_NEAREST ? 0.0 : 0.56));
    }
  }
}

TEST_CASE("geometry: region, center crop, letterbox and flip semantics") {
  const Frame fr = make_frame(PIXNORM_FORMAT_RGB8, 120, 80, 11, 0);
  SUBCASE("a region alone is the cropped image, in place") {
    pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
    d.roi_x = 17;
    d.roi_y = 9;
    d.roi_width = 50;
    d.roi_height = 33;
    const std::vector<float> got = resampled(d, fr);
    REQUIRE(got.size() == 50 * 33 * 3);
    for (uint32_t y = 0; y < 33; ++y)
      for (uint32_t x = 0; x < 150; ++x)
        REQUIRE(got[y * 150 + x] == fr.image.planes[0][(y + 9) * fr.image.row_bytes[0] + 17 * 3 + x]);
    // With resizing: the same as resizing a copy of the region.
    Frame crop = make_frame(PIXNORM_FORMAT_RGB8, 50, 33, 1, 0);
    for (uint32_t y = 0; y < 33; ++y)
      std::memcpy(const_cast<uint8_t*>(crop.image.planes[0]) + y * crop.image.row_bytes[0],
                  fr.image.planes[0] + (y + 9) * fr.image.row_bytes[0] + 17 * 3, 150);
    d.out_width = 23;
    d.out_height = 61;
    pixnorm_plan_desc dc = base_desc(PIXNORM_FORMAT_RGB8, 50, 33);
    dc.out_width = 23;
    dc.out_height = 61;
    CHECK(resampled(d, fr) == resampled(dc, crop));
  }
  SUBCASE("flip mirrors the output exactly") {
    for (pixnorm_fit fit : {PIXNORM_FIT_STRETCH, PIXNORM_FIT_LETTERBOX, PIXNORM_FIT_CENTER_CROP}) {
      pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
      d.out_width = 45;
      d.out_height = 45;
      d.fit = fit;
      const std::vector<float> a = resampled(d, fr);
      d.flip = 1;
      const std::vector<float> b = resampled(d, fr);
      for (uint32_t y = 0; y < 45; ++y)
        for (uint32_t x = 0; x < 45; ++x)
          for (unsigned c = 0; c < 3; ++c) REQUIRE(b[(y * 45 + x) * 3 + c] == a[(y * 45 + 44 - x) * 3 + c]);
    }
  }
  SUBCASE("letterbox: YOLO's placement, borders exactly the fill value") {
    pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
    d.out_width = 64;
    d.out_height = 64;
    d.fit = PIXNORM_FIT_LETTERBOX;
    d.letterbox_fill = 114;
    const std::vector<float> got = resampled(d, fr);
    // 120x80 into 64x64: scale 64/120, content 64x43 (round(42.67)), top = round(10.5 - 0.1) = 10.
    for (uint32_t y = 0; y < 64; ++y) {
      const bool border = y < 10 || y >= 53;
      for (uint32_t x = 0; x < 64 * 3; ++x)
        if (border) REQUIRE(got[y * 192 + x] == 114.0f);
    }
    // Content equals a stretch of the image to 64x43.
    pixnorm_plan_desc s = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
    s.out_width = 64;
    s.out_height = 43;
    const std::vector<float> st = resampled(s, fr);
    CHECK(std::equal(st.begin(), st.end(), got.begin() + 10 * 192));
  }
  SUBCASE("center crop with resize_short: torchvision's Resize then CenterCrop, within rounding") {
    pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
    d.out_width = 48;
    d.out_height = 48;
    d.fit = PIXNORM_FIT_CENTER_CROP;
    d.resize_short = 56;  // 120x80 -> 84x56, crop offsets round((84-48)/2) = 18 and 4
    const std::vector<float> got = resampled(d, fr);
    double worst = 0;
    for (uint32_t y = 0; y < 48; ++y)
      for (uint32_t x = 0; x < 48; ++x)
        for (unsigned c = 0; c < 3; ++c) {
          const double want = ref_bilinear(fr, (x + 18 + 0.5) * 120.0 / 84 - 0.5, (y + 4 + 0.5) * 80.0 / 56 - 0.5, c);
          worst = std::fmax(worst, std::fabs(got[(y * 48 + x) * 3 + c] - want));
        }
    CHECK(worst <= 0.56);
    // Without resize_short: the largest centred square (80x80 at x = 20), resized.
    d.resize_short = 0;
    const std::vector<float> sq = resampled(d, fr);
    pixnorm_plan_desc r = base_desc(PIXNORM_FORMAT_RGB8, fr.w, fr.h);
    r.roi_x = 20;
    r.roi_width = 80;
    r.roi_height = 80;
    r.out_width = 48;
    r.out_height = 48;
    // Same mapping; only edge clamping differs (the region clamps at its own border).
    const std::vector<float> viaroi = resampled(r, fr);
    size_t differ = 0;
    for (size_t i = 0; i < sq.size(); ++i) differ += sq[i] != viaroi[i];
    CHECK(differ <= 2 * 48 * 3 * 2);
  }
}

TEST_CASE("yuv frames: the plan converts like the per-pixel reference") {
  for (pixnorm_format f : {PIXNORM_FORMAT_NV12, PIXNORM_FORMAT_NV21, PIXNORM_FORMAT_I420, PIXNORM_FORMAT_YUYV}) {
    const Frame fr = make_frame(f, 37, 21, 5 + f);
    pixnorm_plan_desc d = base_desc(f, fr.w, fr.h);
    d.yuv_matrix = PIXNORM_YUV_BT709;
    d.yuv_range = PIXNORM_YUV_FULL;
    const std::vector<float> got = resampled(d, fr);
    REQUIRE(got.size() == 37 * 21 * 3);
    const pixnorm::YuvCoef k = pixnorm::yuv_coefficients(PIXNORM_YUV_BT709, PIXNORM_YUV_FULL);
    for (uint32_t y = 0; y < fr.h; ++y)
      for (uint32_t x = 0; x < fr.w; ++x) {
        int Y, U, V;
        const uint8_t* const* p = fr.image.planes;
        const size_t* s = fr.image.row_bytes;
        if (f == PIXNORM_FORMAT_YUYV) {
          Y = p[0][y * s[0] + 2 * x];
          U = p[0][y * s[0] + (x / 2) * 4 + 1];
          V = p[0][y * s[0] + (x / 2) * 4 + 3];
        } else if (f == PIXNORM_FORMAT_I420) {
          Y = p[0][y * s[0] + x];
          U = p[1][(y / 2) * s[1] + x / 2];
          V = p[2][(y / 2) * s[2] + x / 2];
        } else {
          Y = p[0][y * s[0] + x];
          const uint8_t* uv = p[1] + (y / 2) * s[1] + (x / 2) * 2;
          U = f == PIXNORM_FORMAT_NV12 ? uv[0] : uv[1];
          V = f == PIXNORM_FORMAT_NV12 ? uv[1] : uv[0];
        }
        uint8_t rgb[3];
        pixnorm::yuv_to_rgb(k, Y, U, V, rgb);
        for (unsigned c = 0; c < 3; ++c) REQUIRE(got[(y * fr.w + x) * 3 + c] == rgb[c]);
      }
  }
}

TEST_CASE("quantized output: the folded plan against q = clamp(round(f / scale) + zero_point)") {
  StatsPtr stats;
  {
    pixnorm_stats* s = nullptr;
    REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
    stats.reset(s);
  }
  // Every value of every channel: a 256x1 image whose pixel x is (x, 255 - x, x * 7).
  Frame fr = make_frame(PIXNORM_FORMAT_RGB8, 256, 1, 0, 0);
  uint8_t* px = const_cast<uint8_t*>(fr.image.planes[0]);
  for (int x = 0; x < 256; ++x) {
    px[3 * x] = static_cast<uint8_t>(x);
    px[3 * x + 1] = static_cast<uint8_t>(255 - x);
    px[3 * x + 2] = static_cast<uint8_t>(x * 7);
  }
  pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_RGB8, 256, 1);
  d.layout = PIXNORM_LAYOUT_NHWC;
  const Out f32 = run(stats.get(), d, fr);
  REQUIRE(f32.status == PIXNORM_OK);
  std::vector<float> f(f32.bytes.size() / 4);
  std::memcpy(f.data(), f32.bytes.data(), f32.bytes.size());
  size_t total = 0, near_tie = 0, differ = 0;
  for (pixnorm_dtype dt : {PIXNORM_DTYPE_INT8, PIXNORM_DTYPE_UINT8}) {
    for (double qs : {0.0186, 1.0 / 128, 0.017352, 0.0392157, 0.5}) {
      for (int zp : {-14, 0, 3, 127, 200}) {
        if ((dt == PIXNORM_DTYPE_INT8) != (zp < 128)) continue;
        d.dtype = dt;
        d.quant_scale = qs;
        d.quant_zero_point = zp;
        const Out q = run(stats.get(), d, fr);
        REQUIRE_MESSAGE(q.status == PIXNORM_OK, q.error);
        for (size_t i = 0; i < f.size(); ++i) {
          const double v = static_cast<double>(f[i]) / qs;
          const double lo = dt == PIXNORM_DTYPE_INT8 ? -128 : 0;
          const int want = static_cast<int>(std::fmin(lo + 255, std::fmax(lo, std::nearbyint(v) + zp)));
          const int got = dt == PIXNORM_DTYPE_INT8 ? static_cast<int8_t>(q.bytes[i]) : q.bytes[i];
          const double frac = std::fabs(v - std::floor(v) - 0.5);
          ++total;
          if (got != want) {
            ++differ;
            // Folding (x * scale/qs + bias/qs in float) may only move a value within float
            // rounding of a tie, and then by one step.
            CHECK(frac < 1e-4);
            CHECK(std::abs(got - want) == 1);
          }
          near_tie += frac < 1e-4;
        }
      }
    }
  }
  MESSAGE("quantized outputs checked against the unfolded formula: " << total << ", within 1e-4 of a tie: "
                                                                     << near_tie << ", different: " << differ);
  // Exact ties and saturation: rescale statistics of 1 (f = x), scale 2 -> x / 2.
  pixnorm_stats_values v{};
  v.channel_order = PIXNORM_ORDER_RGB;
  v.channels = 1;
  v.rescale = 1.0;
  v.std[0] = 1.0;
  pixnorm_stats* raw = nullptr;
  REQUIRE(pixnorm_stats_create(&v, &raw) == PIXNORM_OK);
  StatsPtr unit(raw);
  d.mode = PIXNORM_MODE_RESCALE;
  d.dtype = PIXNORM_DTYPE_INT8;
  d.quant_scale = 2.0;
  d.quant_zero_point = -100;
  const Out q = run(unit.get(), d, fr);
  REQUIRE(q.status == PIXNORM_OK);
  for (int x = 0; x < 256; ++x) {
    // x/2 with ties to even, minus 100, clamped to 127.
    const int half = (x % 4 == 1) ? x / 2 : (x % 4 == 3) ? x / 2 + 1 : x / 2;
    const int want = half - 100 > 127 ? 127 : half - 100;
    REQUIRE(static_cast<int8_t>(q.bytes[3 * x]) == want);
  }
}

namespace {
// Runs the plan of `d` on every backend and target (output skewed by `skew` elements) and checks
// each against `want`; returns the number of runs.
size_t same_on_every_backend(const std::vector<Backend>& backends, const pixnorm_stats* stats, pixnorm_plan_desc d,
                             const Frame& fr, const Out& want, size_t skew) {
  for (const Backend& b : backends) {
    select(b);
    d.backend = b.id;
    const Out got = run(stats, d, fr, skew);
    restore_targets();
    INFO(b.name);
    REQUIRE_MESSAGE(got.status == PIXNORM_OK, got.error);
    CHECK(got.guards);
    CHECK(got.bytes == want.bytes);
  }
  return backends.size();
}
}  // namespace

TEST_CASE("geometry plans: every backend and target equals the scalar one, bit for bit") {
  StatsPtr color;
  {
    pixnorm_stats* s = nullptr;
    REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
    color.reset(s);
  }
  std::mt19937 rng(2026);
  const pixnorm_format formats[] = {PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_BGR8, PIXNORM_FORMAT_RGBA8,
                                    PIXNORM_FORMAT_BGRA8, PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_NV12,
                                    PIXNORM_FORMAT_NV21, PIXNORM_FORMAT_I420, PIXNORM_FORMAT_YUYV};
  const pixnorm_mode modes[] = {PIXNORM_MODE_STANDARDIZE, PIXNORM_MODE_RESCALE, PIXNORM_MODE_SAMPLE_STANDARDIZE,
                                PIXNORM_MODE_MINMAX};
  const std::vector<Backend> backends = simd_backends();
  size_t cases = 0, compared = 0;
  for (int iter = 0; iter < 160; ++iter) {
    const pixnorm_format f = formats[iter % 9];
    const uint32_t w = 1 + rng() % 90, h = 1 + rng() % 50;
    const Frame fr = make_frame(f, w, h, static_cast<uint32_t>(iter), rng() % 9);
    pixnorm_plan_desc d = base_desc(f, w, h);
    d.mode = modes[rng() % 4];
    if (f == PIXNORM_FORMAT_GRAY8 && d.mode == PIXNORM_MODE_STANDARDIZE) d.mode = PIXNORM_MODE_RESCALE;
    d.per_channel = d.mode == PIXNORM_MODE_SAMPLE_STANDARDIZE && (rng() & 1);
    d.layout = (rng() & 1) ? PIXNORM_LAYOUT_NHWC : PIXNORM_LAYOUT_NCHW;
    d.dtype = static_cast<pixnorm_dtype>(rng() % 4);
    d.quant_scale = 0.02 + (rng() % 100) / 1000.0;
    d.quant_zero_point = d.dtype == PIXNORM_DTYPE_INT8 ? -7 : 131;
    d.interp = static_cast<pixnorm_interp>(rng() % 3);
    d.flip = static_cast<int>(rng() & 1);
    if (rng() % 3 == 0 && w > 2 && h > 2) {
      d.roi_x = rng() % (w / 2);
      d.roi_y = rng() % (h / 2);
      d.roi_width = 1 + rng() % (w - d.roi_x);
      d.roi_height = 1 + rng() % (h - d.roi_y);
    }
    if (rng() % 4 != 0) {
      d.out_width = 1 + rng() % 130;
      d.out_height = 1 + rng() % 70;
      d.fit = static_cast<pixnorm_fit>(rng() % 3);
      if (d.fit == PIXNORM_FIT_CENTER_CROP && (rng() & 1)) {
        const uint32_t sw = d.roi_width ? d.roi_width : w, sh = d.roi_width ? d.roi_height : h;
        d.out_width = 1 + rng() % (sw < sh ? sw : sh);
        d.out_height = d.out_width;
        d.resize_short = d.out_width + rng() % 40;
      }
    }
    const pixnorm_stats* stats = f == PIXNORM_FORMAT_GRAY8 ? nullptr : color.get();
    const Out want = run(stats, d, fr);
    INFO("case " << iter << ": format " << f << " " << w << "x" << h << " out " << d.out_width << "x"
                 << d.out_height << " fit " << d.fit << " short " << d.resize_short << " interp " << d.interp
                 << " flip " << d.flip << " roi " << d.roi_width << "x" << d.roi_height << " mode " << d.mode
                 << " dtype " << d.dtype << " layout " << d.layout);
    REQUIRE_MESSAGE(want.status == PIXNORM_OK, want.error);
    CHECK(want.guards);
    ++cases;
    compared += same_on_every_backend(backends, stats, d, fr, want, 1 + iter % 3);
  }
  MESSAGE("geometry plans: " << cases << " configurations, " << compared << " backend runs compared");
}

TEST_CASE("quantized and half plans: every layout and backend, in and out of the fused rounding's range") {
  StatsPtr stats;
  pixnorm_stats* s = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
  stats.reset(s);
  const std::vector<Backend> backends = simd_backends();
  size_t compared = 0, saturated = 0;
  for (pixnorm_format f : {PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_BGR8, PIXNORM_FORMAT_RGBA8}) {
    const Frame fr = make_frame(f, 197, 9, 5, 3);
    for (pixnorm_layout layout : {PIXNORM_LAYOUT_NCHW, PIXNORM_LAYOUT_NHWC}) {
      for (pixnorm_dtype dt : {PIXNORM_DTYPE_INT8, PIXNORM_DTYPE_UINT8, PIXNORM_DTYPE_F16}) {
        // 1e-7: |v| reaches 2.6e7, past 2^22, so the plan narrows through floats instead.
        for (double qs : {0.0186, 1e-7}) {
          if (dt == PIXNORM_DTYPE_F16 && qs < 1e-3) continue;
          pixnorm_plan_desc d = base_desc(f, fr.w, fr.h);
          d.layout = layout;
          d.dtype = dt;
          d.quant_scale = qs;
          d.quant_zero_point = dt == PIXNORM_DTYPE_INT8 ? -14 : 128;
          const Out want = run(stats.get(), d, fr);
          INFO("format " << f << " layout " << layout << " dtype " << dt << " quant_scale " << qs);
          REQUIRE_MESSAGE(want.status == PIXNORM_OK, want.error);
          if (qs < 1e-3) {
            for (uint8_t b : want.bytes) saturated += b == 0x7F || b == 0x80 || b == 0x00 || b == 0xFF;
          }
          compared += same_on_every_backend(backends, stats.get(), d, fr, want, 1);
        }
      }
    }
  }
  CHECK(saturated > 0);
  MESSAGE("quantized and half plans compared: " << compared);
}

TEST_CASE("geometry plans: threads give the same bytes") {
  if (std::getenv("PIXNORM_TEST_NO_THREADS") != nullptr) return;
  const Frame fr = make_frame(PIXNORM_FORMAT_NV12, 640, 480, 9);
  StatsPtr stats;
  pixnorm_stats* s = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &s) == PIXNORM_OK);
  stats.reset(s);
  for (pixnorm_mode m : {PIXNORM_MODE_STANDARDIZE, PIXNORM_MODE_SAMPLE_STANDARDIZE}) {
    pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_NV12, 640, 480);
    d.backend = PIXNORM_BACKEND_AUTO;
    d.mode = m;
    d.out_width = 224;
    d.out_height = 224;
    d.fit = PIXNORM_FIT_CENTER_CROP;
    d.resize_short = 256;
    d.dtype = PIXNORM_DTYPE_F16;
    const Out one = run(stats.get(), d, fr);
    d.threads = 3;
    const Out three = run(stats.get(), d, fr);
    REQUIRE(one.status == PIXNORM_OK);
    REQUIRE(three.status == PIXNORM_OK);
    CHECK(one.bytes == three.bytes);
  }
}

TEST_CASE("geometry and output type: bad descriptions and frames are refused with a message") {
  const Frame fr = make_frame(PIXNORM_FORMAT_NV12, 64, 48, 1);
  struct Bad {
    const char* what;
    void (*edit)(pixnorm_plan_desc*);
    const char* message;
  };
  const Bad bad[] = {
      {"interp", [](pixnorm_plan_desc* d) { d->interp = static_cast<pixnorm_interp>(99); }, "interpolation"},
      {"fit", [](pixnorm_plan_desc* d) { d->fit = static_cast<pixnorm_fit>(-1); }, "fit"},
      {"matrix", [](pixnorm_plan_desc* d) { d->yuv_matrix = static_cast<pixnorm_yuv_matrix>(2); }, "matrix"},
      {"range", [](pixnorm_plan_desc* d) { d->yuv_range = static_cast<pixnorm_yuv_range>(9); }, "range"},
      {"dtype", [](pixnorm_plan_desc* d) { d->dtype = static_cast<pixnorm_dtype>(4); }, "output type"},
      {"flip", [](pixnorm_plan_desc* d) { d->flip = 2; }, "flip"},
      {"fill", [](pixnorm_plan_desc* d) { d->letterbox_fill = 256; }, "letterbox_fill"},
      {"half size", [](pixnorm_plan_desc* d) { d->out_width = 10; }, "both sides"},
      {"huge size", [](pixnorm_plan_desc* d) { d->out_width = d->out_height = 70000; }, "over the limit"},
      {"region", [](pixnorm_plan_desc* d) { d->roi_x = 60; d->roi_width = 10; d->roi_height = 10; }, "not inside"},
      {"region half", [](pixnorm_plan_desc* d) { d->roi_width = 10; }, "both sides"},
      {"offset alone", [](pixnorm_plan_desc* d) { d->roi_y = 3; }, "without a region size"},
      {"crop no size", [](pixnorm_plan_desc* d) { d->fit = PIXNORM_FIT_CENTER_CROP; }, "needs an output size"},
      {"short w/o crop", [](pixnorm_plan_desc* d) { d->resize_short = 30; }, "center crop only"},
      {"short too small", [](pixnorm_plan_desc* d) {
         d->fit = PIXNORM_FIT_CENTER_CROP; d->out_width = d->out_height = 40; d->resize_short = 30; }, "smaller than"},
      {"no scale", [](pixnorm_plan_desc* d) { d->dtype = PIXNORM_DTYPE_INT8; }, "quant_scale"},
      {"nan scale", [](pixnorm_plan_desc* d) { d->dtype = PIXNORM_DTYPE_UINT8; d->quant_scale = std::nan(""); }, "quant_scale"},
      {"zero point", [](pixnorm_plan_desc* d) { d->dtype = PIXNORM_DTYPE_INT8; d->quant_scale = 1; d->quant_zero_point = 128; }, "int8"},
      {"u8 zero point", [](pixnorm_plan_desc* d) { d->dtype = PIXNORM_DTYPE_UINT8; d->quant_scale = 1; d->quant_zero_point = -1; }, "uint8"},
      {"shrink", [](pixnorm_plan_desc* d) { d->width = 65536; d->out_width = 8; d->out_height = 8; d->interp = PIXNORM_INTERP_AREA; }, "4096"},
  };
  for (const Bad& b : bad) {
    pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_NV12, 64, 48);
    d.mode = PIXNORM_MODE_RESCALE;
    b.edit(&d);
    pixnorm_plan* p = nullptr;
    INFO(std::string(b.what));
    CHECK(pixnorm_plan_create(nullptr, &d, &p) != PIXNORM_OK);
    CHECK(p == nullptr);
    CHECK(std::string(pixnorm_last_error()).find(b.message) != std::string::npos);
    INFO(std::string(pixnorm_last_error()));
  }
  // Frames: a missing plane, a chroma stride too short.
  pixnorm_plan_desc d = base_desc(PIXNORM_FORMAT_NV12, 64, 48);
  d.mode = PIXNORM_MODE_RESCALE;
  pixnorm_plan* raw = nullptr;
  REQUIRE(pixnorm_plan_create(nullptr, &d, &raw) == PIXNORM_OK);
  PlanPtr plan(raw);
  std::vector<float> out(pixnorm_plan_output_elements(plan.get()));
  pixnorm_image img = fr.image;
  img.planes[1] = nullptr;
  CHECK(pixnorm_plan_run_image(plan.get(), &img, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()).find("plane 1") != std::string::npos);
  img = fr.image;
  img.row_bytes[1] = 63;
  CHECK(pixnorm_plan_run_image(plan.get(), &img, out.data()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(pixnorm_last_error()).find("UV row_bytes") != std::string::npos);
  CHECK(pixnorm_plan_run(plan.get(), fr.image.planes[0], SIZE_MAX / 2, out.data()) == PIXNORM_ERROR_TOO_LARGE);
  // Sums refuse YUV.
  pixnorm_channel_sums sums;
  pixnorm_channel_sums_init(&sums);
  CHECK(pixnorm_channel_sums_add(&sums, PIXNORM_FORMAT_NV12, 64, 48, fr.image.planes[0], 69, PIXNORM_BACKEND_AUTO) ==
        PIXNORM_ERROR_UNSUPPORTED);
}

// The catalogue's checks (kernel_checks.h) of the kernels this file tests.
void pixnorm_test::check_pack(const Backend& b) { pack_cases(b); }
void pixnorm_test::check_resample2(const Backend& b) { resample2_cases(b); }
void pixnorm_test::check_resample2_windows(const Backend& b) { resample2_windows_cases(b); }
void pixnorm_test::check_gather_windows(const Backend& b) { gather_windows_cases(b); }
void pixnorm_test::check_yuv(const Backend& b) { yuv_cases(b); }
