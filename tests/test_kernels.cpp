// The row kernels of the catalogue that normalize and reduce (flat, planar, interleave, the narrow
// outputs, reduce, reduce_pooled4): each SIMD backend and Highway target against the scalar
// reference, bit for bit, through the checks kernel_cases.cpp registers per backend; lengths from 0
// to several vectors with odd tails, misaligned sources and destinations, sentinels before and
// after every output. The scalar reference against its formulas.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backends.h"
#include "kernel_checks.h"

using namespace pixnorm;
using namespace pixnorm_test;

namespace {

// Lengths 0..260 cover every tail of up to four AVX-512 byte vectors; the larger ones
// cover long loops and the overlapping last block.
std::vector<size_t> lengths() {
  std::vector<size_t> v;
  for (size_t n = 0; n <= 260; ++n) v.push_back(n);
  // 1024 and up: the narrow kernels' byte tables (AVX-512 VBMI), whole blocks and tails.
  for (size_t n : {511u, 512u, 513u, 1000u, 1024u, 1087u, 3072u, 3135u, 4099u}) v.push_back(n);
  return v;
}

// Parameters of the kinds the planner produces: 1/255 fractions, negative biases, a zero.
const float kScale[3] = {1.0f / (255.0f * 0.229f), 1.0f / (255.0f * 0.224f), 1.0f / 127.5f};
const float kBias[3] = {-0.485f / 0.229f, -0.456f / 0.224f, -1.0f};

// A copy of the n bytes at src alone in an allocation of exactly that size: a kernel that
// reads past them trips AddressSanitizer (the sanitizer stage of the CI) and valgrind.
std::vector<uint8_t> alone(const uint8_t* src, size_t n) { return std::vector<uint8_t>(src, src + n); }

}  // namespace

TEST_CASE("kernels: the backends under test are the ones this machine can run") {
  const auto backends = simd_backends();
  std::string names;
  for (const auto& b : backends) names += b.name + " ";
  MESSAGE("SIMD backends tested: " << names);
#if PIXNORM_HAVE_HIGHWAY
  bool has_highway = false;
  for (const auto& b : backends) has_highway |= b.id == PIXNORM_BACKEND_HIGHWAY;
  CHECK(has_highway);
#endif
  for (const auto& b : backends) CHECK(b.kernels != nullptr);
}

// kernels: flat, period 1 and 3
static void flat_cases(const Backend& b) {
  const auto src_all = random_bytes(5000 + 64, 1);
  {
    CAPTURE(b.name);
    for (unsigned period : {1u, 3u}) {
      for (size_t n : lengths()) {
        if (n % period != 0) continue;
        for (size_t src_off = 0; src_off < 3; ++src_off) {
          for (size_t dst_off = 0; dst_off < 3; ++dst_off) {
            CAPTURE(period);
            CAPTURE(n);
            CAPTURE(src_off);
            CAPTURE(dst_off);
            Guarded want(n, dst_off), got(n, dst_off);
            scalar_kernels()->flat(src_all.data() + src_off, n, want.data(), kScale, kBias, period);
            b.kernels->flat(src_all.data() + src_off, n, got.data(), kScale, kBias, period);
            REQUIRE(got.guards_intact());
            REQUIRE(got.unwritten() == 0);
            REQUIRE(got.same_bits(want));
          }
        }
      }
    }
  }
}

