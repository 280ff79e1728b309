// The pil-* interpolations: a few outputs of Pillow 9.4 itself (Image.resize), the kernels of
// every backend and target against the scalar reference (sizes across vector widths, negative
// and wrapping weights, guards after the output), and whole plans of every backend against the
// scalar plan on random images (every filter, shrinking and growing, fits, flip, strides).
// The CLI test tests/cli/test_pil.py compares with the installed Pillow on photos.
#include <doctest/doctest.h>

#include <algorithm>
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

constexpr pixnorm_interp kPil[] = {PIXNORM_INTERP_PIL_NEAREST, PIXNORM_INTERP_PIL_BOX,     PIXNORM_INTERP_PIL_BILINEAR,
                                   PIXNORM_INTERP_PIL_HAMMING, PIXNORM_INTERP_PIL_BICUBIC, PIXNORM_INTERP_PIL_LANCZOS};

// The uint8 samples a plan feeds its normalization (mode rescale without statistics, NHWC f32).
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

}  // namespace

TEST_CASE("pil: Pillow 9.4's own outputs on a small gray image") {
  // 9x7 gray image, pixel (x, y) = (37x + 91y + (13xy mod 50)) mod 256; outputs of
  // np.asarray(Image.fromarray(a).resize(size, filter)).
  std::vector<uint8_t> src(9 * 7);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 9; ++x) src[y * 9 + x] = static_cast<uint8_t>((x * 37 + y * 91 + (x * y * 13) % 50) % 256);
  const uint8_t want4x3[6][12] = {{141, 241, 35, 135, 93, 145, 247, 43, 251, 99, 153, 207},
                                  {68, 168, 132, 79, 132, 111, 116, 142, 146, 122, 95, 98},
                                  {105, 144, 136, 120, 121, 129, 123, 115, 140, 131, 101, 112},
                                  {96, 158, 131, 107, 114, 128, 130, 112, 148, 127, 101, 110},
                                  {98, 146, 142, 116, 128, 128, 119, 122, 138, 133, 100, 107},
                                  {93, 146, 146, 114, 133, 130, 117, 127, 134, 134, 100, 102}};
  const uint8_t lanczos5x11[55] = {9,   61,  150, 195, 13,  39,  149, 185, 123, 58,  124, 213, 187, 64,
                                   159, 213, 100, 92,  137, 239, 161, 47,  120, 160, 158, 51,  120, 202,
                                   98,  39,  65,  200, 120, 47,  101, 169, 184, 50,  111, 158, 228, 99,
                                   91,  209, 107, 131, 114, 136, 103, 91,  38,  156, 154, 0,   96};
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = PIXNORM_FORMAT_GRAY8;
  d.width = 9;
  d.height = 7;
  d.backend = PIXNORM_BACKEND_SCALAR;
  for (int f = 0; f < 6; ++f) {
    CAPTURE(f);
    d.interp = kPil[f];
    d.out_width = 4;
    d.out_height = 3;
    CHECK(resampled(d, src.data(), 9) == std::vector<uint8_t>(want4x3[f], want4x3[f] + 12));
  }
  d.interp = PIXNORM_INTERP_PIL_LANCZOS;
  d.out_width = 5;
  d.out_height = 11;
  CHECK(resampled(d, src.data(), 9) == std::vector<uint8_t>(lanczos5x11, lanczos5x11 + 55));
}

