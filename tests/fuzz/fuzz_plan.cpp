// Plans from arbitrary descriptions and statistics: whatever is created respects every
// documented limit, and runs on pixel buffers of exactly (h-1)*row_bytes + w*bpp bytes into
// tensors of exactly batch * output_elements floats (AddressSanitizer sees one byte past
// either). The scalar result is the reference: every SIMD backend and Highway target must
// equal it bit for bit, every output must be finite, and the exact per-channel sums of the
// same buffers must match a plain loop.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "backends.h"
#include "c_enum.h"
#include "fuzz_check.h"

using pixnorm_fuzz::ExactBuffer;
using pixnorm_test::PlanPtr;
using pixnorm_test::StatsPtr;

namespace {

// Runs with more input or output bytes than this are skipped (creation is still checked):
// every backend runs twice over each byte, instrumented, without reaching new code (kernel
// tails, strides and bands all show at small sizes; test_kernels covers long reductions).
constexpr size_t kMaxRunBytes = size_t{32} << 10;

// The scalar reference, then every SIMD backend and Highway target this machine runs.
const std::vector<pixnorm_test::Backend>& backends() {
  static const std::vector<pixnorm_test::Backend> all = [] {
    std::vector<pixnorm_test::Backend> v{{"scalar", PIXNORM_BACKEND_SCALAR, 0, pixnorm::scalar_kernels()}};
    for (const auto& b : pixnorm_test::simd_backends()) v.push_back(b);
    return v;
  }();
  return all;
}

// A C caller can store any int in an enum field.
template <class E>
void set_raw(E& field, int value) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized");
  std::memcpy(&field, &value, sizeof value);
}

int pick_enum(FuzzedDataProvider& in, int count) {
  if (in.ConsumeIntegralInRange(0, 15) != 0) return in.ConsumeIntegralInRange(0, count - 1);
  const int odd[] = {-1, count, count + 1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()};
  return in.ConsumeBool() ? in.PickValueInArray(odd) : in.ConsumeIntegral<int>();
}

double pick_double(FuzzedDataProvider& in) {
  static const double kSpecial[] = {0.0, -0.0, 1.0, -1.0, 1.0 / 255, 1.0 / 127.5, 0.5, 255.0, 1e-6, 1e-300, 1e300,
                                    -1e300, 0x1p-100, 0x1p100, 0x1p-101, 0x1p101, 0x1p-149, 0x1p127, 3.5e38,
                                    std::numeric_limits<double>::min(), std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::denorm_min(),
                                    std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN()};
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return in.PickValueInArray(kSpecial);
    case 1: {
      const uint64_t bits = in.ConsumeIntegral<uint64_t>();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
    case 2: return in.ConsumeFloatingPointInRange(-300.0, 300.0);
    default: return std::ldexp(in.ConsumeBool() ? 1.0 : 1.5, in.ConsumeIntegralInRange(-1100, 1100));
  }
}

// Mostly small (fast runs); sometimes at or past a limit, or anything at all.
uint32_t pick_size(FuzzedDataProvider& in, uint32_t small_max) {
  const uint32_t edge[] = {0, 1, 16384, 16385, 65535, 65536, 65537, 1u << 28, (1u << 28) + 1, 0x80000000u,
                           0xFFFFFFFFu};
  switch (in.ConsumeIntegralInRange(0, 15)) {
    case 0: return in.PickValueInArray(edge);
    case 1: return in.ConsumeIntegral<uint32_t>();
    default: return in.ConsumeIntegralInRange<uint32_t>(1, small_max);
  }
}

StatsPtr make_stats(FuzzedDataProvider& in) {
  pixnorm_stats* s = nullptr;
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0: return nullptr;
    case 1: {
      const char* names[] = {"imagenet", "tf", "caffe", "unit", "none"};
      if (pixnorm_stats_preset(in.PickValueInArray(names), &s) != PIXNORM_OK) return nullptr;
      return StatsPtr(s);
    }
    default: break;
  }
  pixnorm_stats_values v;
  std::memset(&v, 0, sizeof v);
  set_raw(v.channel_order, pick_enum(in, 3));
  v.channels = in.ConsumeIntegralInRange(0, 7) != 0 ? (in.ConsumeBool() ? 1u : 3u) : in.ConsumeIntegral<uint32_t>();
  v.rescale = pick_double(in);
  for (unsigned c = 0; c < PIXNORM_MAX_CHANNELS; ++c) {
    v.mean[c] = pick_double(in);
    v.std[c] = pick_double(in);
  }
  v.epsilon = pick_double(in);
  v.has_std = in.ConsumeBool();
  if (pixnorm_stats_create(&v, &s) != PIXNORM_OK) {
    FUZZ_CHECK(s == nullptr && pixnorm_last_error()[0] != '\0', "refused statistics without a message");
    return nullptr;
  }
  return StatsPtr(s);
}

