// Kernel-level benchmark: every kernel of the catalogue (platform/src/kernel_catalogue.h) on
// every backend and CPU target, one call on a fixed workload of the size a 224x224 model input
// needs, timed in one run. Each cell is the median time of one call and its ratio to the scalar
// oracle's time in the same run (absolute times on shared machines are noise).
//
//   pixnorm_kernel_bench [--quick] [--json] [--reps N] [--kernels flat,pil_h,...]
//
// bench_<kernel> below sets up the workload and returns the call to time; a kernel added to the
// catalogue without its bench_ function does not compile.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "frames.h"
#include "geometry.h"
#include "kernels.h"

#if PIXNORM_HAVE_HIGHWAY
#include <hwy/targets.h>
#endif

namespace {

using pixnorm::RowKernels;

// A kernel call on its workload; `bytes` is what one call writes.
struct Work {
  std::function<void()> call;
  size_t bytes = 0;
  const char* what = "";
};

constexpr size_t kPixels = 224 * 224;
constexpr size_t kRow = 224;  // output pixels of one resampled row

std::vector<uint8_t> bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(rng());
  return v;
}

const float kScale[3] = {1.0f / (255.0f * 0.229f), 1.0f / (255.0f * 0.224f), 1.0f / (255.0f * 0.225f)};
const float kBias[3] = {-0.485f / 0.229f, -0.456f / 0.224f, -0.406f / 0.225f};

pixnorm::PackParams int8_params() {
  pixnorm::PackParams p{};
  p.dtype = PIXNORM_DTYPE_INT8;
  p.zero_point = -14;
  p.lo = -128.0f + 14.0f;
  p.hi = 127.0f + 14.0f;
  return p;
}

// Window tables for resample2_windows and gather_windows: 4 * nblocks elements, block k reading
// 16 bytes from 9k, element j its bytes 3j and 3j + 3 (a 3-channel row shrunk by about 3/4).
struct Windows {
  std::vector<int32_t> base;
  std::vector<uint8_t> idx;
  std::vector<uint32_t> wpair;
};
Windows windows(size_t nblocks) {
  Windows w;
  for (size_t k = 0; k < nblocks; ++k) {
    w.base.push_back(static_cast<int32_t>(9 * k));
    for (unsigned j = 0; j < 4; ++j) {
      w.idx.insert(w.idx.end(), {static_cast<uint8_t>(3 * j), 0x80, static_cast<uint8_t>(3 * j + 3), 0x80});
      const uint32_t wx = static_cast<uint32_t>((k * 4 + j) * 37 % 2048);
      w.wpair.push_back((2048 - wx) | wx << 16);
    }
  }
  return w;
}

