#include "accum.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <string>

#include "cli_error.h"
#include "fit_json.h"

namespace pixnorm_cli {

// ---------------------------------------------------------------- 128-bit integers

bool add_u128(U128& a, const U128& b) {
  const uint64_t lo = a.lo + b.lo;
  const uint64_t carry = lo < a.lo ? 1 : 0;
  const uint64_t hi = a.hi + b.hi;
  const uint64_t hi_carried = hi + carry;
  const bool overflow = hi < a.hi || hi_carried < hi;
  a.lo = lo;
  a.hi = hi_carried;
  return !overflow;
}

// ---------------------------------------------------------------- big integers

BigUint::BigUint(uint64_t v) : limbs_{uint32_t(v), uint32_t(v >> 32)} { trim(); }

BigUint::BigUint(const U128& v) : limbs_{uint32_t(v.lo), uint32_t(v.lo >> 32), uint32_t(v.hi), uint32_t(v.hi >> 32)} {
  trim();
}

void BigUint::trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

unsigned BigUint::bits() const {
  if (limbs_.empty()) return 0;
  unsigned n = 32 * unsigned(limbs_.size() - 1);
  for (uint32_t top = limbs_.back(); top; top >>= 1) ++n;
  return n;
}

U128 BigUint::to_u128() const {
  uint32_t w[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < limbs_.size() && i < 4; ++i) w[i] = limbs_[i];
  U128 r;
  r.lo = uint64_t{w[1]} << 32 | w[0];
  r.hi = uint64_t{w[3]} << 32 | w[2];
  return r;
}

int compare(const BigUint& a, const BigUint& b) {
  if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
  for (size_t i = a.limbs_.size(); i-- > 0;)
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
  return 0;
}

BigUint operator+(const BigUint& a, const BigUint& b) {
  BigUint r;
  const size_t n = std::max(a.limbs_.size(), b.limbs_.size());
  r.limbs_.resize(n + 1);
  uint64_t carry = 0;
  for (size_t i = 0; i < n; ++i) {
    carry += uint64_t{i < a.limbs_.size() ? a.limbs_[i] : 0u} + (i < b.limbs_.size() ? b.limbs_[i] : 0u);
    r.limbs_[i] = uint32_t(carry);
    carry >>= 32;
  }
  r.limbs_[n] = uint32_t(carry);
  r.trim();
  return r;
}

BigUint operator-(const BigUint& a, const BigUint& b) {
  BigUint r = a;
  int64_t borrow = 0;
  for (size_t i = 0; i < r.limbs_.size(); ++i) {
    int64_t d = int64_t{r.limbs_[i]} - (i < b.limbs_.size() ? b.limbs_[i] : 0u) - borrow;
    borrow = d < 0 ? 1 : 0;
    r.limbs_[i] = uint32_t(d + (borrow << 32));
  }
  r.trim();
  return r;
}

BigUint operator*(const BigUint& a, const BigUint& b) {
  BigUint r;
  if (a.is_zero() || b.is_zero()) return r;
  r.limbs_.assign(a.limbs_.size() + b.limbs_.size(), 0);
  for (size_t i = 0; i < a.limbs_.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.limbs_.size(); ++j) {
      carry += uint64_t{a.limbs_[i]} * b.limbs_[j] + r.limbs_[i + j];
      r.limbs_[i + j] = uint32_t(carry);
      carry >>= 32;
    }
    r.limbs_[i + b.limbs_.size()] = uint32_t(carry);
  }
  r.trim();
  return r;
}

BigUint operator<<(const BigUint& a, unsigned shift) {
  BigUint r;
  if (a.is_zero()) return r;
  const unsigned limbs = shift / 32, bits = shift % 32;
  r.limbs_.assign(a.limbs_.size() + limbs + 1, 0);
  for (size_t i = 0; i < a.limbs_.size(); ++i) {
    const uint64_t v = uint64_t{a.limbs_[i]} << bits;
    r.limbs_[i + limbs] |= uint32_t(v);
    r.limbs_[i + limbs + 1] |= uint32_t(v >> 32);
  }
  r.trim();
  return r;
}