// Every limit the header documents holds for a plan that was created.
void check_created(const pixnorm_plan* p, const pixnorm_plan_desc& d, const pixnorm_stats* stats) {
  using pixnorm::enum_bits;
  FUZZ_CHECK(unsigned(enum_bits(d.format)) < PIXNORM_FORMAT_COUNT && unsigned(enum_bits(d.layout)) <= 1 &&
                 unsigned(enum_bits(d.dtype)) < PIXNORM_DTYPE_COUNT &&
                 unsigned(enum_bits(d.mode)) <= PIXNORM_MODE_MINMAX &&
                 unsigned(enum_bits(d.backend)) <= PIXNORM_BACKEND_XSIMD,
             "created with a bad enum");
  FUZZ_CHECK(d.width >= 1 && d.height >= 1 && d.width <= PIXNORM_MAX_DIMENSION && d.height <= PIXNORM_MAX_DIMENSION &&
                 uint64_t{d.width} * d.height <= PIXNORM_MAX_PIXELS,
             "created at %ux%u", d.width, d.height);
  FUZZ_CHECK(d.batch >= 1 && d.batch <= PIXNORM_MAX_BATCH, "created with batch %u", d.batch);
  FUZZ_CHECK(d.per_channel == 0 || d.per_channel == 1, "per_channel %d", d.per_channel);
  FUZZ_CHECK(d.threads <= 64, "created with %u threads", d.threads);
  FUZZ_CHECK(d.epsilon == PIXNORM_EPSILON_DEFAULT || (d.epsilon >= 0 && std::isfinite(d.epsilon)), "epsilon %g",
             d.epsilon);
  FUZZ_CHECK(stats || (d.mode != PIXNORM_MODE_STANDARDIZE && d.mode != PIXNORM_MODE_CENTER),
             "a standardize or center plan without statistics");
  const uint32_t cout = d.format == PIXNORM_FORMAT_GRAY8 ? 1 : 3;
  FUZZ_CHECK(pixnorm_plan_output_channels(p) == cout, "channels %u", pixnorm_plan_output_channels(p));
  FUZZ_CHECK(pixnorm_plan_output_elements(p) == size_t{d.width} * d.height * cout, "elements %zu",
             pixnorm_plan_output_elements(p));
  const pixnorm_backend b = pixnorm_plan_backend(p);
  FUZZ_CHECK(b != PIXNORM_BACKEND_AUTO && pixnorm_backend_available(b), "runs backend %d", b);
}

// One input image: its stride, the status a run must give, and (when it can run) a buffer
// of exactly its declared size.
struct Input {
  size_t row_bytes = 0;
  pixnorm_status expect = PIXNORM_OK;
  std::unique_ptr<ExactBuffer> buffer;
  const uint8_t* pixels() const { return static_cast<const uint8_t*>(buffer->data()); }
};

// Returns false when the image is valid but too large to run here.
bool make_input(FuzzedDataProvider& in, const pixnorm_plan_desc& d, unsigned bpp, Input* im) {
  const size_t w = d.width, h = d.height, min_row = w * bpp;
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0: im->row_bytes = min_row - in.ConsumeIntegralInRange<size_t>(1, min_row); break;  // too short
    case 1: im->row_bytes = in.ConsumeIntegral<size_t>(); break;
    case 2:  // around the overflow of (h - 1) * row_bytes
      im->row_bytes = std::numeric_limits<size_t>::max() / (h > 1 ? h - 1 : 1) - 2 + in.ConsumeIntegralInRange<size_t>(0, 4);
      break;
    default: im->row_bytes = min_row + in.ConsumeIntegralInRange<size_t>(0, 9); break;
  }
  size_t span = 0;
  if (im->row_bytes < min_row) {
    im->expect = PIXNORM_ERROR_INVALID_ARGUMENT;
  } else if (h > 1 && (im->row_bytes > (std::numeric_limits<size_t>::max() - min_row) / (h - 1))) {
    im->expect = PIXNORM_ERROR_TOO_LARGE;
  } else {
    span = (h - 1) * im->row_bytes + min_row;
    if (span > kMaxRunBytes) return false;
  }
  // A refused image gets one byte: the run must not read it, let alone past it.
  im->buffer.reset(new ExactBuffer(im->expect == PIXNORM_OK ? span : 1, in.ConsumeIntegralInRange(0, 15)));
  uint8_t* p = static_cast<uint8_t*>(im->buffer->data());
  const int fill = in.ConsumeIntegralInRange(0, 3);
  const uint8_t a = in.ConsumeIntegral<uint8_t>(), b = in.ConsumeIntegral<uint8_t>();
  uint32_t state = in.ConsumeIntegral<uint32_t>() | 1;
  for (size_t i = 0; i < im->buffer->bytes(); ++i) {
    state ^= state << 13, state ^= state >> 17, state ^= state << 5;
    p[i] = fill == 0 ? a : fill == 1 ? ((i / bpp) % 2 ? a : b) : uint8_t(state);  // constant, two values, noise
  }
  return true;
}

