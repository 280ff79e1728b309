// The built-in statistics presets.
#include <cstring>

#include "stats_model.h"

using namespace pixnorm;

extern "C" {

pixnorm_status pixnorm_stats_preset(const char* name, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_preset: out is NULL");
  *out = nullptr;
  if (!name) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_preset: name is NULL");
  pixnorm_stats_values v{};
  v.channel_order = PIXNORM_ORDER_RGB;
  v.channels = 3;
  v.has_std = 1;
  if (std::strcmp(name, "imagenet") == 0) {
    v.rescale = 1.0 / 255.0;
    const double mean[] = {0.485, 0.456, 0.406}, std[] = {0.229, 0.224, 0.225};
    std::memcpy(v.mean, mean, sizeof(mean));
    std::memcpy(v.std, std, sizeof(std));
  } else if (std::strcmp(name, "tf") == 0) {
    v.rescale = 1.0 / 127.5;
    v.channels = 1;
    v.mean[0] = 1;
    v.std[0] = 1;
  } else if (std::strcmp(name, "caffe") == 0) {
    v.channel_order = PIXNORM_ORDER_BGR;
    v.rescale = 1;
    const double mean[] = {103.939, 116.779, 123.68};
    std::memcpy(v.mean, mean, sizeof(mean));
    v.has_std = 0;
  } else if (std::strcmp(name, "unit") == 0) {
    v.rescale = 1.0 / 255.0;
    v.channels = 1;
    v.mean[0] = 0;
    v.std[0] = 1;
  } else {
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                "unknown statistics preset \"%.64s\" (valid: imagenet, tf, caffe, unit)", name);
  }
  return guarded([&] {
    return check_values(&v, out);
  });
}

}  // extern "C"