// pil: pil_h and pil_v of every backend and target equal the scalar reference
static void pil_hv_cases(const Backend& b, bool h_part) {
  const pixnorm::RowKernels* ref = pixnorm::scalar_kernels();
  std::mt19937 rng(11);
  {
    CAPTURE(b.name);
    select(b);
    for (size_t n : {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 48, 63, 64, 65, 100, 129}) {
      for (unsigned taps : {1u, 2u, 3u, 5u, 9u}) {
        for (unsigned step : {1u, 3u}) {
          for (int big = 0; big < 2; ++big) {
            CAPTURE(n);
            CAPTURE(taps);
            CAPTURE(step);
            CAPTURE(big);
            // big: weights up to +-2^26, so that the int32 sums wrap (Pillow's int does the same).
            const int32_t span = big ? (1 << 26) : (1 << 22);
            std::uniform_int_distribution<int32_t> wd(-span / 4, span);
            const size_t row_len = n * 3 + taps * step + 8;
            std::vector<uint8_t> row = random_bytes(row_len + 4, static_cast<uint32_t>(n * 31 + taps));
            std::vector<int32_t> off(n), w(taps * (n + 5));
            for (size_t e = 0; e < n; ++e)
              off[e] = static_cast<int32_t>(std::uniform_int_distribution<size_t>(0, row_len - taps * step)(rng));
            for (int32_t& x : w) x = wd(rng);
            std::vector<uint8_t> want(n + 1);
            if (h_part) {
              ref->pil_h(row.data(), off.data(), w.data(), n + 5, taps, step, n, want.data());
              check_guarded(want, n, n % 3, [&](uint8_t* out) {
                b.kernels->pil_h(row.data(), off.data(), w.data(), n + 5, taps, step, n, out);
              });
              continue;
            }
            std::vector<std::vector<uint8_t>> rows;
            std::vector<const uint8_t*> rp;
            for (unsigned j = 0; j < taps; ++j) rows.push_back(random_bytes(n + 1, 7 * j + static_cast<uint32_t>(n)));
            for (auto& r : rows) rp.push_back(r.data());
            ref->pil_v(rp.data(), w.data(), taps, n, want.data());
            check_guarded(want, n, n % 3, [&](uint8_t* out) { b.kernels->pil_v(rp.data(), w.data(), taps, n, out); });
          }
        }
      }
    }
  }
}

namespace {
// pil_h3's weight tables (kernels.h) from Pillow's weights W[p][j] (taps j < W[p].size()).
std::vector<int16_t> pil_h3_weights(const std::vector<std::vector<int32_t>>& W, unsigned taps) {
  const size_t n = W.size();
  const unsigned windows = (taps + 4) / 5;
  std::vector<int16_t> w(8 * n * 6 * windows, 0);
  for (size_t p = 0; p < n; ++p)
    for (unsigned g = 0; g < windows; ++g)
      for (unsigned q = 0; q < 3; ++q)
        for (unsigned i = 0; i < 2; ++i) {
          const unsigned j = 5 * g + 2 * q + i;
          const int32_t v = (i == 1 && q == 2) || j >= taps ? 0 : W[p][j];
          const int16_t lo = static_cast<int16_t>(v);
          const int16_t hi = static_cast<int16_t>((static_cast<uint32_t>(v) - static_cast<uint32_t>(lo)) >> 16);
          for (unsigned c = 0; c < 3; ++c) {
            w[8 * n * (2 * (3 * g + q)) + 8 * p + 2 * c + i] = lo;
            w[8 * n * (2 * (3 * g + q) + 1) + 8 * p + 2 * c + i] = hi;
          }
        }
  return w;
}
}  // namespace

TEST_CASE("pil: pil_h3 with split weights is pil_h, at the extremes of the weights and the bytes") {
  // The claim of kernels.h: lo + hi * 2^16 = W modulo 2^32 and every product sum fits, so the
  // bytes equal pil_h's for any int32 weights, wrapping included.
  const pixnorm::RowKernels* ref = pixnorm::scalar_kernels();
  const int32_t extremes[] = {INT32_MIN, INT32_MAX, -(1 << 22), 1 << 22, (1 << 22) - 1, 32767, 32768, -32768,
                              -32769, 65535, 65536, -65536, 0, 1, -1, 1 << 21, INT32_MIN + 1, 0x7FFF8000};
  std::mt19937 rng(3);
  for (unsigned taps = 1; taps <= 11; ++taps) {
    for (int it = 0; it < 150; ++it) {
      CAPTURE(taps);
      CAPTURE(it);
      const size_t n = 1 + it % 9;
      std::vector<uint8_t> row(3 * (n + 15) + 16);
      for (uint8_t& b : row) b = it % 3 == 0 ? 255 : it % 3 == 1 ? static_cast<uint8_t>(rng() % 2 * 255) : rng() & 255;
      std::vector<std::vector<int32_t>> W(n, std::vector<int32_t>(taps));
      for (auto& wp : W)
        for (int32_t& x : wp) x = rng() % 2 ? extremes[rng() % 18] : static_cast<int32_t>(rng());
      std::vector<int32_t> base(n), off(3 * n), wflat(taps * 3 * n);
      for (size_t p = 0; p < n; ++p) {
        base[p] = static_cast<int32_t>(3 * p);
        for (unsigned c = 0; c < 3; ++c) {
          off[3 * p + c] = base[p] + static_cast<int32_t>(c);
          for (unsigned j = 0; j < taps; ++j) wflat[j * 3 * n + 3 * p + c] = W[p][j];
        }
      }
      std::vector<uint8_t> want(3 * n), got(3 * n);
      ref->pil_h(row.data(), off.data(), wflat.data(), 3 * n, taps, 3, 3 * n, want.data());
      const std::vector<int16_t> w = pil_h3_weights(W, taps);
      for (const pixnorm::RowKernels* k : {ref, pixnorm::highway_kernels()}) {
        if (k == nullptr) continue;
        k->pil_h3(row.data(), base.data(), w.data(), 8 * n, taps, n, got.data());
        CHECK(got == want);
      }
    }
  }
}