// kernels: planar from 3 and 4 channels
static void planar_cases(const Backend& b) {
  const auto src_all = random_bytes(4 * 5000 + 64, 2);
  {
    CAPTURE(b.name);
    for (unsigned cin : {3u, 4u}) {
      for (size_t n : lengths()) {
        for (size_t off = 0; off < 4; ++off) {  // 3: the pixels end their allocation
          CAPTURE(cin);
          CAPTURE(n);
          CAPTURE(off);
          Guarded w0(n, off % 3), w1(n, off % 3 + 1), w2(n, off % 3 + 2), g0(n, off % 3), g1(n, off % 3 + 1),
              g2(n, off % 3 + 2);
          const auto copy = alone(src_all.data(), off == 3 ? n * cin : 0);
          const uint8_t* src = off == 3 ? copy.data() : src_all.data() + off;
          scalar_kernels()->planar(src, n, cin, w0.data(), w1.data(), w2.data(), kScale, kBias);
          b.kernels->planar(src, n, cin, g0.data(), g1.data(), g2.data(), kScale, kBias);
          REQUIRE((g0.guards_intact() && g1.guards_intact() && g2.guards_intact()));
          REQUIRE(g0.unwritten() + g1.unwritten() + g2.unwritten() == 0);
          REQUIRE((g0.same_bits(w0) && g1.same_bits(w1) && g2.same_bits(w2)));
        }
      }
    }
  }
}

// kernels: interleave from 3 and 4 channels, with and without swap
static void interleave_cases(const Backend& b) {
  const auto src_all = random_bytes(4 * 5000 + 64, 3);
  {
    CAPTURE(b.name);
    for (unsigned cin : {3u, 4u}) {
      for (int swap : {0, 1}) {
        for (size_t n : lengths()) {
          for (size_t off = 0; off < 3; ++off) {  // 2: the pixels end their allocation
            CAPTURE(cin);
            CAPTURE(swap);
            CAPTURE(n);
            CAPTURE(off);
            Guarded want(3 * n, off % 2), got(3 * n, off % 2);
            const auto copy = alone(src_all.data() + 1, off == 2 ? n * cin : 0);
            const uint8_t* src = off == 2 ? copy.data() : src_all.data() + off;
            scalar_kernels()->interleave(src, n, cin, swap, want.data(), kScale, kBias);
            b.kernels->interleave(src, n, cin, swap, got.data(), kScale, kBias);
            REQUIRE(got.guards_intact());
            REQUIRE(got.unwritten() == 0);
            REQUIRE(got.same_bits(want));
          }
        }
      }
    }
  }
}

namespace {
struct NarrowCase {
  const char* what;
  pixnorm_dtype dtype;
  int32_t zero_point;
  float scale[3], bias[3];
};

// ImageNet folded with the frame benchmark's quantization scale; exact ties (x / 2 + 0.5 and
// x / 2); saturation on both sides; values up to just below 2^22 and past it; halves from
// subnormal to infinite.
std::vector<NarrowCase> narrow_cases() {
  const float q = 0.0186f;
  return {
      {"int8 imagenet", PIXNORM_DTYPE_INT8, -14, {kScale[0] / q, kScale[1] / q, kScale[2] / q},
       {kBias[0] / q, kBias[1] / q, kBias[2] / q}},
      {"uint8 imagenet", PIXNORM_DTYPE_UINT8, 128, {kScale[0] / q, kScale[1] / q, kScale[2] / q},
       {kBias[0] / q, kBias[1] / q, kBias[2] / q}},
      {"int8 ties", PIXNORM_DTYPE_INT8, -100, {0.5f, 0.5f, -0.5f}, {0.5f, 0.0f, 20.5f}},
      {"uint8 ties", PIXNORM_DTYPE_UINT8, 3, {0.5f, -0.5f, 1.5f}, {-0.5f, 100.0f, -60.5f}},
      {"int8 saturating", PIXNORM_DTYPE_INT8, 127, {1000.0f, -1000.0f, 3.0f}, {-100000.0f, 100000.0f, -400.0f}},
      {"uint8 near 2^22", PIXNORM_DTYPE_UINT8, 0, {16000.0f, -16000.0f, 1.0f}, {114303.0f, -114303.0f, -4194300.0f}},
      {"f16 imagenet", PIXNORM_DTYPE_F16, 0, {kScale[0], kScale[1], kScale[2]}, {kBias[0], kBias[1], kBias[2]}},
      {"f16 extremes", PIXNORM_DTYPE_F16, 0, {300.0f, 1e-7f, -3e-9f}, {-10000.0f, 0.0f, 1e-8f}},
      // Past 2^22: the kernels take flat (planar) and pack, which clamp first.
      {"int8 past 2^22", PIXNORM_DTYPE_INT8, -14, {1e5f, -1e5f, 1.0f}, {-1e7f, 3e7f, 0.0f}},
      {"uint8 past 2^22", PIXNORM_DTYPE_UINT8, 114, {0.5f, 2e5f, -0.5f}, {3.0f, -2e7f, 90.0f}},
  };
}

pixnorm::PackParams narrow_params(const NarrowCase& c) {
  pixnorm::PackParams p{c.dtype, 0, 0, c.zero_point};
  const int32_t lo = c.dtype == PIXNORM_DTYPE_INT8 ? -128 : 0;
  p.lo = static_cast<float>(lo - c.zero_point);
  p.hi = static_cast<float>(lo + 255 - c.zero_point);
  return p;
}
size_t narrow_bytes(pixnorm_dtype t) { return t == PIXNORM_DTYPE_F16 ? 2 : 1; }
}  // namespace

