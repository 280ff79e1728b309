#include "fit.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "accum.h"
#include "atomic_file.h"
#include "cli_error.h"
#include "cli_options.h"
#include "cmd_util.h"
#include "fit_json.h"
#include "image_io.h"
#include "progress.h"
#include "resize.h"

namespace pixnorm_cli {

namespace {

// ---------------------------------------------------------------- settings

enum class Colour { kAuto, kRgb, kGray };

struct FitArgs {
  std::string folder, output;
  uint32_t resize_w = 0, resize_h = 0;  // 0: no resize
  double sample = 1.0;
  unsigned threads = 0;
  uint32_t shard_i = 0, shard_n = 0;  // shard_n 0: no sharding
  Colour colour = Colour::kAuto;
  bool strict = false, resume = false, raw_units = false, help = false, quiet = false;
  std::vector<std::string> args;  // the command line after "fit", to say how to resume

  std::string resize_text() const {
    return resize_w ? std::to_string(resize_w) + "x" + std::to_string(resize_h) : "";
  }
  std::string shard_text() const { return shard_n ? std::to_string(shard_i) + "/" + std::to_string(shard_n) : ""; }
  const char* colour_text() const {
    return colour == Colour::kRgb ? "rgb" : colour == Colour::kGray ? "gray" : "auto";
  }
};

unsigned default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

uint32_t parse_uint(const std::string& text, const std::string& option, uint64_t lo, uint64_t hi,
                    const std::string& expected) {
  const bool digits = !text.empty() && text.size() <= 10 && text.find_first_not_of("0123456789") == std::string::npos;
  const uint64_t v = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
  if (!digits || v < lo || v > hi) throw usage_error(option + ": expected " + expected + ", got '" + text + "'");
  return uint32_t(v);
}

FitArgs parse_fit(int argc, char** argv) {
  FitArgs a;
  a.args.assign(argv, argv + argc);
  std::vector<std::string> folders;
  CommandLine cl(
      "fit", "pixnorm fit FOLDER -o STATS.json [options]",
      "Computes the exact per-channel mean and population standard deviation (ddof=0) of the\n"
      "images under FOLDER and writes them as a statistics file for 'pixnorm apply --stats'. The\n"
      "sums of x and x*x are exact integers, so the result does not depend on the order of the\n"
      "files, the threads or the sharding. Memory grows by at most about 72 bytes per file (the\n"
      "identities that count each file once, and the file record), not with the images' sizes.\n"
      "\n"
      "Files: FOLDER is searched recursively (class sub-folders such as flower_photos/daisy/) in\n"
      "byte-wise order of the relative paths. Taken by name: .jpg .jpeg .png .bmp .gif (first frame)\n"
      ".tga .ppm .pgm .pnm, in any case; other files and names starting with '.' are ignored. A file\n"
      "that cannot be decoded (corrupt, truncated, empty, not an image) is skipped with one line\n"
      "naming it and why, and counted: the statistics are those of the other images. Only regular\n"
      "files are read: FIFOs, devices and sockets are left out and counted. A sub-folder that\n"
      "cannot be read is skipped with one line and counted (--strict: the fit fails).\n"
      "\n"
      "Links: symbolic links are followed, to files and to folders, but each file and each folder\n"
      "is taken once, by (device, inode), under the first of its paths in the byte-wise order:\n"
      "links between folders cannot loop, and a link to a sibling folder, a second link to a file\n"
      "or a hard link adds nothing (the summary counts them).\n"
      "\n"
      "16-bit images (PNG, PGM/PPM with 16 bits per sample) are reduced to 8 bits per sample before\n"
      "they are counted, as every image is measured in 0..255; the summary says how many there were.");
  std::string resize, sample, threads, shard;
  bool rgb = false, gray = false;
  cl.value("-o,--output", &a.output, "FILE",
           "the statistics file to write (required); written atomically, and only\n"
           "when the fit succeeds: on any failure an existing FILE is left as it was;\n"
           "its file record (FILE.files) and checkpoint (FILE.checkpoint) go beside\n"
           "it. A device or FIFO (-o /dev/null: a dry run) or '-' (standard output)\n"
           "is written directly, with no record and no checkpoint (no --resume)");
  cl.value("--resize", &resize, "WxH",
           "resize every image to W x H (bilinear, pixel centres at half-integers as\n"
           "OpenCV's INTER_LINEAR, no antialiasing) before counting its pixels");
  cl.value("--sample", &sample, "F",
           "a fraction 0 < F <= 1 of the files, chosen by a hash of each relative path:\n"
           "the same files every time, and a file's choice does not change when\n"
           "others are added");
  cl.value("--shard", &shard, "I/N",
           "only the files at positions I, I+N, I+2N, ... (0 <= I < N) of the sorted\n"
           "list (after --sample); 'pixnorm merge' combines the N files exactly");
  cl.value("--threads", &threads, "N",
           format_text("decoding threads (default: the number of cores, %u here)", default_threads()));
  cl.flag("--rgb", &rgb, "colour statistics: a gray image counts as three equal channels");
  cl.flag("--gray", &gray,
          "gray statistics: a colour image counts as its luma, rounded to uint8:\n"
          "(19595 R + 38470 G + 7471 B + 32768) >> 16 (ITU-R 601-2, as PIL's 'L')\n"
          "Default: GRAY if every image is gray, else RGB (gray images then count\n"
          "as three equal channels). Images are converted as Pillow's convert('RGB')\n"
          "(or 'L') does: palette, CMYK, gray+alpha and RGBA (alpha dropped); the\n"
          "summary counts each kind. JPEG and PNG decode to Pillow's pixels.");
  cl.flag("--raw-units", &a.raw_units, "statistics in 0..255 units (rescale 1); default: 0..1 units (rescale 1/255)");
  cl.flag("--strict", &a.strict, "a file that cannot be decoded fails the fit instead of being skipped");
  cl.flag("--resume", &a.resume, "continue an interrupted fit from its checkpoint, STATS.json.checkpoint");
  cl.flag("-q,--quiet", &a.quiet, "no progress line, notes or summary; skipped files and errors are still said");
  cl.footer(
      "Output: channel_order RGB (or GRAY), rescale, mean and std per channel in the file's units,\n"
      "epsilon 0, and the fields min and max (file units), pixel_count (per channel), image_count,\n"
      "skipped_count, accumulators (exact integers in 0..255 units, as decimal strings: pixels, sum,\n"
      "sum_sq, min, max) and source (folder, resize, sample, shard, tool version). With S1 and S2 the\n"
      "sums of x and x*x over N pixels, mean = S1/N and var = (N*S2 - S1^2)/N^2 are each computed\n"
      "exactly and rounded once to double, std = sqrt(var), and both are multiplied by rescale. A\n"
      "channel whose every pixel has the same value (std 0) cannot be written.\n"
      "\n"
      "Progress: on a terminal, a progress line (files done/total, rate, ETA) no wider than the\n"
      "terminal (its width, else $COLUMNS, else 80); when stderr is not a terminal, no progress line.\n"
      "A summary line at the end (images, skipped, pixels, time, images/s, output), unless -q.\n"
      "\n"
      "File record: STATS.json.files, written beside STATS.json, lists the files the fit took (a\n"
      "64-bit hash of each one's canonical path, 8 bytes per file; STATS.json's field \"files\" holds\n"
      "their count and digest). 'pixnorm merge' reads it to refuse parts that share a file: keep it\n"
      "next to STATS.json when you copy a part to merge it.\n"
      "\n"
      "Checkpoints: every 5 seconds the exact sums and the count of files done are saved atomically\n"
      "to STATS.json.checkpoint, with the settings. --resume continues from there, giving the same\n"
      "file as an uninterrupted fit; it refuses a checkpoint made with other settings, a file\n"
      "list that changed, or one that was edited or damaged. The checkpoint is removed when the fit\n"
      "succeeds. Ctrl-C (SIGINT) stops the fit cleanly: the checkpoint is brought up to date and\n"
      "the command that continues the fit is printed (a second Ctrl-C stops at once).\n"
      "\n"
      "Exit status: 0 done, 1 a failure (STATS.json not written; a checkpoint made before the\n"
      "failure is kept for --resume), 2 a bad command line, 130 interrupted (checkpoint kept).\n"
      "\n"
      "Examples:\n"
      "  pixnorm fit flower_photos --resize 224x224 -o flowers.json\n"
      "  pixnorm fit data/train --shard 0/2 -o part0.json     # on one machine\n"
      "  pixnorm fit data/train --shard 1/2 -o part1.json     # on another\n"
      "  pixnorm merge part0.json part1.json -o stats.json   # the same as one fit of data/train");
  cl.operands(&folders, "FOLDER");
  if (!cl.parse(argc, argv)) {
    a.help = true;
    return a;
  }
  if (cl.has("--resize")) {
    const std::string& v = resize;
    const size_t x = v.find('x');
    const std::string what = "WxH with W and H from 1 to " + std::to_string(PIXNORM_MAX_DIMENSION);
    if (x == std::string::npos) throw usage_error("--resize: expected " + what + ", got '" + v + "'");
    a.resize_w = parse_uint(v.substr(0, x), "--resize", 1, PIXNORM_MAX_DIMENSION, what);
    a.resize_h = parse_uint(v.substr(x + 1), "--resize", 1, PIXNORM_MAX_DIMENSION, what);
    if (uint64_t{a.resize_w} * a.resize_h > PIXNORM_MAX_PIXELS)
      throw usage_error("--resize " + v + ": over the limit of " + std::to_string(PIXNORM_MAX_PIXELS) + " pixels");
  }
  if (cl.has("--sample")) {
    char* end = nullptr;
    a.sample = std::strtod(sample.c_str(), &end);
    if (*end != '\0' || !(a.sample > 0 && a.sample <= 1))
      throw usage_error("--sample: expected a fraction 0 < F <= 1, got '" + sample + "'");
  }
  if (cl.has("--threads")) a.threads = parse_uint(threads, "--threads", 1, 1024, "a number of threads from 1 to 1024");
  if (cl.has("--shard")) {
    const size_t slash = shard.find('/');
    const std::string what = "I/N with 0 <= I < N, e.g. 0/4";
    if (slash == std::string::npos) throw usage_error("--shard: expected " + what + ", got '" + shard + "'");
    a.shard_n = parse_uint(shard.substr(slash + 1), "--shard", 1, UINT32_MAX, what);
    a.shard_i = parse_uint(shard.substr(0, slash), "--shard", 0, a.shard_n - 1, what);
  }
  if (rgb && gray) throw usage_error("--rgb and --gray exclude each other");
  a.colour = rgb ? Colour::kRgb : gray ? Colour::kGray : Colour::kAuto;
  if (a.help) return a;
  if (folders.empty()) throw usage_error("no folder to fit (see pixnorm fit --help)");
  if (folders.size() > 1) throw usage_error("one folder at a time: got '" + folders[0] + "' and '" + folders[1] + "'");
  a.folder = folders[0];
  if (a.output.empty()) throw usage_error("no output file: give -o STATS.json");
  if (!a.threads) a.threads = default_threads();
  return a;
}

// ---------------------------------------------------------------- the file list

std::string join_path(const std::string& dir, const std::string& rel) {
  if (rel.empty()) return dir;
  return dir.empty() || dir.back() == '/' ? dir + rel : dir + "/" + rel;
}

bool is_image_name(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (const char* e : {"jpg", "jpeg", "png", "bmp", "gif", "tga", "ppm", "pgm", "pnm"})
    if (ext == e) return true;
  return false;
}

// FNV-1a then the splitmix64 finalizer: similar names (img_001, img_002) get unrelated hashes.
uint64_t path_hash(const std::string& rel) {
  uint64_t h = 1469598103934665603ull;
  for (const char c : rel) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

// (device, inode) pairs seen, in an open-addressing table kept at most half full (32 to 64
// bytes per entry): the identity of every file and folder a walk takes, so that hard and
// symbolic links count a file once.
class DevInoSet {
 public:
  // false when the pair was already in the set.
  bool insert(uint64_t dev, uint64_t ino) {
    if (dev == 0 && ino == 0) {  // the empty slot's value
      const bool fresh = !has_zero_;
      has_zero_ = true;
      return fresh;
    }
    if ((used_ + 1) * 2 > slots_.size()) grow();
    if (!place(slots_, dev, ino)) return false;
    ++used_;
    return true;
  }

 private:
  using Slot = std::pair<uint64_t, uint64_t>;
  static size_t mix(uint64_t dev, uint64_t ino) {
    uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ dev;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return size_t(h ^ (h >> 32));
  }
  static bool place(std::vector<Slot>& slots, uint64_t dev, uint64_t ino) {
    const size_t mask = slots.size() - 1;
    for (size_t i = mix(dev, ino) & mask;; i = (i + 1) & mask) {
      if (slots[i].first == dev && slots[i].second == ino) return false;
      if (slots[i].first == 0 && slots[i].second == 0) {
        slots[i] = {dev, ino};
        return true;
      }
    }
  }
  void grow() {
    std::vector<Slot> bigger(slots_.empty() ? 1024 : slots_.size() * 2, Slot{0, 0});
    for (const Slot& s : slots_)
      if (s.first || s.second) place(bigger, s.first, s.second);
    slots_.swap(bigger);
  }
  std::vector<Slot> slots_;
  size_t used_ = 0;
  bool has_zero_ = false;
};

// What a walk left out, for the summary.
struct WalkCounts {
  uint64_t special = 0;         // image names that are not regular files (FIFOs, devices, sockets)
  uint64_t linked_files = 0;    // files reached a second time (symbolic or hard links)
  uint64_t linked_folders = 0;  // folders reached a second time (symbolic links)
  uint64_t unreadable_folders = 0;
};

// The selected image files under a folder, one at a time in byte-wise order of their relative
// paths, without holding the whole list: a depth-first walk whose entries are sorted per folder,
// with "/" appended to folder names so that "a/x" sorts before "a-b" as the full paths do.
// Symbolic links are followed, to files and to folders, but every file and every folder is
// taken once, by (device, inode), at the first of its paths in that order: links between
// folders cannot loop, and a link to a sibling folder adds nothing. Only regular files are
// opened: a FIFO named x.png would block its reader forever.
class FileWalker {
 public:
  // `messages`: where unreadable folders are reported (nullptr: not reported); `strict`: an
  // unreadable folder fails the walk instead.
  FileWalker(const std::string& root, double sample, uint32_t shard_i, uint32_t shard_n, bool strict = false,
             std::vector<std::string>* messages = nullptr)
      : root_(root), threshold_(uint64_t(std::ldexp(sample, 53))), shard_i_(shard_i), shard_n_(shard_n),
        strict_(strict), messages_(messages) {
    struct stat st;
    if (::stat(root.c_str(), &st) != 0)
      throw data_error(root, std::string("cannot open the folder: ") + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw data_error(root, "not a folder");
    if (!open_dir("", st)) throw data_error(root, std::string("cannot read the folder: ") + std::strerror(errno));
  }

  // The next selected file's path relative to the root; false at the end.
  bool next(std::string* rel) {
    while (!stack_.empty()) {
      Level& level = stack_.back();
      if (level.pos == level.entries.size()) {
        stack_.pop_back();
        continue;
      }
      Entry e = std::move(level.entries[level.pos++]);
      std::string path = level.prefix + e.name;
      struct stat st;
      if (::stat(join_path(root_, path).c_str(), &st) != 0) {
        if (e.dir) continue;  // gone since it was listed
        // A dangling link, or a file removed meanwhile: taken, and skipped when it cannot be opened.
      } else if (e.dir) {
        if (S_ISDIR(st.st_mode) && !open_dir(path, st)) {
          if (strict_)
            throw data_error(join_path(root_, path), std::string("cannot read the folder: ") + std::strerror(errno) +
                                                         " (--strict)");
          ++counts_.unreadable_folders;
          if (messages_)
            messages_->push_back("pixnorm: skipped folder " + join_path(root_, path) + ": " + std::strerror(errno));
        }
        continue;
      } else if (!S_ISREG(st.st_mode)) {
        ++counts_.special;
        continue;
      } else if (!files_.insert(uint64_t(st.st_dev), uint64_t(st.st_ino))) {
        ++counts_.linked_files;
        continue;
      }
      if ((path_hash(path) >> 11) >= threshold_) continue;
      const uint64_t index = candidates_++;
      if (shard_n_ > 1 && index % shard_n_ != shard_i_) continue;
      *rel = std::move(path);
      return true;
    }
    return false;
  }

  const WalkCounts& counts() const { return counts_; }

 private:
  struct Entry {
    std::string name;  // with a final "/" for a folder: also the sort key
    bool dir;
  };
  struct Level {
    std::string prefix;  // "" or "a/b/"
    std::vector<Entry> entries;
    size_t pos;
  };

  // false (errno set) when the folder cannot be read; true also when it was seen before.
  bool open_dir(const std::string& prefix, const struct stat& st) {
    if (!folders_.insert(uint64_t(st.st_dev), uint64_t(st.st_ino))) {
      ++counts_.linked_folders;
      return true;
    }
    const std::string path = join_path(root_, prefix);
    DIR* dir = ::opendir(path.c_str());
    if (!dir) return false;
    Level level{prefix, {}, 0};
    errno = 0;
    while (const dirent* d = ::readdir(dir)) {
      const std::string name = d->d_name;
      errno = 0;
      if (name.empty() || name[0] == '.') continue;
      bool is_dir = d->d_type == DT_DIR;
      if (d->d_type == DT_LNK || d->d_type == DT_UNKNOWN) {
        struct stat target;
        is_dir = ::stat(join_path(path, name).c_str(), &target) == 0 && S_ISDIR(target.st_mode);
      }
      if (is_dir || is_image_name(name)) level.entries.push_back({is_dir ? name + "/" : name, is_dir});
      errno = 0;
    }
    const int read_error = errno;
    ::closedir(dir);
    if (read_error) {
      errno = read_error;
      return false;
    }
    std::sort(level.entries.begin(), level.entries.end(),
              [](const Entry& x, const Entry& y) { return x.name < y.name; });
    stack_.push_back(std::move(level));
    return true;
  }

  std::string root_;
  uint64_t threshold_;
  uint32_t shard_i_, shard_n_;
  bool strict_;
  std::vector<std::string>* messages_;
  uint64_t candidates_ = 0;
  std::vector<Level> stack_;
  DevInoSet folders_, files_;
  WalkCounts counts_;
};

// Identifies the files done so far, in order, so that a resumed fit can tell that the list
// it walks starts as the checkpointed one did.
uint64_t chain_hash(uint64_t h, const std::string& rel) {
  for (const char c : rel) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h * 1099511628211ull;  // a NUL separator, which no path contains
}
constexpr uint64_t kChainStart = 1469598103934665603ull;

// ---------------------------------------------------------------- one image

struct ImageResult {
  std::string rel;
  std::string skip;   // why the file was skipped ("" when measured)
  std::string fatal;  // a failure that is not the file's fault (out of memory)
  bool gray = false;  // the file holds a gray image
  Source source = Source::kRgb;  // what the file holds, for the summary
  bool from_16bit = false;  // 16 bits per sample in the file, reduced to 8
  uint64_t key = 0;         // file_key of its canonical path, for the file record
  pixnorm_channel_sums sums;
};

// The file's key in the record: its canonical path, whichever way the folder was spelt and
// whichever links led to it.
uint64_t key_of(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  const uint64_t key = file_key(real ? std::string(real) : path);
  std::free(real);
  return key;
}

// Per-thread buffers reused from image to image: memory stays at what the largest image needs.
struct Scratch {
  std::vector<uint8_t> luma, resized;
};

void to_luma(const uint8_t* src, uint32_t w, uint32_t h, size_t row_bytes, unsigned bpp, std::vector<uint8_t>& out) {
  out.resize(size_t{w} * h);
  for (uint32_t y = 0; y < h; ++y) {
    const uint8_t* p = src + size_t{y} * row_bytes;
    uint8_t* d = out.data() + size_t{y} * w;
    for (uint32_t x = 0; x < w; ++x, p += bpp) d[x] = uint8_t((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 32768u) >> 16);
  }
}

ImageResult measure(const FitArgs& a, const std::string& path, Scratch& scratch) {
  ImageResult r;
  try {
    const ImageInfo info = probe_image(path);
    const Image image = decode_image(path, info);
    pixnorm_format format = info.format;
    const uint8_t* pixels = image.pixels.get();
    size_t row_bytes = image.row_bytes;
    uint32_t w = info.width, h = info.height;
    r.gray = is_gray(format);
    r.source = info.source;
    r.from_16bit = info.from_16bit;
    if (a.colour == Colour::kGray && !r.gray) {
      to_luma(pixels, w, h, row_bytes, bytes_per_pixel(format), scratch.luma);
      format = PIXNORM_FORMAT_GRAY8;
      pixels = scratch.luma.data();
      row_bytes = w;
    }
    if (a.resize_w && (w != a.resize_w || h != a.resize_h)) {
      const unsigned bpp = bytes_per_pixel(format);
      scratch.resized.resize(size_t{a.resize_w} * a.resize_h * bpp);
      resize_bilinear(pixels, w, h, row_bytes, bpp, scratch.resized.data(), a.resize_w, a.resize_h);
      pixels = scratch.resized.data();
      w = a.resize_w;
      h = a.resize_h;
      row_bytes = size_t{w} * bpp;
    }
    pixnorm_channel_sums_init(&r.sums);
    if (pixnorm_channel_sums_add(&r.sums, format, w, h, pixels, row_bytes, PIXNORM_BACKEND_AUTO) != PIXNORM_OK)
      r.fatal = path + ": " + pixnorm_last_error();
  } catch (const CliError& e) {
    r.skip = e.what();
    const std::string hint = " (for raw pixels use --raw WxH:FORMAT)";  // apply's, not fit's
    if (r.skip.size() > hint.size() && r.skip.compare(r.skip.size() - hint.size(), hint.size(), hint) == 0)
      r.skip.resize(r.skip.size() - hint.size());
  } catch (const std::bad_alloc&) {
    r.fatal = path + ": out of memory";
  } catch (const std::exception& e) {
    r.fatal = path + ": " + e.what();
  }
  return r;
}

// ---------------------------------------------------------------- interruption

// Ctrl-C sets a flag that the main loop polls, so that the checkpoint can be brought up to
// date and the way to continue said; SA_RESETHAND: a second Ctrl-C stops at once.
volatile sig_atomic_t g_interrupted = 0;
bool g_interrupt_armed = false;

void on_interrupt(int) { g_interrupted = 1; }

void rearm_interrupt() {
  if (!g_interrupt_armed || g_interrupted) return;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_interrupt;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

// Only when SIGINT is not ignored (a background job's stays ignored).
void arm_interrupt() {
  struct sigaction old;
  if (sigaction(SIGINT, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) return;
  g_interrupt_armed = true;
  rearm_interrupt();
}

// `arg` as the shell reads it back.
std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") ==
                          std::string::npos)
    return arg;
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string resume_command(const FitArgs& a) {
  // --resume first: after a "--" it would be taken for a folder.
  std::string cmd = a.resume ? "pixnorm fit" : "pixnorm fit --resume";
  for (const std::string& arg : a.args) cmd += " " + shell_quote(arg);
  return cmd;
}

// ---------------------------------------------------------------- checkpoints

std::string quoted_list(uint32_t n, const U128* v) {
  std::string out = "[";
  for (uint32_t c = 0; c < n; ++c) out += (c ? ", " : "") + json_quote(BigUint(v[c]).to_decimal());
  return out + "]";
}

std::string byte_list(uint32_t n, const uint8_t* v) {
  std::string out = "[";
  for (uint32_t c = 0; c < n; ++c) out += (c ? ", " : "") + std::to_string(v[c]);
  return out + "]";
}

using Settings = std::vector<std::pair<std::string, std::string>>;

// Everything that changes the result; --threads does not.
Settings settings_of(const FitArgs& a) {
  char* real = ::realpath(a.folder.c_str(), nullptr);
  const std::string folder = real ? real : a.folder;
  std::free(real);
  return {{"folder", folder},
          {"resize", a.resize_text().empty() ? "none" : a.resize_text()},
          {"sample", shortest_double(a.sample)},
          {"shard", a.shard_text().empty() ? "none" : a.shard_text()},
          {"colour", a.colour_text()},
          {"units", a.raw_units ? "raw" : "1/255"},
          {"strict", a.strict ? "yes" : "no"}};
}

struct Checkpoint {
  uint64_t done = 0;  // files of the list folded into `acc`, skipped ones included
  uint64_t hash = kChainStart;
  uint64_t from_16bit = 0;  // images among them that had 16 bits per sample
  Accumulators acc;
};

// The checkpoint ends with a check of its own text: an edited or damaged checkpoint would
// otherwise give wrong statistics with nothing to show for it.
constexpr char kCheckMark[] = ",\n\"check\": \"";

void save_checkpoint(const std::string& path, const Settings& settings, const Checkpoint& cp) {
  std::string text = "{\"format\": \"pixnorm-fit-checkpoint\", \"version\": 2,\n\"settings\": {";
  for (size_t i = 0; i < settings.size(); ++i)
    text += (i ? ", " : "") + json_quote(settings[i].first) + ": " + json_quote(settings[i].second);
  const Accumulators& acc = cp.acc;
  char hash[24];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(cp.hash));
  text += "},\n\"done\": \"" + std::to_string(cp.done) + "\", \"list_hash\": \"" + hash + "\",\n" +
          "\"channels\": \"" + std::to_string(acc.channels) + "\", \"images\": \"" + std::to_string(acc.images) +
          "\", \"skipped\": \"" + std::to_string(acc.skipped) + "\", \"images_16bit\": \"" +
          std::to_string(cp.from_16bit) + "\",\n\"pixels\": " + json_quote(BigUint(acc.pixels).to_decimal()) +
          ", \"sum\": " + quoted_list(acc.channels, acc.sum) + ", \"sum_sq\": " + quoted_list(acc.channels, acc.sum_sq) +
          ", \"min\": " + byte_list(acc.channels, acc.min) + ", \"max\": " + byte_list(acc.channels, acc.max);
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(path_hash(text)));
  text += kCheckMark + std::string(hash) + "\"}\n";
  AtomicFile file(path);
  rearm_interrupt();  // AtomicFile installs its own SIGINT handler
  file.write(text.data(), text.size());
  file.commit();
}

// The checkpoint at `path`, checked against this run's settings and for consistency.
Checkpoint load_checkpoint(const std::string& path, const Settings& settings, const FitArgs& a) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw data_error(path, std::string("cannot read the checkpoint: ") + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  const Json j = parse_json(text, path);
  const CliError bad = data_error(path, "not a pixnorm fit checkpoint, or a damaged one: start over without --resume");
  const Json* format = j.find("format");
  if (j.kind != Json::kObject || !format || format->text != "pixnorm-fit-checkpoint") throw bad;
  const Json* version = j.find("version");
  if (!version || version->text != "2")
    throw data_error(path, "a checkpoint of another version of pixnorm: start over without --resume");
  const size_t mark = text.rfind(kCheckMark);
  const Json* check = j.find("check");
  char expected[24];
  std::snprintf(expected, sizeof(expected), "%016llx",
                static_cast<unsigned long long>(path_hash(text.substr(0, mark == std::string::npos ? 0 : mark))));
  if (mark == std::string::npos || !check || check->text != expected)
    throw data_error(path, "the checkpoint was changed or damaged since it was written (its check does not match): "
                           "start over without --resume");
  const Json* saved = j.find("settings");
  if (!saved) throw bad;
  for (const auto& s : settings) {
    const Json* v = saved->find(s.first);
    const std::string was = v ? v->text : "?";
    if (was != s.second)
      throw data_error(path, "made with " + s.first + " " + was + ", but this run has " + s.first + " " + s.second +
                                 ": rerun with the same settings, or without --resume to start over");
  }
  auto integer = [&](const Json* e) {
    BigUint v;
    if (!e || e->kind != Json::kString || !BigUint::from_decimal(e->text, &v) || !v.fits_u128()) throw bad;
    return v.to_u128();
  };
  auto count = [&](const char* key) {
    const U128 v = integer(j.find(key));
    if (v.hi) throw bad;
    return v.lo;
  };
  auto byte = [&](const Json& e) {
    if (e.kind != Json::kNumber || e.text.empty() || e.text.size() > 3 ||
        e.text.find_first_not_of("0123456789") != std::string::npos || std::stoi(e.text) > 255)
      throw bad;
    return uint8_t(std::stoi(e.text));
  };
  Checkpoint cp;
  cp.done = count("done");
  const Json* hash = j.find("list_hash");
  if (!hash || hash->text.size() != 16) throw bad;
  cp.hash = std::strtoull(hash->text.c_str(), nullptr, 16);
  Accumulators& acc = cp.acc;
  acc.channels = uint32_t(count("channels"));
  acc.images = count("images");
  acc.skipped = count("skipped");
  cp.from_16bit = count("images_16bit");
  acc.pixels = integer(j.find("pixels"));
  if (acc.channels != 0 && acc.channels != 1 && acc.channels != 3) throw bad;
  const Json *sum = j.find("sum"), *sum_sq = j.find("sum_sq"), *mn = j.find("min"), *mx = j.find("max");
  for (const Json* list : {sum, sum_sq, mn, mx})
    if (!list || list->items.size() != acc.channels) throw bad;
  for (uint32_t c = 0; c < acc.channels; ++c) {
    acc.sum[c] = integer(&sum->items[c]);
    acc.sum_sq[c] = integer(&sum_sq->items[c]);
    acc.min[c] = byte(mn->items[c]);
    acc.max[c] = byte(mx->items[c]);
  }
  // The same checks as merge makes of a part, and counts that go with the files done.
  check_accumulators(acc, path);
  const std::string counts = std::to_string(acc.images) + " images and " + std::to_string(acc.skipped) +
                             " skipped files";
  auto inconsistent = [&](const std::string& why) {
    return data_error(path, "inconsistent checkpoint: " + why + ": start over without --resume");
  };
  if (acc.images > cp.done || acc.skipped > cp.done - acc.images)
    throw inconsistent(counts + " from " + std::to_string(cp.done) + " files");
  if (acc.images + acc.skipped != cp.done) throw inconsistent(counts + ", but " + std::to_string(cp.done) + " files done");
  if (cp.from_16bit > acc.images) throw inconsistent("more 16-bit images than images");
  if ((acc.images == 0) != (acc.channels == 0)) throw inconsistent(counts + " in " + std::to_string(acc.channels) + " channels");
  const BigUint pixels(acc.pixels), images(acc.images);
  const BigUint per_image(a.resize_w ? uint64_t{a.resize_w} * a.resize_h : uint64_t{PIXNORM_MAX_PIXELS});
  if (a.resize_w ? compare(pixels, images * per_image) != 0
                 : compare(pixels, images) < 0 || compare(pixels, images * per_image) > 0)
    throw inconsistent(BigUint(acc.pixels).to_decimal() + " pixels from " + std::to_string(acc.images) + " images" +
                       (a.resize_w ? " of " + a.resize_text() : ""));
  return cp;
}

// ---------------------------------------------------------------- the run

// Workers take files in list order and measure them in parallel; the main thread folds the
// results into the accumulators strictly in list order, so that skip messages, the gray/colour
// decision and the checkpoints (a done prefix of the list) are the same whatever the timing.
struct Shared {
  std::mutex m;
  std::condition_variable work_cv, done_cv;
  FileWalker* walker = nullptr;
  uint64_t next = 0;    // list index of the next file handed out
  uint64_t folded = 0;  // files folded, in order
  uint64_t window = 0;  // files handed out beyond `folded`, at most: bounds the results waiting
  bool walked = false, stop = false;
  unsigned running = 0;
  std::string walk_error;
  std::map<uint64_t, ImageResult> results;
};

// Hands out the next file of the list and measures it (without the lock); false at the end.
bool work_one(Shared& sh, const FitArgs& a, Scratch& scratch, std::unique_lock<std::mutex>& lock) {
  std::string rel;
  bool got = false;
  try {
    got = sh.walker->next(&rel);
  } catch (const std::exception& e) {
    sh.walk_error = e.what();
  }
  if (!got) {
    sh.walked = true;
    sh.work_cv.notify_all();
    return false;
  }
  const uint64_t index = sh.next++;
  lock.unlock();
  const std::string path = join_path(a.folder, rel);
  ImageResult r = measure(a, path, scratch);
  r.key = key_of(path);
  r.rel = std::move(rel);
  lock.lock();
  sh.results.emplace(index, std::move(r));
  sh.done_cv.notify_one();
  return true;
}

void worker(Shared& sh, const FitArgs& a) {
  Scratch scratch;
  std::unique_lock<std::mutex> lock(sh.m);
  while (true) {
    sh.work_cv.wait(lock, [&] { return sh.stop || sh.walked || sh.next < sh.folded + sh.window; });
    if (sh.stop || sh.walked || !work_one(sh, a, scratch, lock)) break;
  }
  --sh.running;
  sh.done_cv.notify_one();
}

// Stops and joins the workers on every way out of the run.
struct Workers {
  Shared& sh;
  std::vector<std::thread> threads;
  ~Workers() {
    {
      std::lock_guard<std::mutex> lock(sh.m);
      sh.stop = true;
    }
    sh.work_cv.notify_all();
    for (std::thread& t : threads) t.join();
  }
};

// Fails early, before hours of work, when an output cannot be written: the statistics, their
// file record and the checkpoint are each a regular file (or none yet) in a writable folder.
void check_output(const std::string& out, const char* what) {
  struct stat st;
  if (::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw data_error(out, std::string("is a folder: the ") + what + " cannot be written there");
  if (::stat(out.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw data_error(out, std::string("is not a regular file: the ") + what + " cannot be written there");
  const size_t slash = out.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : out.substr(0, slash);
  if (::access(dir.c_str(), W_OK) != 0)
    throw data_error(out, "cannot write in " + dir + ": " + std::strerror(errno));
}

std::string source_json(const FitArgs& a) {
  auto or_null = [](const std::string& s) { return s.empty() ? std::string("null") : json_quote(s); };
  return "{\"folder\": " + json_quote(a.folder) + ", \"resize\": " + or_null(a.resize_text()) +
         ", \"sample\": " + shortest_double(a.sample) + ", \"shard\": " + or_null(a.shard_text()) + ", \"channels\": " +
         json_quote(a.colour_text()) + ", \"tool\": " + json_quote(std::string("pixnorm ") + pixnorm_version()) + "}";
}

std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

int run_fit(int argc, char** argv) {
  const FitArgs a = parse_fit(argc, argv);
  if (a.help) {
    return kExitOk;
  }
  const bool stream = streamed_output(a.output);
  const std::string output = a.output == "-" ? "/dev/stdout" : a.output;
  const std::string checkpoint_path = a.output + ".checkpoint";
  const std::string record = record_path(a.output);
  if (stream) {
    if (a.resume)
      throw CliError(kExitUsage, "--resume: " + a.output + " is a stream (device, FIFO or standard output), "
                                 "which has no checkpoint beside it");
  } else {
    check_output(a.output, "statistics");
    check_output(record, "file record");
    check_output(checkpoint_path, "checkpoint");
  }
  // No checkpoint for a streamed output: the work cannot be resumed.
  const Settings settings = settings_of(a);
  const auto save = [&](const Checkpoint& c) {
    if (!stream) save_checkpoint(checkpoint_path, settings, c);
  };
  const auto started = std::chrono::steady_clock::now();

  std::vector<std::string> walk_messages;  // unreadable folders, said as the walk meets them
  FileWalker walker(a.folder, a.sample, a.shard_i, a.shard_n, a.strict, &walk_messages);
  Checkpoint cp;
  std::vector<uint64_t> keys;  // of the files done, for the file record
  const bool have_checkpoint = !stream && ::access(checkpoint_path.c_str(), F_OK) == 0;
  if (a.resume && have_checkpoint) {
    cp = load_checkpoint(checkpoint_path, settings, a);
    uint64_t hash = kChainStart;
    std::string rel;
    for (uint64_t i = 0; i < cp.done; ++i) {
      if (!walker.next(&rel)) {
        hash = ~cp.hash;
        break;
      }
      hash = chain_hash(hash, rel);
      keys.push_back(key_of(join_path(a.folder, rel)));
    }
    if (hash != cp.hash)
      throw data_error(checkpoint_path, "the files of " + a.folder + " changed since the checkpoint (its first " +
                                            std::to_string(cp.done) +
                                            " files are not the same): start over without --resume");
  } else if (a.resume) {
    if (!a.quiet)
      std::fprintf(stderr, "pixnorm: no checkpoint %s: starting from the beginning\n", checkpoint_path.c_str());
  } else if (have_checkpoint && !a.quiet) {
    std::fprintf(stderr, "pixnorm: note: starting over; %s, left by an interrupted fit, will be replaced "
                         "(--resume continues it)\n", checkpoint_path.c_str());
  }

  const uint64_t resumed_from = cp.done;
  uint64_t kinds[kSourceKinds] = {};  // images of each kind measured in this run
  Progress progress(!a.quiet);
  uint64_t total = 0;
  if (progress.enabled()) {  // a quick pass over the names, for the percentage and the ETA
    FileWalker counter(a.folder, a.sample, a.shard_i, a.shard_n);
    std::string rel;
    while (counter.next(&rel)) ++total;
  }
  progress.start(total, cp.done);

  // Hidden switches for the tests: stop, as if interrupted, once this many files are done; or
  // wait there for a signal.
  const char* stop_env = std::getenv("PIXNORM_FIT_STOP_AFTER");
  const uint64_t stop_after = stop_env ? std::strtoull(stop_env, nullptr, 10) : 0;
  const char* pause_env = std::getenv("PIXNORM_FIT_PAUSE_AFTER");
  const uint64_t pause_after = pause_env ? std::strtoull(pause_env, nullptr, 10) : 0;

  Shared sh;
  sh.walker = &walker;
  sh.next = sh.folded = cp.done;
  sh.window = 64 * uint64_t{a.threads};
  // With one thread the main thread measures the files itself and creates none: a single-core
  // board gains nothing from one, and some emulators and firmware have no threads at all.
  const bool inline_work = a.threads == 1;
  Scratch scratch;
  Workers workers{sh, {}};
  const unsigned thread_count = inline_work ? 0 : a.threads;
  sh.running = thread_count;  // before any starts: each one counts itself out
  for (unsigned t = 0; t < thread_count; ++t) workers.threads.emplace_back(worker, std::ref(sh), std::cref(a));
  arm_interrupt();

  Accumulators& acc = cp.acc;
  uint64_t saved_done = cp.done;
  auto last_save = std::chrono::steady_clock::now();
  std::vector<ImageResult> ready;
  std::vector<std::string> messages;
  bool stopping = false;
  try {
    while (true) {
      bool finished = false;
      {
        std::unique_lock<std::mutex> lock(sh.m);
        if (inline_work && !sh.walked)
          work_one(sh, a, scratch, lock);
        else
          sh.done_cv.wait_for(lock, std::chrono::milliseconds(100),
                              [&] { return sh.results.count(sh.folded) || sh.running == 0; });
        for (auto it = sh.results.begin(); it != sh.results.end() && it->first == sh.folded + ready.size();) {
          ready.push_back(std::move(it->second));
          it = sh.results.erase(it);
        }
        messages.swap(walk_messages);
        finished = sh.running == 0 && sh.walked && sh.results.empty() && ready.empty();
        if (!sh.walk_error.empty()) throw CliError(kExitData, sh.walk_error);
      }
      for (const std::string& m : messages) progress.message(m);
      messages.clear();
      for (ImageResult& r : ready) {
        if (!r.fatal.empty()) throw CliError(kExitData, r.fatal);
        if (!r.skip.empty()) {
          if (a.strict) throw CliError(kExitData, r.skip + " (--strict)");
          ++acc.skipped;
          progress.message("pixnorm: skipped " + r.skip);
        } else {
          uint32_t channels = a.colour == Colour::kRgb ? 3 : a.colour == Colour::kGray ? 1 : r.gray ? 1 : 3;
          // A folder that mixes gray and colour images gives RGB statistics, the gray images
          // counting as three equal channels (Pillow's convert('RGB')), whatever their order:
          // the gray images before the first colour one are counted again that way.
          if (a.colour == Colour::kAuto && acc.channels == 1 && channels == 3) {
            for (uint32_t c = 1; c < 3; ++c) {
              acc.sum[c] = acc.sum[0], acc.sum_sq[c] = acc.sum_sq[0];
              acc.min[c] = acc.min[0], acc.max[c] = acc.max[0];
            }
            acc.channels = 3;
          }
          if (a.colour == Colour::kAuto && acc.channels == 3) channels = 3;
          add_image(acc, r.sums, channels);
          if (r.from_16bit) ++cp.from_16bit;
          ++kinds[static_cast<size_t>(r.source)];
        }
        keys.push_back(r.key);
        cp.hash = chain_hash(cp.hash, r.rel);
        ++cp.done;
        if (stop_after && cp.done == stop_after) {
          save(cp);
          stopping = true;
          throw CliError(kExitData, "stopped after " + std::to_string(cp.done) +
                                        " files (PIXNORM_FIT_STOP_AFTER); continue with --resume");
        }
        if (pause_after && cp.done == pause_after) {
          std::fprintf(stderr, "pixnorm: paused after %llu files (PIXNORM_FIT_PAUSE_AFTER)\n",
                       static_cast<unsigned long long>(cp.done));
          std::fflush(stderr);
          while (!g_interrupted) ::usleep(10000);
        }
        if (g_interrupted) break;  // the rest of `ready` is measured again on --resume
      }
      if (g_interrupted) {
        progress.finish();
        if (stream) {
          std::fprintf(stderr, "pixnorm: interrupted after %s; %s is a stream, which keeps no checkpoint: "
                               "run the fit again\n", plural(cp.done, "file", "files").c_str(), a.output.c_str());
          return 128 + SIGINT;
        }
        if (cp.done > saved_done) save(cp);
        const bool kept = cp.done > 0 && ::access(checkpoint_path.c_str(), F_OK) == 0;
        std::fprintf(stderr, "pixnorm: interrupted after %s%s; continue with:\n  %s\n",
                     plural(cp.done, "file", "files").c_str(),
                     kept ? (", saved in " + checkpoint_path).c_str() : " (nothing to save)",
                     resume_command(a).c_str());
        return 128 + SIGINT;
      }
      if (!ready.empty()) {
        {
          std::lock_guard<std::mutex> lock(sh.m);
          sh.folded = cp.done;
        }
        sh.work_cv.notify_all();
        ready.clear();
      }
      progress.update(cp.done, acc.skipped, finished);
      if (finished) break;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_save >= std::chrono::seconds(5) && cp.done > saved_done) {
        save(cp);
        saved_done = cp.done;
        last_save = now;
      }
    }
  } catch (const CliError& e) {
    // The work done survives a failure as well as an interruption: once its cause is fixed,
    // --resume continues from the last checkpoint.
    if (stopping || saved_done == 0) throw;
    throw CliError(e.code, std::string(e.what()) + "; " + checkpoint_path + " keeps the first " +
                               std::to_string(saved_done) + " files done: fix the cause, then rerun with --resume");
  }

  if (acc.images == 0)
    throw data_error(a.folder, "no images to fit (" + std::to_string(acc.skipped) + " file" +
                                   (acc.skipped == 1 ? "" : "s") + " skipped)");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // two canonical paths with one hash
  const OwnedStats stats = build_stats(acc, a.raw_units ? 1.0 : 1.0 / 255.0, a.folder, source_json(a),
                                       record_field_json(record_field(keys)));
  if (!stream) {
    const std::string bytes = encode_record(keys);
    AtomicFile file(record);
    file.write(bytes.data(), bytes.size());
    file.commit();
  }
  if (pixnorm_stats_save(stats.get(), output.c_str()) != PIXNORM_OK) {
    const std::string message = pixnorm_last_error();
    if (!stream) ::unlink(record.c_str());  // it would not belong to the file left at a.output
    throw CliError(kExitData, message);
  }
  if (!stream && ::unlink(checkpoint_path.c_str()) != 0 && errno != ENOENT)
    std::fprintf(stderr, "pixnorm: note: cannot remove %s: %s\n", checkpoint_path.c_str(), std::strerror(errno));

  progress.finish();
  if (a.quiet) return kExitOk;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string extra;
  if (resumed_from) extra = " (resumed after " + std::to_string(resumed_from) + " files)";
  const WalkCounts& w = walker.counts();
  if (cp.from_16bit) extra += "; " + plural(cp.from_16bit, "16-bit image", "16-bit images") + " reduced to 8 bits";
  if (w.special) extra += "; " + plural(w.special, "special file (FIFO, device or socket)", "special files (FIFOs, devices or sockets)") + " left out";
  if (w.linked_files) extra += "; " + plural(w.linked_files, "file", "files") + " reached again through links, counted once";
  if (w.linked_folders) extra += "; " + plural(w.linked_folders, "folder", "folders") + " reached again through links, walked once";
  if (w.unreadable_folders) extra += "; " + plural(w.unreadable_folders, "unreadable folder", "unreadable folders") + " skipped";
  std::fprintf(stderr, "pixnorm: wrote %s: %llu images, %llu skipped, %s pixels per channel, %.2f s, %.1f images/s%s\n",
               a.output.c_str(), static_cast<unsigned long long>(acc.images),
               static_cast<unsigned long long>(acc.skipped), BigUint(acc.pixels).to_decimal().c_str(), seconds,
               seconds > 0 ? double(cp.done - resumed_from) / seconds : 0.0, extra.c_str());
  std::string decoded;
  bool converted = false;
  for (int k = 0; k < kSourceKinds; ++k) {
    if (!kinds[k]) continue;
    const Source source = static_cast<Source>(k);
    decoded += (decoded.empty() ? "" : ", ") + std::to_string(kinds[k]) + " " + source_name(source);
    converted = converted || (acc.channels == 3 ? source != Source::kRgb : source != Source::kGray);
  }
  if (converted)
    std::fprintf(stderr, "pixnorm: decoded%s: %s%s\n", resumed_from ? " since the resume" : "", decoded.c_str(),
                 acc.channels == 3 ? "; converted to RGB as Pillow's convert('RGB') does"
                                   : "; converted to L as Pillow's convert('L') does");
  return kExitOk;
}

}  // namespace pixnorm_cli