// pil: pil_h3 of every backend and target equals the scalar reference
static void pil_h3_cases(const Backend& b) {
  const pixnorm::RowKernels* ref = pixnorm::scalar_kernels();
  std::mt19937 rng(13);
  {
    CAPTURE(b.name);
    select(b);
    for (size_t n : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 16, 17, 31, 33, 64, 65, 100}) {
      for (unsigned taps : {1u, 2u, 3u, 4u, 5u, 6u, 8u, 10u, 11u, 15u}) {
        for (int misalign = 0; misalign < 3; ++misalign) {
          CAPTURE(n);
          CAPTURE(taps);
          CAPTURE(misalign);
          const unsigned windows = (taps + 4) / 5;
          const size_t row_len = 3 * n + 15 * windows + 16 + misalign;
          const std::vector<uint8_t> row = random_bytes(row_len, static_cast<uint32_t>(n * 7 + taps));
          std::vector<int32_t> base(n);
          for (size_t p = 0; p < n; ++p)
            base[p] = static_cast<int32_t>(misalign + std::uniform_int_distribution<size_t>(0, 3 * n)(rng));
          std::vector<int16_t> w((8 * n + 8) * 6 * windows);
          for (int16_t& x : w) x = static_cast<int16_t>(rng());
          std::vector<uint8_t> want(3 * n + 1);
          ref->pil_h3(row.data(), base.data(), w.data(), 8 * n + 8, taps, n, want.data());
          check_guarded(want, 3 * n, n % 3, [&](uint8_t* out) {
            b.kernels->pil_h3(row.data(), base.data(), w.data(), 8 * n + 8, taps, n, out);
          });
        }
      }
    }
  }
}

namespace {
// pil_hw's tables (kernels.h) for n elements of pil_h (offsets off, taps at off + j * step,
// weights W[e][j]), when every block's taps fit in its window; false otherwise.
struct HwTables {
  std::vector<int32_t> base;
  std::vector<uint8_t> idx;
  std::vector<int16_t> w;
  size_t nblocks = 0, istride = 0, wstride = 0;
  unsigned pairs = 0;
};
bool pil_hw_tables(const std::vector<int32_t>& off, const std::vector<std::vector<int32_t>>& W, unsigned taps,
                   unsigned step, HwTables* t) {
  const size_t n = off.size();
  t->nblocks = (n + 3) / 4;
  t->pairs = (taps + 1) / 2;
  t->istride = 16 * t->nblocks;
  t->wstride = 8 * t->nblocks;
  t->base.assign(t->nblocks, 0);
  t->idx.assign(t->istride * t->pairs, 0x80);
  t->w.assign(2 * t->wstride * t->pairs, 0);
  for (size_t k = 0; k < t->nblocks; ++k) {
    int32_t b = INT32_MAX;
    for (size_t e = 4 * k; e < n && e < 4 * k + 4; ++e) b = std::min(b, off[e]);
    t->base[k] = b;
    for (size_t e = 4 * k; e < n && e < 4 * k + 4; ++e)
      for (unsigned j = 0; j < taps; ++j) {
        const int32_t at = off[e] + static_cast<int32_t>(j * step) - b;
        if (at > 15) return false;
        const unsigned q = j / 2, i = j % 2;
        t->idx[t->istride * q + 4 * e + 2 * i] = static_cast<uint8_t>(at);
        const int32_t v = W[e][j];
        const int16_t lo = static_cast<int16_t>(v);
        const int16_t hi = static_cast<int16_t>((static_cast<uint32_t>(v) - static_cast<uint32_t>(lo)) >> 16);
        t->w[t->wstride * (2 * q) + 2 * e + i] = lo;
        t->w[t->wstride * (2 * q + 1) + 2 * e + i] = hi;
      }
  }
  return true;
}
}  // namespace

