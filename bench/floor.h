// Floor references for the benchmark, beside memset and memcpy: a plain vector store loop and
// copy loop at the widest vector width the CPU runs (glibc's memset can be `rep stosb`, slower
// than such a loop on some CPUs, which would flatter the ratios), and hand-written AVX2 and
// AVX-512 conversions of RGB8 and GRAY8 to float32 (what a competent hand loop achieves, as a
// target for the library's kernels). Bench code only: the library never calls these.
//
// Everything is compiled for the baseline ISA; wider code sits in functions with GCC target
// attributes and is chosen at run time, so the benchmark runs on any x86-64 CPU.
#ifndef PIXNORM_BENCH_FLOOR_H
#define PIXNORM_BENCH_FLOOR_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

struct StoreLoops {
  const char* width;  // "AVX-512", "AVX2", "SSE2", "NEON" or "scalar"
  // Writes `bytes` bytes at dst (any alignment) with copies of `value`, 4 vectors per iteration;
  // after one unaligned vector the stores are aligned, as a tuned loop would make them.
  void (*store)(void* dst, size_t bytes, uint64_t value);
  // Copies `bytes` bytes from src to dst (any alignment), 4 vector loads and stores per iteration,
  // stores aligned as above.
  void (*copy)(void* dst, const void* src, size_t bytes);
};

// The widest loops this CPU runs.
StoreLoops store_loops();

// out = float(x) * scale[c] + bias[c], a multiply then an add, each rounded (no fused
// multiply-add), exactly as pixnorm's kernels; the same bytes as a plan's output.
using HandFn = void (*)(const uint8_t* src, size_t pixels, float* dst, const float* scale, const float* bias);

struct HandLoop {
  const char* width;  // "AVX-512" or "AVX2"
  HandFn fn;
};

// The hand-written loops this CPU runs for `channels` interleaved input bytes per pixel (3: RGB8,
// 1: GRAY8) into `nchw` planes or interleaved (NHWC) output; GRAY8 has one layout. Empty when
// there is none (another format, an ARM CPU, an x86 CPU without AVX2).
std::vector<HandLoop> hand_loops(unsigned channels, bool nchw);

}  // namespace bench

#endif