// Each bench_<kernel>(k) keeps its buffers alive inside the returned call.
Work bench_flat(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(3 * kPixels, 1));
  auto dst = std::make_shared<std::vector<float>>(3 * kPixels);
  return {[=] { k->flat(src->data(), src->size(), dst->data(), kScale, kBias, 3); }, dst->size() * 4,
          "224x224 RGB8 to f32 NHWC"};
}
Work bench_planar(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(3 * kPixels, 2));
  auto dst = std::make_shared<std::vector<float>>(3 * kPixels);
  return {[=] {
            float* d = dst->data();
            k->planar(src->data(), kPixels, 3, d, d + kPixels, d + 2 * kPixels, kScale, kBias);
          },
          dst->size() * 4, "224x224 RGB8 to f32 planes"};
}
Work bench_interleave(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(4 * kPixels, 3));
  auto dst = std::make_shared<std::vector<float>>(3 * kPixels);
  return {[=] { k->interleave(src->data(), kPixels, 4, 1, dst->data(), kScale, kBias); }, dst->size() * 4,
          "224x224 BGRA8 to f32 RGB NHWC"};
}
Work bench_reduce(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(3 * kPixels, 4));
  return {[=] {
            pixnorm::ReduceAcc acc;
            pixnorm::reduce_acc_init(&acc);
            k->reduce(src->data(), kPixels, 3, &acc);
            asm volatile("" ::"r"(&acc) : "memory");
          },
          0, "224x224 RGB8: sums, squares, min, max"};
}
Work bench_reduce_pooled4(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(4 * kPixels, 5));
  return {[=] {
            pixnorm::ReduceAcc acc;
            pixnorm::reduce_acc_init(&acc);
            k->reduce_pooled4(src->data(), kPixels, &acc);
            asm volatile("" ::"r"(&acc) : "memory");
          },
          0, "224x224 BGRA8 pooled: sums, squares, min, max"};
}
Work bench_pack(const RowKernels* k) {
  auto src = std::make_shared<std::vector<float>>(3 * kPixels);
  for (size_t i = 0; i < src->size(); ++i) (*src)[i] = static_cast<float>(i % 509) * 0.5f - 127.0f;
  auto dst = std::make_shared<std::vector<int8_t>>(3 * kPixels);
  const pixnorm::PackParams pp = int8_params();
  return {[=] { k->pack(src->data(), src->size(), dst->data(), &pp); }, dst->size(), "224x224x3 f32 to int8"};
}
Work bench_flat_narrow(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(3 * kPixels, 6));
  auto dst = std::make_shared<std::vector<int8_t>>(3 * kPixels);
  const pixnorm::PackParams pp = int8_params();
  return {[=] { k->flat_narrow(src->data(), src->size(), dst->data(), kScale, kBias, 3, &pp); }, dst->size(),
          "224x224 RGB8 to int8 NHWC"};
}
Work bench_planar_narrow(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(3 * kPixels, 7));
  auto dst = std::make_shared<std::vector<int8_t>>(3 * kPixels);
  const pixnorm::PackParams pp = int8_params();
  return {[=] {
            int8_t* d = dst->data();
            k->planar_narrow(src->data(), kPixels, 3, d, d + kPixels, d + 2 * kPixels, kScale, kBias, &pp);
          },
          dst->size(), "224x224 RGB8 to int8 planes"};
}
Work bench_interleave_narrow(const RowKernels* k) {
  auto src = std::make_shared<std::vector<uint8_t>>(bytes(4 * kPixels, 17));
  auto dst = std::make_shared<std::vector<int8_t>>(3 * kPixels);
  const pixnorm::PackParams pp = int8_params();
  return {[=] { k->interleave_narrow(src->data(), kPixels, 4, 1, dst->data(), kScale, kBias, &pp); }, dst->size(),
          "224x224 BGRA8 to int8 RGB NHWC"};
}
Work bench_resample2(const RowKernels* k) {
  auto r0 = std::make_shared<std::vector<uint8_t>>(bytes(640 * 3 + 16, 8));
  auto r1 = std::make_shared<std::vector<uint8_t>>(bytes(640 * 3 + 16, 9));
  auto off = std::make_shared<std::vector<int32_t>>(3 * kRow);
  auto wx = std::make_shared<std::vector<int32_t>>(3 * kRow);
  for (size_t e = 0; e < 3 * kRow; ++e) {
    (*off)[e] = static_cast<int32_t>(3 * ((e / 3) * 639 / 224) + e % 3);
    (*wx)[e] = static_cast<int32_t>((e / 3) * 613 % 2048);
  }
  auto out = std::make_shared<std::vector<uint8_t>>(3 * kRow);
  return {[=] { k->resample2(r0->data(), r1->data(), off->data(), wx->data(), 700, 3, 3, out->size(), out->data()); },
          out->size(), "one row, 640 to 224 RGB pixels"};
}
Work bench_resample2_windows(const RowKernels* k) {
  const size_t nblocks = 3 * kRow / 4;
  auto t = std::make_shared<Windows>(windows(nblocks));
  auto r0 = std::make_shared<std::vector<uint8_t>>(bytes(9 * nblocks + 16, 10));
  auto r1 = std::make_shared<std::vector<uint8_t>>(bytes(9 * nblocks + 16, 11));
  auto out = std::make_shared<std::vector<uint8_t>>(4 * nblocks);
  return {[=] {
            k->resample2_windows(r0->data(), r1->data(), t->base.data(), t->idx.data(), t->wpair.data(), 700,
                                 nblocks, out->data());
          },
          out->size(), "one row of 224 RGB pixels, 16-byte windows"};
}
Work bench_gather_windows(const RowKernels* k) {
  const size_t nblocks = 3 * kRow / 4;
  auto t = std::make_shared<Windows>(windows(nblocks));
  auto r = std::make_shared<std::vector<uint8_t>>(bytes(9 * nblocks + 16, 12));
  auto out = std::make_shared<std::vector<uint8_t>>(4 * nblocks);
  return {[=] { k->gather_windows(r->data(), t->base.data(), t->idx.data(), nblocks, out->data()); }, out->size(),
          "672 bytes through 16-byte windows"};
}
Work bench_yuv(const RowKernels* k) {
  const size_t n = 640;
  auto y = std::make_shared<std::vector<uint8_t>>(bytes(n, 13));
  auto u = std::make_shared<std::vector<uint8_t>>(bytes(n, 14));
  auto v = std::make_shared<std::vector<uint8_t>>(bytes(n, 15));
  auto rgb = std::make_shared<std::vector<uint8_t>>(3 * n);
  const pixnorm::YuvCoef c = pixnorm::yuv_coefficients(PIXNORM_YUV_BT601, PIXNORM_YUV_LIMITED);
  return {[=] { k->yuv(y->data(), u->data(), v->data(), n, &c, rgb->data()); }, rgb->size(),
          "640 pixels of Y, U, V to RGB8"};
}
// Pillow's passes: 640 to 224 pixels of RGB, bilinear-like 5 taps.
constexpr unsigned kTaps = 5;
Work bench_pil_h(const RowKernels* k) {
  const size_t n = 3 * kRow;
  auto row = std::make_shared<std::vector<uint8_t>>(bytes(640 * 3 + 64, 16));
  auto off = std::make_shared<std::vector<int32_t>>(n);
  auto w = std::make_shared<std::vector<int32_t>>(kTaps * n);
  for (size_t e = 0; e < n; ++e) {
    (*off)[e] = static_cast<int32_t>(3 * ((e / 3) * 634 / 224) + e % 3);
    for (unsigned j = 0; j < kTaps; ++j) (*w)[j * n + e] = (1 << 22) / kTaps;
  }
  auto out = std::make_shared<std::vector<uint8_t>>(n);
  return {[=] { k->pil_h(row->data(), off->data(), w->data(), n, kTaps, 3, n, out->data()); }, n,
          "one row, 640 to 224 RGB pixels, 5 taps (gathers)"};
}
Work bench_pil_v(const RowKernels* k) {
  const size_t n = 3 * kRow;
  auto store = std::make_shared<std::vector<std::vector<uint8_t>>>();
  auto rows = std::make_shared<std::vector<const uint8_t*>>();
  for (unsigned j = 0; j < kTaps; ++j) store->push_back(bytes(n, 17 + j));
  for (auto& r : *store) rows->push_back(r.data());
  auto w = std::make_shared<std::vector<int32_t>>(kTaps, (1 << 22) / kTaps);
  auto out = std::make_shared<std::vector<uint8_t>>(n);
  return {[=] { k->pil_v(rows->data(), w->data(), kTaps, n, out->data()); }, n, "one row of 224 RGB pixels, 5 rows"};
}
Work bench_pil_h3(const RowKernels* k) {
  const size_t n = kRow;  // pixels
  const size_t wstride = 8 * n;
  auto row = std::make_shared<std::vector<uint8_t>>(bytes(640 * 3 + 64, 22));
  auto base = std::make_shared<std::vector<int32_t>>(n);
  auto w = std::make_shared<std::vector<int16_t>>(wstride * 6, 0);
  for (size_t p = 0; p < n; ++p) {
    (*base)[p] = static_cast<int32_t>(3 * (p * 634 / 224));
    for (unsigned q = 0; q < 3; ++q)
      for (unsigned c = 0; c < 3; ++c)
        for (unsigned i = 0; i < 2; ++i)
          if (!(q == 2 && i == 1)) (*w)[wstride * (2 * q) + 8 * p + 2 * c + i] = static_cast<int16_t>(((1 << 22) / kTaps) & 0x7FFF);
  }
  auto out = std::make_shared<std::vector<uint8_t>>(3 * n);
  return {[=] { k->pil_h3(row->data(), base->data(), w->data(), wstride, kTaps, n, out->data()); }, out->size(),
          "one row, 640 to 224 RGB pixels, 5 taps (one window per pixel)"};
}
Work bench_pil_hw(const RowKernels* k) {
  const size_t nblocks = 3 * kRow / 4;
  const unsigned pairs = 2;
  const size_t istride = 16 * nblocks, wstride = 8 * nblocks;
  auto row = std::make_shared<std::vector<uint8_t>>(bytes(9 * nblocks + 16, 23));
  auto row1 = std::make_shared<std::vector<uint8_t>>(bytes(9 * nblocks + 16, 24));
  auto base = std::make_shared<std::vector<int32_t>>(nblocks);
  auto idx = std::make_shared<std::vector<uint8_t>>(istride * pairs);
  auto w = std::make_shared<std::vector<int16_t>>(wstride * 2 * pairs, 0);
  for (size_t b = 0; b < nblocks; ++b) {
    (*base)[b] = static_cast<int32_t>(9 * b);
    for (unsigned q = 0; q < pairs; ++q)
      for (unsigned j = 0; j < 4; ++j) {
        uint8_t* t = idx->data() + istride * q + 16 * b + 4 * j;
        t[0] = static_cast<uint8_t>(std::min(15u, 3 * j + 6 * q));
        t[1] = 0x80;
        t[2] = static_cast<uint8_t>(std::min(15u, 3 * j + 6 * q + 3));
        t[3] = 0x80;
        (*w)[wstride * (2 * q) + 8 * b + 2 * j] = 4000;
        (*w)[wstride * (2 * q) + 8 * b + 2 * j + 1] = 3000;
      }
  }
  auto out = std::make_shared<std::vector<uint8_t>>(4 * nblocks);
  auto out1 = std::make_shared<std::vector<uint8_t>>(4 * nblocks);
  return {[=] {
            k->pil_hw(row->data(), row1->data(), base->data(), idx->data(), istride, w->data(), wstride, pairs,
                      nblocks, out->data(), out1->data());
          },
          2 * out->size(), "two rows of 224 RGB pixels, 4 taps (16-byte windows)"};
}

