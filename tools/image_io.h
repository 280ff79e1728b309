// Reading input images: JPEG through libjpeg(-turbo), PNG through libpng, BMP, GIF, PGM/PPM and
// TGA through stb_image, and raw pixel files. Decoded images come as Pillow 9.4's
// Image.open(path).convert('RGB') gives them (or convert('L'), see decode_image).
#ifndef PIXNORM_TOOLS_IMAGE_IO_H
#define PIXNORM_TOOLS_IMAGE_IO_H

#include <pixnorm/pixnorm.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace pixnorm_cli {

// What an encoded file holds, in Pillow's terms (its image mode).
enum class Source : uint8_t {
  kRgb,        // RGB (YCbCr JPEGs included)
  kRgba,       // RGBA: alpha dropped
  kGray,       // L (16-bit gray PNGs: Pillow's "I", clipped to 255)
  kGrayAlpha,  // LA: alpha dropped
  kBilevel,    // 1: 0 or 255
  kPalette,    // P: through the palette, transparency ignored
  kCmyk,       // CMYK JPEG (Adobe or not): Pillow's inversion and cmyk2rgb
};
constexpr int kSourceKinds = 7;
const char* source_name(Source source);  // "RGB", "grayscale", "palette", "CMYK", ...

struct ImageInfo {
  uint32_t width = 0;
  uint32_t height = 0;
  // From probe_image: GRAY8 for gray sources (L, LA, 1), RGB8 for the others. decode_image
  // gives this format, converting when the caller changed it (see there).
  pixnorm_format format = PIXNORM_FORMAT_RGB8;
  const char* kind = "raw";  // for messages: "PNG", "JPEG", ...
  Source source = Source::kRgb;
  bool from_16bit = false;  // 16 bits per sample in the file (PNG, PGM/PPM), reduced to 8 as Pillow does
  uint8_t orientation = 1;  // EXIF orientation 1..8 of a JPEG or PNG (1: none, or not applied)
  bool exif_applied = false;  // width and height are those after the orientation (see below)
};

// `info` with its EXIF orientation applied, as Pillow's ImageOps.exif_transpose (and
// cv2.imread) do: width and height exchanged for orientations 5..8; decode_image then turns
// the pixels. Without it the orientation is ignored, as Image.open and torchvision do.
ImageInfo with_exif_orientation(ImageInfo info);

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

// Reads the header only, checks the dimensions against the library limits and says what the
// file holds. Only regular files are opened (a FIFO or a device is refused, never waited on).
ImageInfo probe_image(const std::string& path);
// Decodes the image whose header gave `expected`, to expected.format: GRAY8 or RGB8. A gray
// source asked for as RGB8 is Pillow's convert('RGB') (each value three times), a colour one
// asked for as GRAY8 Pillow's convert('L'): (19595 R + 38470 G + 7471 B + 32768) >> 16.
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