// pil: pil_hw is pil_h, at the extremes of the weights and the bytes, on every backend and target
static void pil_hw_extreme_cases(const Backend& b) {
  const pixnorm::RowKernels* ref = pixnorm::scalar_kernels();
  const int32_t extremes[] = {INT32_MIN, INT32_MAX, -(1 << 22), 1 << 22, (1 << 22) - 1, 32767, 32768, -32768,
                              -32769, 65535, 65536, -65536, 0, 1, -1, 1 << 21, INT32_MIN + 1, 0x7FFF8000};
  std::mt19937 rng(23);
  {
    CAPTURE(b.name);
    select(b);
    for (unsigned step : {1u, 3u}) {
      for (unsigned taps = 1; taps <= (step == 1 ? 16u : 6u); ++taps) {
        for (size_t n : {0, 1, 3, 4, 5, 8, 15, 16, 17, 33, 64, 70}) {
          CAPTURE(step);
          CAPTURE(taps);
          CAPTURE(n);
          // Offsets rising by 0..2 steps (or by one sample) while the block's taps fit.
          std::vector<int32_t> off(n);
          int32_t at = static_cast<int32_t>(rng() % 5);
          for (size_t e = 0; e < n; ++e) {
            off[e] = at;
            const int32_t room = 15 - static_cast<int32_t>((taps - 1) * step);
            const int32_t first = off[e - e % 4];
            const int32_t next = at + static_cast<int32_t>(rng() % 3);
            at = (e + 1) % 4 == 0 || next - first <= room ? next : first + std::max(room, 0);
          }
          std::vector<std::vector<int32_t>> W(n, std::vector<int32_t>(taps));
          for (auto& we : W)
            for (int32_t& x : we) x = rng() % 2 ? extremes[rng() % 18] : static_cast<int32_t>(rng());
          HwTables t;
          REQUIRE(pil_hw_tables(off, W, taps, step, &t));
          std::vector<uint8_t> row(n * 3 + 40);
          for (uint8_t& x : row) x = rng() % 3 == 0 ? 255 : rng() & 255;
          std::vector<int32_t> wflat(taps * (n + 1));
          for (size_t e = 0; e < n; ++e)
            for (unsigned j = 0; j < taps; ++j) wflat[j * (n + 1) + e] = W[e][j];
          std::vector<uint8_t> want(4 * t.nblocks, 0);
          ref->pil_h(row.data(), off.data(), wflat.data(), n + 1, taps, step, n, want.data());
          check_guarded(want, n, n % 3, [&](uint8_t* out) {
            // the block's elements past n (weights 0) give 0 and are kept out of the comparison
            std::vector<uint8_t> full(4 * t.nblocks + 1, 0xA5);
            b.kernels->pil_hw(row.data(), nullptr, t.base.data(), t.idx.data(), t.istride, t.w.data(), t.wstride,
                              t.pairs, t.nblocks, full.data(), nullptr);
            for (size_t e = n; e < 4 * t.nblocks; ++e) CHECK(full[e] == 0);
            CHECK(full[4 * t.nblocks] == 0xA5);
            std::memcpy(out, full.data(), n);
          });
        }
      }
    }
  }
}

TEST_CASE("pil: pil_hw of the scalar reference is pil_h, at the extremes of the weights and the bytes") {
  pil_hw_extreme_cases(Backend{"scalar", PIXNORM_BACKEND_SCALAR, 0, pixnorm::scalar_kernels()});
}

