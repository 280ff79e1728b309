// Statistics files: parsing, validation, presets, extra fields, serialization and saving.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>  // mkdtemp
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "pixnorm/pixnorm.h"

namespace {

const char* const kExample = R"({
  "format": "pixnorm-stats",
  "version": 1,
  "channel_order": "RGB",
  "rescale": 0.00392156862745098,
  "mean": [0.485, 0.456, 0.406],
  "std":  [0.229, 0.224, 0.225],
  "epsilon": 0
})";

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields example_fields() {
  return {{"format", "\"pixnorm-stats\""}, {"version", "1"},        {"channel_order", "\"RGB\""},
          {"rescale", "0.00392156862745098"}, {"mean", "[0.485, 0.456, 0.406]"},
          {"std", "[0.229, 0.224, 0.225]"},   {"epsilon", "0"}};
}

// The example with one member replaced (or appended), or removed when value is null.
std::string doc(const char* key = nullptr, const char* value = nullptr) {
  Fields fields = example_fields();
  bool found = false;
  for (auto it = fields.begin(); it != fields.end();) {
    if (key && it->first == key) {
      found = true;
      if (!value) {
        it = fields.erase(it);
        continue;
      }
      it->second = value;
    }
    ++it;
  }
  if (key && value && !found) fields.emplace_back(key, value);
  std::string out = "{\n";
  for (size_t i = 0; i < fields.size(); ++i)
    out += "  \"" + fields[i].first + "\": " + fields[i].second + (i + 1 < fields.size() ? ",\n" : "\n");
  return out + "}";
}

