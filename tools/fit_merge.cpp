// pixnorm merge: the statistics files of shards into one, exactly.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "accum.h"
#include "atomic_file.h"
#include "cli_error.h"
#include "cli_options.h"
#include "cmd_util.h"
#include "fit.h"
#include "fit_json.h"
#include "stats_import.h"

namespace pixnorm_cli {
namespace {

// ---------------------------------------------------------------- merge

struct Part {
  std::string path, real_path;
  pixnorm_stats_values values;
  std::string folder, resize, sample, shard;
  size_t files = 0;  // in its file record
};

std::string shown(const std::string& json_text);

// The keys of the files a part covers, from its record beside it, checked against the
// statistics file's field "files".
std::vector<uint64_t> load_record(const pixnorm_stats* stats, const std::string& path) {
  const RecordField field = read_record_field(stats, path);
  const std::string name = record_path(path);
  std::ifstream in(name, std::ios::binary);
  if (!in.is_open())
    throw data_error(name, std::string("cannot read the file record of ") + path + ": " + std::strerror(errno) +
                               " (fit writes it beside the statistics file: copy it along with them)");
  std::stringstream bytes;
  bytes << in.rdbuf();
  return decode_record(bytes.str(), field, name);
}

// A part as messages describe it: "b.json (shard 1/2 of data)".
std::string described(const Part& p) {
  std::string what;
  if (p.shard != "null") what = "shard " + shown(p.shard) + " of " + shown(p.folder);
  else if (p.folder != "null") what = shown(p.folder);
  else what = "a merge";
  return p.path + " (" + what + ")";
}

// The JSON text of a source member, for comparison: "null" when absent.
std::string member_text(const Json& source, const char* key) {
  const Json* v = source.find(key);
  if (!v || v->kind == Json::kNull) return "null";
  return v->kind == Json::kString ? json_quote(v->text) : v->text;
}

// A member text as messages show it: strings without their quotes.
std::string shown(const std::string& json_text) {
  return !json_text.empty() && json_text[0] == '"' ? parse_json(json_text, "source").text : json_text;
}

}  // namespace

int run_merge(int argc, char** argv) {
  std::vector<std::string> inputs;
  std::string output;
  CommandLine cl(
      "merge", "pixnorm merge PART.json... -o STATS.json",
      "Adds up the exact accumulators of statistics files written by 'pixnorm fit' (typically the\n"
      "shards of one data set, --shard I/N) and writes the statistics of the whole: the same file,\n"
      "to the last digit, as one fit over all the files, apart from its \"source\" field.\n"
      "\n"
      "The parts must have the same units (rescale), channel order, --resize and --sample; files\n"
      "without accumulators are refused, naming the file. Missing shards are reported but allowed.\n"
      "\n"
      "No image may count twice: each part's file record (PART.json.files, written beside it by fit\n"
      "and merge: a hash of each file's canonical path) must exist, match the part, and share no file\n"
      "with the other parts'; otherwise the merge is refused, naming both parts. So the same shard\n"
      "fitted twice (under any spelling of the folder), a whole fit with one of its shards, shards\n"
      "of different --shard counts (0/2 and 0/3), or a merged file with one of its own parts are\n"
      "refused; a merged file merges with parts disjoint from it. The output's record is the union\n"
      "of the parts'. Parts written before file records existed are refused: fit them again.\n"
      "Paths are compared after resolving links: parts fitted on several machines are checked\n"
      "against each other when the data set has the same path on each (a shared mount).");
  cl.value("-o,--output", &output, "FILE",
           "the statistics file to write (required; atomically, only on success),\n"
           "its file record beside it; a device or FIFO (-o /dev/null) or '-'\n"
           "(standard output) is written directly, with no record");
  cl.operands(&inputs, "PART.json");
  cl.footer("Exit status: 0 done, 1 a refused or unreadable part (nothing written), 2 a bad command line.");
  if (!cl.parse(argc, argv)) return kExitOk;
  if (inputs.empty()) throw usage_error("no files to merge (see pixnorm merge --help)");
  if (output.empty()) throw usage_error("no output file: give -o STATS.json");

  Accumulators total;
  std::vector<Part> parts;
  std::vector<std::pair<uint64_t, uint32_t>> keys;  // every part's file keys, with the part's index
  for (const std::string& path : inputs) {
    const pixnorm::Stats stats = load_stats_file(path);
    Part p;
    p.path = path;
    char* real = ::realpath(path.c_str(), nullptr);
    p.real_path = real ? real : path;
    std::free(real);
    for (const Part& q : parts)
      if (q.real_path == p.real_path) throw data_error(path, "given twice: its images would count twice");
    pixnorm_stats_get(stats.get(), &p.values);
    const Accumulators acc = read_accumulators(stats.get(), path);
    const std::vector<uint64_t> record = load_record(stats.get(), path);
    p.files = record.size();
    for (const uint64_t k : record) keys.emplace_back(k, uint32_t(parts.size()));
    const char* source_raw = pixnorm_stats_get_field(stats.get(), "source");
    if (!source_raw) throw data_error(path, "no \"source\" field: its --resize and --sample cannot be checked");
    const Json source = parse_json(source_raw, path + ": field \"source\"");
    p.folder = member_text(source, "folder");
    p.resize = member_text(source, "resize");
    p.sample = member_text(source, "sample");
    p.shard = member_text(source, "shard");
    if (!parts.empty()) {
      const Part& first = parts.front();
      auto differ = [&](const std::string& what, const std::string& mine, const std::string& theirs) {
        throw data_error(path, what + " " + shown(mine) + ", but " + first.path + " has " + shown(theirs) +
                                   ": only parts fitted with the same settings can be merged");
      };
      if (p.values.rescale != first.values.rescale)
        differ("has units", rescale_units(p.values.rescale), rescale_units(first.values.rescale));
      if (p.values.channel_order != first.values.channel_order)
        differ("has channel order", order_name(p.values.channel_order), order_name(first.values.channel_order));
      if (p.resize != first.resize) differ("was fitted with resize", p.resize, first.resize);
      if (p.sample != first.sample) differ("was fitted with sample", p.sample, first.sample);
    }
    add_part(total, acc, path);
    parts.push_back(p);
  }

  // Files in two parts: the first pair of parts that share any, with how many they share.
  std::sort(keys.begin(), keys.end());
  std::vector<uint64_t> shared(parts.size() * parts.size(), 0);
  bool overlap = false;
  for (size_t i = 1; i < keys.size(); ++i)
    if (keys[i].first == keys[i - 1].first) {
      ++shared[keys[i - 1].second * parts.size() + keys[i].second];
      overlap = true;
    }
  for (size_t i = 0; overlap && i < parts.size(); ++i)
    for (size_t k = 0; k < parts.size(); ++k) {
      const uint64_t n = shared[i * parts.size() + k] + shared[k * parts.size() + i];
      if (i >= k || n == 0) continue;
      const Part &first = parts[i], &second = parts[k];
      throw CliError(kExitData, described(second) + " shares " + std::to_string(n) + " of its " +
                                    std::to_string(second.files) + " files with " + described(first) +
                                    ": their images would count twice; merge parts that cover different files, "
                                    "such as the N shards of one --shard I/N");
    }
  std::vector<uint64_t> merged_keys(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) merged_keys[i] = keys[i].first;

  // Shards left out are allowed (a partial merge is a sample), but said.
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string shard = shown(parts[i].shard);  // "I/N" or "null"
    const size_t slash = shard.find('/');
    if (slash == std::string::npos) continue;
    bool first_of_folder = true;
    size_t count = 0;
    for (size_t k = 0; k < parts.size(); ++k) {
      if (parts[k].folder != parts[i].folder) continue;
      first_of_folder = first_of_folder && k >= i;
      ++count;
    }
    if (first_of_folder && std::to_string(count) != shard.substr(slash + 1))
      std::fprintf(stderr, "pixnorm: note: %zu of the %s shards of %s merged\n", count,
                   shard.substr(slash + 1).c_str(), shown(parts[i].folder).c_str());
  }

