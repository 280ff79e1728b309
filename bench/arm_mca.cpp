// llvm-mca probes for bench/arm_estimate.sh: straight-line blocks, one loop iteration each of the
// Highway kernels (the same helpers, from the kernel families' files), marked for llvm-mca.
// Compiled to assembly only, for one static target (-DHWY_COMPILE_ONLY_STATIC); never linked.
#include "highway/normalize.cpp"
#include "highway/reduce.cpp"
#include "highway/pil.cpp"

HWY_BEFORE_NAMESPACE();
namespace pixnorm {
namespace HWY_NAMESPACE {

#if HWY_ARCH_ARM_A64
#define PIXNORM_MCA_REGION(text) asm volatile("// LLVM-MCA-" text)
#else
#define PIXNORM_MCA_REGION(text) asm volatile("@ LLVM-MCA-" text)
#endif
HWY_NOINLINE void McaNchwRgb(const uint8_t* src, float* d0, float* d1, float* d2, const float* p) {
  const DF df;
  const VF s0 = hn::Set(df, p[0]), s1 = hn::Set(df, p[1]), s2 = hn::Set(df, p[2]);
  const VF b0 = hn::Set(df, p[3]), b1 = hn::Set(df, p[4]), b2 = hn::Set(df, p[5]);
  PIXNORM_MCA_REGION("BEGIN nchw_rgb");
  PlanarBlock(src, 3, d0, d1, d2, s0, s1, s2, b0, b1, b2);
  PIXNORM_MCA_REGION("END");
}
HWY_NOINLINE void McaNhwcRgb(const uint8_t* src, float* dst, const float* p) {
  const DF df;
  const size_t N = hn::Lanes(df);
  const VF s0 = hn::Set(df, p[0]), s1 = hn::Set(df, p[1]), s2 = hn::Set(df, p[2]);
  const VF b0 = hn::Set(df, p[3]), b1 = hn::Set(df, p[4]), b2 = hn::Set(df, p[5]);
  PIXNORM_MCA_REGION("BEGIN nhwc_rgb");
  Store4(src, dst, s0, s1, s2, s0, b0, b1, b2, b0);
  Store4(src + 4 * N, dst + 4 * N, s1, s2, s0, s1, b1, b2, b0, b1);
  Store4(src + 8 * N, dst + 8 * N, s2, s0, s1, s2, b2, b0, b1, b2);
  PIXNORM_MCA_REGION("END");
}
HWY_NOINLINE void McaReduceBytes(const uint8_t* src, uint64_t* out) {
  const DU8 du8;
  const D64 d64;
  const D32 d32;
  V64 sum = hn::Zero(d64);
  V32 sq32 = hn::Zero(d32);
  V8 lo = hn::Set(du8, 255), hi = hn::Zero(du8);
  PIXNORM_MCA_REGION("BEGIN reduce_bytes");  // sums and squares: sample-standardize's pass
  const V8 v = hn::LoadU(du8, src);
  AccAdd<true, false>(v, v, sum, sq32, lo, hi);
  PIXNORM_MCA_REGION("END");
  hn::StoreU(sum, d64, out);
  hn::StoreU(hn::BitCast(d64, hn::Add(BitCast(d32, hn::Or(hn::BitCast(du8, sq32), hn::Or(lo, hi))), sq32)), d64,
             out + hn::Lanes(d64));
}

// Pillow's horizontal pass through 16-byte windows (pil_hw): one block of four outputs of two
// rows, two int16 pairs of taps (up to four taps: pil-bilinear shrinking by up to 2).
HWY_NOINLINE void McaPilHw(const uint8_t* r, const uint8_t* r1, const int32_t* base, const uint8_t* idx,
                           size_t istride, const int16_t* w, size_t wstride, uint8_t* out, uint8_t* out1) {
  PIXNORM_MCA_REGION("BEGIN pil_hw");
  PilHwLoop<1, 2, true>(r, r1, base, idx, istride, w, wstride, 1, out, out1);
  PIXNORM_MCA_REGION("END");
}
// Pillow's vertical pass (pil_v), four taps: two vectors of outputs.
HWY_NOINLINE void McaPilV(const uint8_t* const* rows, const int32_t* w, uint8_t* out) {
  const size_t N = hn::Lanes(DI());
  PIXNORM_MCA_REGION("BEGIN pil_v4");
  PilVTaps<4>(rows, w, 2 * N, out);
  PIXNORM_MCA_REGION("END");
}

}  // namespace HWY_NAMESPACE
}  // namespace pixnorm
HWY_AFTER_NAMESPACE();