TEST_CASE("kernels: the narrow reference is flat or planar, then pack") {
  const auto src = random_bytes(3 * 700, 11);
  for (const NarrowCase& c : narrow_cases()) {
    CAPTURE(c.what);
    const bool past = std::strstr(c.what, "past") != nullptr;
    REQUIRE(narrow_fits(c.scale, c.bias, 3) == (!past || c.dtype == PIXNORM_DTYPE_F16));
    const pixnorm::PackParams pp = narrow_params(c);
    const size_t es = narrow_bytes(c.dtype), n = 700;
    std::vector<float> f(3 * n);
    std::vector<uint8_t> want(3 * n * es), got(3 * n * es);
    scalar_kernels()->flat(src.data(), 3 * n, f.data(), c.scale, c.bias, 3);
    scalar_kernels()->pack(f.data(), 3 * n, want.data(), &pp);
    scalar_kernels()->flat_narrow(src.data(), 3 * n, got.data(), c.scale, c.bias, 3, &pp);
    CHECK(got == want);
    scalar_kernels()->planar(src.data(), n, 3, f.data(), f.data() + n, f.data() + 2 * n, c.scale, c.bias);
    scalar_kernels()->pack(f.data(), 3 * n, want.data(), &pp);
    scalar_kernels()->planar_narrow(src.data(), n, 3, got.data(), got.data() + n * es, got.data() + 2 * n * es,
                                    c.scale, c.bias, &pp);
    CHECK(got == want);
  }
  // Just outside the fast rounding's range, and NaN.
  const float big[3] = {1.0f, 1.0f, 1.0f}, edge[3] = {0.0f, 0.0f, 4194304.0f - 255.0f};
  const float nan[3] = {0.0f, std::nanf(""), 0.0f}, zero[3] = {0.0f, 0.0f, 0.0f};
  CHECK_FALSE(narrow_fits(big, edge, 3));
  CHECK(narrow_fits(big, edge, 2));
  CHECK_FALSE(narrow_fits(big, nan, 3));
  CHECK(narrow_fits(zero, zero, 3));
}

