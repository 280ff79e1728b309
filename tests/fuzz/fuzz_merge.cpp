// pixnorm merge's reading of a part (tools/accum, tools/fit_json): a statistics file, its
// "accumulators", "files" and "source" fields, and the same bytes taken for a file record. Any
// bytes are read or refused with a message naming the file; a record that is read encodes back
// to the same bytes; a part that is read merges with itself (two shards of the same counts) into
// statistics with exactly its mean and std, whose accumulators read back as the merged ones.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "accum.h"
#include "cli_error.h"
#include "fit_json.h"
#include "fuzz_check.h"

using namespace pixnorm_cli;

namespace {

const std::string kName = "part.json";

bool same(const U128& a, const U128& b) { return a.hi == b.hi && a.lo == b.lo; }

bool same_counts(const Accumulators& a, const Accumulators& b) {
  bool ok = a.channels == b.channels && same(a.pixels, b.pixels) && a.images == b.images && a.skipped == b.skipped;
  for (uint32_t c = 0; c < a.channels; ++c)
    ok = ok && same(a.sum[c], b.sum[c]) && same(a.sum_sq[c], b.sum_sq[c]) && a.min[c] == b.min[c] &&
         a.max[c] == b.max[c];
  return ok;
}

// Runs `body`; a CliError must be a data error naming `subject`. Returns false when one was thrown.
template <class Body>
bool refused_cleanly(const std::string& subject, Body body) {
  try {
    body();
    return true;
  } catch (const CliError& e) {
    FUZZ_CHECK(e.code == kExitData && std::string(e.what()).find(subject) != std::string::npos,
               "a refusal that does not name %s: %s", subject.c_str(), e.what());
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::vector<uint64_t> keys;
  RecordField claimed;  // the count and digest the bytes would need: those of what they hold
  if (size >= 24) {
    for (int i = 7; i >= 0; --i) claimed.count = claimed.count << 8 | data[16 + i];
    std::vector<uint64_t> guess;
    for (size_t at = 24; at + 8 <= size && guess.size() < claimed.count; at += 8) {
      uint64_t k = 0;
      for (int i = 7; i >= 0; --i) k = k << 8 | data[at + size_t(i)];
      guess.push_back(k);
    }
    claimed.digest = record_field(guess).digest;
  }
  if (refused_cleanly("part.json.files", [&] { keys = decode_record(bytes, claimed, "part.json.files"); }))
    FUZZ_CHECK(encode_record(keys) == bytes, "a record that reads does not encode back to its bytes");

  pixnorm_stats* raw = nullptr;
  if (pixnorm_stats_parse(reinterpret_cast<const char*>(data), size, kName.c_str(), &raw) != PIXNORM_OK) return 0;
  const OwnedStats stats(raw);
  pixnorm_stats_values values;
  pixnorm_stats_get(stats.get(), &values);

  Accumulators part;
  if (!refused_cleanly(kName, [&] {
        part = read_accumulators(stats.get(), kName);
        if (const char* source = pixnorm_stats_get_field(stats.get(), "source"))
          parse_json(source, kName + ": field \"source\"");
        if (pixnorm_stats_get_field(stats.get(), "files")) read_record_field(stats.get(), kName);
      }))
    return 0;

  Accumulators both;
  if (!refused_cleanly("second.json", [&] {
        add_part(both, part, "first.json");
        add_part(both, part, "second.json");
      }))
    return 0;  // the doubled counts overflow 128 bits

  OwnedStats one, two;
  const bool built_one = refused_cleanly("one.json", [&] { one = build_stats(part, values.rescale, "one.json", "{}"); });
  const bool built_two = refused_cleanly("two.json", [&] { two = build_stats(both, values.rescale, "two.json", "{}"); });
  FUZZ_CHECK(built_one == built_two, "a part builds %d, the part twice %d", built_one, built_two);
  if (!built_one) return 0;

  pixnorm_stats_values a, b;
  pixnorm_stats_get(one.get(), &a);
  pixnorm_stats_get(two.get(), &b);
  FUZZ_CHECK(a.channels == b.channels, "channels %u and %u", a.channels, b.channels);
  for (uint32_t c = 0; c < a.channels; ++c)
    FUZZ_CHECK(std::memcmp(&a.mean[c], &b.mean[c], sizeof(double)) == 0 &&
                   std::memcmp(&a.std[c], &b.std[c], sizeof(double)) == 0,
               "channel %u: mean %.17g std %.17g, twice: mean %.17g std %.17g", c, a.mean[c], a.std[c], b.mean[c],
               b.std[c]);
  Accumulators again;
  FUZZ_CHECK(refused_cleanly("two.json", [&] { again = read_accumulators(two.get(), "two.json"); }),
             "merged statistics do not read back");
  FUZZ_CHECK(same_counts(again, both), "merged accumulators changed when read back");
  return 0;
}