// pil: pil_hw of every backend and target equals the scalar reference (random tables)
static void pil_hw_random_cases(const Backend& b) {
  const pixnorm::RowKernels* ref = pixnorm::scalar_kernels();
  std::mt19937 rng(29);
  {
    CAPTURE(b.name);
    select(b);
    for (size_t nblocks : {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33}) {
      for (unsigned pairs = 1; pairs <= 9; ++pairs) {
        CAPTURE(nblocks);
        CAPTURE(pairs);
        const size_t istride = 16 * nblocks + 16, wstride = 8 * nblocks + 8;
        const std::vector<uint8_t> row = random_bytes(8 * nblocks + 32, static_cast<uint32_t>(nblocks * 9 + pairs));
        std::vector<int32_t> base(nblocks);
        for (int32_t& x : base) x = static_cast<int32_t>(rng() % (8 * nblocks + 16));
        std::vector<uint8_t> idx(istride * pairs);
        for (size_t i = 0; i < idx.size(); ++i) idx[i] = i % 2 ? 0x80 : rng() % 5 == 0 ? 0x80 : rng() % 16;
        std::vector<int16_t> w(2 * wstride * pairs);
        for (int16_t& x : w) x = static_cast<int16_t>(rng());
        const std::vector<uint8_t> row1 = random_bytes(row.size(), static_cast<uint32_t>(nblocks * 5 + pairs + 1));
        std::vector<uint8_t> want(4 * nblocks + 1), want1(4 * nblocks + 1);
        ref->pil_hw(row.data(), nullptr, base.data(), idx.data(), istride, w.data(), wstride, pairs, nblocks,
                    want.data(), nullptr);
        ref->pil_hw(row1.data(), nullptr, base.data(), idx.data(), istride, w.data(), wstride, pairs, nblocks,
                    want1.data(), nullptr);
        check_guarded(want, 4 * nblocks, nblocks % 3, [&](uint8_t* out) {
          b.kernels->pil_hw(row.data(), nullptr, base.data(), idx.data(), istride, w.data(), wstride, pairs, nblocks,
                            out, nullptr);
        });
        // two rows at once: each equals its own
        GuardedBytes got1(4 * nblocks, 1);
        check_guarded(want, 4 * nblocks, nblocks % 3, [&](uint8_t* out) {
          b.kernels->pil_hw(row.data(), row1.data(), base.data(), idx.data(), istride, w.data(), wstride, pairs,
                            nblocks, out, got1.data());
        });
        CHECK(got1.equals(want1.data()));
        CHECK(got1.guards_intact());
      }
    }
  }
}

