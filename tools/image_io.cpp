#include "image_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <stb/stb_image.h>

#include "cli_error.h"
#include "image_decoders.h"

extern "C" {  // stb_image_impl.c
void pixnorm_cli_stbi_clear_failure(void);
void pixnorm_cli_stbi_set_budget(size_t bytes);
int pixnorm_cli_stbi_over_budget(void);
}

namespace pixnorm_cli {
namespace {

struct FormatEntry {
  pixnorm_format format;
  const char* name;
  unsigned bpp;
};
constexpr FormatEntry kFormats[] = {{PIXNORM_FORMAT_GRAY8, "gray8", 1},
                                    {PIXNORM_FORMAT_RGB8, "rgb8", 3},
                                    {PIXNORM_FORMAT_BGR8, "bgr8", 3},
                                    {PIXNORM_FORMAT_RGBA8, "rgba8", 4},
                                    {PIXNORM_FORMAT_BGRA8, "bgra8", 4},
                                    {PIXNORM_FORMAT_NV12, "nv12", 1},
                                    {PIXNORM_FORMAT_NV21, "nv21", 1},
                                    {PIXNORM_FORMAT_I420, "i420", 1},
                                    {PIXNORM_FORMAT_YUYV, "yuyv", 2}};

const FormatEntry& entry(pixnorm_format format) {
  for (const FormatEntry& e : kFormats)
    if (e.format == format) return e;
  return kFormats[1];
}

constexpr uint64_t kMaxCompression = 16384;  // decoded bytes per file byte, see probe_image

std::string dims(uint64_t w, uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// Rejects sizes over the library limits before anything is allocated for them.
void check_limits(const std::string& subject, uint64_t w, uint64_t h) {
  if (w == 0 || h == 0) throw data_error(subject, "empty image (" + dims(w, h) + ")");
  if (w > PIXNORM_MAX_DIMENSION || h > PIXNORM_MAX_DIMENSION)
    throw data_error(subject, dims(w, h) + " is too large: width and height are limited to " +
                                  std::to_string(PIXNORM_MAX_DIMENSION));
  if (w * h > PIXNORM_MAX_PIXELS)
    throw data_error(subject, dims(w, h) + " is too large: images are limited to " +
                                  std::to_string(PIXNORM_MAX_PIXELS) + " pixels");
}

// Encoded bytes for stb: an open file, or a buffer in memory. Both go through the same
// callbacks, so a buffer decodes exactly as a file holding the same bytes.
struct Input {
  std::string path;  // or the name a buffer stands for: messages, the TGA extension
  FILE* f = nullptr;  // nullptr for a buffer
  const unsigned char* data = nullptr;
  uint64_t size = 0;
  uint64_t pos = 0;  // in the buffer
  bool starved = false;  // the decoder asked for bytes past the end of the file

  size_t read(void* out, size_t n) {
    if (f) return std::fread(out, 1, n, f);
    const size_t k = static_cast<size_t>(n < size - pos ? n : size - pos);
    if (k) std::memcpy(out, data + pos, k);
    pos += k;
    return k;
  }
  void skip(int n) {  // stb skips forward only
    if (f) fseeko(f, n, SEEK_CUR);
    else pos += n > 0 && static_cast<uint64_t>(n) < size - pos ? static_cast<uint64_t>(n) : size - pos;
  }
  bool at_end() {
    if (!f) return pos >= size;
    const off_t at = ftello(f);
    return at < 0 || static_cast<uint64_t>(at) >= size;
  }
  void rewind() {
    if (f) std::rewind(f);
    pos = 0;
  }
};

// An open regular file. Anything else is refused before a byte is read: a FIFO would block
// the open (without O_NONBLOCK) or the first read until a writer comes, and the "size" of a
// directory or a device is not the number of bytes a read returns. The type is checked on the
// opened descriptor, so the file cannot be swapped between the check and the reads.
struct InputFile : Input {
  explicit InputFile(const std::string& file_path) {
    path = file_path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw data_error(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    std::string problem;
    if (fstat(fd, &st) != 0) problem = std::string("cannot open: ") + std::strerror(errno);
    else if (!S_ISREG(st.st_mode)) problem = std::string("not a regular file (") + file_type(st.st_mode) + ")";
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || !(f = fdopen(fd, "rb")))
      problem = std::string("cannot open: ") + std::strerror(errno);
    if (!problem.empty()) {
      ::close(fd);  // a constructor that throws gets no destructor call
      throw data_error(path, problem);
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  ~InputFile() { std::fclose(f); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  static const char* file_type(mode_t mode) {
    return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "not a file";
  }
};

// A buffer in memory, named for messages.
Input memory_input(const void* data, size_t size, const std::string& name) {
  Input in;
  in.path = name;
  in.data = static_cast<const unsigned char*>(data);
  in.size = size;
  return in;
}

int read_cb(void* user, char* data, int size) {
  auto* in = static_cast<Input*>(user);
  const size_t n = in->read(data, static_cast<size_t>(size));
  if (n == 0 && size > 0) in->starved = true;
  return static_cast<int>(n);
}
void skip_cb(void* user, int n) { static_cast<Input*>(user)->skip(n); }
int eof_cb(void* user) { return static_cast<Input*>(user)->at_end(); }
const stbi_io_callbacks kCallbacks = {read_cb, skip_cb, eof_cb};

// An input's bytes from its start, read as stb reads them (0 past the end); rewinds after.
class ByteReader {
 public:
  explicit ByteReader(Input& in) : in_(in) { in_.rewind(); }
  ~ByteReader() { in_.rewind(); }
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;
  bool at_end() {
    if (pos_ == len_) len_ = in_.read(buf_, sizeof(buf_)), pos_ = 0;
    return len_ == 0;
  }
  int get() { return at_end() ? 0 : buf_[pos_++]; }
  int get16() {
    const int hi = get();
    return hi << 8 | get();
  }
  void skip(long n) {
    while (n-- > 0 && !at_end()) ++pos_;
  }

 private:
  Input& in_;
  unsigned char buf_[4096];
  size_t pos_ = 0, len_ = 0;
};

// stb_image 2.27 (Debian 12's) builds a JPEG Huffman table from 16 code counts without
// checking that they add up to at most 256, and writes past its arrays (fixed upstream in
// 2.28). This walks the markers as stb does, in stbi_info up to the frame header and in
// decoding to the end, and finds any such table before stb does. Where stb would stop with
// an error the walk stops too; where stb's path is uncertain it looks at more, not less.
bool jpeg_huffman_tables_ok(Input& in, bool whole) {
  ByteReader r(in);
  const auto marker = [&r] {  // stbi__get_marker: 0xFF, fill bytes, the code; -1 for none
    if (r.get() != 0xFF) return -1;
    int c = r.get();
    while (c == 0xFF) c = r.get();
    return c;
  };
  if (marker() != 0xD8) return true;  // not a JPEG to stb
  bool frame = false;
  int m = marker();
  for (;;) {
    while (m == -1 && !frame && !r.at_end()) m = marker();  // stb skips padding before the frame
    if (m == -1 || m == 0xD9) return true;
    const bool sof = m == 0xC0 || m == 0xC1 || m == 0xC2;
    if (sof && (frame || !whole)) return true;
    frame = frame || sof;
    const long length = r.get16() - 2;
    if (m == 0xC4) {
      for (long left = length; left > 0;) {
        const int q = r.get();
        if (q >> 4 > 1 || (q & 15) > 3) return true;  // stb refuses the table
        long codes = 0;
        for (int i = 0; i < 16; ++i) codes += r.get();
        if (codes > 256) return false;
        r.skip(codes);
        left -= 17 + codes;
      }
    } else {
      r.skip(length);
    }
    if (m != 0xDA) {
      m = marker();
      continue;
    }
    // Entropy-coded data ends at the first 0xFF not followed by a stuffed 0 or a restart marker.
    for (m = -1; m == -1 && !r.at_end();) {
      if (r.get() != 0xFF) continue;
      int c = r.get();
      while (c == 0xFF) c = r.get();
      if (c != 0 && (c < 0xD0 || c > 0xD7)) m = c;
    }
  }
}

// stb_image 2.27 reads a PGM/PPM header's numbers into an int without an overflow check
// (undefined behaviour; fixed upstream in 2.28). Reads the three numbers as stb does.
bool pnm_header_ok(Input& in) {
  ByteReader r(in);
  if (r.get() != 'P') return true;
  const int t = r.get();
  if (t != '5' && t != '6') return true;
  const auto space = [](int c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  int c = r.get();
  for (int number = 0; number < 3; ++number) {
    for (;;) {  // stbi__pnm_skip_whitespace
      while (!r.at_end() && space(c)) c = r.get();
      if (r.at_end() || c != '#') break;
      while (!r.at_end() && c != '\n' && c != '\r') c = r.get();
    }
    for (long long value = 0; !r.at_end() && c >= '0' && c <= '9'; c = r.get()) {
      value = value * 10 + (c - '0');
      if (value > INT_MAX) return false;
    }
  }
  return true;
}

// 16 bits per sample, from the header stb_image has just accepted: a PNG's IHDR bit depth, a
// PGM/PPM's maximum value above 255 (read as pnm_header_ok reads it). Cheaper than
// stbi_is_16_bit, which parses the header again through the callbacks.
bool header_16bit(Input& in, const char* kind) {
  const bool png = std::strcmp(kind, "PNG") == 0;
  if (!png && std::strcmp(kind, "PGM") != 0 && std::strcmp(kind, "PPM") != 0) return false;
  ByteReader r(in);
  if (png) {
    r.skip(24);  // signature, IHDR length and type, width, height
    return r.get() == 16;
  }
  const auto space = [](int c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  r.skip(2);
  int c = r.get();
  long long value = 0;
  for (int number = 0; number < 3; ++number) {
    for (;;) {
      while (!r.at_end() && space(c)) c = r.get();
      if (r.at_end() || c != '#') break;
      while (!r.at_end() && c != '\n' && c != '\r') c = r.get();
    }
    for (value = 0; !r.at_end() && c >= '0' && c <= '9' && value <= INT_MAX; c = r.get()) value = value * 10 + (c - '0');
  }
  return value > 255;
}

// Holds what stb allocates during one call to `bytes` (see stb_image_impl.c). What decoding
// needs at most, the worst case being an interlaced 16-bit RGBA PNG, is about 26 bytes per
// pixel and twice the compressed data; stbi_info needs only small fixed structures.
struct StbBudget {
  explicit StbBudget(uint64_t bytes) {
    pixnorm_cli_stbi_set_budget(static_cast<size_t>(bytes < SIZE_MAX ? bytes : SIZE_MAX));
  }
  ~StbBudget() { pixnorm_cli_stbi_set_budget(0); }
  StbBudget(const StbBudget&) = delete;
  StbBudget& operator=(const StbBudget&) = delete;
  static uint64_t decode(uint64_t pixels, uint64_t file_size) { return 32 * pixels + 4 * file_size + (64 << 20); }
  static constexpr uint64_t kProbe = 16 << 20;
};

// Refuses what stb_image 2.27 would mishandle; `whole`: the whole file will be decoded.
void check_stb_defects(Input& in, bool whole) {
  if (!jpeg_huffman_tables_ok(in, whole))
    throw data_error(in.path, "cannot decode: corrupt JPEG (a Huffman table of more than 256 codes)");
  if (!pnm_header_ok(in)) throw data_error(in.path, "cannot decode: corrupt PGM/PPM header (a number too large)");
}

// stb_image has no way to restrict a call to one format, and TGA has no signature: without
// this check arbitrary bytes can "decode" as a TGA image.
const char* sniff_kind(Input& in) {
  unsigned char b[8] = {0};
  const size_t n = in.read(b, sizeof(b));
  in.rewind();
  if (n >= 8 && std::memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) return "PNG";
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "JPEG";
  if (n >= 2 && b[0] == 'B' && b[1] == 'M') return "BMP";
  if (n >= 6 && (std::memcmp(b, "GIF87a", 6) == 0 || std::memcmp(b, "GIF89a", 6) == 0)) return "GIF";
  if (n >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6')) return b[1] == '5' ? "PGM" : "PPM";
  const std::string& p = in.path;
  if (p.size() >= 4) {
    std::string ext = p.substr(p.size() - 4);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".tga") return "TGA";
  }
  return nullptr;
}

std::string stb_reason(const char* kind) {
  std::string r = stbi_failure_reason() ? stbi_failure_reason() : "";
  // "Not a PNG" is left over from stb probing the formats it tries before the right one;
  // some decoders then fail without a reason of their own.
  if (r.empty() || r.compare(0, 5, "Not a") == 0) return std::string("corrupt or truncated ") + kind;
  // "Corrupt PNG" -> "corrupt PNG", but keep "PNG not supported" as it is.
  if (r.size() > 1 && std::isupper(static_cast<unsigned char>(r[0])) && std::islower(static_cast<unsigned char>(r[1])))
    r[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(r[0])));
  return r;
}

unsigned dimension(const std::string& spec, const std::string& text, const char* what) {
  const bool digits = !text.empty() && text.size() <= 9 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  const unsigned long v = digits ? std::strtoul(text.c_str(), nullptr, 10) : 0;
  if (v == 0 || v > PIXNORM_MAX_DIMENSION)
    throw usage_error("--raw " + spec + ": the " + what + " must be a number from 1 to " +
                      std::to_string(PIXNORM_MAX_DIMENSION));
  return static_cast<unsigned>(v);
}

}  // namespace

unsigned bytes_per_pixel(pixnorm_format format) { return entry(format).bpp; }

const char* source_name(Source source) {
  switch (source) {
    case Source::kRgb: return "RGB";
    case Source::kRgba: return "RGBA";
    case Source::kGray: return "grayscale";
    case Source::kGrayAlpha: return "gray+alpha";
    case Source::kBilevel: return "1-bit";
    case Source::kPalette: return "palette";
    case Source::kCmyk: return "CMYK";
  }
  return "?";
}
const char* format_name(pixnorm_format format) { return entry(format).name; }
bool is_gray(pixnorm_format format) { return format == PIXNORM_FORMAT_GRAY8; }
bool is_yuv(pixnorm_format format) { return format >= PIXNORM_FORMAT_NV12 && format <= PIXNORM_FORMAT_YUYV; }

size_t raw_row_bytes(const ImageInfo& spec) {
  if (spec.format == PIXNORM_FORMAT_YUYV) return (static_cast<size_t>(spec.width) + 1) / 2 * 4;
  return static_cast<size_t>(spec.width) * bytes_per_pixel(spec.format);
}

uint64_t raw_frame_bytes(const ImageInfo& spec) {
  const uint64_t w = spec.width, h = spec.height, cw = (w + 1) / 2, ch = (h + 1) / 2;
  switch (spec.format) {
    case PIXNORM_FORMAT_NV12:
    case PIXNORM_FORMAT_NV21:
    case PIXNORM_FORMAT_I420: return w * h + 2 * cw * ch;
    default: return raw_row_bytes(spec) * h;
  }
}

ImageInfo parse_raw_spec(const std::string& spec, bool allow_yuv) {
  const size_t x = spec.find('x');
  const size_t colon = spec.find(':');
  if (x == std::string::npos || colon == std::string::npos || colon < x)
    throw usage_error("--raw " + spec + ": expected WxH:FORMAT, e.g. 224x224:rgb8");
  ImageInfo info;
  info.width = dimension(spec, spec.substr(0, x), "width");
  info.height = dimension(spec, spec.substr(x + 1, colon - x - 1), "height");
  const std::string name = spec.substr(colon + 1);
  const FormatEntry* found = nullptr;
  for (const FormatEntry& e : kFormats)
    if (name == e.name) found = &e;
  if (!found || (!allow_yuv && is_yuv(found->format)))
    throw usage_error("--raw " + spec + ": unknown format '" + name + "' (gray8, rgb8, bgr8, rgba8, bgra8" +
                      (allow_yuv ? ", nv12, nv21, i420, yuyv)" : ")"));
  info.format = found->format;
  try {
    check_limits("--raw " + spec, info.width, info.height);
  } catch (const CliError& e) {
    throw usage_error(e.what());
  }
  return info;
}

namespace {

// PIXNORM_DECODER=stb sends JPEG and PNG files to stb_image as before libjpeg and libpng took
// them: for comparisons (bench/decode_fit.sh), not for use.
bool stb_for_all() {
  static const bool stb = [] {
    const char* v = std::getenv("PIXNORM_DECODER");
    return v && std::strcmp(v, "stb") == 0;
  }();
  return stb;
}

size_t codec_read(void* user, void* out, size_t n) { return static_cast<Input*>(user)->read(out, n); }

bool by_codec(const char* kind) {
  return !stb_for_all() && (std::strcmp(kind, "JPEG") == 0 || std::strcmp(kind, "PNG") == 0);
}

// What stbi_info's channel count says, in Pillow's terms; GIF is always a palette image.
Source stb_source(const char* kind, int channels) {
  if (std::strcmp(kind, "GIF") == 0) return Source::kPalette;
  switch (channels) {
    case 1: return Source::kGray;
    case 2: return Source::kGrayAlpha;
    case 4: return Source::kRgba;
    default: return Source::kRgb;
  }
}

bool gray_source(Source s) { return s == Source::kGray || s == Source::kGrayAlpha || s == Source::kBilevel; }

ImageInfo probe(Input& in) {
  const std::string& path = in.path;
  if (in.size == 0) throw data_error(path, "empty file");
  const char* kind = sniff_kind(in);
  if (!kind)
    throw data_error(path, "not a PNG, JPEG, BMP, GIF, PGM/PPM or TGA image (for raw pixels use --raw WxH:FORMAT)");
  ImageInfo info;
  info.kind = kind;
  uint64_t w = 0, h = 0;
  if (by_codec(kind)) {
    codec::Decoded d;
    const std::string problem = std::strcmp(kind, "JPEG") == 0 ? codec::jpeg_probe(codec_read, &in, &d)
                                                               : codec::png_probe(codec_read, &in, &d);
    in.rewind();
    if (!problem.empty()) throw data_error(path, "cannot decode: " + problem);
    w = d.width, h = d.height;
    info.source = d.source;
    info.from_16bit = d.from_16bit;
    info.orientation = d.orientation;
  } else {
    check_stb_defects(in, false);
    int sw = 0, sh = 0, channels = 0;
    // stbi_info tries every format and reports only the last one's failure: the sniffed kind
    // says more.
    {
      const StbBudget budget(StbBudget::kProbe);
      if (!stbi_info_from_callbacks(&kCallbacks, &in, &sw, &sh, &channels))
        throw data_error(path, std::string("cannot decode: corrupt or truncated ") + kind + " header");
    }
    in.rewind();
    // stb reports a top-down BMP (first row stored first) with a negative height.
    if (sh < 0 && sh >= -static_cast<int>(PIXNORM_MAX_DIMENSION) && std::strcmp(kind, "BMP") == 0) sh = -sh;
    if (sw < 0 || sh < 0)
      throw data_error(path, std::string("cannot decode: corrupt ") + kind + " header (negative size)");
    if (channels < 1 || channels > 4)
      throw data_error(path, "unsupported number of channels: " + std::to_string(channels));
    w = static_cast<uint64_t>(sw), h = static_cast<uint64_t>(sh);
    info.source = stb_source(kind, channels);
    info.from_16bit = header_16bit(in, kind);  // stb's header read says nothing of the bit depth
  }
  check_limits(path, w, h);
  info.width = static_cast<uint32_t>(w);
  info.height = static_cast<uint32_t>(h);
  info.format = gray_source(info.source) ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
  // Decoders allocate the whole image from its header before they read the pixel data. No real
  // file compresses beyond about 1:1000 (deflate's limit is 1:1032; LZW with RGBA output
  // reaches about 1:11000), so a header claiming far more than the file can hold is refused
  // instead of costing up to a gigabyte for a few bytes.
  const uint64_t decoded = w * h * (info.source == Source::kCmyk || info.source == Source::kRgba ? 4
                                    : gray_source(info.source)                                   ? 1
                                                                                                 : 3);
  if (decoded > (uint64_t{64} << 20) && decoded / kMaxCompression > in.size)
    throw data_error(path, "corrupt or truncated " + std::string(kind) + ": its header claims " + dims(w, h) + " (" +
                               std::to_string(decoded) + " bytes), far more than its " + std::to_string(in.size) +
                               " bytes can hold");
  return info;
}

void free_pixels(void* p) { std::free(p); }

// Pillow's convert('RGB') of a gray image and convert('L') of a colour one (Convert.c, L24).
void convert(Image& image, pixnorm_format want, const std::string& path) {
  const ImageInfo& info = image.info;
  if (info.format == want) return;
  const size_t pixels = size_t{info.width} * info.height;
  const unsigned from = bytes_per_pixel(info.format), to = bytes_per_pixel(want);
  uint8_t* out = static_cast<uint8_t*>(std::malloc(pixels * to));
  if (!out) throw data_error(path, "out of memory");
  const uint8_t* in = image.pixels.get();
  for (uint32_t y = 0; y < info.height; ++y) {
    const uint8_t* p = in + image.row_bytes * y;
    uint8_t* d = out + size_t{info.width} * to * y;
    if (to == 3)
      for (uint32_t x = 0; x < info.width; ++x, d += 3) d[0] = d[1] = d[2] = p[x * from];
    else
      for (uint32_t x = 0; x < info.width; ++x, p += from)
        d[x] = static_cast<uint8_t>((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 32768u) >> 16);
  }
  image.pixels = {out, free_pixels};
  image.info.format = want;
  image.row_bytes = size_t{info.width} * to;
}

// The width and height stored in the file.
uint64_t stored_width(const ImageInfo& i) { return i.exif_applied && i.orientation >= 5 ? i.height : i.width; }
uint64_t stored_height(const ImageInfo& i) { return i.exif_applied && i.orientation >= 5 ? i.width : i.height; }

// Pillow's exif_transpose: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE,
// 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90. Each output pixel (x, y) from a stored one.
void orient(Image& image, uint8_t orientation, const std::string& path) {
  if (orientation <= 1 || orientation > 8) return;
  const uint32_t w = image.info.width, h = image.info.height;  // stored
  const unsigned bpp = bytes_per_pixel(image.info.format);
  const bool swap = orientation >= 5;
  const uint32_t ow = swap ? h : w, oh = swap ? w : h;
  uint8_t* out = static_cast<uint8_t*>(std::malloc(size_t{ow} * oh * bpp));
  if (!out) throw data_error(path, "out of memory");
  const uint8_t* in = image.pixels.get();
  for (uint32_t y = 0; y < oh; ++y) {
    uint8_t* d = out + size_t{y} * ow * bpp;
    for (uint32_t x = 0; x < ow; ++x, d += bpp) {
      uint32_t sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;
        case 3: sx = w - 1 - x, sy = h - 1 - y; break;
        case 4: sy = h - 1 - y; break;
        case 5: sx = y, sy = x; break;
        case 6: sx = y, sy = h - 1 - x; break;
        case 7: sx = w - 1 - y, sy = h - 1 - x; break;
        case 8: sx = w - 1 - y, sy = x; break;
      }
      std::memcpy(d, in + size_t{sy} * image.row_bytes + size_t{sx} * bpp, bpp);
    }
  }
  image.pixels = {out, free_pixels};
  image.info.width = ow;
  image.info.height = oh;
  image.row_bytes = size_t{ow} * bpp;
}

Image decode_by_codec(Input& in, const ImageInfo& expected) {
  const std::string& path = in.path;
  const uint64_t budget = StbBudget::decode(uint64_t{expected.width} * expected.height, in.size);
  const uint64_t w = stored_width(expected), h = stored_height(expected);
  codec::Decoded d;
  const std::string problem = std::strcmp(expected.kind, "JPEG") == 0 ? codec::jpeg_decode(codec_read, &in, budget, &d)
                                                                      : codec::png_decode(codec_read, &in, budget, &d);
  if (!problem.empty()) throw data_error(path, "cannot decode: " + problem);
  Image image;
  image.pixels = {d.pixels, free_pixels};
  if (d.width != w || d.height != h)
    throw data_error(path, "cannot decode: the image is " + dims(d.width, d.height) + " but its header says " +
                               dims(w, h));
  if (d.source != expected.source || d.from_16bit != expected.from_16bit || d.orientation != expected.orientation)
    throw data_error(path, "cannot decode: the file changed since its header was read");
  image.info = expected;
  image.info.width = d.width;
  image.info.height = d.height;
  image.info.format = d.channels == 1 ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
  image.row_bytes = size_t{d.width} * d.channels;
  return image;
}

Image decode_by_stb(Input& in, const ImageInfo& expected) {
  const std::string& path = in.path;
  int w = 0, h = 0, channels = 0;
  const int wanted = gray_source(expected.source) ? 1 : 3;  // alpha dropped
  check_stb_defects(in, true);  // again: the file may have changed since it was probed
  pixnorm_cli_stbi_clear_failure();
  const uint64_t limit = StbBudget::decode(uint64_t{expected.width} * expected.height, in.size);
  StbBudget budget(limit);
  stbi_uc* pixels = stbi_load_from_callbacks(&kCallbacks, &in, &w, &h, &channels, wanted);
  const bool over_budget = pixnorm_cli_stbi_over_budget() != 0;
  Image image;
  image.pixels = {pixels, stbi_image_free};
  // A complete file never makes stb read past its end, and a truncated one can decode
  // "successfully" (stb pads JPEG data with zeros) or fail with a misleading reason.
  if (in.starved) throw data_error(path, std::string("cannot decode: truncated ") + expected.kind);
  if (!pixels && over_budget)
    throw data_error(path, std::string("cannot decode: corrupt ") + expected.kind + ": decoding " +
                               dims(expected.width, expected.height) + " pixels would take over " +
                               std::to_string(limit >> 20) + " MiB");
  if (!pixels) throw data_error(path, "cannot decode: " + stb_reason(expected.kind));
  if (static_cast<uint32_t>(w) != expected.width || static_cast<uint32_t>(h) != expected.height)
    throw data_error(path, "cannot decode: the image is " + dims(w, h) + " but its header says " +
                               dims(expected.width, expected.height));
  image.info = expected;
  image.info.format = wanted == 1 ? PIXNORM_FORMAT_GRAY8 : PIXNORM_FORMAT_RGB8;
  image.row_bytes = static_cast<size_t>(expected.width) * static_cast<size_t>(wanted);
  return image;
}

Image decode(Input& in, const ImageInfo& expected) {
  if (expected.format != PIXNORM_FORMAT_GRAY8 && expected.format != PIXNORM_FORMAT_RGB8)
    throw data_error(in.path, "cannot decode to " + std::string(format_name(expected.format)) + " (gray8 or rgb8)");
  Image image = by_codec(expected.kind) ? decode_by_codec(in, expected) : decode_by_stb(in, expected);
  convert(image, expected.format, in.path);
  if (expected.exif_applied) orient(image, expected.orientation, in.path);
  image.info = expected;
  return image;
}

}  // namespace

ImageInfo with_exif_orientation(ImageInfo info) {
  if (info.exif_applied) return info;
  info.exif_applied = true;
  if (info.orientation >= 5) std::swap(info.width, info.height);
  return info;
}

ImageInfo probe_image(const std::string& path) {
  InputFile in(path);
  return probe(in);
}
Image decode_image(const std::string& path, const ImageInfo& expected) {
  InputFile in(path);
  return decode(in, expected);
}
ImageInfo probe_image_memory(const void* data, size_t size, const std::string& name) {
  Input in = memory_input(data, size, name);
  return probe(in);
}
Image decode_image_memory(const void* data, size_t size, const std::string& name, const ImageInfo& expected) {
  Input in = memory_input(data, size, name);
  return decode(in, expected);
}

void check_raw_size(const std::string& path, const ImageInfo& spec) {
  InputFile in(path);
  const uint64_t bpp = bytes_per_pixel(spec.format);
  const uint64_t want = raw_frame_bytes(spec);  // <= 2^28 * 4: no overflow
  const std::string how = is_yuv(spec.format) && spec.format != PIXNORM_FORMAT_YUYV
                              ? "Y plane, then chroma " + std::to_string(2 * ((uint64_t{spec.width} + 1) / 2)) +
                                    " * " + std::to_string((uint64_t{spec.height} + 1) / 2)
                              : std::to_string(raw_row_bytes(spec)) + " * " + std::to_string(spec.height);
  (void)bpp;
  if (in.size != want)
    throw data_error(path, std::to_string(in.size) + " bytes, but " + dims(spec.width, spec.height) + ":" +
                               format_name(spec.format) + " needs " + std::to_string(want) + " (" + how + ")");
}

Image read_raw(const std::string& path, const ImageInfo& spec) {
  check_raw_size(path, spec);
  InputFile in(path);
  const size_t size = static_cast<size_t>(in.size);
  Image image;
  image.pixels = {static_cast<uint8_t*>(std::malloc(size)), std::free};
  if (!image.pixels) throw data_error(path, "out of memory");
  if (std::fread(image.pixels.get(), 1, size, in.f) != size)
    throw data_error(path, std::string("cannot read: ") + (std::ferror(in.f) ? std::strerror(errno) : "file shrank"));
  image.info = spec;
  image.row_bytes = raw_row_bytes(spec);
  return image;
}

}  // namespace pixnorm_cli
