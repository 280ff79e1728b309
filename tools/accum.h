// Exact dataset-wide statistics: integers wider than the library's 64-bit per-image sums, the
// correctly rounded formulas that turn them into mean and std, and their form in a stats file.
#ifndef PIXNORM_TOOLS_ACCUM_H
#define PIXNORM_TOOLS_ACCUM_H

#include <pixnorm/pixnorm.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pixnorm_cli {

// Unsigned 128-bit integer from two 64-bit halves: 32-bit ARM compilers have no __int128.
struct U128 {
  uint64_t hi = 0;
  uint64_t lo = 0;
};
// a += b; false (a unspecified) when the sum needs more than 128 bits.
bool add_u128(U128& a, const U128& b);
// The full product of two 64-bit values.
U128 mul_u64(uint64_t a, uint64_t b);

// Arbitrary-precision unsigned integer, for the few exact operations done once per file
// (N * S2 - S1^2 can take 256 bits); simple rather than fast.
class BigUint {
 public:
  BigUint() = default;
  explicit BigUint(uint64_t v);
  explicit BigUint(const U128& v);

  bool is_zero() const { return limbs_.empty(); }
  unsigned bits() const;  // position of the highest set bit + 1; 0 for zero
  bool fits_u128() const { return bits() <= 128; }
  U128 to_u128() const;   // the low 128 bits
  std::string to_decimal() const;
  // Plain decimal digits (no sign, no leading zeros unless "0"); false otherwise.
  static bool from_decimal(const std::string& text, BigUint* out);

  friend int compare(const BigUint& a, const BigUint& b);
  friend BigUint operator+(const BigUint& a, const BigUint& b);
  friend BigUint operator-(const BigUint& a, const BigUint& b);  // requires a >= b
  friend BigUint operator*(const BigUint& a, const BigUint& b);
  friend BigUint operator<<(const BigUint& a, unsigned shift);
  // a = q * b + r, 0 <= r < b; b != 0.
  friend void divmod(const BigUint& a, const BigUint& b, BigUint* q, BigUint* r);

 private:
  void trim();
  std::vector<uint32_t> limbs_;  // little-endian base-2^32 digits, no leading zero limb
};

// num / den correctly rounded to the nearest double (ties to even), as Python's
// float(Fraction(num, den)); den != 0.
double ratio_to_double(const BigUint& num, const BigUint& den);

// Per-channel sums of x and x*x over the uint8 samples of any number of images, in integers that
// cannot overflow in practice (2^128 / 65025 samples per channel) but are checked anyway.
struct Accumulators {
  uint32_t channels = 0;  // 0 until the first image, then 1 or 3
  U128 pixels;            // samples per channel
  U128 sum[PIXNORM_MAX_CHANNELS];
  U128 sum_sq[PIXNORM_MAX_CHANNELS];
  uint8_t min[PIXNORM_MAX_CHANNELS] = {255, 255, 255};
  uint8_t max[PIXNORM_MAX_CHANNELS] = {0, 0, 0};
  uint64_t images = 0;
  uint64_t skipped = 0;
};

// Adds one image's sums. `channels` 3 with 1-channel sums counts a gray image as three equal
// channels. Throws CliError on a channel count different from the images already added, and
// on overflow.
void add_image(Accumulators& acc, const pixnorm_channel_sums& image, uint32_t channels);
// Adds another part of the same data set (merge); `name` is the part, for messages.
void add_part(Accumulators& acc, const Accumulators& part, const std::string& name);

struct StatsDeleter {
  void operator()(pixnorm_stats* s) const { pixnorm_stats_free(s); }
};
using OwnedStats = std::unique_ptr<pixnorm_stats, StatsDeleter>;

// The shortest text that reads back as the same double, as the library writes its numbers.
std::string shortest_double(double v);

// The statistics file of `acc`: mean = S1/N, var = (N*S2 - S1^2)/N^2, each correctly rounded
// from the exact integers, std = sqrt(var), both times `rescale`; then the extra fields min, max,
// pixel_count, image_count, skipped_count, accumulators (raw 0..255 units, integers as decimal
// strings) and `source_json` last. Throws CliError naming `subject` when there is nothing to
// write (no images, or a channel with std 0).
// `files_json`, when given, is written as the field "files" just before "source".
OwnedStats build_stats(const Accumulators& acc, double rescale, const std::string& subject,
                       const std::string& source_json, const std::string& files_json = "");
// The accumulators and counts of a file written by build_stats; throws CliError naming `name`.
Accumulators read_accumulators(const pixnorm_stats* stats, const std::string& name);
// Throws CliError "<what>: ..." unless `acc` holds the sums of some 0..255 samples (per channel
// sum <= 255 * pixels, sum_sq <= 255 * sum, pixels * sum_sq >= sum^2) whose min and max go
// with them (min <= max, min * pixels <= sum <= max * pixels).
void check_accumulators(const Accumulators& acc, const std::string& what);

// ---------------------------------------------------------------- file records
// What a fit covered, so that merge can refuse parts that share a file: the sorted 64-bit keys
// of the files it took (skipped ones included), each a hash of the file's canonical absolute
// path (symbolic links resolved). They are kept beside the statistics file, in STATS.json.files
// (8 bytes per file: the statistics file itself must stay under the runtime's 1 MiB), and the
// statistics file's field "files" holds their count and digest, which tie the two together.

// The key of a file from its canonical path (realpath).
uint64_t file_key(const std::string& canonical_path);
// The name of the record beside a statistics file.
std::string record_path(const std::string& stats_path);
// A character device, a FIFO or '-' (standard output) takes statistics as a stream: they are
// written there directly (a dry run into /dev/null, a pipe), with no file record or checkpoint
// beside them, since neither can sit next to a device.
bool streamed_output(const std::string& stats_path);
struct RecordField {
  uint64_t count = 0;
  uint64_t digest = 0;
};
RecordField record_field(const std::vector<uint64_t>& sorted_keys);
std::string record_field_json(const RecordField& field);
// The field "files" of a statistics file; throws CliError naming `name` when it is missing
// (written by an older pixnorm) or malformed.
RecordField read_record_field(const pixnorm_stats* stats, const std::string& name);
// The bytes of a record file, and back: "pixnorm-files 1\n", the count as 8 bytes, then the keys
// (little-endian, strictly increasing). decode_record throws CliError naming `name` unless the
// bytes are such a record whose count and digest are those of `expected`.
std::string encode_record(const std::vector<uint64_t>& sorted_keys);
std::vector<uint64_t> decode_record(const std::string& bytes, const RecordField& expected, const std::string& name);

}  // namespace pixnorm_cli

#endif
