// Image decoding through the CLI's own path (tools/image_io: signature sniffing, the header
// through libjpeg, libpng or stb_image, the size limits, decoding, the truncation check, the
// conversion to RGB or gray as Pillow's convert), for every format it accepts.
// Whatever decodes has the size its header promised, a buffer that covers it, and goes
// through a plan like any input.
#include <cmath>
#include <cstdint>
#include <string>

#include "cli_error.h"
#include "fuzz_check.h"
#include "image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pixnorm_cli;
  // A ".tga" name makes data without a signature a TGA candidate, as a file named so would be.
  const std::string name = "fuzz.tga";
  ImageInfo info;
  try {
    info = probe_image_memory(data, size, name);
  } catch (const CliError& e) {
    FUZZ_CHECK(e.code == kExitData && std::string(e.what()).rfind(name + ": ", 0) == 0, "message: %s", e.what());
    return 0;
  }
  FUZZ_CHECK(info.width >= 1 && info.height >= 1 && info.width <= PIXNORM_MAX_DIMENSION &&
                 info.height <= PIXNORM_MAX_DIMENSION && uint64_t{info.width} * info.height <= PIXNORM_MAX_PIXELS,
             "probe accepted %ux%u", info.width, info.height);
  // Headers may claim up to 64 MiB from a few bytes (the limits allow it); decoding that much
  // zero padding costs a thousand small inputs' time and reaches no new code.
  if (uint64_t{info.width} * info.height > (uint64_t{1} << 20)) return 0;
  Image image;
  try {
    image = decode_image_memory(data, size, name, info);
  } catch (const CliError& e) {
    FUZZ_CHECK(e.code == kExitData, "message: %s", e.what());
    return 0;
  }
  const unsigned bpp = bytes_per_pixel(info.format);
  FUZZ_CHECK(info.format == PIXNORM_FORMAT_GRAY8 || info.format == PIXNORM_FORMAT_RGB8, "probed as %s",
             format_name(info.format));
  FUZZ_CHECK(image.pixels && image.info.width == info.width && image.info.height == info.height &&
                 image.info.format == info.format && image.row_bytes == size_t{info.width} * bpp,
             "decoded %ux%u, row_bytes %zu", image.info.width, image.info.height, image.row_bytes);
  // The other channel count (convert('RGB') of gray, convert('L') of colour): decoding again
  // must succeed alike, as the bytes are the same.
  if (uint64_t{info.width} * info.height <= (uint64_t{1} << 16)) {
    ImageInfo other = with_exif_orientation(info);  // and turned as its EXIF orientation says
    other.format = is_gray(info.format) ? PIXNORM_FORMAT_RGB8 : PIXNORM_FORMAT_GRAY8;
    try {
      const Image converted = decode_image_memory(data, size, name, other);
      FUZZ_CHECK(converted.info.width == other.width && converted.info.height == other.height &&
                     converted.row_bytes == size_t{other.width} * bytes_per_pixel(other.format),
                 "converted %ux%u, row_bytes %zu", converted.info.width, converted.info.height, converted.row_bytes);
      // Every byte of the turned image (orientations 5 to 8 exchange width and height).
      const size_t n = converted.row_bytes * other.height;
      uint64_t s = 0;
      for (size_t i = 0; i < n; ++i) s += converted.pixels.get()[i];
      FUZZ_CHECK(s <= 255 * uint64_t{n}, "converted sum");
    } catch (const CliError& e) {
      FUZZ_CHECK(false, "decoded as %s, refused as %s: %s", format_name(info.format), format_name(other.format),
                 e.what());
    }
  }

  // Reads every byte the header promised: AddressSanitizer checks the allocation covers it.
  const size_t bytes = image.row_bytes * info.height;
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes; ++i) sum += image.pixels.get()[i];
  FUZZ_CHECK(sum <= 255 * uint64_t{bytes}, "sum");

  // The decoded image through a plan, as the CLI does (small images only: time).
  if (bytes > (size_t{1} << 20)) return 0;
  pixnorm_stats* stats = nullptr;  // gray: none (raw units)
  if (!is_gray(info.format))
    FUZZ_CHECK(pixnorm_stats_preset("imagenet", &stats) == PIXNORM_OK, "%s", pixnorm_last_error());
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.format = info.format;
  d.width = info.width;
  d.height = info.height;
  d.mode = PIXNORM_MODE_SAMPLE_STANDARDIZE;
  pixnorm_plan* plan = nullptr;
  FUZZ_CHECK(pixnorm_plan_create(stats, &d, &plan) == PIXNORM_OK, "%s", pixnorm_last_error());
  pixnorm_fuzz::ExactBuffer out(pixnorm_plan_output_elements(plan) * sizeof(float), 0);
  FUZZ_CHECK(pixnorm_plan_run(plan, image.pixels.get(), image.row_bytes, out.data()) == PIXNORM_OK, "%s",
             pixnorm_last_error());
  const float* f = static_cast<const float*>(out.data());
  for (size_t i = 0; i < pixnorm_plan_output_elements(plan); ++i)
    FUZZ_CHECK(std::isfinite(f[i]), "output %zu is %g", i, f[i]);
  pixnorm_plan_free(plan);
  pixnorm_stats_free(stats);
  return 0;
}
