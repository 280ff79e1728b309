// Bilinear resampling of uint8 images, for fitting statistics on the size a model sees.
#ifndef PIXNORM_TOOLS_RESIZE_H
#define PIXNORM_TOOLS_RESIZE_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pixnorm_cli {

// Resizes an interleaved image of `channels` bytes per pixel to dst_w x dst_h (rows of
// dst_w * channels bytes), with pixel centres at half-integers as OpenCV's INTER_LINEAR:
// source x = (x' + 0.5) * src_w / dst_w - 0.5, clamped to the edge pixels. Weights are
// multiples of 1/2048 computed in integers, and the result is rounded to nearest, so the
// output is the same on every machine and within one level of exact bilinear interpolation.
// No antialiasing: shrinking by more than 2x samples rather than averages (as INTER_LINEAR).
// Not the library's bilinear plan: its weights come from double arithmetic rounded half to even,
// one level off these at exact ties (an output side a multiple of 2048 from an odd source side),
// and fit's statistics are defined by these taps (test_fit's resize_fixed).
void resize_bilinear(const uint8_t* src, uint32_t src_w, uint32_t src_h, size_t src_row_bytes, unsigned channels,
                     uint8_t* dst, uint32_t dst_w, uint32_t dst_h);

}  // namespace pixnorm_cli

#endif