void divmod(const BigUint& a, const BigUint& b, BigUint* q, BigUint* r) {
  // Binary long division: the operands have a few hundred bits at most.
  BigUint quotient, rest;
  quotient.limbs_.assign(a.limbs_.size(), 0);
  for (unsigned i = a.bits(); i-- > 0;) {
    rest = rest << 1;
    if ((a.limbs_[i / 32] >> (i % 32)) & 1) {
      if (rest.limbs_.empty()) rest.limbs_.push_back(0);
      rest.limbs_[0] |= 1;
    }
    if (compare(rest, b) >= 0) {
      rest = rest - b;
      quotient.limbs_[i / 32] |= uint32_t{1} << (i % 32);
    }
  }
  quotient.trim();
  *q = quotient;
  *r = rest;
}

std::string BigUint::to_decimal() const {
  if (is_zero()) return "0";
  std::string digits;
  BigUint v = *this;
  while (!v.is_zero()) {
    uint64_t rem = 0;  // v /= 10^9, in place, keeping the remainder
    for (size_t i = v.limbs_.size(); i-- > 0;) {
      const uint64_t cur = rem << 32 | v.limbs_[i];
      v.limbs_[i] = uint32_t(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    v.trim();
    for (int k = 0; k < 9; ++k, rem /= 10) digits += char('0' + rem % 10);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return std::string(digits.rbegin(), digits.rend());
}

bool BigUint::from_decimal(const std::string& text, BigUint* out) {
  if (text.empty() || text.size() > 200 || text.find_first_not_of("0123456789") != std::string::npos ||
      (text.size() > 1 && text[0] == '0'))
    return false;
  BigUint v;
  const BigUint ten(10);
  for (const char c : text) v = v * ten + BigUint(uint64_t(c - '0'));
  *out = v;
  return true;
}

double ratio_to_double(const BigUint& num, const BigUint& den) {
  if (num.is_zero()) return 0.0;
  // Scales so that q = floor(num * 2^s / den) has 54 or 55 bits: 53 kept, one or two rounding
  // bits, and the remainder as the sticky bit.
  const int s = 54 - (int(num.bits()) - int(den.bits()));
  BigUint q, r;
  divmod(s >= 0 ? num << unsigned(s) : num, s >= 0 ? den : den << unsigned(-s), &q, &r);
  const U128 q128 = q.to_u128();
  const uint64_t qv = q128.lo;
  const int extra = int(q.bits()) - 53;
  uint64_t kept = qv >> extra;
  const uint64_t dropped = qv & ((uint64_t{1} << extra) - 1), half = uint64_t{1} << (extra - 1);
  if (dropped > half || (dropped == half && (!r.is_zero() || (kept & 1)))) ++kept;
  return std::ldexp(double(kept), extra - s);
}

// ---------------------------------------------------------------- accumulators

namespace {

CliError overflow_error() {
  return CliError(kExitData,
                  "the exact sums overflow 128 bits (over 5e33 pixels per channel): fit a --sample of the data");
}

void add_checked(U128& a, uint64_t v) {
  U128 b;
  b.lo = v;
  if (!add_u128(a, b)) throw overflow_error();
}

void add_checked(U128& a, const U128& b) {
  if (!add_u128(a, b)) throw overflow_error();
}

const char* channel_name(uint32_t channels, uint32_t c) {
  static const char* const kRgb[] = {"R", "G", "B"};
  return channels == 1 ? "gray" : kRgb[c];
}

std::string list(uint32_t n, const std::string* values) {
  std::string out = "[";
  for (uint32_t c = 0; c < n; ++c) out += (c ? ", " : "") + values[c];
  return out + "]";
}

void set_field(pixnorm_stats* stats, const char* key, const std::string& value, const std::string& subject) {
  if (pixnorm_stats_set_field(stats, key, value.c_str()) != PIXNORM_OK)
    throw data_error(subject, std::string("cannot set field \"") + key + "\": " + pixnorm_last_error());
}

uint64_t read_count(const pixnorm_stats* stats, const char* key, const std::string& name) {
  const char* raw = pixnorm_stats_get_field(stats, key);
  BigUint v;
  if (!raw || !BigUint::from_decimal(raw, &v) || v.bits() > 64)
    throw data_error(name, std::string("field \"") + key + "\": missing or not a count");
  return v.to_u128().lo;
}

}  // namespace

std::string shortest_double(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

void add_image(Accumulators& acc, const pixnorm_channel_sums& image, uint32_t channels) {
  if (acc.channels != 0 && acc.channels != channels)
    throw CliError(kExitData, "a " + std::to_string(channels) + "-channel image added to " +
                                  std::to_string(acc.channels) + "-channel sums");
  Accumulators next = acc;  // unchanged on overflow
  next.channels = channels;
  add_checked(next.pixels, image.pixels);
  for (uint32_t c = 0; c < channels; ++c) {
    const uint32_t from = image.channels == 1 ? 0 : c;
    add_checked(next.sum[c], image.sum[from]);
    add_checked(next.sum_sq[c], image.sum_sq[from]);
    next.min[c] = std::min(next.min[c], image.min[from]);
    next.max[c] = std::max(next.max[c], image.max[from]);
  }
  ++next.images;
  acc = next;
}

void add_part(Accumulators& acc, const Accumulators& part, const std::string& name) {
  if (acc.channels != 0 && part.channels != 0 && acc.channels != part.channels)
    throw data_error(name, std::to_string(part.channels) + " channels, but the files before it have " +
                               std::to_string(acc.channels));
  if (part.channels != 0) acc.channels = part.channels;
  try {  // the overflow message names no file: the part that made it overflow
    add_checked(acc.pixels, part.pixels);
    for (uint32_t c = 0; c < part.channels; ++c) {
      add_checked(acc.sum[c], part.sum[c]);
      add_checked(acc.sum_sq[c], part.sum_sq[c]);
    }
  } catch (const CliError& e) {
    throw data_error(name, e.what());
  }
  for (uint32_t c = 0; c < part.channels; ++c) {
    acc.min[c] = std::min(acc.min[c], part.min[c]);
    acc.max[c] = std::max(acc.max[c], part.max[c]);
  }
  acc.images += part.images;
  acc.skipped += part.skipped;
}

OwnedStats build_stats(const Accumulators& acc, double rescale, const std::string& subject,
                       const std::string& source_json, const std::string& files_json) {
  const uint32_t n = acc.channels;
  if (acc.images == 0 || n == 0) throw data_error(subject, "no images to fit");
  pixnorm_stats_values v{};
  v.channel_order = n == 1 ? PIXNORM_ORDER_GRAY : PIXNORM_ORDER_RGB;
  v.channels = n;
  v.rescale = rescale;
  v.has_std = 1;
  v.epsilon = 0;
  const BigUint pixels(acc.pixels);
  std::string mins[3], maxs[3], sums[3], sums_sq[3], raw_mins[3], raw_maxs[3];
  for (uint32_t c = 0; c < n; ++c) {
    const BigUint s1(acc.sum[c]), s2(acc.sum_sq[c]);
    // N*S2 >= S1^2 (Cauchy-Schwarz); equality means every sample has the same value.
    const BigUint spread = pixels * s2 - s1 * s1;
    if (spread.is_zero())
      throw data_error(subject, "channel " + std::string(channel_name(n, c)) + " has the value " +
                                    std::to_string(acc.min[c]) +
                                    " in every pixel: its std is 0, and standardizing needs std > 0");
    v.mean[c] = ratio_to_double(s1, pixels) * rescale;
    v.std[c] = std::sqrt(ratio_to_double(spread, pixels * pixels)) * rescale;
    mins[c] = shortest_double(acc.min[c] * rescale);
    maxs[c] = shortest_double(acc.max[c] * rescale);
    raw_mins[c] = std::to_string(acc.min[c]);
    raw_maxs[c] = std::to_string(acc.max[c]);
    sums[c] = json_quote(s1.to_decimal());
    sums_sq[c] = json_quote(s2.to_decimal());
  }
  pixnorm_stats* raw = nullptr;
  if (pixnorm_stats_create(&v, &raw) != PIXNORM_OK) throw data_error(subject, pixnorm_last_error());
  OwnedStats stats(raw);
  set_field(raw, "min", list(n, mins), subject);
  set_field(raw, "max", list(n, maxs), subject);
  set_field(raw, "pixel_count", pixels.to_decimal(), subject);
  set_field(raw, "image_count", std::to_string(acc.images), subject);
  set_field(raw, "skipped_count", std::to_string(acc.skipped), subject);
  set_field(raw, "accumulators",
            "{\"pixels\": " + json_quote(pixels.to_decimal()) + ", \"sum\": " + list(n, sums) +
                ", \"sum_sq\": " + list(n, sums_sq) + ", \"min\": " + list(n, raw_mins) +
                ", \"max\": " + list(n, raw_maxs) + "}",
            subject);
  if (!files_json.empty()) set_field(raw, "files", files_json, subject);
  set_field(raw, "source", source_json, subject);
  return stats;
}

Accumulators read_accumulators(const pixnorm_stats* stats, const std::string& name) {
  const char* raw = pixnorm_stats_get_field(stats, "accumulators");
  if (!raw)
    throw data_error(name, "no \"accumulators\" field: only statistics written by pixnorm fit or merge can be merged");
  const std::string what = name + ": field \"accumulators\"";
  const Json j = parse_json(raw, what);
  pixnorm_stats_values values;
  pixnorm_stats_get(stats, &values);
  const uint32_t n = values.channel_order == PIXNORM_ORDER_GRAY ? 1 : 3;
  auto bad = [&](const std::string& why) { return CliError(kExitData, what + ": " + why); };
  auto big = [&](const Json* e, const char* key) {
    BigUint v;
    if (!e || e->kind != Json::kString || !BigUint::from_decimal(e->text, &v) || !v.fits_u128())
      throw bad(std::string("\"") + key + "\" must hold decimal integer strings below 2^128");
    return v.to_u128();
  };
  auto array = [&](const char* key) {
    const Json* e = j.find(key);
    if (!e || e->kind != Json::kArray || e->items.size() != n)
      throw bad(std::string("\"") + key + "\" must be a list of " + std::to_string(n) + " values (one per channel of " +
                (n == 1 ? "GRAY" : "RGB") + ")");
    return e;
  };
  auto byte = [&](const Json& e, const char* key) {
    if (e.kind != Json::kNumber || e.text.size() > 3 || e.text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(e.text) > 255)
      throw bad(std::string("\"") + key + "\" must hold integers from 0 to 255");
    return uint8_t(std::stoi(e.text));
  };
  if (j.kind != Json::kObject) throw bad("not an object");
  Accumulators acc;
  acc.channels = n;
  acc.pixels = big(j.find("pixels"), "pixels");
  const Json *sum = array("sum"), *sum_sq = array("sum_sq"), *mn = array("min"), *mx = array("max");
  for (uint32_t c = 0; c < n; ++c) {
    acc.sum[c] = big(&sum->items[c], "sum");
    acc.sum_sq[c] = big(&sum_sq->items[c], "sum_sq");
    acc.min[c] = byte(mn->items[c], "min");
    acc.max[c] = byte(mx->items[c], "max");
  }
  acc.images = read_count(stats, "image_count", name);
  acc.skipped = read_count(stats, "skipped_count", name);
  // A file whose mean was edited after the fit would otherwise be merged as if it had not been.
  const BigUint pixels(acc.pixels);
  for (uint32_t c = 0; c < n && values.channels == n; ++c)
    if (pixels.is_zero() || ratio_to_double(BigUint(acc.sum[c]), pixels) * values.rescale != values.mean[c])
      throw data_error(name, "its mean does not follow from its accumulators: the file was changed after the fit");
  check_accumulators(acc, what);
  return acc;
}

void check_accumulators(const Accumulators& acc, const std::string& what) {
  auto bad = [&](const std::string& why) { return CliError(kExitData, what + ": " + why); };
  const BigUint pixels(acc.pixels);
  // Sums that no 0..255 samples give; the std computation relies on pixels * sum_sq >= sum^2.
  for (uint32_t c = 0; c < acc.channels; ++c) {
    const BigUint s1(acc.sum[c]), s2(acc.sum_sq[c]), top(255);
    if (compare(s1, top * pixels) > 0 || compare(s2, top * s1) > 0 || compare(pixels * s2, s1 * s1) < 0)
      throw bad("\"sum\" and \"sum_sq\" of channel " + std::to_string(c) + " are not the sums of any 0..255 values");
    if (!pixels.is_zero() && acc.min[c] > acc.max[c]) throw bad("min above max in channel " + std::to_string(c));
    const BigUint lo(acc.min[c]), hi(acc.max[c]);
    if (!pixels.is_zero() && (compare(s1, lo * pixels) < 0 || compare(s1, hi * pixels) > 0))
      throw bad("\"sum\" of channel " + std::to_string(c) + " is outside min and max times the pixels");
  }
}

// ---------------------------------------------------------------- file records

namespace {

uint64_t finalize(uint64_t h) {  // splitmix64's finalizer
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

constexpr char kRecordMagic[] = "pixnorm-files 1\n";
constexpr size_t kRecordHeader = sizeof(kRecordMagic) - 1 + 8;

std::string hex64(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

uint64_t file_key(const std::string& canonical_path) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (const char c : canonical_path) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return finalize(h);
}

std::string record_path(const std::string& stats_path) { return stats_path + ".files"; }

bool streamed_output(const std::string& stats_path) {
  struct stat st;
  return stats_path == "-" ||
         (::stat(stats_path.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)));
}

RecordField record_field(const std::vector<uint64_t>& sorted_keys) {
  RecordField f;
  f.count = sorted_keys.size();
  uint64_t h = 0x6a09e667f3bcc908ull;
  for (const uint64_t k : sorted_keys) h = finalize(h ^ k) + 0x9e3779b97f4a7c15ull;
  f.digest = finalize(h ^ f.count);
  return f;
}

std::string record_field_json(const RecordField& field) {
  return "{\"count\": \"" + std::to_string(field.count) + "\", \"digest\": \"" + hex64(field.digest) +
         "\", \"key\": \"canonical path\"}";
}

RecordField read_record_field(const pixnorm_stats* stats, const std::string& name) {
  const char* raw = pixnorm_stats_get_field(stats, "files");
  if (!raw)
    throw data_error(name, "no \"files\" field: it was written by an older pixnorm and does not say which files it "
                           "covers, so images it shares with the other parts cannot be found; fit it again");
  const Json j = parse_json(raw, name + ": field \"files\"");
  const Json *count = j.find("count"), *digest = j.find("digest"), *key = j.find("key");
  BigUint n;
  RecordField f;
  char* end = nullptr;
  if (j.kind != Json::kObject || !count || count->kind != Json::kString || !BigUint::from_decimal(count->text, &n) ||
      n.bits() > 64 || !digest || digest->kind != Json::kString || digest->text.size() != 16 ||
      digest->text.find_first_not_of("0123456789abcdef") != std::string::npos || !key ||
      key->text != "canonical path")
    throw data_error(name, "field \"files\" must be {\"count\": \"N\", \"digest\": \"16 hex digits\", \"key\": "
                           "\"canonical path\"}");
  f.count = n.to_u128().lo;
  f.digest = std::strtoull(digest->text.c_str(), &end, 16);
  return f;
}

std::string encode_record(const std::vector<uint64_t>& sorted_keys) {
  std::string out(kRecordMagic, sizeof(kRecordMagic) - 1);
  auto put = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) out += char(uint8_t(v >> (8 * i)));
  };
  out.reserve(kRecordHeader + 8 * sorted_keys.size());
  put(sorted_keys.size());
  for (const uint64_t k : sorted_keys) put(k);
  return out;
}

std::vector<uint64_t> decode_record(const std::string& bytes, const RecordField& expected, const std::string& name) {
  auto get = [&](size_t at) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[at + size_t(i)]);
    return v;
  };
  const size_t magic = sizeof(kRecordMagic) - 1;
  if (bytes.size() < kRecordHeader || bytes.compare(0, magic, kRecordMagic) != 0 || (bytes.size() - kRecordHeader) % 8)
    throw data_error(name, "not a pixnorm file record, or a damaged one");
  const uint64_t count = get(magic);
  if (count != (bytes.size() - kRecordHeader) / 8) throw data_error(name, "damaged: its size does not match its count");
  std::vector<uint64_t> keys(count);
  for (uint64_t i = 0; i < count; ++i) {
    keys[i] = get(kRecordHeader + 8 * i);
    if (i && keys[i] <= keys[i - 1]) throw data_error(name, "damaged: its keys are not in increasing order");
  }
  const RecordField f = record_field(keys);
  if (f.count != expected.count || f.digest != expected.digest)
    throw data_error(name, "does not belong to its statistics file (other files, or changed since): it covers " +
                               std::to_string(f.count) + " files where the statistics file says " +
                               std::to_string(expected.count) + ", or another set of them");
  return keys;
}

}  // namespace pixnorm_cli
