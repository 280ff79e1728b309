// The seed corpora as regression tests of the CLI's readers:
//   corpus_test image DIR   tools/image_io: every seed (a valid file of its format) decodes to
//                           the size its header gives; every file named bad-* (what fuzzing
//                           found, and what stb_image cannot read) is refused with a message
//                           naming it; regress-* files (fuzzing found them, any outcome but a
//                           crash is right) are only read; the path and the memory entry points
//                           agree on every file; a zlib bomb and headers claiming more than the
//                           limits or the file allow are refused before the memory is spent.
//   corpus_test merge DIR   tools/accum: the accumulators and the "files" field (when there is
//                           one) of every seed read; every bad-* file is refused with a message
//                           naming it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli_error.h"
#include "image_io.h"
#if PIXNORM_FUZZ_MERGE
#include "accum.h"
#endif

using namespace pixnorm_cli;

namespace {

int failures = 0;

void fail(const std::string& what) {
  std::fprintf(stderr, "FAIL %s\n", what.c_str());
  ++failures;
}

// Decodes through one entry point: "" on success, else the message without the leading name.
template <class Probe, class Decode>
std::string outcome(const std::string& name, Probe probe, Decode decode, ImageInfo* info) {
  try {
    *info = probe();
    const Image image = decode(*info);
    if (image.info.width != info->width || image.info.height != info->height || !image.pixels)
      return "decoded to another size";
    return "";
  } catch (const CliError& e) {
    const std::string m = e.what();
    return m.compare(0, name.size() + 2, name + ": ") == 0 ? m.substr(name.size() + 2) : "unnamed: " + m;
  }
}

std::string decode_memory(const std::string& name, const std::vector<uint8_t>& bytes) {
  ImageInfo info;
  return outcome(
      name, [&] { return probe_image_memory(bytes.data(), bytes.size(), name); },
      [&](const ImageInfo& i) { return decode_image_memory(bytes.data(), bytes.size(), name, i); }, &info);
}

std::vector<std::filesystem::path> corpus(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.size() < 4) fail("the corpus " + dir.string() + " is missing or nearly empty");
  return files;
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool is_bad(const std::string& name) { return name.compare(0, 4, "bad-") == 0; }

// What the probe must say of some seeds: the kind of image (Pillow's mode) and a 16-bit source.
struct Expected {
  const char* name;
  Source source;
  bool from_16bit;
  uint8_t orientation = 1;
};
constexpr Expected kExpected[] = {
    {"png-gray16.png", Source::kGray, true},        {"png-rgb16.png", Source::kRgb, true},
    {"png-la16.png", Source::kGrayAlpha, true},      {"png-rgba16-interlaced.png", Source::kRgba, true},
    {"png-gray1.png", Source::kBilevel, false},     {"png-gray-alpha.png", Source::kGrayAlpha, false},
    {"png-palette8.png", Source::kPalette, false},  {"png-rgba8.png", Source::kRgba, false},
    {"jpeg-gray.jpg", Source::kGray, false},        {"jpeg-444.jpg", Source::kRgb, false},
    {"jpeg-cmyk.jpg", Source::kCmyk, false},        {"jpeg-adobe-ycck-420.jpg", Source::kCmyk, false},
    {"gif-plain.gif", Source::kPalette, false},
    {"jpeg-exif-orientation6.jpg", Source::kRgb, false, 6},
    {"jpeg-exif-orientation8-le.jpg", Source::kGray, false, 8},
};

void check_kind(const std::string& name, const std::string& full) {
  for (const Expected& e : kExpected) {
    if (name != e.name) continue;
    const ImageInfo info = probe_image(full);
    if (info.orientation != e.orientation)
      fail(name + ": EXIF orientation " + std::to_string(info.orientation) + ", expected " +
           std::to_string(e.orientation));
    const ImageInfo turned = with_exif_orientation(info);
    const Image image = decode_image(full, turned);
    if (image.info.width != turned.width || image.info.height != turned.height ||
        (e.orientation >= 5 && turned.width != info.height))
      fail(name + ": turned by its EXIF orientation to another size");
    if (info.source != e.source || info.from_16bit != e.from_16bit)
      fail(name + ": probed as " + source_name(info.source) + (info.from_16bit ? ", 16-bit" : "") + ", expected " +
           source_name(e.source) + (e.from_16bit ? ", 16-bit" : ""));
    // Either channel count on request, as Pillow's convert('RGB') and convert('L').
    for (const pixnorm_format want : {PIXNORM_FORMAT_GRAY8, PIXNORM_FORMAT_RGB8}) {
      ImageInfo asked = info;
      asked.format = want;
      const Image image = decode_image(full, asked);
      if (image.info.format != want || image.row_bytes != size_t{info.width} * bytes_per_pixel(want))
        fail(name + ": decoded to another format than asked");
    }
    return;
  }
}

void check_images(const std::filesystem::path& dir) {
  for (const auto& path : corpus(dir)) {
    const std::string name = path.filename().string(), full = path.string();
    const std::vector<uint8_t> bytes = read_all(full);
    ImageInfo info;
    const std::string from_file = outcome(
        full, [&] { return probe_image(full); }, [&](const ImageInfo& i) { return decode_image(full, i); }, &info);
    const std::string from_memory = decode_memory(full, bytes);
    const bool bad = is_bad(name), any = name.compare(0, 8, "regress-") == 0;
    if (from_file != from_memory) fail(name + ": file says \"" + from_file + "\", memory \"" + from_memory + "\"");
    else if (bad && from_file.empty()) fail(name + ": decoded, but it must be refused");
    else if (!bad && !any && !from_file.empty()) fail(name + ": " + from_file);
    else std::printf("ok   %-44s %s\n", name.c_str(), from_file.empty() ? "decoded" : from_file.c_str());
    if (from_file.empty()) check_kind(name, full);
  }
  for (const Expected& e : kExpected)
    if (!std::filesystem::exists(dir / e.name)) fail(std::string(e.name) + ": missing from the corpus");
}

#if PIXNORM_FUZZ_MERGE
void check_merge_parts(const std::filesystem::path& dir) {
  for (const auto& path : corpus(dir)) {
    const std::string name = path.filename().string(), full = path.string();
    std::string outcome;
    pixnorm_stats* raw = nullptr;
    if (pixnorm_stats_load(full.c_str(), &raw) != PIXNORM_OK) {
      outcome = pixnorm_last_error();
    } else {
      const OwnedStats stats(raw);
      try {
        read_accumulators(stats.get(), full);
        if (pixnorm_stats_get_field(stats.get(), "files")) read_record_field(stats.get(), full);
      } catch (const CliError& e) {
        outcome = e.what();
      }
    }
    if (is_bad(name) && outcome.empty()) fail(name + ": read, but it must be refused");
    else if (!is_bad(name) && !outcome.empty()) fail(name + ": " + outcome);
    else if (!outcome.empty() && outcome.find(full) == std::string::npos) fail(name + ": unnamed refusal: " + outcome);
    else std::printf("ok   %-44s %s\n", name.c_str(), outcome.empty() ? "read" : outcome.c_str() + full.size() + 2);
  }
}
#endif

// ---------------------------------------------------------------- generated files

struct BitWriter {  // deflate's bit order: least significant bit first
  std::vector<uint8_t> out;
  unsigned acc = 0, n = 0;
  void put(unsigned value, unsigned bits) {
    for (unsigned i = 0; i < bits; ++i) {
      acc |= ((value >> i) & 1u) << n;
      if (++n == 8) out.push_back(static_cast<uint8_t>(acc)), acc = 0, n = 0;
    }
  }
  void huffman(unsigned code, unsigned bits) {  // Huffman codes go most significant bit first
    for (unsigned i = bits; i-- > 0;) put((code >> i) & 1u, 1);
  }
  std::vector<uint8_t> finish() {
    if (n) out.push_back(static_cast<uint8_t>(acc));
    return out;
  }
};

void be32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

uint32_t crc32(const uint8_t* p, size_t n) {  // PNG's CRC (ISO 3309), bit by bit
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

// A PNG of one IHDR, one IDAT holding `zlib` and IEND, with correct CRCs.
std::vector<uint8_t> png(uint32_t w, uint32_t h, const std::vector<uint8_t>& zlib) {
  std::vector<uint8_t> v = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  auto chunk = [&v](const char* type, const std::vector<uint8_t>& body) {
    be32(v, static_cast<uint32_t>(body.size()));
    const size_t start = v.size();
    v.insert(v.end(), type, type + 4);
    v.insert(v.end(), body.begin(), body.end());
    be32(v, crc32(v.data() + start, v.size() - start));
  };
  std::vector<uint8_t> ihdr;
  be32(ihdr, w);
  be32(ihdr, h);
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit gray
  chunk("IHDR", ihdr);
  chunk("IDAT", zlib);
  chunk("IEND", {});
  return v;
}

// A zlib stream inflating to about `bytes` zeros: one literal, then matches of 258 at distance
// 1 in a fixed-Huffman block, 13 bits each.
std::vector<uint8_t> zlib_bomb(uint64_t bytes) {
  BitWriter b;
  b.put(1, 1);                                 // final block
  b.put(1, 2);                                 // fixed Huffman codes
  b.huffman(0x30, 8);                          // literal 0
  for (uint64_t done = 1; done < bytes; done += 258) {
    b.huffman(0xC0 + (285 - 280), 8);          // length 258
    b.huffman(0, 5);                           // distance 1
  }
  b.huffman(0, 7);                             // end of block
  std::vector<uint8_t> z = {0x78, 0x01};
  const std::vector<uint8_t> body = b.finish();
  z.insert(z.end(), body.begin(), body.end());
  be32(z, 0);  // Adler-32: never reached
  return z;
}

void expect_refused(const std::string& name, const std::vector<uint8_t>& bytes, const std::string& part) {
  const std::string m = decode_memory(name, bytes);
  if (m.find(part) == std::string::npos) fail(name + ": expected a refusal with \"" + part + "\", got \"" + m + "\"");
  else std::printf("ok   %-44s %s\n", name.c_str(), m.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc == 3 ? argv[1] : "";
  if (what == "image") {
    check_images(argv[2]);
    const std::vector<uint8_t> empty_zlib = {0x78, 0x01, 0x03, 0x00, 0, 0, 0, 1};
    // 1x1 pixel, 100 MB of inflated data, a wrong checksum: libpng inflates into a small buffer
    // and checks the checksum (stb's output buffer would double to 128 MiB).
    expect_refused("zlib-bomb.png", png(1, 1, zlib_bomb(100u << 20)), "corrupt PNG (IDAT: ");
    expect_refused("too-wide.png", png(PIXNORM_MAX_DIMENSION + 1, 1, empty_zlib), "too large");
    expect_refused("too-many-pixels.png", png(20000, 20000, empty_zlib), "too large");
    // Within the limits, but 256 MiB of pixels cannot come from 70 bytes.
    expect_refused("claims-too-much.png", png(16384, 16384, empty_zlib), "far more than");
#if PIXNORM_FUZZ_MERGE
  } else if (what == "merge") {
    check_merge_parts(argv[2]);
#endif
  } else {
    std::fprintf(stderr, "usage: corpus_test image|merge CORPUS_DIR\n");
    return 2;
  }
  if (failures) std::fprintf(stderr, "%d failed\n", failures);
  return failures ? 1 : 0;
}