// Parses from an exactly sized heap copy, so that a read past the end is caught by ASan.
pixnorm_status parse(const std::string& text, pixnorm_stats** out, const char* name = "stats.json") {
  std::vector<char> copy(text.begin(), text.end());
  return pixnorm_stats_parse(copy.empty() ? "" : copy.data(), copy.size(), name, out);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string error_text() { return pixnorm_last_error(); }

// Expects `text` to be refused with `status` and a message naming the file and `what`.
void expect_reject(const std::string& text, pixnorm_status status, const std::string& what) {
  pixnorm_stats* stats = reinterpret_cast<pixnorm_stats*>(&stats);
  pixnorm_status got = parse(text, &stats);
  INFO("input: " << text);
  INFO("message: " << error_text());
  CHECK(got == status);
  CHECK(stats == nullptr);
  CHECK(has(error_text(), "stats.json"));
  CHECK(has(error_text(), what));
  pixnorm_stats_free(got == PIXNORM_OK ? stats : nullptr);
}

std::string serialize(const pixnorm_stats* stats) {
  size_t size = 0;
  REQUIRE(pixnorm_stats_serialize(stats, nullptr, &size) == PIXNORM_OK);
  std::string text(size, '\0');
  REQUIRE(pixnorm_stats_serialize(stats, &text[0], &size) == PIXNORM_OK);
  REQUIRE(text.back() == '\0');
  text.pop_back();
  return text;
}

pixnorm_stats_values values_of(const pixnorm_stats* stats) {
  pixnorm_stats_values v;
  std::memset(&v, 0xAB, sizeof(v));
  REQUIRE(pixnorm_stats_get(stats, &v) == PIXNORM_OK);
  return v;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

void check_same_values(const pixnorm_stats_values& a, const pixnorm_stats_values& b) {
  CHECK(a.channel_order == b.channel_order);
  CHECK(a.channels == b.channels);
  CHECK(same_bits(a.rescale, b.rescale));
  CHECK(same_bits(a.epsilon, b.epsilon));
  CHECK(a.has_std == b.has_std);
  for (unsigned c = 0; c < PIXNORM_MAX_CHANNELS; ++c) {
    CHECK(same_bits(a.mean[c], b.mean[c]));
    CHECK(same_bits(a.std[c], b.std[c]));
  }
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/pixnorm_stats_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  REQUIRE(f.good());
}

std::string read_whole(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("stats: the documented example parses to its values") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(parse(kExample, &stats) == PIXNORM_OK);
  CHECK(error_text().empty());
  pixnorm_stats_values v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_RGB);
  CHECK(v.channels == 3);
  CHECK(v.rescale == 1.0 / 255.0);
  CHECK(v.mean[0] == 0.485);
  CHECK(v.mean[1] == 0.456);
  CHECK(v.mean[2] == 0.406);
  CHECK(v.std[0] == 0.229);
  CHECK(v.std[1] == 0.224);
  CHECK(v.std[2] == 0.225);
  CHECK(v.epsilon == 0.0);
  CHECK(v.has_std == 1);
  CHECK(pixnorm_stats_get_field(stats, "mean") == nullptr);  // known fields are not extras
  CHECK(pixnorm_stats_get_field(stats, "min") == nullptr);
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: bare numbers, GRAY, optional std and epsilon") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(parse(R"({"format":"pixnorm-stats","version":1,"channel_order":"GRAY","rescale":1,)"
                R"("mean":0.5,"std":0.25,"epsilon":1e-3})",
                &stats) == PIXNORM_OK);
  pixnorm_stats_values v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_GRAY);
  CHECK(v.channels == 1);
  CHECK(v.mean[0] == 0.5);
  CHECK(v.std[0] == 0.25);
  CHECK(v.mean[1] == 0.0);  // only [0] is filled for one channel
  CHECK(v.mean[2] == 0.0);
  CHECK(v.std[1] == 0.0);
  CHECK(v.std[2] == 0.0);
  CHECK(v.epsilon == 0.001);
  CHECK(v.has_std == 1);
  pixnorm_stats_free(stats);

  // No std: has_std 0 and std reported as 1; no epsilon: 0.
  REQUIRE(parse(R"({"format":"pixnorm-stats","version":1,"channel_order":"BGR","rescale":1,)"
                R"("mean":[103.939,116.779,123.68]})",
                &stats) == PIXNORM_OK);
  v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_BGR);
  CHECK(v.has_std == 0);
  CHECK(v.std[0] == 1.0);
  CHECK(v.std[1] == 1.0);
  CHECK(v.std[2] == 1.0);
  CHECK(v.epsilon == 0.0);
  CHECK(v.mean[2] == 123.68);
  CHECK(!has(serialize(stats), "\"std\""));
  pixnorm_stats_free(stats);

  // One global value for RGB, and a bare number for mean next to a one-element std list.
  REQUIRE(parse(R"({"format":"pixnorm-stats","version":1,"channel_order":"RGB","rescale":0.5,)"
                R"("mean":0.5,"std":[0.25]})",
                &stats) == PIXNORM_OK);
  v = values_of(stats);
  CHECK(v.channels == 1);
  CHECK(v.std[0] == 0.25);
  pixnorm_stats_free(stats);

  // A leading UTF-8 byte order mark is tolerated; numbers use '.' whatever the locale.
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  std::string saved = old ? old : "C";
  bool german = std::setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr;
  REQUIRE(parse("\xEF\xBB\xBF" + std::string(kExample), &stats) == PIXNORM_OK);
  CHECK(values_of(stats).mean[0] == 0.485);
  if (german) CHECK(has(serialize(stats), "0.485"));
  std::setlocale(LC_NUMERIC, saved.c_str());
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: presets") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &stats) == PIXNORM_OK);
  pixnorm_stats_values v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_RGB);
  CHECK(v.channels == 3);
  CHECK(v.rescale == 1.0 / 255.0);
  CHECK(v.mean[0] == 0.485);
  CHECK(v.mean[1] == 0.456);
  CHECK(v.mean[2] == 0.406);
  CHECK(v.std[0] == 0.229);
  CHECK(v.std[1] == 0.224);
  CHECK(v.std[2] == 0.225);
  CHECK(v.has_std == 1);
  CHECK(v.epsilon == 0.0);
  CHECK(serialize(stats) ==
        "{\n"
        "  \"format\": \"pixnorm-stats\",\n"
        "  \"version\": 1,\n"
        "  \"channel_order\": \"RGB\",\n"
        "  \"rescale\": 0.00392156862745098,\n"
        "  \"mean\": [0.485, 0.456, 0.406],\n"
        "  \"std\": [0.229, 0.224, 0.225],\n"
        "  \"epsilon\": 0\n"
        "}\n");
  pixnorm_stats_free(stats);

  REQUIRE(pixnorm_stats_preset("tf", &stats) == PIXNORM_OK);
  v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_RGB);
  CHECK(v.channels == 1);
  CHECK(v.rescale == 1.0 / 127.5);
  CHECK(v.mean[0] == 1.0);
  CHECK(v.std[0] == 1.0);
  CHECK(v.has_std == 1);
  CHECK(255 * v.rescale - v.mean[0] == doctest::Approx(1.0));  // x / 127.5 - 1 maps 255 to 1
  pixnorm_stats_free(stats);

  REQUIRE(pixnorm_stats_preset("caffe", &stats) == PIXNORM_OK);
  v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_BGR);
  CHECK(v.channels == 3);
  CHECK(v.rescale == 1.0);
  CHECK(v.mean[0] == 103.939);
  CHECK(v.mean[1] == 116.779);
  CHECK(v.mean[2] == 123.68);
  CHECK(v.has_std == 0);
  CHECK(v.std[0] == 1.0);
  CHECK(v.std[2] == 1.0);
  CHECK(serialize(stats) ==
        "{\n"
        "  \"format\": \"pixnorm-stats\",\n"
        "  \"version\": 1,\n"
        "  \"channel_order\": \"BGR\",\n"
        "  \"rescale\": 1,\n"
        "  \"mean\": [103.939, 116.779, 123.68],\n"
        "  \"epsilon\": 0\n"
        "}\n");
  pixnorm_stats_free(stats);

  REQUIRE(pixnorm_stats_preset("unit", &stats) == PIXNORM_OK);
  v = values_of(stats);
  CHECK(v.channel_order == PIXNORM_ORDER_RGB);
  CHECK(v.channels == 1);
  CHECK(v.rescale == 1.0 / 255.0);
  CHECK(v.mean[0] == 0.0);
  CHECK(v.std[0] == 1.0);
  CHECK(v.has_std == 1);
  pixnorm_stats_free(stats);

  stats = reinterpret_cast<pixnorm_stats*>(&stats);
  CHECK(pixnorm_stats_preset("resnet", &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(stats == nullptr);
  for (const char* name : {"resnet", "imagenet", "tf", "caffe", "unit"}) CHECK(has(error_text(), name));
  CHECK(pixnorm_stats_preset("", &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_preset("IMAGENET", &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("stats: create validates like a file") {
  pixnorm_stats_values good{};
  good.channel_order = PIXNORM_ORDER_RGB;
  good.channels = 3;
  good.rescale = 0.5;
  good.mean[0] = 1;
  good.mean[1] = 2;
  good.mean[2] = 3;
  good.std[0] = 4;
  good.std[1] = 5;
  good.std[2] = 6;
  good.epsilon = 1e-5;
  good.has_std = 1;
  pixnorm_stats* stats = nullptr;
  REQUIRE(pixnorm_stats_create(&good, &stats) == PIXNORM_OK);
  check_same_values(values_of(stats), good);
  pixnorm_stats_free(stats);

  // has_std 0: the std given is ignored and reported as 1; one channel: the rest reported 0.
  pixnorm_stats_values v = good;
  v.has_std = 0;
  v.std[1] = -1;
  REQUIRE(pixnorm_stats_create(&v, &stats) == PIXNORM_OK);
  CHECK(values_of(stats).std[1] == 1.0);
  pixnorm_stats_free(stats);
  v = good;
  v.channels = 1;
  v.mean[1] = std::nan("");
  REQUIRE(pixnorm_stats_create(&v, &stats) == PIXNORM_OK);
  CHECK(values_of(stats).mean[1] == 0.0);
  CHECK(values_of(stats).std[1] == 0.0);
  pixnorm_stats_free(stats);

  struct Bad {
    const char* what;
    void (*edit)(pixnorm_stats_values&);
    pixnorm_status status;
  };
  const Bad bad[] = {
      {"\"std\"[1]: must be > 0, got -0.2", [](pixnorm_stats_values& x) { x.std[1] = -0.2; },
       PIXNORM_ERROR_INVALID_STATS},
      {"\"std\"[0]", [](pixnorm_stats_values& x) { x.std[0] = 0; }, PIXNORM_ERROR_INVALID_STATS},
      {"\"std\"[2]", [](pixnorm_stats_values& x) { x.std[2] = std::nan(""); }, PIXNORM_ERROR_INVALID_STATS},
      {"\"mean\"[2]", [](pixnorm_stats_values& x) { x.mean[2] = std::nan(""); }, PIXNORM_ERROR_INVALID_STATS},
      {"\"mean\"[0]", [](pixnorm_stats_values& x) { x.mean[0] = -HUGE_VAL; }, PIXNORM_ERROR_INVALID_STATS},
      {"\"rescale\"", [](pixnorm_stats_values& x) { x.rescale = 0; }, PIXNORM_ERROR_INVALID_STATS},
      {"\"rescale\"", [](pixnorm_stats_values& x) { x.rescale = HUGE_VAL; }, PIXNORM_ERROR_INVALID_STATS},
      {"\"epsilon\"", [](pixnorm_stats_values& x) { x.epsilon = -1e-9; }, PIXNORM_ERROR_INVALID_STATS},
      {"\"epsilon\"", [](pixnorm_stats_values& x) { x.epsilon = std::nan(""); }, PIXNORM_ERROR_INVALID_STATS},
      {"\"channels\"", [](pixnorm_stats_values& x) { x.channels = 2; }, PIXNORM_ERROR_INVALID_STATS},
      {"\"channels\"", [](pixnorm_stats_values& x) { x.channels = 0; }, PIXNORM_ERROR_INVALID_STATS},
      {"GRAY", [](pixnorm_stats_values& x) { x.channel_order = PIXNORM_ORDER_GRAY; },
       PIXNORM_ERROR_INVALID_STATS},
      {"\"channel_order\"", [](pixnorm_stats_values& x) {
         const std::underlying_type_t<pixnorm_channel_order> seven = 7;  // as a C caller could pass
         std::memcpy(&x.channel_order, &seven, sizeof(seven));
       },
       PIXNORM_ERROR_INVALID_ARGUMENT},
  };
  for (const Bad& b : bad) {
    v = good;
    b.edit(v);
    stats = reinterpret_cast<pixnorm_stats*>(&stats);
    INFO(b.what);
    CHECK(pixnorm_stats_create(&v, &stats) == b.status);
    CHECK(stats == nullptr);
    CHECK(has(error_text(), b.what));
  }
}

TEST_CASE("stats: numbers round-trip exactly") {
  pixnorm_stats_values v{};
  v.channel_order = PIXNORM_ORDER_BGR;
  v.channels = 3;
  v.rescale = 0.1 + 0.2;
  v.mean[0] = -0.0;
  v.mean[1] = 5e-324;  // the smallest subnormal
  v.mean[2] = -1.7976931348623157e308;
  v.std[0] = 1e-300;
  v.std[1] = 123456789012345678.0;
  v.std[2] = 2.0 / 3.0;
  v.epsilon = 1e-7;
  v.has_std = 1;
  pixnorm_stats* a = nullptr;
  pixnorm_stats* b = nullptr;
  REQUIRE(pixnorm_stats_create(&v, &a) == PIXNORM_OK);
  const std::string text = serialize(a);
  REQUIRE(parse(text, &b) == PIXNORM_OK);
  check_same_values(values_of(a), values_of(b));
  CHECK(serialize(b) == text);
  pixnorm_stats_free(a);
  pixnorm_stats_free(b);

  // Underflow reads as zero (as strtod); overflow is refused (below).
  REQUIRE(parse(doc("epsilon", "1e-400"), &b) == PIXNORM_OK);
  CHECK(values_of(b).epsilon == 0.0);
  pixnorm_stats_free(b);
  REQUIRE(parse(doc("rescale", "0.000000000000000000000000000000000000001e39"), &b) == PIXNORM_OK);
  CHECK(values_of(b).rescale == 1.0);
  pixnorm_stats_free(b);
}

TEST_CASE("stats: extra fields are kept verbatim and in order") {
  const std::string source = R"({
  "source": {"tool": "pixnorm-fit", "images": ["a.png", "b\u00e9.png"], "nested": {"x": [1, [2, [3]]]}},
  "format": "pixnorm-stats",
  "min": [0,0,  0],
  "version": 1,
  "channel_order": "RGB",
  "pixel_count": 123456789012345678901234567890,
  "rescale": 0.00392156862745098,
  "mean": [0.485, 0.456, 0.406],
  "accumulators": {
      "sum": [1.5e3, -2E-2, 0],
      "note": "tab\there \"quoted\" \\ \/ \ud83d\ude00 é"
  },
  "std": [0.229, 0.224, 0.225],
  "k\u00e9y": null,
  "epsilon": 0,
  "": true,
  "max": [255, 255, 255]
})";
  pixnorm_stats* stats = nullptr;
  REQUIRE(parse(source, &stats) == PIXNORM_OK);
  const std::string source_raw =
      R"({"tool": "pixnorm-fit", "images": ["a.png", "b\u00e9.png"], "nested": {"x": [1, [2, [3]]]}})";
  REQUIRE(pixnorm_stats_get_field(stats, "source") != nullptr);
  CHECK(std::string(pixnorm_stats_get_field(stats, "source")) == source_raw);
  CHECK(std::string(pixnorm_stats_get_field(stats, "min")) == "[0,0,  0]");
  CHECK(std::string(pixnorm_stats_get_field(stats, "pixel_count")) == "123456789012345678901234567890");
  CHECK(has(pixnorm_stats_get_field(stats, "accumulators"), "\n      \"note\": \"tab\\there"));
  CHECK(std::string(pixnorm_stats_get_field(stats, "k\xC3\xA9y")) == "null");  // keys compare decoded
  CHECK(std::string(pixnorm_stats_get_field(stats, "")) == "true");
  CHECK(pixnorm_stats_get_field(stats, "format") == nullptr);

  const std::string text = serialize(stats);
  // Known fields first in their fixed order, then the others in their original order.
  const char* order[] = {"\"format\"", "\"version\"", "\"channel_order\"", "\"rescale\"", "\"mean\"",
                         "\"std\"",    "\"epsilon\"", "\"source\"",        "\"min\"",     "\"pixel_count\"",
                         "\"accumulators\"", "\"k\xC3\xA9y\"", "\"\": true", "\"max\""};
  size_t at = 0;
  for (const char* key : order) {
    INFO(key);
    size_t next = text.find(std::string("\n  ") + key, at);
    REQUIRE(next != std::string::npos);
    at = next + 1;
  }
  CHECK(has(text, "\n  \"source\": " + source_raw + ",\n"));
  CHECK(text.back() == '\n');

  pixnorm_stats* again = nullptr;
  REQUIRE(parse(text, &again) == PIXNORM_OK);
  check_same_values(values_of(stats), values_of(again));
  for (const char* key : {"source", "min", "pixel_count", "accumulators", "k\xC3\xA9y", "", "max"}) {
    INFO(key);
    REQUIRE(pixnorm_stats_get_field(again, key) != nullptr);
    CHECK(std::string(pixnorm_stats_get_field(again, key)) == pixnorm_stats_get_field(stats, key));
  }
  CHECK(serialize(again) == text);
  pixnorm_stats_free(again);
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: set_field and get_field") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &stats) == PIXNORM_OK);
  CHECK(pixnorm_stats_get_field(stats, "min") == nullptr);
  CHECK(pixnorm_stats_set_field(stats, "min", "[0, 0, 0]") == PIXNORM_OK);
  const char* source = "{\"tool\": \"x\", \"n\": [1, {\"a\": null}]}";
  CHECK(pixnorm_stats_set_field(stats, "source", (" \n" + std::string(source) + "\t").c_str()) == PIXNORM_OK);
  CHECK(pixnorm_stats_set_field(stats, "max", "255") == PIXNORM_OK);
  CHECK(pixnorm_stats_set_field(stats, "quote\"and\nnewline", "\"v\"") == PIXNORM_OK);
  CHECK(std::string(pixnorm_stats_get_field(stats, "min")) == "[0, 0, 0]");
  CHECK(std::string(pixnorm_stats_get_field(stats, "source")) == source);  // surrounding space trimmed
  // Replacing keeps the position.
  CHECK(pixnorm_stats_set_field(stats, "min", "[1,2,3]") == PIXNORM_OK);
  CHECK(std::string(pixnorm_stats_get_field(stats, "min")) == "[1,2,3]");
  std::string text = serialize(stats);
  CHECK(text.find("\"min\": [1,2,3]") < text.find("\"source\""));
  CHECK(text.find("\"source\"") < text.find("\"max\": 255"));
  CHECK(has(text, "\"quote\\\"and\\u000anewline\": \"v\""));

  pixnorm_stats* again = nullptr;
  REQUIRE(parse(text, &again) == PIXNORM_OK);
  CHECK(std::string(pixnorm_stats_get_field(again, "quote\"and\nnewline")) == "\"v\"");
  CHECK(serialize(again) == text);
  pixnorm_stats_free(again);

  for (const char* key : {"format", "version", "channel_order", "rescale", "mean", "std", "epsilon"}) {
    INFO(key);
    CHECK(pixnorm_stats_set_field(stats, key, "1") == PIXNORM_ERROR_INVALID_ARGUMENT);
    CHECK(has(error_text(), key));
  }
  const char* bad_values[] = {"",    " ",      "1 2",   "[1,]", "{\"a\":1,}", "{\"a\" 1}", "nul",
                              "NaN", "'x'",    "\"x",   "01",   "[1] x",      "{\"a\":1,\"a\":2}",
                              "\"\x01\"", "\"\xC0\xAF\"", "-",  "1.",   "Infinity"};
  for (const char* value : bad_values) {
    INFO("value: " << value);
    CHECK(pixnorm_stats_set_field(stats, "min", value) == PIXNORM_ERROR_PARSE);
    CHECK(has(error_text(), "\"min\""));
  }
  CHECK(std::string(pixnorm_stats_get_field(stats, "min")) == "[1,2,3]");  // unchanged by refusals
  CHECK(pixnorm_stats_set_field(stats, "bad\xFFkey", "1") == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_get_field(stats, "bad\xFFkey") == nullptr);

  // The serialized statistics must stay loadable.
  std::string big(PIXNORM_MAX_STATS_BYTES, ' ');
  big.front() = '"';
  big.back() = '"';
  CHECK(pixnorm_stats_set_field(stats, "big", big.c_str()) == PIXNORM_ERROR_TOO_LARGE);
  CHECK(pixnorm_stats_get_field(stats, "big") == nullptr);
  CHECK(serialize(stats) == text);

  CHECK(pixnorm_stats_set_field(nullptr, "a", "1") == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_set_field(stats, nullptr, "1") == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_set_field(stats, "a", nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_get_field(nullptr, "a") == nullptr);
  CHECK(pixnorm_stats_get_field(stats, nullptr) == nullptr);
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: serialize buffer protocol") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(pixnorm_stats_preset("caffe", &stats) == PIXNORM_OK);
  size_t needed = 0;
  REQUIRE(pixnorm_stats_serialize(stats, nullptr, &needed) == PIXNORM_OK);
  const std::string text = serialize(stats);
  CHECK(needed == text.size() + 1);

  std::vector<char> buffer(needed, 'x');
  size_t size = needed - 1;
  CHECK(pixnorm_stats_serialize(stats, buffer.data(), &size) == PIXNORM_ERROR_TOO_LARGE);
  CHECK(size == needed);
  CHECK(buffer[0] == 'x');  // nothing written
  size = needed;
  CHECK(pixnorm_stats_serialize(stats, buffer.data(), &size) == PIXNORM_OK);
  CHECK(std::string(buffer.data()) == text);
  CHECK(pixnorm_stats_serialize(stats, buffer.data(), nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_serialize(nullptr, buffer.data(), &size) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: values and types are checked, naming the file and the field") {
  // Missing required fields.
  for (const char* key : {"format", "version", "channel_order", "rescale", "mean"})
    expect_reject(doc(key, nullptr), PIXNORM_ERROR_PARSE, std::string("\"") + key + "\"");

  // Wrong types.
  expect_reject(doc("format", "1"), PIXNORM_ERROR_PARSE, "\"format\"");
  expect_reject(doc("version", "\"1\""), PIXNORM_ERROR_PARSE, "\"version\"");
  expect_reject(doc("version", "1.0"), PIXNORM_ERROR_PARSE, "\"version\"");
  expect_reject(doc("version", "1e0"), PIXNORM_ERROR_PARSE, "\"version\"");
  expect_reject(doc("channel_order", "0"), PIXNORM_ERROR_PARSE, "\"channel_order\"");
  expect_reject(doc("channel_order", "[\"RGB\"]"), PIXNORM_ERROR_PARSE, "\"channel_order\"");
  expect_reject(doc("rescale", "\"0.5\""), PIXNORM_ERROR_PARSE, "\"rescale\"");
  expect_reject(doc("rescale", "null"), PIXNORM_ERROR_PARSE, "\"rescale\"");
  expect_reject(doc("mean", "\"0.5\""), PIXNORM_ERROR_PARSE, "\"mean\"");
  expect_reject(doc("mean", "{\"r\": 1}"), PIXNORM_ERROR_PARSE, "\"mean\"");
  expect_reject(doc("mean", "[0.1, \"0.2\", 0.3]"), PIXNORM_ERROR_PARSE, "\"mean\"[1]");
  expect_reject(doc("mean", "[0.1, 0.2, [0.3]]"), PIXNORM_ERROR_PARSE, "\"mean\"[2]");
  expect_reject(doc("std", "null"), PIXNORM_ERROR_PARSE, "\"std\"");
  expect_reject(doc("std", "[true, 1, 1]"), PIXNORM_ERROR_PARSE, "\"std\"[0]");
  expect_reject(doc("epsilon", "\"0\""), PIXNORM_ERROR_PARSE, "\"epsilon\"");

  // Wrong format or version.
  expect_reject(doc("format", "\"pixnorm-stat\""), PIXNORM_ERROR_PARSE, "\"format\"");
  expect_reject(doc("format", "\"PIXNORM-STATS\""), PIXNORM_ERROR_PARSE, "\"format\"");
  expect_reject(doc("version", "2"), PIXNORM_ERROR_PARSE, "newer pixnorm");
  expect_reject(doc("version", "2"), PIXNORM_ERROR_PARSE, "\"version\"");
  expect_reject(doc("version", "100000000000000000000000"), PIXNORM_ERROR_PARSE, "newer pixnorm");
  expect_reject(doc("version", "0"), PIXNORM_ERROR_PARSE, "\"version\"");
  // The version is checked before the fields whose layout it governs.
  expect_reject(R"({"format": "pixnorm-stats", "version": 2, "means": {}})", PIXNORM_ERROR_PARSE,
                "stats.json: field \"version\": version 2 is from a newer pixnorm");
  expect_reject(doc("version", "-1"), PIXNORM_ERROR_PARSE, "\"version\"");

  // Channel order and counts.
  expect_reject(doc("channel_order", "\"RGBA\""), PIXNORM_ERROR_INVALID_STATS, "\"channel_order\"");
  expect_reject(doc("channel_order", "\"rgb\""), PIXNORM_ERROR_INVALID_STATS, "\"channel_order\"");
  expect_reject(doc("channel_order", "\"GRAY\""), PIXNORM_ERROR_INVALID_STATS, "\"mean\"");
  expect_reject(doc("mean", "[]"), PIXNORM_ERROR_INVALID_STATS, "\"mean\"");
  expect_reject(doc("mean", "[0.1, 0.2]"), PIXNORM_ERROR_INVALID_STATS, "\"mean\"");
  expect_reject(doc("mean", "[0.1, 0.2, 0.3, 0.4]"), PIXNORM_ERROR_INVALID_STATS, "\"mean\"");
  expect_reject(doc("mean", "0.5"), PIXNORM_ERROR_INVALID_STATS, "\"std\"");  // 1 mean, 3 std
  expect_reject(doc("std", "0.5"), PIXNORM_ERROR_INVALID_STATS, "\"std\"");   // 3 mean, 1 std
  expect_reject(doc("std", "[0.5, 0.5]"), PIXNORM_ERROR_INVALID_STATS, "\"std\"");
  expect_reject(doc("std", "[]"), PIXNORM_ERROR_INVALID_STATS, "\"std\"");

  // Values.
  expect_reject(doc("std", "[0.229, -0.2, 0.225]"), PIXNORM_ERROR_INVALID_STATS,
                "stats.json: field \"std\"[1]: must be > 0, got -0.2");
  expect_reject(doc("std", "[0.229, 0.224, 0]"), PIXNORM_ERROR_INVALID_STATS, "\"std\"[2]");
  expect_reject(doc("std", "[-0.0, 0.224, 0.225]"), PIXNORM_ERROR_INVALID_STATS, "\"std\"[0]");
  expect_reject(doc("std", "[0.229, 1e999, 0.225]"), PIXNORM_ERROR_INVALID_STATS, "\"std\"[1]");
  expect_reject(doc("mean", "[0.485, 0.456, -1e400]"), PIXNORM_ERROR_INVALID_STATS, "\"mean\"[2]");
  expect_reject(doc("mean", "[1e309, 0, 0]"), PIXNORM_ERROR_INVALID_STATS,
                "stats.json: field \"mean\"[0]: 1e309 is out of range for a double");
  expect_reject(doc("rescale", "0"), PIXNORM_ERROR_INVALID_STATS, "\"rescale\"");
  expect_reject(doc("rescale", "-0.5"), PIXNORM_ERROR_INVALID_STATS, "\"rescale\"");
  expect_reject(doc("rescale", "1e999"), PIXNORM_ERROR_INVALID_STATS, "\"rescale\"");
  expect_reject(doc("epsilon", "-1e-9"), PIXNORM_ERROR_INVALID_STATS, "\"epsilon\"");
  expect_reject(doc("epsilon", "1e999"), PIXNORM_ERROR_INVALID_STATS, "\"epsilon\"");

  // The name given is the one reported.
  pixnorm_stats* stats = nullptr;
  CHECK(pixnorm_stats_parse(kExample, 10, "my/file.json", &stats) == PIXNORM_ERROR_PARSE);
  CHECK(has(error_text(), "my/file.json: "));
  CHECK(pixnorm_stats_parse(kExample, 10, nullptr, &stats) == PIXNORM_ERROR_PARSE);
  CHECK(has(error_text(), "<memory>: "));
}

TEST_CASE("stats: malformed JSON is refused with its line and column") {
  pixnorm_stats* stats = nullptr;
  CHECK(parse("{\n  \"format\": \"pixnorm-stats\",\n  \"version\": 1 \"x\": 2\n}", &stats) ==
        PIXNORM_ERROR_PARSE);
  CHECK(error_text() == "stats.json: line 3, column 16: expected ',' or '}'");
  CHECK(parse("{\n  \"source\": [1, 2 3]\n}", &stats) == PIXNORM_ERROR_PARSE);
  CHECK(error_text() == "stats.json: line 2, column 19: expected ',' or ']' (in field \"source\")");

  const char* const cases[][2] = {
      {"", "empty"},
      {" \n\t ", "line 2, column 3"},
      {"[1, 2]", "top level"},
      {"\"pixnorm-stats\"", "top level"},
      {"null", "top level"},
      {"{", "expected a string key"},
      {"{\"format\"", "expected ':'"},
      {"{\"format\":", "expected a value"},
      {"{\"format\": \"pixnorm-stats", "unterminated string"},
      {"{\"format\": \"pixnorm-stats\\", "unterminated string"},
      {"{\"a\": \"\\x\"}", "escape"},
      {"{\"a\": \"\\u12G4\"}", "\\u escape"},
      {"{\"a\": \"\\u123\"}", "\\u escape"},
      {"{\"a\": \"\\ud800\"}", "surrogate"},
      {"{\"a\": \"\\ud800\\u0041\"}", "surrogate"},
      {"{\"a\": \"\\udc00\\ud800\"}", "surrogate"},
      {"{\"a\": \"\\udfff\"}", "surrogate"},
      {"{\"a\": \"tab\there\"}", "control character"},
      {"{\"a\": \"new\nline\"}", "control character"},
      {"{\"a\": 1,}", "expected a string key"},
      {"{\"a\": [1, 2,]}", "expected a value"},
      {"{\"a\": [1 2]}", "expected ',' or ']'"},
      {"{'a': 1}", "expected a string key"},
      {"{\"a\": 'x'}", "expected a value"},
      {"{a: 1}", "expected a string key"},
      {"{\"a\": 01}", "leading zero"},
      {"{\"a\": 1.}", "invalid number"},
      {"{\"a\": .5}", "expected a value"},
      {"{\"a\": +1}", "expected a value"},
      {"{\"a\": 1e}", "invalid number"},
      {"{\"a\": 1e+}", "invalid number"},
      {"{\"a\": -}", "invalid number"},
      {"{\"a\": 0x10}", "expected ',' or '}'"},
      {"{\"a\": NaN}", "NaN"},
      {"{\"a\": Infinity}", "Infinity"},
      {"{\"a\": -Infinity}", "Infinity"},
      {"{\"a\": nan}", "expected a value"},
      {"{\"a\": tru}", "expected a value"},
      {"{\"a\": True}", "expected a value"},
      {"{\"a\": 1} // comment", "unexpected data after"},
      {"{\"a\": 1}}", "unexpected data after"},
      {"{\"a\": 1} {}", "unexpected data after"},
      {"{\"a\": 1, \"a\": 2}", "duplicate key \"a\""},
      {"{\"a\": 1, \"\\u0061\": 2}", "duplicate key \"a\""},
      {"{\"a\": {\"b\": 1, \"b\": 1}}", "duplicate key \"b\""},
      {"{\"a\": 1\f}", "expected ',' or '}'"},
      {"\xEF\xBB{}", "invalid UTF-8"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c[0]);
    stats = reinterpret_cast<pixnorm_stats*>(&stats);
    CHECK(parse(c[0], &stats) == PIXNORM_ERROR_PARSE);
    CHECK(stats == nullptr);
    INFO("message: " << error_text());
    CHECK(has(error_text(), "stats.json: "));
    CHECK(has(error_text(), c[1]));
  }
  // Inside a member, the member is named.
  expect_reject(doc("mean", "[0.485, 0.456 0.406]"), PIXNORM_ERROR_PARSE, "(in field \"mean\")");
  expect_reject(doc("std", "[0.229, NaN, 0.225]"), PIXNORM_ERROR_PARSE, "(in field \"std\")");
  expect_reject(doc("min", "[0, 0, 0"), PIXNORM_ERROR_PARSE, "(in field \"min\")");
  expect_reject(doc("format", "\"pixnorm-stats\", \"format\": \"pixnorm-stats\""), PIXNORM_ERROR_PARSE,
                "duplicate key \"format\"");
  // Nested duplicates and bad values are refused inside extra fields too.
  expect_reject(doc("source", "{\"a\": [{\"k\": 1, \"k\": 2}]}"), PIXNORM_ERROR_PARSE, "duplicate key \"k\"");
  expect_reject(doc("source", "[Infinity]"), PIXNORM_ERROR_PARSE, "Infinity");
}

TEST_CASE("stats: hostile input") {
  pixnorm_stats* stats = nullptr;

  SUBCASE("nesting is limited to 64 levels") {
    // The top-level object is level 1.
    std::string ok = doc("deep", (std::string(63, '[') + std::string(63, ']')).c_str());
    REQUIRE(parse(ok, &stats) == PIXNORM_OK);
    pixnorm_stats_free(stats);
    expect_reject(doc("deep", (std::string(64, '[') + std::string(64, ']')).c_str()), PIXNORM_ERROR_PARSE,
                  "nesting deeper than 64");
    std::string objects;
    for (int i = 0; i < 64; ++i) objects += "{\"a\":";
    objects += "1" + std::string(64, '}');
    expect_reject(doc("deep", objects.c_str()), PIXNORM_ERROR_PARSE, "nesting deeper than 64");
    // A whole megabyte of openers fails fast, without deep recursion.
    expect_reject("{\"a\":" + std::string(PIXNORM_MAX_STATS_BYTES - 5, '['), PIXNORM_ERROR_PARSE, "nesting");
    REQUIRE(pixnorm_stats_preset("unit", &stats) == PIXNORM_OK);
    CHECK(pixnorm_stats_set_field(stats, "deep", (std::string(63, '[') + std::string(63, ']')).c_str()) ==
          PIXNORM_OK);
    CHECK(pixnorm_stats_set_field(stats, "deep", (std::string(64, '[') + std::string(64, ']')).c_str()) ==
          PIXNORM_ERROR_PARSE);
    pixnorm_stats_free(stats);
  }

  SUBCASE("the size limit is exact") {
    std::string text = kExample;
    text.resize(PIXNORM_MAX_STATS_BYTES, ' ');
    REQUIRE(parse(text, &stats) == PIXNORM_OK);
    pixnorm_stats_free(stats);
    text += ' ';
    expect_reject(text, PIXNORM_ERROR_TOO_LARGE, "1048576");
  }

  SUBCASE("every truncation of a valid file fails") {
    std::string text = doc("source", "{\"a\": [1, -2.5e-3, true, false, null, \"\\u00e9\\n\"], \"b\": {}}");
    REQUIRE(parse(text, &stats) == PIXNORM_OK);
    pixnorm_stats_free(stats);
    REQUIRE(text.back() == '}');
    for (size_t n = 0; n < text.size(); ++n) {
      stats = reinterpret_cast<pixnorm_stats*>(&stats);
      pixnorm_status status = parse(text.substr(0, n), &stats);
      if (status == PIXNORM_OK) FAIL("a truncation to ", n, " bytes parsed");
      CHECK(stats == nullptr);
      CHECK(status == PIXNORM_ERROR_PARSE);
    }
  }

  SUBCASE("NUL bytes are refused") {
    const std::string text = kExample;
    for (size_t at : {size_t(0), size_t(1), text.find("pixnorm-stats") + 3, text.find("0.485"), text.size()}) {
      std::string bad = text;
      bad.insert(at, 1, '\0');
      INFO("NUL at " << at);
      expect_reject(bad, PIXNORM_ERROR_PARSE, "line ");
    }
    REQUIRE(parse(doc("source", "\"a\\u0000b\""), &stats) == PIXNORM_OK);  // escaped NUL is fine
    CHECK(std::string(pixnorm_stats_get_field(stats, "source")) == "\"a\\u0000b\"");
    pixnorm_stats_free(stats);
  }

  SUBCASE("invalid UTF-8 is refused, valid UTF-8 kept") {
    for (const char* bytes : {"\xFF", "\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                              "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE2\x82", "\xF0\x9F\x98"}) {
      INFO("bytes: " << bytes);
      expect_reject(doc("source", (std::string("\"x") + bytes + "\"").c_str()), PIXNORM_ERROR_PARSE,
                    "invalid UTF-8");
      std::string key_bad = kExample;
      key_bad.insert(1, std::string("\"k") + bytes + "\": 1,");
      expect_reject(key_bad, PIXNORM_ERROR_PARSE, "invalid UTF-8");
    }
    expect_reject(std::string(kExample) + "\xC3", PIXNORM_ERROR_PARSE, "invalid UTF-8");
    const std::string good = "\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF \xF4\x8F\xBF\xBF\"";
    REQUIRE(parse(doc("source", good.c_str()), &stats) == PIXNORM_OK);
    CHECK(std::string(pixnorm_stats_get_field(stats, "source")) == good);
    pixnorm_stats_free(stats);
  }

  SUBCASE("random mutations never crash, and what parses round-trips") {
    const std::string base = doc("source", "{\"a\": [1, -2.5e-3, \"\\u00e9\"], \"b\": {\"c\": null}}");
    uint64_t state = 0x9E3779B97F4A7C15u;
    auto next = [&state]() {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    const char alphabet[] = "{}[],:\"\\-+.eE0123456789 \nabtfnruNI\x00\x80\xC3\xFF";
    int parsed = 0;
    for (int i = 0; i < 20000; ++i) {
      std::string text = base;
      for (int k = 1 + int(next() % 3); k > 0; --k) {
        size_t at = next() % (text.size() + 1);
        char c = alphabet[next() % (sizeof(alphabet) - 1)];
        switch (next() % 3) {
          case 0: if (at < text.size()) text[at] = c; break;
          case 1: text.insert(at, 1, c); break;
          default: if (at < text.size()) text.erase(at, 1); break;
        }
      }
      stats = nullptr;
      pixnorm_status status = parse(text, &stats);
      if (status != PIXNORM_OK) {
        CHECK(stats == nullptr);
        CHECK(!error_text().empty());
        continue;
      }
      ++parsed;
      const std::string once = serialize(stats);
      pixnorm_stats* again = nullptr;
      REQUIRE(parse(once, &again) == PIXNORM_OK);
      CHECK(serialize(again) == once);
      pixnorm_stats_free(again);
      pixnorm_stats_free(stats);
    }
    CHECK(parsed > 0);
  }
}

TEST_CASE("stats: load") {
  TempDir dir;
  pixnorm_stats* stats = nullptr;

  write_file(dir / "stats.json", kExample);
  REQUIRE(pixnorm_stats_load((dir / "stats.json").c_str(), &stats) == PIXNORM_OK);
  CHECK(values_of(stats).mean[1] == 0.456);
  pixnorm_stats_free(stats);

  stats = reinterpret_cast<pixnorm_stats*>(&stats);
  const std::string missing = dir / "missing.json";
  CHECK(pixnorm_stats_load(missing.c_str(), &stats) == PIXNORM_ERROR_IO);
  CHECK(stats == nullptr);
  CHECK(has(error_text(), missing));
  CHECK(has(error_text(), std::strerror(ENOENT)));

  CHECK(pixnorm_stats_load(dir.path.c_str(), &stats) == PIXNORM_ERROR_IO);
  CHECK(has(error_text(), dir.path));

  write_file(dir / "empty.json", "");
  CHECK(pixnorm_stats_load((dir / "empty.json").c_str(), &stats) == PIXNORM_ERROR_PARSE);
  CHECK(has(error_text(), dir / "empty.json"));
  CHECK(has(error_text(), "empty"));

  std::string big = kExample;
  big.resize(PIXNORM_MAX_STATS_BYTES + 1, ' ');
  write_file(dir / "big.json", big);
  CHECK(pixnorm_stats_load((dir / "big.json").c_str(), &stats) == PIXNORM_ERROR_TOO_LARGE);
  CHECK(has(error_text(), dir / "big.json"));
  big.pop_back();
  write_file(dir / "big.json", big);
  REQUIRE(pixnorm_stats_load((dir / "big.json").c_str(), &stats) == PIXNORM_OK);
  pixnorm_stats_free(stats);

  write_file(dir / "bad.json", doc("std", "[1, 1, -3]"));
  CHECK(pixnorm_stats_load((dir / "bad.json").c_str(), &stats) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(has(error_text(), dir / "bad.json: field \"std\"[2]: must be > 0, got -3"));

  // A non-regular file of unknown size is still bounded.
  if (access("/dev/zero", R_OK) == 0) {
    CHECK(pixnorm_stats_load("/dev/zero", &stats) == PIXNORM_ERROR_TOO_LARGE);
    CHECK(has(error_text(), "/dev/zero"));
  }
}

TEST_CASE("stats: save is atomic") {
  TempDir dir;
  const std::string path = dir / "stats.json";
  pixnorm_stats* stats = nullptr;
  REQUIRE(parse(doc("source", "{\"n\": [1, 2]}"), &stats) == PIXNORM_OK);

  // A new file.
  REQUIRE(pixnorm_stats_save(stats, path.c_str()) == PIXNORM_OK);
  CHECK(read_whole(path) == serialize(stats));
  CHECK(dir.entries() == std::vector<std::string>{"stats.json"});

  // Over an existing file: replaced whole, its permissions kept.
  write_file(path, "old contents that are longer than nothing at all");
  REQUIRE(chmod(path.c_str(), 0640) == 0);
  pixnorm_stats* other = nullptr;
  REQUIRE(pixnorm_stats_preset("caffe", &other) == PIXNORM_OK);
  REQUIRE(pixnorm_stats_save(other, path.c_str()) == PIXNORM_OK);
  CHECK(read_whole(path) == serialize(other));
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK(dir.entries() == std::vector<std::string>{"stats.json"});
  pixnorm_stats* loaded = nullptr;
  REQUIRE(pixnorm_stats_load(path.c_str(), &loaded) == PIXNORM_OK);
  check_same_values(values_of(loaded), values_of(other));
  pixnorm_stats_free(loaded);
  pixnorm_stats_free(other);

  // Into a directory that does not exist: fails and creates nothing.
  const std::string nowhere = dir / "missing/stats.json";
  CHECK(pixnorm_stats_save(stats, nowhere.c_str()) == PIXNORM_ERROR_IO);
  CHECK(has(error_text(), nowhere));
  CHECK(dir.entries() == std::vector<std::string>{"stats.json"});

  // Over a directory: the rename fails, the temporary file is removed, the directory stays.
  REQUIRE(mkdir((dir / "adir").c_str(), 0755) == 0);
  CHECK(pixnorm_stats_save(stats, (dir / "adir").c_str()) == PIXNORM_ERROR_IO);
  CHECK(has(error_text(), dir / "adir"));
  CHECK(dir.entries() == std::vector<std::string>{"adir", "stats.json"});
  CHECK(std::filesystem::is_directory(dir / "adir"));

  // A relative path saves beside it, in the current directory.
  char cwd[4096];
  REQUIRE(getcwd(cwd, sizeof(cwd)) != nullptr);
  REQUIRE(chdir(dir.path.c_str()) == 0);
  CHECK(pixnorm_stats_save(stats, "relative.json") == PIXNORM_OK);
  REQUIRE(chdir(cwd) == 0);
  CHECK(read_whole(dir / "relative.json") == serialize(stats));
  CHECK(dir.entries() == std::vector<std::string>{"adir", "relative.json", "stats.json"});

  CHECK(pixnorm_stats_save(nullptr, path.c_str()) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_save(stats, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: argument checks") {
  pixnorm_stats* stats = nullptr;
  pixnorm_stats_values v{};
  CHECK(pixnorm_stats_parse(kExample, std::strlen(kExample), "x", nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_parse(nullptr, 5, "x", &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_parse(nullptr, 0, "x", &stats) == PIXNORM_ERROR_PARSE);
  CHECK(pixnorm_stats_load(nullptr, &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_load("x", nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_preset(nullptr, &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_preset("unit", nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_create(nullptr, &stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_create(&v, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_get(nullptr, &v) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(!error_text().empty());
  pixnorm_stats_free(nullptr);

  // A success clears the previous message.
  REQUIRE(pixnorm_stats_preset("unit", &stats) == PIXNORM_OK);
  CHECK(error_text().empty());
  CHECK(pixnorm_stats_get(stats, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_stats_free(stats);
}

// ---------------------------------------------------------------- the preprocess recipe

namespace {

const char* const kRecipe =
    R"({"version": 1, "resize_short": 256, "interp": "pil-bilinear", "crop": {"width": 224, "height": 224}, )"
    R"("crop_rounding": "round", "exif": "ignore", "convert": "RGB"})";

pixnorm_recipe recipe_of(const pixnorm_stats* stats) {
  pixnorm_recipe r;
  std::memset(&r, 0xAB, sizeof(r));
  REQUIRE(pixnorm_stats_get_recipe(stats, &r) == PIXNORM_OK);
  return r;
}

// The example with a "preprocess" section whose text is `section`.
std::string with_recipe(const std::string& section) { return doc("preprocess", section.c_str()); }

}  // namespace

TEST_CASE("stats: the preprocess recipe parses, round-trips and is optional") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(parse(kExample, &stats) == PIXNORM_OK);
  CHECK(recipe_of(stats).version == 0);
  CHECK(!has(serialize(stats), "preprocess"));
  pixnorm_stats_free(stats);

  REQUIRE(parse(with_recipe(kRecipe), &stats) == PIXNORM_OK);
  pixnorm_recipe r = recipe_of(stats);
  CHECK(r.version == 1);
  CHECK(r.resize_short == 256);
  CHECK(r.resize_width == 0);
  CHECK(r.resize_height == 0);
  CHECK(r.interp == PIXNORM_INTERP_PIL_BILINEAR);
  CHECK(r.crop_width == 224);
  CHECK(r.crop_height == 224);
  CHECK(r.crop_rounding == PIXNORM_CROP_ROUND);
  const std::string once = serialize(stats);
  CHECK(has(once, std::string("\"preprocess\": ") + kRecipe));
  pixnorm_stats* again = nullptr;
  REQUIRE(parse(once, &again) == PIXNORM_OK);
  CHECK(serialize(again) == once);
  pixnorm_recipe r2 = recipe_of(again);
  CHECK(std::memcmp(&r, &r2, sizeof(r)) == 0);
  pixnorm_stats_free(again);
  // The recipe is interpreted: set_field cannot replace it behind the parser's back.
  CHECK(pixnorm_stats_set_field(stats, "preprocess", "{}") == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_stats_free(stats);

  // Every value of every field, and the defaults (round; no crop fields written without a crop).
  for (const char* interp : {"bilinear", "area", "nearest", "pil-nearest", "pil-box", "pil-bilinear", "pil-hamming",
                             "pil-bicubic", "pil-lanczos", "cv-linear-exact", "cv-cubic", "torch-bilinear-aa",
                             "torch-bicubic-aa", "torch-bicubic"}) {
    const std::string s = std::string(R"({"version": 1, "resize": {"width": 300, "height": 200}, "interp": ")") +
                          interp + R"("})";
    REQUIRE(parse(with_recipe(s), &stats) == PIXNORM_OK);
    r = recipe_of(stats);
    CHECK(r.resize_width == 300);
    CHECK(r.resize_height == 200);
    CHECK(has(serialize(stats), std::string("\"interp\": \"") + interp + "\""));
    CHECK(!has(serialize(stats), "crop"));
    pixnorm_stats_free(stats);
  }
  REQUIRE(parse(with_recipe(R"({"version": 1, "crop": {"width": 7, "height": 5}, "crop_rounding": "floor"})"),
                &stats) == PIXNORM_OK);
  r = recipe_of(stats);
  CHECK(r.crop_rounding == PIXNORM_CROP_FLOOR);
  CHECK(r.interp == PIXNORM_INTERP_BILINEAR);
  CHECK(has(serialize(stats), R"("crop_rounding": "floor")"));
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: every refusal of the preprocess recipe names its field") {
  const struct {
    const char* section;
    pixnorm_status status;
    const char* what;
  } cases[] = {
      {R"([1])", PIXNORM_ERROR_PARSE, "\"preprocess\": expected an object"},
      {R"({})", PIXNORM_ERROR_PARSE, "missing \"version\""},
      {R"({"version": 2, "future": 1})", PIXNORM_ERROR_PARSE, "preprocess.version\": version 2 is not supported"},
      {R"({"version": 1.0})", PIXNORM_ERROR_PARSE, "preprocess.version"},
      {R"({"version": "1"})", PIXNORM_ERROR_PARSE, "preprocess.version"},
      {R"({"version": 1, "sharpen": true})", PIXNORM_ERROR_PARSE, "preprocess.sharpen\": unknown field"},
      {R"({"version": 1, "resize_short": 0, "interp": "bilinear"})", PIXNORM_ERROR_INVALID_STATS,
       "preprocess.resize_short\": 0 is out of range"},
      {R"({"version": 1, "resize_short": 65537, "interp": "bilinear"})", PIXNORM_ERROR_INVALID_STATS,
       "preprocess.resize_short\": 65537 is out of range"},
      {R"({"version": 1, "resize_short": 99999999999999999999, "interp": "bilinear"})", PIXNORM_ERROR_INVALID_STATS,
       "preprocess.resize_short"},
      {R"({"version": 1, "resize_short": -3, "interp": "bilinear"})", PIXNORM_ERROR_PARSE, "preprocess.resize_short"},
      {R"({"version": 1, "resize_short": 2.5, "interp": "bilinear"})", PIXNORM_ERROR_PARSE, "preprocess.resize_short"},
      {R"({"version": 1, "resize": {"width": 0, "height": 5}, "interp": "bilinear"})", PIXNORM_ERROR_INVALID_STATS,
       "preprocess.resize.width\": 0 is out of range"},
      {R"({"version": 1, "resize": {"width": 5, "height": 70000}, "interp": "bilinear"})",
       PIXNORM_ERROR_INVALID_STATS, "preprocess.resize.height\": 70000 is out of range"},
      {R"({"version": 1, "resize": {"width": 5}, "interp": "bilinear"})", PIXNORM_ERROR_PARSE,
       "preprocess.resize\": missing \"height\""},
      {R"({"version": 1, "resize": {"width": 5, "height": 5, "depth": 1}, "interp": "bilinear"})",
       PIXNORM_ERROR_PARSE, "preprocess.resize.depth\": unknown field"},
      {R"({"version": 1, "resize": [5, 5], "interp": "bilinear"})", PIXNORM_ERROR_PARSE,
       "preprocess.resize\": expected an object"},
      {R"({"version": 1, "resize": {"width": 5, "height": 5}})", PIXNORM_ERROR_PARSE,
       "preprocess.interp\": required with a resize"},
      {R"({"version": 1, "resize_short": 5, "interp": "cubic"})", PIXNORM_ERROR_INVALID_STATS,
       "preprocess.interp\": unknown value \"cubic\""},
      {R"({"version": 1, "resize_short": 5, "interp": 2})", PIXNORM_ERROR_PARSE, "preprocess.interp\": expected a string"},
      {R"({"version": 1, "crop": {"width": 5, "height": 5}, "crop_rounding": "ceil"})", PIXNORM_ERROR_INVALID_STATS,
       "preprocess.crop_rounding\": unknown value \"ceil\""},
      {R"({"version": 1, "exif": "transpose"})", PIXNORM_ERROR_INVALID_STATS, "preprocess.exif\": unknown value"},
      {R"({"version": 1, "convert": "L"})", PIXNORM_ERROR_INVALID_STATS, "preprocess.convert\": unknown value"},
      {R"({"version": 1, "resize_short": 5, "resize": {"width": 5, "height": 5}, "interp": "bilinear"})",
       PIXNORM_ERROR_INVALID_STATS, "not both"},
      {R"({"version": 1, "resize": {"width": 300, "height": 300}, "crop": {"width": 224, "height": 224}, "interp": "bilinear"})",
       PIXNORM_ERROR_INVALID_STATS, "preprocess.crop\": a 224x224 crop after a resize to 300x300"},
      {R"({"version": 1, "resize_short": 200, "crop": {"width": 224, "height": 224}, "interp": "bilinear"})",
       PIXNORM_ERROR_INVALID_STATS, "preprocess.crop\": 224x224 is larger than every image"},
  };
  for (const auto& c : cases) expect_reject(with_recipe(c.section), c.status, c.what);
}

TEST_CASE("stats: set_recipe validates like a file; get/set argument checks") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &stats) == PIXNORM_OK);
  pixnorm_recipe r{};
  r.version = 1;
  r.resize_short = 256;
  r.interp = PIXNORM_INTERP_PIL_BICUBIC;
  r.crop_width = r.crop_height = 224;
  r.crop_rounding = PIXNORM_CROP_FLOOR;
  REQUIRE(pixnorm_stats_set_recipe(stats, &r) == PIXNORM_OK);
  CHECK(has(serialize(stats), R"("preprocess": {"version": 1, "resize_short": 256, "interp": "pil-bicubic")"));
  pixnorm_recipe bad = r;
  bad.version = 2;
  CHECK(pixnorm_stats_set_recipe(stats, &bad) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(has(error_text(), "preprocess.version"));
  bad = r;
  const int bogus = 99;
  std::memcpy(&bad.interp, &bogus, sizeof(bogus));
  CHECK(pixnorm_stats_set_recipe(stats, &bad) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(has(error_text(), "preprocess.interp"));
  bad = r;
  std::memcpy(&bad.crop_rounding, &bogus, sizeof(bogus));
  CHECK(pixnorm_stats_set_recipe(stats, &bad) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(has(error_text(), "preprocess.crop_rounding"));
  bad = r;
  bad.crop_height = 0;
  CHECK(pixnorm_stats_set_recipe(stats, &bad) == PIXNORM_ERROR_INVALID_STATS);
  CHECK(has(error_text(), "preprocess.crop"));
  CHECK(recipe_of(stats).crop_rounding == PIXNORM_CROP_FLOOR);  // a refusal leaves it as it was
  REQUIRE(pixnorm_stats_set_recipe(stats, nullptr) == PIXNORM_OK);
  CHECK(recipe_of(stats).version == 0);
  CHECK(pixnorm_stats_get_recipe(nullptr, &r) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_get_recipe(stats, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_stats_set_recipe(nullptr, &r) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_stats_free(stats);
}

TEST_CASE("stats: apply_recipe maps the recipe onto the plan description") {
  pixnorm_stats* stats = nullptr;
  REQUIRE(pixnorm_stats_preset("imagenet", &stats) == PIXNORM_OK);
  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 640;
  d.height = 480;
  pixnorm_plan_desc before = d;
  REQUIRE(pixnorm_plan_desc_apply_recipe(&d, stats) == PIXNORM_OK);  // no recipe: unchanged
  CHECK(std::memcmp(&d, &before, sizeof(d)) == 0);

  pixnorm_recipe r{};
  r.version = 1;
  r.resize_short = 256;
  r.interp = PIXNORM_INTERP_PIL_BILINEAR;
  r.crop_width = r.crop_height = 224;
  r.crop_rounding = PIXNORM_CROP_FLOOR;
  REQUIRE(pixnorm_stats_set_recipe(stats, &r) == PIXNORM_OK);
  REQUIRE(pixnorm_plan_desc_apply_recipe(&d, stats) == PIXNORM_OK);
  CHECK(d.fit == PIXNORM_FIT_CENTER_CROP);
  CHECK(d.resize_short == 256);
  CHECK(d.out_width == 224);
  CHECK(d.out_height == 224);
  CHECK(d.interp == PIXNORM_INTERP_PIL_BILINEAR);
  CHECK(d.crop_rounding == PIXNORM_CROP_FLOOR);
  pixnorm_plan* plan = nullptr;
  REQUIRE(pixnorm_plan_create(stats, &d, &plan) == PIXNORM_OK);
  pixnorm_plan_free(plan);

  // resize_short alone: the whole resized image (torchvision's int() of the longer side).
  r.crop_width = r.crop_height = 0;
  REQUIRE(pixnorm_stats_set_recipe(stats, &r) == PIXNORM_OK);
  pixnorm_plan_desc_init(&d);
  d.width = 301;
  d.height = 227;
  REQUIRE(pixnorm_plan_desc_apply_recipe(&d, stats) == PIXNORM_OK);
  CHECK(d.fit == PIXNORM_FIT_STRETCH);
  CHECK(d.out_width == 339);  // int(256 * 301 / 227) = int(339.45)
  CHECK(d.out_height == 256);

  // A crop alone: a region, offsets rounded or floored.
  r = pixnorm_recipe{};
  r.version = 1;
  r.crop_width = 4;
  r.crop_height = 2;
  for (pixnorm_crop_rounding rounding : {PIXNORM_CROP_ROUND, PIXNORM_CROP_FLOOR}) {
    r.crop_rounding = rounding;
    REQUIRE(pixnorm_stats_set_recipe(stats, &r) == PIXNORM_OK);
    pixnorm_plan_desc_init(&d);
    d.width = 11;   // margin 7: 3.5 rounds (half to even) to 4, floors to 3
    d.height = 7;   // margin 5: 2.5 rounds to 2, floors to 2
    REQUIRE(pixnorm_plan_desc_apply_recipe(&d, stats) == PIXNORM_OK);
    CHECK(d.roi_x == (rounding == PIXNORM_CROP_ROUND ? 4u : 3u));
    CHECK(d.roi_y == 2);
    CHECK(d.roi_width == 4);
    CHECK(d.roi_height == 2);
    CHECK(d.out_width == 4);
    CHECK(d.out_height == 2);
  }
  // Too small for the crop, or no size: refused, desc unchanged.
  pixnorm_plan_desc_init(&d);
  d.width = 3;
  d.height = 7;
  before = d;
  CHECK(pixnorm_plan_desc_apply_recipe(&d, stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(has(error_text(), "crop is larger"));
  CHECK(std::memcmp(&d, &before, sizeof(d)) == 0);
  d.width = 0;
  CHECK(pixnorm_plan_desc_apply_recipe(&d, stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(has(error_text(), "desc->width"));
  CHECK(pixnorm_plan_desc_apply_recipe(nullptr, stats) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(pixnorm_plan_desc_apply_recipe(&d, nullptr) == PIXNORM_ERROR_INVALID_ARGUMENT);
  pixnorm_stats_free(stats);
}

TEST_CASE("plan: crop_rounding places the center crop after resize_short") {
  // 12x8 resized to a shorter side of 4 is 6x4; a 3x3 crop has margins 3 and 1: x offset 1.5
  // rounds (half to even) to 2 and floors to 1; y offset 0.5 rounds to 0 and floors to 0.
  std::vector<uint8_t> pixels(12 * 8);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i % 12 * 20);  // columns differ
  for (pixnorm_interp interp : {PIXNORM_INTERP_NEAREST, PIXNORM_INTERP_PIL_NEAREST}) {
    float out[2][9];
    for (int k = 0; k < 2; ++k) {
      pixnorm_plan_desc d;
      pixnorm_plan_desc_init(&d);
      d.format = PIXNORM_FORMAT_GRAY8;
      d.width = 12;
      d.height = 8;
      d.mode = PIXNORM_MODE_RESCALE;
      d.fit = PIXNORM_FIT_CENTER_CROP;
      d.resize_short = 4;
      d.out_width = d.out_height = 3;
      d.interp = interp;
      d.crop_rounding = k == 0 ? PIXNORM_CROP_ROUND : PIXNORM_CROP_FLOOR;
      pixnorm_plan* plan = nullptr;
      REQUIRE(pixnorm_plan_create(nullptr, &d, &plan) == PIXNORM_OK);
      REQUIRE(pixnorm_plan_run(plan, pixels.data(), 12, out[k]) == PIXNORM_OK);
      pixnorm_plan_free(plan);
      // Resized column j reads source column 2j or 2j + 1, 40 levels after column j - 1; the
      // rounded crop starts one resized column (two source columns) right of the floored one.
      INFO("interp " << interp << " rounding " << k);
      CHECK(out[k][1] - out[k][0] == 40.0f);
      if (k == 1) CHECK(out[0][0] - out[1][0] == 40.0f);
    }
  }

  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  d.width = 12;
  d.height = 8;
  d.mode = PIXNORM_MODE_RESCALE;
  d.format = PIXNORM_FORMAT_GRAY8;
  d.fit = PIXNORM_FIT_CENTER_CROP;
  d.resize_short = 4;
  d.out_width = d.out_height = 3;
  const int bogus = 7;
  std::memcpy(&d.crop_rounding, &bogus, sizeof(bogus));
  pixnorm_plan* plan = nullptr;
  CHECK(pixnorm_plan_create(nullptr, &d, &plan) == PIXNORM_ERROR_INVALID_ARGUMENT);
  CHECK(has(error_text(), "crop_rounding"));
  CHECK(plan == nullptr);
}
