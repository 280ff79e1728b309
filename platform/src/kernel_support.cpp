// What the kernels of every backend share besides their contracts (kernels.h): the accumulator's
// start, the byte-window tables of the x86 SIMD kernels, and the narrow outputs through a float
// buffer for backends without fused versions. Not the oracle (kernels_scalar.cpp) and not a backend.
#include <cstring>
#include <initializer_list>

#include "kernels.h"

namespace pixnorm {

void reduce_acc_init(ReduceAcc* acc, bool moments, bool extremes) {
  for (int c = 0; c < 4; ++c) {
    acc->sum[c] = 0;
    acc->sumsq[c] = 0;
    acc->min[c] = 255;
    acc->max[c] = 0;
  }
  acc->moments = moments;
  acc->extremes = extremes;
}

namespace {
void make_window_tables(size_t lanes, unsigned cin, int swap, WindowTables* t) {
  const bool wide = lanes > 8;
  std::memset(t, 0, sizeof(*t));
  for (size_t k = 0; k < 3; ++k) {
    t->first[k] = k * lanes / 3;
    size_t at[16];  // byte of each lane's element, from the window's start
    for (size_t l = 0; l < lanes; ++l) {
      const size_t e = k * lanes + l, ch = e % 3, src_ch = swap && ch != 1 ? 2 - ch : ch;
      at[l] = (e / 3 - t->first[k]) * cin + src_ch;
      t->channel[k][l] = static_cast<int32_t>(ch);
    }
    for (size_t block = 0; block < lanes / 4; ++block) {
      size_t lo = at[4 * block];
      for (size_t j = 1; j < 4; ++j) lo = at[4 * block + j] < lo ? at[4 * block + j] : lo;
      const size_t word = wide ? lo / 4 : 0;  // the block's first 32-bit word
      for (size_t j = 0; j < 4; ++j) {
        const size_t l = 4 * block + j;
        t->words[k][l] = static_cast<int32_t>(word + j);
        t->bytes[k][4 * l] = static_cast<uint8_t>(at[l] - 4 * word);
        t->bytes[k][4 * l + 1] = t->bytes[k][4 * l + 2] = t->bytes[k][4 * l + 3] = 0x80;
      }
    }
  }
  t->reach = t->first[2] * cin + (wide ? 32 : 16);
}
}  // namespace

const WindowTables& window_tables(size_t lanes, unsigned cin, int swap) {
  static const WindowTables* all = [] {
    static WindowTables t[3][2][2];
    for (unsigned w = 0; w < 3; ++w)
      for (unsigned c = 0; c < 2; ++c)
        for (unsigned s = 0; s < 2; ++s) make_window_tables(size_t{4} << w, 3 + c, static_cast<int>(s), &t[w][c][s]);
    return &t[0][0][0];
  }();
  const unsigned w = lanes >= 16 ? 2 : lanes == 8 ? 1 : 0;
  return all[(w * 2 + (cin - 3)) * 2 + (swap ? 1 : 0)];
}

bool narrow_fits(const float* scale, const float* bias, unsigned channels) {
  // The product and the sum are monotonic in x: the extremes are at 0 and 255.
  for (unsigned c = 0; c < channels; ++c)
    for (int x : {0, 255}) {
      const uint8_t byte = static_cast<uint8_t>(x);
      float v;
      scalar_kernels()->flat(&byte, 1, &v, scale + c, bias + c, 1);
      if (!(v > -4194304.0f && v < 4194304.0f)) return false;
    }
  return true;
}

namespace {
size_t dtype_bytes(pixnorm_dtype t) { return t == PIXNORM_DTYPE_F16 ? 2 : t == PIXNORM_DTYPE_F32 ? 4 : 1; }
constexpr size_t kNarrowChunk = 192;  // floats: a multiple of 3 keeps the period's phase
}  // namespace

void flat_narrow_chunks(const RowKernels* k, const uint8_t* src, size_t n, void* dst, const float* scale,
                        const float* bias, unsigned period, const PackParams* pp) {
  float buf[kNarrowChunk];
  const size_t es = dtype_bytes(pp->dtype);
  for (size_t i = 0; i < n; i += kNarrowChunk) {
    const size_t m = n - i < kNarrowChunk ? n - i : kNarrowChunk;
    k->flat(src + i, m, buf, scale, bias, period);
    k->pack(buf, m, static_cast<uint8_t*>(dst) + i * es, pp);
  }
}

void interleave_narrow_chunks(const RowKernels* k, const uint8_t* src, size_t n, unsigned cin, int swap, void* dst,
                              const float* scale, const float* bias, const PackParams* pp) {
  constexpr size_t kPixels = kNarrowChunk / 3;
  float buf[kNarrowChunk];
  const size_t es = dtype_bytes(pp->dtype);
  for (size_t i = 0; i < n; i += kPixels) {
    const size_t m = n - i < kPixels ? n - i : kPixels;
    k->interleave(src + i * cin, m, cin, swap, buf, scale, bias);
    k->pack(buf, 3 * m, static_cast<uint8_t*>(dst) + 3 * i * es, pp);
  }
}

void planar_narrow_chunks(const RowKernels* k, const uint8_t* src, size_t n, unsigned cin, void* d0, void* d1,
                          void* d2, const float* scale, const float* bias, const PackParams* pp) {
  constexpr size_t kPixels = kNarrowChunk / 3;
  float buf[3][kPixels];
  const size_t es = dtype_bytes(pp->dtype);
  for (size_t i = 0; i < n; i += kPixels) {
    const size_t m = n - i < kPixels ? n - i : kPixels;
    k->planar(src + i * cin, m, cin, buf[0], buf[1], buf[2], scale, bias);
    k->pack(buf[0], m, static_cast<uint8_t*>(d0) + i * es, pp);
    k->pack(buf[1], m, static_cast<uint8_t*>(d1) + i * es, pp);
    k->pack(buf[2], m, static_cast<uint8_t*>(d2) + i * es, pp);
  }
}

}  // namespace pixnorm
