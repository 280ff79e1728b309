// libjpeg and libpng report errors by longjmp: each decode runs in a function holding only
// plain data (the job structs below), so that a jump skips no destructor; the caller frees
// what the job holds.
#include "image_decoders.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

namespace pixnorm_cli {
namespace codec {
namespace {

// Real photos have at most a few dozen scans; a corrupt progressive file can hold thousands
// of tiny ones, each costing a pass over the whole coefficient buffer.
constexpr int kMaxJpegScans = 1000;

// ---------------------------------------------------------------- JPEG

// The first APP1 segment holding EXIF data, as Pillow takes it.
uint8_t jpeg_orientation(j_decompress_ptr ci) {
  for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next)
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && std::memcmp(m->data, "Exif\0\0", 6) == 0)
      return exif_orientation(m->data + 6, m->data_length - 6);
  return 1;
}

struct JpegJob {
  jpeg_decompress_struct cinfo;
  struct Error {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
  } err;
  jpeg_source_mgr src;
  jpeg_progress_mgr progress;
  ReadFn read;
  void* user;
  uint64_t budget;
  bool created;
  bool finishing;  // every row read: the end of the input is no longer an error
  char message[JMSG_LENGTH_MAX + 64];
  Decoded out;
  uint8_t* row;  // CMYK rows before the conversion
  JOCTET buffer[65536];
};

[[noreturn]] void jpeg_fail(JpegJob* job) { std::longjmp(job->err.jump, 1); }

JpegJob* job_of(j_common_ptr c) {
  return reinterpret_cast<JpegJob*>(reinterpret_cast<char*>(c->err) - offsetof(JpegJob, err));
}

void jpeg_on_error(j_common_ptr c) {
  JpegJob* job = job_of(c);
  if (c->err->msg_code == JERR_INPUT_EOF) {
    std::snprintf(job->message, sizeof(job->message), "truncated JPEG");
  } else {
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    const bool unsupported = std::strncmp(text, "Unsupported", 11) == 0;  // 12-bit, arithmetic coding...
    std::snprintf(job->message, sizeof(job->message), "%s JPEG (%s)", unsupported ? "unsupported" : "corrupt", text);
  }
  jpeg_fail(job);
}

// Warnings (bad Huffman codes, extraneous bytes, ...) do not stop Pillow, which decodes such a
// file to the pixels libjpeg gives: neither do they stop this decoder.
void jpeg_on_message(j_common_ptr, int) {}

void jpeg_on_progress(j_common_ptr c) {
  auto* d = reinterpret_cast<j_decompress_ptr>(c);
  if (d->input_scan_number > kMaxJpegScans) {
    JpegJob* job = job_of(c);
    std::snprintf(job->message, sizeof(job->message), "corrupt JPEG (more than %d scans)", kMaxJpegScans);
    jpeg_fail(job);
  }
}

void jpeg_src_init(j_decompress_ptr) {}
void jpeg_src_term(j_decompress_ptr) {}

// The end of the input before the image is complete is an error, as Pillow's default
// (ImageFile.LOAD_TRUNCATED_IMAGES = False) makes it; libjpeg's own sources would pad with an
// end-of-image marker and go on. After the last row it ends the reading quietly, as Pillow's
// suspending source does.
boolean jpeg_src_fill(j_decompress_ptr c) {
  JpegJob* job = job_of(reinterpret_cast<j_common_ptr>(c));
  const size_t n = job->read(job->user, job->buffer, sizeof(job->buffer));
  if (n == 0 && job->finishing) return FALSE;  // suspends jpeg_finish_decompress
  if (n == 0) ERREXIT(c, JERR_INPUT_EOF);
  job->src.next_input_byte = job->buffer;
  job->src.bytes_in_buffer = n;
  return TRUE;
}

void jpeg_src_skip(j_decompress_ptr c, long n) {
  JpegJob* job = job_of(reinterpret_cast<j_common_ptr>(c));
  if (n <= 0) return;
  while (static_cast<size_t>(n) > job->src.bytes_in_buffer) {
    n -= static_cast<long>(job->src.bytes_in_buffer);
    job->src.bytes_in_buffer = 0;
    if (!jpeg_src_fill(c)) return;  // finishing at the end of the input
  }
  job->src.next_input_byte += n;
  job->src.bytes_in_buffer -= static_cast<size_t>(n);
}

// Pillow's unpacking of "CMYK;I" (every byte inverted: it assumes Adobe's convention for every
// 4-component JPEG) followed by Convert.c's cmyk2rgb.
void cmyk_row_to_rgb(const uint8_t* in, uint8_t* out, uint32_t width) {
  for (uint32_t x = 0; x < width; ++x, in += 4, out += 3) {
    const int nk = in[3];  // 255 - (255 - k)
    for (int c = 0; c < 3; ++c) {
      const int t = (255 - in[c]) * nk + 128;
      const int v = nk - (((t >> 8) + t) >> 8);
      out[c] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
}

bool jpeg_run(JpegJob* job, bool whole) {
  if (setjmp(job->err.jump)) return false;
  jpeg_decompress_struct* ci = &job->cinfo;
  job->created = true;  // jpeg_destroy_decompress takes a half-created struct (mem still null)
  jpeg_create_decompress(ci);
  ci->src = &job->src;
  ci->mem->max_memory_to_use = static_cast<long>(job->budget < 0x7FFFFFFF ? job->budget : 0x7FFFFFFF);
  ci->progress = &job->progress;
  jpeg_save_markers(ci, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(ci, TRUE);
  Decoded& out = job->out;
  out.width = ci->image_width;
  out.height = ci->image_height;
  out.orientation = jpeg_orientation(ci);
  // Pillow's modes: 1 component L, 3 RGB (libjpeg converts from YCbCr when the file says so),
  // 4 CMYK; other counts it refuses.
  switch (ci->num_components) {
    case 1: out.channels = 1, out.source = Source::kGray, ci->out_color_space = JCS_GRAYSCALE; break;
    case 3: out.channels = 3, out.source = Source::kRgb, ci->out_color_space = JCS_RGB; break;
    case 4: out.channels = 3, out.source = Source::kCmyk, ci->out_color_space = JCS_CMYK; break;
    default:
      std::snprintf(job->message, sizeof(job->message), "unsupported JPEG (%d components)", ci->num_components);
      return false;
  }
  if (!whole) return true;
  // libjpeg's defaults are Pillow's: JDCT_ISLOW, fancy upsampling, block smoothing.
  jpeg_start_decompress(ci);
  if (ci->output_width != out.width || ci->output_height != out.height ||
      ci->output_components != (out.source == Source::kCmyk ? 4 : static_cast<int>(out.channels))) {
    std::snprintf(job->message, sizeof(job->message), "unsupported JPEG (unexpected output layout)");
    return false;
  }
  const size_t row_bytes = size_t{out.width} * out.channels;
  out.pixels = static_cast<uint8_t*>(std::malloc(row_bytes * out.height));
  if (out.source == Source::kCmyk) job->row = static_cast<uint8_t*>(std::malloc(size_t{out.width} * 4));
  if (!out.pixels || (out.source == Source::kCmyk && !job->row)) {
    std::snprintf(job->message, sizeof(job->message), "out of memory");
    return false;
  }
  while (ci->output_scanline < ci->output_height) {
    uint8_t* dst = out.pixels + row_bytes * ci->output_scanline;
    JSAMPROW row = out.source == Source::kCmyk ? job->row : dst;
    if (jpeg_read_scanlines(ci, &row, 1) != 1) ERREXIT(ci, JERR_INPUT_EOF);
    if (out.source == Source::kCmyk) cmyk_row_to_rgb(job->row, dst, out.width);
  }
  // What follows the rows is read as Pillow reads it: an error in it (a corrupt marker) fails
  // the decoding, the end of the input does not.
  job->finishing = true;
  jpeg_finish_decompress(ci);
  return true;
}

std::string jpeg(ReadFn read, void* user, uint64_t budget, Decoded* result, bool whole) {
  std::unique_ptr<JpegJob> job(new (std::nothrow) JpegJob);
  if (!job) return "out of memory";
  std::memset(static_cast<void*>(job.get()), 0, sizeof(JpegJob));
  job->out = Decoded();
  job->cinfo.err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = jpeg_on_error;
  job->err.pub.emit_message = jpeg_on_message;
  job->src.init_source = jpeg_src_init;
  job->src.fill_input_buffer = jpeg_src_fill;
  job->src.skip_input_data = jpeg_src_skip;
  job->src.resync_to_restart = jpeg_resync_to_restart;
  job->src.term_source = jpeg_src_term;
  job->progress.progress_monitor = jpeg_on_progress;
  job->read = read;
  job->user = user;
  job->budget = budget;
  const bool ok = jpeg_run(job.get(), whole);
  if (job->created) jpeg_destroy_decompress(&job->cinfo);
  std::free(job->row);
  if (!ok) {
    std::free(job->out.pixels);
    return job->message[0] ? job->message : "corrupt JPEG";
  }
  *result = job->out;
  return "";
}

// ---------------------------------------------------------------- PNG

struct PngJob {
  png_structp png;
  png_infop info;
  ReadFn read;
  void* user;
  uint64_t budget;
  bool truncated;
  char message[256];
  Decoded out;
  uint8_t* raw;     // rows as libpng gives them
  png_bytep* rows;  // into raw, for interlaced images
  uint8_t palette[256 * 3];
};

void png_on_error(png_structp png, png_const_charp text) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  if (job->truncated) std::snprintf(job->message, sizeof(job->message), "truncated PNG");
  else std::snprintf(job->message, sizeof(job->message), "corrupt PNG (%s)", text);
  png_longjmp(png, 1);
}
// libpng's warnings, its "benign errors" included, leave the pixels as Pillow decodes them
// (a palette index past PLTE's end, an odd ancillary chunk), except those about the image
// data: once every row is read, libpng inflates the rest of the zlib stream and only warns
// when its Adler-32 checksum is wrong or more data follows the image's ("IDAT: incorrect data
// check", "IDAT: Too much image data").
void png_on_warning(png_structp png, png_const_charp text) {
  if (std::strncmp(text, "IDAT", 4) == 0 || std::strstr(text, "Too many IDATs")) png_error(png, text);
}

void png_on_read(png_structp png, png_bytep out, size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  for (size_t got = 0; got < n;) {
    const size_t k = job->read(job->user, out + got, n - got);
    if (k == 0) {
      job->truncated = true;
      png_error(png, "truncated");
    }
    got += k;
  }
}

// The ancillary chunks pixnorm has no use for: skipped unparsed (their CRCs are still checked).
// gAMA, cHRM, sRGB and iCCP change nothing in Pillow's pixels either.
constexpr png_byte kIgnoredChunks[] = "bKGD\0cHRM\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0"
                                      "sBIT\0sCAL\0sPLT\0sRGB\0sTER\0tEXt\0tIME\0zTXt\0acTL\0fcTL\0fdAT";

// One row from libpng's samples (8 or 16 bits, `in_channels` with alpha last) to Pillow's:
// 16-bit samples keep their high byte, except 16-bit gray without alpha, which Pillow opens as
// mode "I" and clips to 255 in convert; palette indices through Pillow's palette.
void png_convert_row(const PngJob* job, const uint8_t* in, uint8_t* out, unsigned in_channels, unsigned depth) {
  const Decoded& d = job->out;
  const uint32_t w = d.width;
  if (d.source == Source::kPalette) {
    for (uint32_t x = 0; x < w; ++x) std::memcpy(out + 3 * x, job->palette + 3 * in[x], 3);
  } else if (depth == 16 && d.source == Source::kGray) {
    for (uint32_t x = 0; x < w; ++x) {
      const unsigned v = unsigned{in[2 * x]} << 8 | in[2 * x + 1];
      out[x] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
  } else {
    const unsigned step = depth == 16 ? 2 : 1, n = d.channels;
    for (uint32_t x = 0; x < w; ++x)
      for (unsigned c = 0; c < n; ++c) out[x * n + c] = in[(x * in_channels + c) * step];
  }
}

bool png_run(PngJob* job, bool whole) {
  if (setjmp(png_jmpbuf(job->png))) return false;
  png_structp png = job->png;
  png_infop info = job->info;
  png_set_read_fn(png, job, png_on_read);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  // A probe lets any size through to image_io's check, whose message says what the limit is.
  const png_uint_32 side = whole ? PIXNORM_MAX_DIMENSION : PNG_UINT_31_MAX;
  png_set_user_limits(png, side, side);
  png_set_chunk_malloc_max(png, 64u << 20);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kIgnoredChunks,
                              static_cast<int>(sizeof(kIgnoredChunks) / 5));
  png_read_info(png, info);
  png_uint_32 w = 0, h = 0;
  int depth = 0, type = 0, interlace = 0;
  png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, nullptr, nullptr);
  Decoded& out = job->out;
  out.width = w;
  out.height = h;
  out.from_16bit = depth == 16;
  png_uint_32 exif_size = 0;
  png_bytep exif = nullptr;
  if (png_get_eXIf_1(png, info, &exif_size, &exif) != 0 && exif) out.orientation = exif_orientation(exif, exif_size);
  switch (type) {
    case PNG_COLOR_TYPE_GRAY: out.channels = 1, out.source = depth == 1 ? Source::kBilevel : Source::kGray; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: out.channels = 1, out.source = Source::kGrayAlpha; break;
    case PNG_COLOR_TYPE_RGB: out.channels = 3, out.source = Source::kRgb; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: out.channels = 3, out.source = Source::kRgba; break;
    case PNG_COLOR_TYPE_PALETTE: out.channels = 3, out.source = Source::kPalette; break;
    default: png_error(png, "unknown colour type");
  }
  if (!whole) return true;
  if (type == PNG_COLOR_TYPE_PALETTE) {
    // Pillow's palette is a gray ramp where PLTE gives no colour; libpng's would be black.
    for (int i = 0; i < 256; ++i) std::memset(job->palette + 3 * i, i, 3);
    png_colorp plte = nullptr;
    int entries = 0;
    if (png_get_PLTE(png, info, &plte, &entries) == PNG_INFO_PLTE)
      for (int i = 0; i < entries && i < 256; ++i) {
        job->palette[3 * i] = plte[i].red;
        job->palette[3 * i + 1] = plte[i].green;
        job->palette[3 * i + 2] = plte[i].blue;
      }
    png_set_packing(png);  // one index per byte
  } else if (type == PNG_COLOR_TYPE_GRAY && depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);  // x255, x85, x17: Pillow's "1", "L;2", "L;4"
  }
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const unsigned in_channels = png_get_channels(png, info);
  const unsigned in_depth = png_get_bit_depth(png, info);
  const size_t raw_row = png_get_rowbytes(png, info);
  if (raw_row != size_t{w} * in_channels * (in_depth / 8)) png_error(png, "unexpected row layout");
  const size_t row_bytes = size_t{w} * out.channels;
  const size_t raw_rows = passes > 1 ? h : 1;
  if (raw_row * raw_rows > job->budget) png_error(png, "image too large for the decoding budget");
  out.pixels = static_cast<uint8_t*>(std::malloc(row_bytes * h));
  job->raw = static_cast<uint8_t*>(std::malloc(raw_row * raw_rows));
  if (!out.pixels || !job->raw) {
    std::snprintf(job->message, sizeof(job->message), "out of memory");
    return false;
  }
  if (passes == 1) {
    for (png_uint_32 y = 0; y < h; ++y) {
      png_read_row(png, job->raw, nullptr);
      png_convert_row(job, job->raw, out.pixels + row_bytes * y, in_channels, in_depth);
    }
  } else {
    job->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * h));
    if (!job->rows) {
      std::snprintf(job->message, sizeof(job->message), "out of memory");
      return false;
    }
    for (png_uint_32 y = 0; y < h; ++y) job->rows[y] = job->raw + raw_row * y;
    png_read_image(png, job->rows);
    for (png_uint_32 y = 0; y < h; ++y)
      png_convert_row(job, job->rows[y], out.pixels + row_bytes * y, in_channels, in_depth);
  }
  // The rest of the file: the zlib stream's end and checksum, every later chunk's CRC, IEND.
  png_read_end(png, nullptr);
  return true;
}