// The plain-loop sums of an image, in the input's channel order.
pixnorm_channel_sums naive_sums(const Input& im, const pixnorm_plan_desc& d, unsigned bpp) {
  pixnorm_channel_sums s;
  pixnorm_channel_sums_init(&s);
  s.channels = bpp == 1 ? 1 : 3;
  s.pixels = uint64_t{d.width} * d.height;
  for (size_t y = 0; y < d.height; ++y)
    for (size_t x = 0; x < d.width; ++x)
      for (unsigned c = 0; c < s.channels; ++c) {
        const uint8_t v = im.pixels()[y * im.row_bytes + x * bpp + c];
        s.sum[c] += v;
        s.sum_sq[c] += uint64_t{v} * v;
        s.min[c] = v < s.min[c] ? v : s.min[c];
        s.max[c] = v > s.max[c] ? v : s.max[c];
      }
  return s;
}

bool same_sums(const pixnorm_channel_sums& a, const pixnorm_channel_sums& b) {
  bool same = a.channels == b.channels && a.pixels == b.pixels;
  for (unsigned c = 0; c < a.channels; ++c)
    same = same && a.sum[c] == b.sum[c] && a.sum_sq[c] == b.sum_sq[c] && a.min[c] == b.min[c] && a.max[c] == b.max[c];
  return same;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const StatsPtr stats = make_stats(in);

  pixnorm_plan_desc d;
  pixnorm_plan_desc_init(&d);
  set_raw(d.format, pick_enum(in, 5));
  d.width = pick_size(in, 40);
  d.height = pick_size(in, 24);
  d.batch = in.ConsumeIntegralInRange(0, 7) ? in.ConsumeIntegralInRange(1u, 3u) : pick_size(in, 3);
  set_raw(d.layout, pick_enum(in, 2));
  set_raw(d.dtype, in.ConsumeIntegralInRange(0, 31) ? 0 : pick_enum(in, 1));
  set_raw(d.mode, pick_enum(in, 7));
  d.per_channel = in.ConsumeIntegralInRange(0, 15) ? in.ConsumeBool() : in.ConsumeIntegral<int>();
  if (in.ConsumeBool()) d.epsilon = pick_double(in);
  set_raw(d.backend, pick_enum(in, 4));
  d.threads = in.ConsumeIntegralInRange(0, 15) ? in.ConsumeIntegralInRange(0u, 3u) : pick_size(in, 70);

  pixnorm_plan* p = reinterpret_cast<pixnorm_plan*>(&d);  // must be reset to NULL on failure
  if (pixnorm_plan_create(stats.get(), &d, &p) != PIXNORM_OK) {
    FUZZ_CHECK(p == nullptr && pixnorm_last_error()[0] != '\0', "a refused plan without a message");
    return 0;
  }
  check_created(p, d, stats.get());
  pixnorm_plan_free(p);

  if (d.threads > 4) return 0;  // creation was the point: runs with many threads cost time, not coverage
  // The runs below feed packed images into f32 tensors; YUV frames and f16/int8/uint8 outputs
  // are run by tests/test_geometry.cpp's random plans on every backend.
  if (d.format > PIXNORM_FORMAT_BGRA8 || d.dtype != PIXNORM_DTYPE_F32) return 0;
  const unsigned bpp = pixnorm_test::bpp(d.format);
  const size_t elements = size_t{d.width} * d.height * (bpp == 1 ? 1 : 3);
  const bool too_many = in.ConsumeIntegralInRange(0, 15) == 0;
  const uint32_t count = too_many ? d.batch + 1 : in.ConsumeIntegralInRange<uint32_t>(0, d.batch < 3 ? d.batch : 3);
  if (uint64_t{elements} * (too_many ? 1 : count) * sizeof(float) > kMaxRunBytes) return 0;
  std::vector<Input> images(too_many ? 1 : count);
  for (Input& im : images)
    if (!make_input(in, d, bpp, &im)) return 0;
  const size_t out_skew = in.ConsumeIntegralInRange(0, 15) ? 4 * in.ConsumeIntegralInRange(0, 3)
                                                           : in.ConsumeIntegralInRange(1, 3);  // misaligned
  // The count and the tensor are checked before any image, the images in order.
  pixnorm_status expect = too_many || out_skew % alignof(float) ? PIXNORM_ERROR_INVALID_ARGUMENT : PIXNORM_OK;
  for (const Input& im : images)
    if (expect == PIXNORM_OK) expect = im.expect;
  const bool single = count == 1 && !too_many && in.ConsumeBool();
  const size_t out_floats = elements * (too_many ? 1 : count);

  // One spare slot: a batch of 0 images still passes non-NULL arrays.
  std::vector<const uint8_t*> pointers(images.size() + 1, nullptr);
  std::vector<size_t> strides(images.size() + 1, 0);
  for (size_t i = 0; i < images.size(); ++i) {
    pointers[i] = images[i].pixels();
    strides[i] = images[i].row_bytes;
  }
  // Bands over worker threads do not depend on the backend, and starting threads costs more
  // than the run: the scalar reference and one SIMD backend or target use them, the rest not.
  const uint32_t threads = d.threads;
  const size_t threaded = in.ConsumeIntegralInRange<size_t>(0, backends().size() - 1);
  std::vector<uint8_t> reference;
  pixnorm_channel_sums reference_sums[3];
  for (size_t k = 0; k < backends().size(); ++k) {
    const pixnorm_test::Backend& b = backends()[k];
    pixnorm_test::select(b);
    d.backend = b.id;
    d.threads = k == 0 || k == threaded ? threads : 0;
    p = nullptr;
    FUZZ_CHECK(pixnorm_plan_create(stats.get(), &d, &p) == PIXNORM_OK, "%s: %s", b.name.c_str(),
               pixnorm_last_error());
    const PlanPtr plan(p);
    ExactBuffer out(out_floats * sizeof(float), out_skew);
    std::memset(out.data(), 0xFF, out.bytes());  // a NaN: anything left unwritten fails the finite check
    const pixnorm_status st =
        single ? pixnorm_plan_run(p, pointers[0], strides[0], out.data())
               : pixnorm_plan_run_batch(p, pointers.data(), strides.data(), too_many ? d.batch + 1 : count, out.data());
    FUZZ_CHECK(st == expect, "%s: run gave %s, expected %s (%s)", b.name.c_str(), pixnorm_status_name(st),
               pixnorm_status_name(expect), pixnorm_last_error());
    if (st == PIXNORM_OK) {
      const uint8_t* bytes = static_cast<const uint8_t*>(out.data());
      for (size_t i = 0; i < out_floats; ++i) {
        float f;
        std::memcpy(&f, bytes + i * sizeof f, sizeof f);
        FUZZ_CHECK(std::isfinite(f), "%s: output %zu of %zu is %g (%ux%u, format %d, mode %d)", b.name.c_str(), i,
                   out_floats, f, d.width, d.height, d.format, d.mode);
      }
      if (reference.empty()) reference.assign(bytes, bytes + out.bytes());
      else
        FUZZ_CHECK(std::memcmp(reference.data(), bytes, out.bytes()) == 0, "%s differs from scalar",
                   b.name.c_str());
    }
    // The exact sums of the same buffers, through the same reduction kernels.
    for (size_t i = 0; i < images.size() && i < 3; ++i) {
      pixnorm_channel_sums s;
      pixnorm_channel_sums_init(&s);
      const pixnorm_status ss = pixnorm_channel_sums_add(&s, d.format, d.width, d.height, images[i].pixels(),
                                                         images[i].row_bytes, b.id);
      FUZZ_CHECK(ss == images[i].expect, "%s: sums gave %s, expected %s", b.name.c_str(), pixnorm_status_name(ss),
                 pixnorm_status_name(images[i].expect));
      if (ss != PIXNORM_OK) continue;
      if (b.id == PIXNORM_BACKEND_SCALAR) reference_sums[i] = naive_sums(images[i], d, bpp);
      FUZZ_CHECK(same_sums(s, reference_sums[i]), "%s: sums differ from a plain loop", b.name.c_str());
    }
    pixnorm_test::restore_targets();
  }
  return 0;
}