// kernels: flat_narrow and planar_narrow to int8, uint8 and f16
// interleave_narrow against the oracle's, and the oracle against its own interleave then pack
// (its contract), for every narrow case, length, offset, channel count and order.
static void interleave_narrow_cases(const Backend& b) {
  const auto src_all = random_bytes(4 * 5000 + 64, 13);
  CAPTURE(b.name);
  for (const NarrowCase& c : narrow_cases()) {
    CAPTURE(c.what);
    const pixnorm::PackParams pp = narrow_params(c);
    const size_t es = narrow_bytes(c.dtype);
    for (size_t n : lengths()) {
      for (size_t off = 0; off < 4; ++off) {  // 3: the source ends its allocation
        for (unsigned cin : {3u, 4u}) {
          for (int swap : {0, 1}) {
            CAPTURE(n);
            CAPTURE(off);
            CAPTURE(cin);
            CAPTURE(swap);
            const auto copy = alone(src_all.data(), off == 3 ? n * cin : 0);
            const uint8_t* src = off == 3 ? copy.data() : src_all.data() + off;
            const size_t bytes = 3 * n * es, doff = (off % 3) * es;
            GuardedBytes want(bytes, doff), got(bytes, doff), got2(bytes, doff, 0x5A5A5A5Au);
            scalar_kernels()->interleave_narrow(src, n, cin, swap, want.data(), c.scale, c.bias, &pp);
            b.kernels->interleave_narrow(src, n, cin, swap, got.data(), c.scale, c.bias, &pp);
            b.kernels->interleave_narrow(src, n, cin, swap, got2.data(), c.scale, c.bias, &pp);
            REQUIRE((got.guards_intact() && got2.guards_intact()));
            REQUIRE((got.same(want) && got2.same(want)));
            if (b.id == PIXNORM_BACKEND_HIGHWAY && n % 97 == 0) {  // the contract, on a few lengths
              std::vector<float> f(3 * n + 1);
              std::vector<uint8_t> packed(bytes + 1);
              scalar_kernels()->interleave(src, n, cin, swap, f.data(), c.scale, c.bias);
              scalar_kernels()->pack(f.data(), 3 * n, packed.data(), &pp);
              REQUIRE(want.equals(packed.data()));
            }
          }
        }
      }
    }
  }
}