  std::string merged = "[", folders = "[";
  std::vector<std::string> seen;
  for (const Part& p : parts) {
    merged += (merged.size() > 1 ? ", " : "") + json_quote(p.path);
    bool known = false;
    for (const std::string& f : seen) known = known || f == p.folder;
    if (!known) {
      folders += (folders.size() > 1 ? ", " : "") + p.folder;
      seen.push_back(p.folder);
    }
  }
  const Part& first = parts.front();
  const std::string source = "{\"merged\": " + merged + "], \"folders\": " + folders + "], \"resize\": " +
                             first.resize + ", \"sample\": " + first.sample + ", \"tool\": " +
                             json_quote(std::string("pixnorm ") + pixnorm_version()) + "}";
  const OwnedStats stats =
      build_stats(total, first.values.rescale, output, source, record_field_json(record_field(merged_keys)));
  const bool stream = streamed_output(output);
  const std::string record = record_path(output);
  if (!stream) {
    const std::string bytes = encode_record(merged_keys);
    AtomicFile file(record);
    file.write(bytes.data(), bytes.size());
    file.commit();
  }
  if (pixnorm_stats_save(stats.get(), output == "-" ? "/dev/stdout" : output.c_str()) != PIXNORM_OK) {
    const std::string message = pixnorm_last_error();
    if (!stream) ::unlink(record.c_str());  // it would not belong to the file left at the output
    throw CliError(kExitData, message);
  }
  std::fprintf(stderr, "pixnorm: wrote %s: %zu file%s merged, %llu images, %llu skipped, %s pixels per channel\n",
               output.c_str(), parts.size(), parts.size() == 1 ? "" : "s",
               static_cast<unsigned long long>(total.images), static_cast<unsigned long long>(total.skipped),
               BigUint(total.pixels).to_decimal().c_str());
  return kExitOk;
}


}  // namespace pixnorm_cli
