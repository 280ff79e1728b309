// JPEG through libjpeg (libjpeg-turbo) and PNG through libpng, giving the pixels Pillow 9.4's
// Image.open(path).convert('RGB') (or 'L' for gray sources) gives. Used by image_io.cpp only.
#ifndef PIXNORM_TOOLS_IMAGE_DECODERS_H
#define PIXNORM_TOOLS_IMAGE_DECODERS_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "image_io.h"

namespace pixnorm_cli {
namespace codec {

// Reads up to n bytes into out; 0 at the end of the input.
using ReadFn = size_t (*)(void* user, void* out, size_t n);

struct Decoded {
  uint32_t width = 0, height = 0;
  unsigned channels = 0;  // of `pixels`: 1 (gray sources) or 3
  Source source = Source::kRgb;
  bool from_16bit = false;
  uint8_t orientation = 1;  // EXIF orientation, 1..8 (1 when the file has none)
  uint8_t* pixels = nullptr;  // malloc'd, rows of width * channels bytes; null after a probe
};

// The orientation (tag 0x0112 of IFD0) in EXIF data starting at its TIFF header, as Pillow's
// getexif() reads it; 1 when absent or not 1..8.
uint8_t exif_orientation(const uint8_t* tiff, size_t size);

// Each returns "" on success, else why the input cannot be decoded ("corrupt JPEG (...)",
// "truncated PNG"), without the input's name. A probe reads the header only. A decode
// allocates at most about `budget` bytes besides the pixels; on failure nothing stays allocated.
std::string jpeg_probe(ReadFn read, void* user, Decoded* out);
std::string jpeg_decode(ReadFn read, void* user, uint64_t budget, Decoded* out);
std::string png_probe(ReadFn read, void* user, Decoded* out);
std::string png_decode(ReadFn read, void* user, uint64_t budget, Decoded* out);

}  // namespace codec
}  // namespace pixnorm_cli

#endif
