#include "image_io.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <stb/stb_image.h>

#include "cli_error.h"

extern "C" void pixnorm_cli_stbi_clear_failure(void);  // stb_image_impl.c

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
                                    {PIXNORM_FORMAT_BGRA8, "bgra8", 4}};

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

// An open regular file; directories and devices are refused because their "size" is not
// the number of bytes a read returns.
struct InputFile : Input {
  explicit InputFile(const std::string& file_path) {
    path = file_path;
    f = std::fopen(path.c_str(), "rb");
    if (!f) throw data_error(path, std::string("cannot open: ") + std::strerror(errno));
    struct stat st;
    const bool stat_ok = fstat(fileno(f), &st) == 0;
    const std::string problem = !stat_ok               ? std::string("cannot open: ") + std::strerror(errno)
                                : !S_ISREG(st.st_mode) ? "not a regular file"
                                                       : "";
    if (!problem.empty()) {
      std::fclose(f);  // a constructor that throws gets no destructor call
      throw data_error(path, problem);
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  ~InputFile() { std::fclose(f); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
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
const char* format_name(pixnorm_format format) { return entry(format).name; }
bool is_gray(pixnorm_format format) { return format == PIXNORM_FORMAT_GRAY8; }

ImageInfo parse_raw_spec(const std::string& spec) {
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
  if (!found) throw usage_error("--raw " + spec + ": unknown format '" + name + "' (gray8, rgb8, bgr8, rgba8, bgra8)");
  info.format = found->format;
  try {
    check_limits("--raw " + spec, info.width, info.height);
  } catch (const CliError& e) {
    throw usage_error(e.what());
  }
  return info;
}

namespace {

ImageInfo probe(Input& in) {
  const std::string& path = in.path;
  if (in.size == 0) throw data_error(path, "empty file");
  const char* kind = sniff_kind(in);
  if (!kind)
    throw data_error(path, "not a PNG, JPEG, BMP, GIF, PGM/PPM or TGA image (for raw pixels use --raw WxH:FORMAT)");
  int w = 0, h = 0, channels = 0;
  // stbi_info tries every format and reports only the last one's failure: the sniffed kind
  // says more.
  if (!stbi_info_from_callbacks(&kCallbacks, &in, &w, &h, &channels))
    throw data_error(path, std::string("cannot decode: corrupt or truncated ") + kind + " header");
  check_limits(path, static_cast<uint64_t>(w), static_cast<uint64_t>(h));
  // stb allocates the whole image from its header before it reads the pixel data. No real
  // file compresses beyond about 1:1000 (deflate's limit is 1:1032; LZW with RGBA output
  // reaches about 1:11000), so a header claiming far more than the file can hold is refused
  // instead of costing up to a gigabyte for a few bytes.
  const uint64_t decoded = uint64_t{static_cast<uint32_t>(w)} * static_cast<uint32_t>(h) *
                           static_cast<uint32_t>(channels);
  if (decoded > (uint64_t{64} << 20) && decoded / kMaxCompression > in.size)
    throw data_error(path, "corrupt or truncated " + std::string(kind) + ": its header claims " + dims(w, h) + " (" +
                               std::to_string(decoded) + " bytes), far more than its " + std::to_string(in.size) +
                               " bytes can hold");
  ImageInfo info;
  info.kind = kind;
  info.width = static_cast<uint32_t>(w);
  info.height = static_cast<uint32_t>(h);
  switch (channels) {
    case 1: case 2: info.format = PIXNORM_FORMAT_GRAY8; break;  // gray + alpha: alpha dropped
    case 3: info.format = PIXNORM_FORMAT_RGB8; break;
    case 4: info.format = PIXNORM_FORMAT_RGBA8; break;
    default: throw data_error(path, "unsupported number of channels: " + std::to_string(channels));
  }
  return info;
}

Image decode(Input& in, const ImageInfo& expected) {
  const std::string& path = in.path;
  int w = 0, h = 0, channels = 0;
  const int wanted = static_cast<int>(bytes_per_pixel(expected.format));
  pixnorm_cli_stbi_clear_failure();
  stbi_uc* pixels = stbi_load_from_callbacks(&kCallbacks, &in, &w, &h, &channels, wanted);
  Image image;
  image.pixels = {pixels, stbi_image_free};
  // A complete file never makes stb read past its end, and a truncated one can decode
  // "successfully" (stb pads JPEG data with zeros) or fail with a misleading reason.
  if (in.starved) throw data_error(path, std::string("cannot decode: truncated ") + expected.kind);
  if (!pixels) throw data_error(path, "cannot decode: " + stb_reason(expected.kind));
  if (static_cast<uint32_t>(w) != expected.width || static_cast<uint32_t>(h) != expected.height)
    throw data_error(path, "cannot decode: the image is " + dims(w, h) + " but its header says " +
                               dims(expected.width, expected.height));
  image.info = expected;
  image.row_bytes = static_cast<size_t>(expected.width) * static_cast<size_t>(wanted);
  return image;
}

}  // namespace

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
  const uint64_t want = uint64_t{spec.width} * spec.height * bpp;  // <= 2^28 * 4: no overflow
  if (in.size != want)
    throw data_error(path, std::to_string(in.size) + " bytes, but " + dims(spec.width, spec.height) + ":" +
                               format_name(spec.format) + " needs " + std::to_string(want) + " (" +
                               std::to_string(spec.width) + " * " + std::to_string(spec.height) + " * " +
                               std::to_string(bpp) + ")");
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
  image.row_bytes = static_cast<size_t>(spec.width) * bytes_per_pixel(spec.format);
  return image;
}

}  // namespace pixnorm_cli