struct Entry {
  const char* name;
  Work (*make)(const RowKernels*);
};
#define PIXNORM_BENCH_ENTRY(field, Name) {#field, &bench_##field},
const Entry kEntries[] = {PIXNORM_KERNEL_CATALOGUE(PIXNORM_BENCH_ENTRY)};
#undef PIXNORM_BENCH_ENTRY

struct Target {
  std::string name;
  int64_t hwy_target;  // 0: not a dispatched Highway target
  const RowKernels* kernels;
};

std::vector<Target> targets() {
  std::vector<Target> out{{"scalar", 0, pixnorm::scalar_kernels()}};
#if PIXNORM_HAVE_HIGHWAY
#if defined(__arm__)
  out.push_back({std::string("highway/") + pixnorm::highway_kernels()->target, 0, pixnorm::highway_kernels()});
#else
  for (int64_t t : hwy::SupportedAndGeneratedTargets()) {
    if (t == HWY_SCALAR) continue;  // that target is the scalar backend
    hwy::SetSupportedTargetsForTest(t);
    const RowKernels* k = pixnorm::highway_kernels();
    out.push_back({std::string("highway/") + k->target, t, k});
    if (const RowKernels* wide = pixnorm::highway_wide_kernels())  // the target's other variant
      out.push_back({std::string("highway/") + wide->target, t, wide});
  }
  hwy::SetSupportedTargetsForTest(0);
#endif
#endif
  if (const RowKernels* x = pixnorm::xsimd_kernels()) out.push_back({std::string("xsimd/") + x->target, 0, x});
  return out;
}

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: pixnorm_kernel_bench [--quick] [--json] [--reps N] [--kernels NAME,...]\n"
               "Times every kernel of the catalogue on every backend and CPU target, one call on a fixed\n"
               "workload (224x224 images, or one row of a 640 to 224 resize), and prints per kernel the\n"
               "median time of a call and its ratio to the scalar oracle in the same run (x_scalar).\n"
               "--kernels: only these (names as in platform/src/kernel_catalogue.h); --quick: 3 reps.\n");
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Options o;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      o.json = true;
    } else if (a == "--quick") {
      o.reps = 3;
      o.min_seconds = 0.002;
    } else if (a == "--reps" && i + 1 < argc) {
      o.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--kernels" && i + 1 < argc) {
      std::string s = argv[++i];
      for (size_t at = 0; at <= s.size();) {
        const size_t comma = std::min(s.find(',', at), s.size());
        only.push_back(s.substr(at, comma - at));
        at = comma + 1;
      }
      for (const auto& n : only) {
        bool known = false;
        for (const Entry& e : kEntries) known |= n == e.name;
        if (!known) {
          std::fprintf(stderr, "pixnorm_kernel_bench: unknown kernel '%s'\n", n.c_str());
          return 2;
        }
      }
    } else if (a == "-h" || a == "--help") {
      usage(0);
    } else {
      std::fprintf(stderr, "pixnorm_kernel_bench: unknown or incomplete option '%s'\n", a.c_str());
      usage(2);
    }
  }
  const std::vector<Target> ts = targets();
  if (o.json) {
    std::printf("{\"version\": \"%s\", \"kernels\": [", pixnorm_version());
  } else {
    std::printf("pixnorm %s kernel benchmark: median of %d repetitions, us per call; x = time over the scalar\n"
                "oracle's in this run\n\n%-18s",
                pixnorm_version(), o.reps, "kernel");
    for (const Target& t : ts) std::printf(" %20s", t.name.c_str());
    std::printf("  workload\n");
  }
  bool first = true;
  for (const Entry& e : kEntries) {
    if (!only.empty() && std::find(only.begin(), only.end(), e.name) == only.end()) continue;
    std::vector<double> us;
    for (const Target& t : ts) {
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
      hwy::SetSupportedTargetsForTest(t.hwy_target);  // what a kernel dispatches inside (none today)
#endif
      const Work w = e.make(t.kernels);
      us.push_back(bench::median_seconds(o, w.call) * 1e6);
#if PIXNORM_HAVE_HIGHWAY && !defined(__arm__)
      hwy::SetSupportedTargetsForTest(0);
#endif
    }
    const Work w0 = e.make(ts[0].kernels);
    if (o.json) {
      std::printf("%s\n  {\"kernel\": \"%s\", \"workload\": \"%s\", \"bytes_out\": %zu, \"us\": {", first ? "" : ",",
                  e.name, w0.what, w0.bytes);
      for (size_t i = 0; i < ts.size(); ++i)
        std::printf("%s\"%s\": %.4f", i ? ", " : "", ts[i].name.c_str(), us[i]);
      std::printf("}}");
    } else {
      std::printf("%-18s", e.name);
      for (size_t i = 0; i < ts.size(); ++i) {
        char cell[64];
        std::snprintf(cell, sizeof cell, "%.3f (%.2fx)", us[i], us[i] / us[0]);
        std::printf(" %20s", cell);
      }
      std::printf("  %s\n", w0.what);
    }
    first = false;
  }
  if (o.json) std::printf("\n]}\n");
  return 0;
}