static void narrow_cases(const Backend& b, bool flat_part) {
  const auto src_all = random_bytes(4 * 5000 + 64, 12);
  {
    CAPTURE(b.name);
    for (const NarrowCase& c : narrow_cases()) {
      CAPTURE(c.what);
      const pixnorm::PackParams pp = narrow_params(c);
      const size_t es = narrow_bytes(c.dtype);
      for (size_t n : lengths()) {
        for (size_t off = 0; off < 4; ++off) {  // 3: the source ends its allocation
          CAPTURE(n);
          CAPTURE(off);
          const size_t doff = (off % 3) * es;
          for (unsigned period : {1u, 3u}) {
            if (!flat_part) break;
            const size_t m = period * n;
            CAPTURE(period);
            const auto copy = alone(src_all.data(), off == 3 ? m : 0);
            const uint8_t* src = off == 3 ? copy.data() : src_all.data() + off;
            GuardedBytes want(m * es, doff), got(m * es, doff), got2(m * es, doff, 0x5A5A5A5Au);
            scalar_kernels()->flat_narrow(src, m, want.data(), c.scale, c.bias, period, &pp);
            b.kernels->flat_narrow(src, m, got.data(), c.scale, c.bias, period, &pp);
            b.kernels->flat_narrow(src, m, got2.data(), c.scale, c.bias, period, &pp);
            REQUIRE((got.guards_intact() && got2.guards_intact()));
            REQUIRE((got.same(want) && got2.same(want)));
          }
          for (unsigned cin : {3u, 4u}) {
            if (flat_part) break;
            CAPTURE(cin);
            const auto copy = alone(src_all.data(), off == 3 ? n * cin : 0);
            const uint8_t* src = off == 3 ? copy.data() : src_all.data() + off;
            std::vector<GuardedBytes> want, got;
            for (unsigned k = 0; k < 3; ++k) {
              want.emplace_back(n * es, doff + k * es);
              got.emplace_back(n * es, doff + k * es, k == 1 ? 0x5A5A5A5Au : 0xA5A5A5A5u);
            }
            scalar_kernels()->planar_narrow(src, n, cin, want[0].data(), want[1].data(), want[2].data(), c.scale,
                                            c.bias, &pp);
            b.kernels->planar_narrow(src, n, cin, got[0].data(), got[1].data(), got[2].data(), c.scale, c.bias,
                                     &pp);
            for (unsigned k = 0; k < 3; ++k) {
              CAPTURE(k);
              REQUIRE(got[k].guards_intact());
              REQUIRE(got[k].same(want[k]));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("kernels: the scalar reference computes float(x) * scale + bias with two roundings") {
  // 1/0.229 style parameters where a fused multiply-add would round differently for some x.
  const uint8_t xs[4] = {0, 1, 128, 255};
  float out[4];
  scalar_kernels()->flat(xs, 4, out, kScale, kBias, 1);
  for (int i = 0; i < 4; ++i) {
    volatile float product = static_cast<float>(xs[i]) * kScale[0];
    const float expected = product + kBias[0];
    CHECK(out[i] == expected);
  }
}

namespace {
void check_reduce_equal(const ReduceAcc& a, const ReduceAcc& b, unsigned channels) {
  for (unsigned c = 0; c < channels; ++c) {
    CAPTURE(c);
    CHECK(a.sum[c] == b.sum[c]);
    CHECK(a.sumsq[c] == b.sumsq[c]);
    CHECK(a.min[c] == b.min[c]);
    CHECK(a.max[c] == b.max[c]);
  }
  // What the accumulator did not ask for stays as reduce_acc_init left it.
  for (unsigned c = 0; c < 4; ++c) {
    CAPTURE(c);
    if (!b.moments) CHECK((b.sum[c] == 0 && b.sumsq[c] == 0));
    if (!b.extremes) CHECK((b.min[c] == 255 && b.max[c] == 0));
  }
}

// The x86 reductions take VNNI dot products where the CPU has them (reduce_vnni): the tests run
// each backend with them and without.
struct VnniScope {
  explicit VnniScope(bool on) { set_vnni_enabled(on); }
  ~VnniScope() { set_vnni_enabled(true); }
};

// The statistics a reduction may be asked for: all, the moments only (sample-standardize and
// the like), the extremes only (minmax).
struct ReduceAsk {
  bool moments, extremes;
};
constexpr ReduceAsk kReduceAsks[] = {{true, true}, {true, false}, {false, true}};
}  // namespace

// kernels: reduce (sums, sums of squares, min, max) for 1, 3 and 4 channels
static void reduce_cases(const Backend& b) {
  const auto src_all = random_bytes(4 * 5000 + 64, 4);
  for (const bool vnni : {true, false}) {
    const VnniScope scope(vnni);  // both paths on CPUs with VNNI
    CAPTURE(vnni);
    CAPTURE(b.name);
    for (unsigned cin : {1u, 3u, 4u}) {
      const unsigned channels = cin == 4 ? 3 : cin;
      for (size_t n : lengths()) {
        for (size_t off = 0; off < 3; ++off) {
          for (const ReduceAsk ask : kReduceAsks) {
            CAPTURE(cin);
            CAPTURE(n);
            CAPTURE(off);
            CAPTURE(ask.moments);
            CAPTURE(ask.extremes);
            ReduceAcc want, got;
            reduce_acc_init(&want, ask.moments, ask.extremes);
            reduce_acc_init(&got, ask.moments, ask.extremes);
            // Twice into the same accumulator: the kernels must add to it, not overwrite it.
            for (int rep = 0; rep < 2; ++rep) {
              scalar_kernels()->reduce(src_all.data() + off + rep, n, cin, &want);
              b.kernels->reduce(src_all.data() + off + rep, n, cin, &got);
            }
            check_reduce_equal(want, got, channels);
          }
        }
      }
    }
  }
}

TEST_CASE("kernels: the scalar reduction adds what the accumulator asks for, and only that") {
  const auto src = random_bytes(4 * 1000, 5);
  for (unsigned cin : {1u, 3u, 4u}) {
    CAPTURE(cin);
    ReduceAcc all;
    reduce_acc_init(&all);
    scalar_kernels()->reduce(src.data(), 1000, cin, &all);
    REQUIRE(all.sum[0] > 0);  // the values compared below are not the initial ones
    REQUIRE(all.min[0] < all.max[0]);
    for (const ReduceAsk ask : kReduceAsks) {
      CAPTURE(ask.moments);
      ReduceAcc part;
      reduce_acc_init(&part, ask.moments, ask.extremes);
      scalar_kernels()->reduce(src.data(), 1000, cin, &part);
      for (unsigned c = 0; c < cin; ++c) {
        CHECK(part.sum[c] == (ask.moments ? all.sum[c] : 0));
        CHECK(part.sumsq[c] == (ask.moments ? all.sumsq[c] : 0));
        CHECK(part.min[c] == (ask.extremes ? all.min[c] : 255));
        CHECK(part.max[c] == (ask.extremes ? all.max[c] : 0));
      }
    }
  }
}

// kernels: reduce_pooled4 pools the first three bytes of every pixel; every SIMD backend the same
static void pooled4_cases(const Backend* bp) {
  // The scalar reference against the per-channel reduction of the same pixels, then every SIMD
  // backend against it. Random pixels, then pixels whose alpha lies outside the colours' range
  // (0 under colours of 1..254, 255 over them): a kernel that reads alpha gets min 0 or max 255.
  auto random_px = random_bytes(4 * 5000 + 64, 41);
  auto framed = random_px;
  for (size_t i = 0; i < framed.size(); ++i) {
    const uint8_t x = framed[i];
    framed[i] = i % 4 == 3 ? static_cast<uint8_t>((i / 4) % 2 ? 255 : 0) : static_cast<uint8_t>(1 + x % 254);
  }
  for (const auto* data : {&random_px, &framed}) {
    for (size_t n : lengths()) {
      CAPTURE(n);
      ReduceAcc channels, pooled;
      reduce_acc_init(&channels);
      reduce_acc_init(&pooled);
      scalar_kernels()->reduce(data->data(), n, 4, &channels);
      scalar_kernels()->reduce_pooled4(data->data(), n, &pooled);
      CHECK(pooled.sum[0] == channels.sum[0] + channels.sum[1] + channels.sum[2]);
      CHECK(pooled.sumsq[0] == channels.sumsq[0] + channels.sumsq[1] + channels.sumsq[2]);
      CHECK(pooled.min[0] == std::min({channels.min[0], channels.min[1], channels.min[2]}));
      CHECK(pooled.max[0] == std::max({channels.max[0], channels.max[1], channels.max[2]}));
      if (data == &framed && n > 0) {
        CHECK(pooled.min[0] >= 1);
        CHECK(pooled.max[0] <= 254);
      }
    }
  }
  if (bp == nullptr) return;  // the scalar reference alone
  const Backend& b = *bp;
  for (const bool vnni : {true, false}) {
    const VnniScope scope(vnni);  // both paths on CPUs with VNNI
    CAPTURE(vnni);
    CAPTURE(b.name);
    for (const auto* data : {&random_px, &framed}) {
      for (size_t n : lengths()) {
        for (size_t off = 0; off < 3; ++off) {
          CAPTURE(n);
          CAPTURE(off);
          // The pixels start at a misaligned address; alpha stays every fourth byte from there.
          std::vector<uint8_t> px(4 * n + off);
          if (n > 0) std::memcpy(px.data() + off, data->data(), 4 * n);
          for (const ReduceAsk ask : kReduceAsks) {
            CAPTURE(ask.moments);
            CAPTURE(ask.extremes);
            ReduceAcc want, got;
            reduce_acc_init(&want, ask.moments, ask.extremes);
            reduce_acc_init(&got, ask.moments, ask.extremes);
            for (int rep = 0; rep < 2; ++rep) {  // twice: the kernels add to the accumulator
              scalar_kernels()->reduce_pooled4(px.data() + off, n, &want);
              b.kernels->reduce_pooled4(px.data() + off, n, &got);
            }
            check_reduce_equal(want, got, 1);
          }
        }
      }
    }
  }
}

TEST_CASE("kernels: reduce_pooled4 of the scalar reference pools the first three bytes of every pixel") {
  pooled4_cases(nullptr);
}

namespace {
// All 255: the largest squares. 2^20 pixels of 3 channels overflow any 32-bit lane that is
// not flushed in time (each lane would reach about 2^32).
constexpr size_t kBigN = size_t(1) << 20;
std::vector<uint8_t> big_plain() {
  std::vector<uint8_t> src(3 * kBigN, 255);
  src[12345] = 0;  // one low value: min must see it
  return src;
}
// Pooled four-byte pixels: 3 * 2^20 colour bytes of 255 into one channel's lanes.
std::vector<uint8_t> big_pooled() {
  std::vector<uint8_t> px(4 * kBigN, 255);
  for (size_t i = 3; i < px.size(); i += 4) px[i] = 0;
  px[4 * 777 + 1] = 3;
  return px;
}
}  // namespace

static void reduce_big_cases(const Backend& b) {
  const size_t n = kBigN;
  const std::vector<uint8_t> src = big_plain();
  for (const bool vnni : {true, false}) {
    const VnniScope scope(vnni);  // both paths on CPUs with VNNI
    CAPTURE(vnni);
    for (unsigned cin : {1u, 3u}) {
      ReduceAcc want, got;
      reduce_acc_init(&want);
      reduce_acc_init(&got);
      scalar_kernels()->reduce(src.data(), n, cin, &want);
      b.kernels->reduce(src.data(), n, cin, &got);
      check_reduce_equal(want, got, cin);
    }
  }
}

static void pooled4_big_cases(const Backend& b) {
  const size_t n = kBigN;
  const std::vector<uint8_t> px = big_pooled();
  for (const bool vnni : {true, false}) {
    const VnniScope scope(vnni);  // both paths on CPUs with VNNI
    CAPTURE(vnni);
    ReduceAcc want, got;
    reduce_acc_init(&want);
    reduce_acc_init(&got);
    scalar_kernels()->reduce_pooled4(px.data(), n, &want);
    b.kernels->reduce_pooled4(px.data(), n, &got);
    check_reduce_equal(want, got, 1);
  }
}

TEST_CASE("kernels: the scalar reduce stays exact past the 32-bit partial sums") {
  const size_t n = kBigN;
  const std::vector<uint8_t> src = big_plain(), px = big_pooled();
  ReduceAcc pooled;
  reduce_acc_init(&pooled);
  scalar_kernels()->reduce_pooled4(px.data(), n, &pooled);
  CHECK(pooled.sum[0] == uint64_t(255) * (3 * n - 1) + 3);
  CHECK(pooled.sumsq[0] == uint64_t(65025) * (3 * n - 1) + 9);
  CHECK(pooled.min[0] == 3);
  CHECK(pooled.max[0] == 255);
  ReduceAcc acc;
  reduce_acc_init(&acc);
  scalar_kernels()->reduce(src.data(), n, 1, &acc);
  CHECK(acc.sum[0] == uint64_t(255) * (n - 1));
  CHECK(acc.sumsq[0] == uint64_t(65025) * (n - 1));
  CHECK(acc.min[0] == 0);
  CHECK(acc.max[0] == 255);
}

// The catalogue's checks (kernel_checks.h) of the kernels this file tests.
void pixnorm_test::check_flat(const Backend& b) { flat_cases(b); }
void pixnorm_test::check_planar(const Backend& b) { planar_cases(b); }
void pixnorm_test::check_interleave(const Backend& b) { interleave_cases(b); }
namespace {
struct LutScope {  // the narrow kernels' byte tables off (where the CPU has them) for a scope
  explicit LutScope(bool on) { set_lut_enabled(on); }
  ~LutScope() { set_lut_enabled(true); }
};
}  // namespace

// Both paths of the narrow kernels on CPUs with AVX-512 VBMI: byte tables, then arithmetic.
void pixnorm_test::check_flat_narrow(const Backend& b) {
  narrow_cases(b, true);
  const LutScope off(false);
  narrow_cases(b, true);
}
void pixnorm_test::check_planar_narrow(const Backend& b) {
  narrow_cases(b, false);
  const LutScope off(false);
  narrow_cases(b, false);
}
void pixnorm_test::check_interleave_narrow(const Backend& b) {
  interleave_narrow_cases(b);
  const LutScope off(false);
  interleave_narrow_cases(b);
}
void pixnorm_test::check_reduce(const Backend& b) {
  reduce_cases(b);
  reduce_big_cases(b);
}
void pixnorm_test::check_reduce_pooled4(const Backend& b) {
  pooled4_cases(&b);
  pooled4_big_cases(b);
}