TEST_CASE("pil: plans of every backend and target equal the scalar plan") {
  std::mt19937 rng(5);
  const pixnorm_format formats[] = {PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_BGRA8,
                                    PIXNORM_FORMAT_NV12};
  for (int it = 0; it < 60; ++it) {
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.format = formats[it % 4];
    d.width = 1 + rng() % 90;
    d.height = 1 + rng() % 70;
    d.interp = kPil[it % 6];
    // x0.1 .. x4 on each axis
    const double fx = 0.1 + (rng() % 40) / 10.0, fy = 0.1 + (rng() % 40) / 10.0;
    d.out_width = static_cast<uint32_t>(d.width * fx) + 1;
    d.out_height = static_cast<uint32_t>(d.height * fy) + 1;
    const int kind = it % 5;
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

TEST_CASE("pil: RGB plans equal one gray plan per channel (pil_h3 against pil_h)") {
  // Pillow resamples each channel alone; three-channel rows go through pil_h3 (up to 40 taps) and
  // the padded-copy path near the row's end, gray ones through pil_h.
  std::mt19937 rng(17);
  for (int it = 0; it < 48; ++it) {
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.width = 1 + rng() % 120;
    d.height = 1 + rng() % 40;
    d.interp = kPil[it % 6];
    const double fx = it % 8 == 0 ? 0.05 : 0.1 + (rng() % 30) / 10.0;
    d.out_width = static_cast<uint32_t>(d.width * fx) + 1;
    d.out_height = 1 + rng() % 30;
    if (it % 3 == 1) {
      d.fit = PIXNORM_FIT_CENTER_CROP;
      d.resize_short = std::max(d.out_width, d.out_height) + rng() % 20;
    }
    if (it % 4 == 2 && d.width > 4) {
      d.roi_x = 2;
      d.roi_width = d.width - 3;
      d.roi_height = d.height;
    }
    d.flip = static_cast<int>(rng() % 2);
    d.backend = it % 2 ? PIXNORM_BACKEND_SCALAR : PIXNORM_BACKEND_AUTO;
    CAPTURE(it);
    CAPTURE(d.width);
    CAPTURE(d.out_width);
    CAPTURE(d.interp);
    CAPTURE(d.flip);
    const std::vector<uint8_t> px = random_bytes(static_cast<size_t>(d.width) * 3 * d.height, static_cast<uint32_t>(it));
    d.format = PIXNORM_FORMAT_RGB8;
    const std::vector<uint8_t> rgb = resampled(d, px.data(), static_cast<size_t>(d.width) * 3);
    d.format = PIXNORM_FORMAT_GRAY8;
    for (unsigned c = 0; c < 3; ++c) {
      std::vector<uint8_t> plane(static_cast<size_t>(d.width) * d.height);
      for (size_t i = 0; i < plane.size(); ++i) plane[i] = px[3 * i + c];
      const std::vector<uint8_t> gray = resampled(d, plane.data(), d.width);
      REQUIRE(gray.size() * 3 == rgb.size());
      bool same = true;
      for (size_t i = 0; i < gray.size(); ++i) same = same && gray[i] == rgb[3 * i + c];
      CHECK(same);
    }
  }
}

TEST_CASE("pil: plans through pil_hw and pil_h3 equal plans through pil_h alone, on every backend and target") {
  std::mt19937 rng(31);
  const pixnorm_format formats[] = {PIXNORM_FORMAT_RGB8, PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_BGRA8,
                                    PIXNORM_FORMAT_NV12};
  std::vector<Backend> backends = simd_backends();
  backends.insert(backends.begin(), Backend{"scalar", PIXNORM_BACKEND_SCALAR, 0, pixnorm::scalar_kernels()});
  for (int it = 0; it < 72; ++it) {
    pixnorm_plan_desc d;
    pixnorm_plan_desc_init(&d);
    d.format = formats[it % 4];
    d.width = 1 + rng() % 150;
    d.height = 1 + rng() % 30;
    d.interp = kPil[(it / 4) % 6];
    // x0.05 .. x3 across the width: every horizontal kernel, and pil_h beyond them
    const double fx = it % 9 == 0 ? 0.05 : it % 9 == 1 ? 0.2 : 0.3 + (rng() % 28) / 10.0;
    d.out_width = static_cast<uint32_t>(d.width * fx) + 1;
    d.out_height = 1 + rng() % 20;
    if (it % 3 == 1) {
      d.fit = PIXNORM_FIT_CENTER_CROP;
      d.resize_short = std::max(d.out_width, d.out_height) + rng() % 20;
    }
    if (it % 5 == 2 && d.width > 4) {
      d.roi_x = 3;
      d.roi_width = d.width - 4;
      d.roi_height = d.height;
    }
    d.flip = static_cast<int>(rng() % 2);
    const bool yuv = d.format == PIXNORM_FORMAT_NV12;
    const size_t row_bytes = static_cast<size_t>(d.width) * bpp(d.format) + rng() % 5;
    const size_t bytes = yuv ? row_bytes * d.height + 2 * ((row_bytes + 1) / 2) * ((d.height + 1) / 2)
                             : row_bytes * d.height;
    const std::vector<uint8_t> px = random_bytes(bytes, static_cast<uint32_t>(it + 100));
    CAPTURE(it);
    CAPTURE(d.format);
    CAPTURE(d.width);
    CAPTURE(d.out_width);
    CAPTURE(d.interp);
    CAPTURE(d.flip);
    d.backend = PIXNORM_BACKEND_SCALAR;
    pixnorm::pil_h_only = true;
    const std::vector<uint8_t> want = resampled(d, px.data(), row_bytes);
    pixnorm::pil_h_only = false;
    for (const Backend& b : backends) {
      CAPTURE(b.name);
      select(b);
      d.backend = b.id;
      CHECK(resampled(d, px.data(), row_bytes) == want);
      restore_targets();
    }
  }
}

TEST_CASE("pil: refusals") {
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 65536;
  d.height = 4;
  d.out_width = 2;
  d.out_height = 2;
  d.interp = PIXNORM_INTERP_PIL_LANCZOS;
  d.mode = PIXNORM_MODE_RESCALE;
  pixnorm_plan* p = nullptr;
  CHECK(pixnorm_plan_create(nullptr, &d, &p) == PIXNORM_ERROR_TOO_LARGE);
  CHECK(p == nullptr);
  CHECK(std::string(pixnorm_last_error()).find("4096") != std::string::npos);
}

// The catalogue's checks (kernel_checks.h) of the kernels this file tests.
void pixnorm_test::check_pil_h(const Backend& b) { pil_hv_cases(b, true); }
void pixnorm_test::check_pil_v(const Backend& b) { pil_hv_cases(b, false); }
void pixnorm_test::check_pil_h3(const Backend& b) { pil_h3_cases(b); }
void pixnorm_test::check_pil_hw(const Backend& b) {
  pil_hw_extreme_cases(b);
  pil_hw_random_cases(b);
}
