// Reading input images: encoded files through stb_image, and raw pixel files.
#ifndef PIXNORM_TOOLS_IMAGE_IO_H
#define PIXNORM_TOOLS_IMAGE_IO_H

#include <pixnorm/pixnorm.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace pixnorm_cli {

struct ImageInfo {
  uint32_t width = 0;
  uint32_t height = 0;
  pixnorm_format format = PIXNORM_FORMAT_RGB8;
  const char* kind = "raw";  // for messages: "PNG", "JPEG", ...
  bool from_16bit = false;   // the file has 16 bits per sample (PNG, PGM/PPM): decoded to 8 bits
};

struct Image {
  ImageInfo info;
  std::unique_ptr<uint8_t, void (*)(void*)> pixels{nullptr, nullptr};
  size_t row_bytes = 0;
};

// Bytes per pixel of a packed format; for YUV, of the first plane's rows (Y: 1, YUYV: 2).
unsigned bytes_per_pixel(pixnorm_format format);
bool is_yuv(pixnorm_format format);
// A raw frame as pixnorm_plan_run reads it: its size in bytes and its first plane's row bytes
// (rows tightly packed; YUV chroma after the Y plane).
uint64_t raw_frame_bytes(const ImageInfo& spec);
size_t raw_row_bytes(const ImageInfo& spec);
const char* format_name(pixnorm_format format);  // "rgb8", ...
bool is_gray(pixnorm_format format);

// "WxH:FORMAT" as given to --raw; throws a usage error unless W and H are plain decimal
// numbers in 1..PIXNORM_MAX_DIMENSION and the image fits PIXNORM_MAX_PIXELS. YUV formats
// (nv12, nv21, i420, yuyv) only with allow_yuv.
ImageInfo parse_raw_spec(const std::string& spec, bool allow_yuv = false);

// Reads the header only (stbi_info), checks the dimensions against the library limits and
// maps the channels: 1 -> GRAY8, 2 (gray + alpha) -> GRAY8, 3 -> RGB8, 4 -> RGBA8.
ImageInfo probe_image(const std::string& path);
// Decodes the image whose header gave `expected`.
Image decode_image(const std::string& path, const ImageInfo& expected);
// The same from encoded bytes in memory, read exactly as a file holding them: `name` stands
// for the path in messages and in the TGA extension check.
ImageInfo probe_image_memory(const void* data, size_t size, const std::string& name);
Image decode_image_memory(const void* data, size_t size, const std::string& name, const ImageInfo& expected);

// Checks that `path` holds exactly width * height * bpp bytes, without reading it.
void check_raw_size(const std::string& path, const ImageInfo& spec);
Image read_raw(const std::string& path, const ImageInfo& spec);

}  // namespace pixnorm_cli

#endif