std::string png(ReadFn read, void* user, uint64_t budget, Decoded* result, bool whole) {
  std::unique_ptr<PngJob> job(new (std::nothrow) PngJob);
  if (!job) return "out of memory";
  std::memset(static_cast<void*>(job.get()), 0, sizeof(PngJob));
  job->out = Decoded();
  job->read = read;
  job->user = user;
  job->budget = budget;
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job.get(), png_on_error, png_on_warning);
  if (job->png) job->info = png_create_info_struct(job->png);
  bool ok = job->png && job->info;
  if (ok) ok = png_run(job.get(), whole);
  else std::snprintf(job->message, sizeof(job->message), "out of memory");
  png_destroy_read_struct(job->png ? &job->png : nullptr, job->info ? &job->info : nullptr, nullptr);
  std::free(job->raw);
  std::free(job->rows);
  if (!ok) {
    std::free(job->out.pixels);
    return job->message[0] ? job->message : "corrupt PNG";
  }
  *result = job->out;
  return "";
}

}  // namespace

uint8_t exif_orientation(const uint8_t* tiff, size_t size) {
  if (size < 8 || !(std::memcmp(tiff, "II*\0", 4) == 0 || std::memcmp(tiff, "MM\0*", 4) == 0)) return 1;
  const bool le = tiff[0] == 'I';
  const auto u16 = [&](size_t at) { return le ? tiff[at] | tiff[at + 1] << 8 : tiff[at] << 8 | tiff[at + 1]; };
  const auto u32 = [&](size_t at) { return uint32_t(u16(le ? at + 2 : at)) << 16 | uint32_t(u16(le ? at : at + 2)); };
  const uint64_t ifd = u32(4);
  if (ifd + 2 > size) return 1;
  const unsigned entries = u16(ifd);
  for (unsigned i = 0; i < entries; ++i) {
    const uint64_t at = ifd + 2 + 12 * uint64_t{i};
    if (at + 12 > size) break;
    if (u16(at) != 0x0112) continue;
    const unsigned type = u16(at + 2);  // SHORT (3) as the standard says; LONG (4) seen in the wild
    const unsigned value = type == 3 ? u16(at + 8) : type == 4 ? u32(at + 8) : 0;
    return static_cast<uint8_t>(value >= 1 && value <= 8 ? value : 1);
  }
  return 1;
}

std::string jpeg_probe(ReadFn read, void* user, Decoded* out) { return jpeg(read, user, 16u << 20, out, false); }
std::string jpeg_decode(ReadFn read, void* user, uint64_t budget, Decoded* out) {
  return jpeg(read, user, budget, out, true);
}
std::string png_probe(ReadFn read, void* user, Decoded* out) { return png(read, user, 16u << 20, out, false); }
std::string png_decode(ReadFn read, void* user, uint64_t budget, Decoded* out) {
  return png(read, user, budget, out, true);
}

}  // namespace codec
}  // namespace pixnorm_cli
