// The C API of statistics objects (files: stats_file_io.cpp; presets: stats_presets.cpp).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "geometry.h"
#include "stats_model.h"

using namespace pixnorm;

extern "C" {

pixnorm_status pixnorm_stats_parse(const char* json, size_t size, const char* name, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_parse: out is NULL");
  *out = nullptr;
  if (!name) name = "<memory>";
  if (!json && size) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_parse: json is NULL");
  return guarded([&] {
    return parse_buffer(json, size, name, out);
  });
}

pixnorm_status pixnorm_stats_create(const pixnorm_stats_values* values, pixnorm_stats** out) {
  pixnorm::clear_error();
  if (!out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_create: out is NULL");
  *out = nullptr;
  if (!values) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_create: values is NULL");
  return guarded([&] {
    return check_values(values, out);
  });
}

void pixnorm_stats_free(pixnorm_stats* stats) { delete stats; }

pixnorm_status pixnorm_stats_get(const pixnorm_stats* stats, pixnorm_stats_values* out) {
  pixnorm::clear_error();
  if (!stats || !out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_get: stats or out is NULL");
  *out = stats->values;
  return PIXNORM_OK;
}

pixnorm_status pixnorm_stats_set_field(pixnorm_stats* stats, const char* key, const char* json_value) {
  pixnorm::clear_error();
  if (!stats || !key || !json_value)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_set_field: stats, key or json_value is NULL");
  return guarded([&] {
    const std::string k = key;
    if (is_known_key(k))
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "pixnorm_stats_set_field: field \"%s\" is interpreted by the runtime; it cannot be set", key);
    if (utf8_invalid_at(reinterpret_cast<const unsigned char*>(key), k.size()) != k.size())
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_set_field: the key is not valid UTF-8");
    const size_t n = std::strlen(json_value);
    if (n > PIXNORM_MAX_STATS_BYTES)
      return fail(PIXNORM_ERROR_TOO_LARGE, "field \"%.64s\": value over the limit of %u bytes", key,
                  PIXNORM_MAX_STATS_BYTES);
    char name[96];
    std::snprintf(name, sizeof(name), "field \"%.64s\"", key);
    if (utf8_invalid_at(reinterpret_cast<const unsigned char*>(json_value), n) != n)
      return fail(PIXNORM_ERROR_PARSE, "%s: the value is not valid UTF-8", name);
    const char *vb = nullptr, *ve = nullptr;
    pixnorm_status status = json_single_value(json_value, json_value + n, name, &vb, &ve);
    if (status != PIXNORM_OK) return status;

    // Works on a copy so that a refusal (or an allocation failure) leaves the stats as they were.
    pixnorm_stats updated = *stats;
    auto it = updated.extra.begin();
    while (it != updated.extra.end() && it->first != k) ++it;
    if (it != updated.extra.end())
      it->second.assign(vb, ve);
    else
      updated.extra.emplace_back(k, std::string(vb, ve));
    size_t total = serialize(updated).size();
    if (total > PIXNORM_MAX_STATS_BYTES)
      return fail(PIXNORM_ERROR_TOO_LARGE, "%s: the statistics would take %zu bytes, over the limit of %u", name,
                  total, PIXNORM_MAX_STATS_BYTES);
    stats->extra.swap(updated.extra);
    return PIXNORM_OK;
  });
}

pixnorm_status pixnorm_stats_get_recipe(const pixnorm_stats* stats, pixnorm_recipe* out) {
  pixnorm::clear_error();
  if (!stats || !out) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_get_recipe: stats or out is NULL");
  *out = stats->recipe;
  return PIXNORM_OK;
}

pixnorm_status pixnorm_stats_set_recipe(pixnorm_stats* stats, const pixnorm_recipe* recipe) {
  pixnorm::clear_error();
  if (!stats) return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_set_recipe: stats is NULL");
  if (!recipe || recipe->version == 0) {
    stats->recipe = pixnorm_recipe{};
    return PIXNORM_OK;
  }
  pixnorm_status st = validate_recipe(*recipe, "pixnorm_stats_set_recipe");
  if (st != PIXNORM_OK) return st;
  stats->recipe = *recipe;
  return PIXNORM_OK;
}

pixnorm_status pixnorm_plan_desc_apply_recipe(pixnorm_plan_desc* desc, const pixnorm_stats* stats) {
  pixnorm::clear_error();
  if (!desc || !stats)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_plan_desc_apply_recipe: desc or stats is NULL");
  const pixnorm_recipe& r = stats->recipe;
  if (r.version == 0) return PIXNORM_OK;
  const bool roi = desc->roi_width != 0 && desc->roi_height != 0;
  const uint32_t sw = roi ? desc->roi_width : desc->width, sh = roi ? desc->roi_height : desc->height;
  if (sw == 0 || sh == 0 || sw > PIXNORM_MAX_DIMENSION || sh > PIXNORM_MAX_DIMENSION)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                "pixnorm_plan_desc_apply_recipe: the %s size %ux%u must be from 1 to %u (set desc->width and "
                "desc->height first)",
                roi ? "region" : "image", sw, sh, PIXNORM_MAX_DIMENSION);
  pixnorm_plan_desc d = *desc;
  d.interp = r.interp;
  d.fit = PIXNORM_FIT_STRETCH;
  d.resize_short = 0;
  d.crop_rounding = r.crop_rounding;
  d.out_width = sw;
  d.out_height = sh;
  if (r.resize_width != 0) {
    d.out_width = r.resize_width;
    d.out_height = r.resize_height;
  } else if (r.resize_short != 0) {
    uint64_t rw = 0, rh = 0;
    pixnorm::resize_short_size(sw, sh, r.resize_short, &rw, &rh);
    if (r.crop_width != 0) {
      if (r.crop_width > rw || r.crop_height > rh)
        return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                    "pixnorm_plan_desc_apply_recipe: the recipe's %ux%u crop is larger than the %llux%llu image "
                    "resized to a shorter side of %u (torchvision would pad; not supported)",
                    r.crop_width, r.crop_height, static_cast<unsigned long long>(rw),
                    static_cast<unsigned long long>(rh), r.resize_short);
      d.fit = PIXNORM_FIT_CENTER_CROP;
      d.resize_short = r.resize_short;
      d.out_width = r.crop_width;
      d.out_height = r.crop_height;
    } else {
      if (rw > PIXNORM_MAX_DIMENSION || rh > PIXNORM_MAX_DIMENSION)
        return fail(PIXNORM_ERROR_TOO_LARGE,
                    "pixnorm_plan_desc_apply_recipe: resize_short %u makes the %ux%u image %llux%llu, over %u",
                    r.resize_short, sw, sh, static_cast<unsigned long long>(rw), static_cast<unsigned long long>(rh),
                    PIXNORM_MAX_DIMENSION);
      d.out_width = static_cast<uint32_t>(rw);
      d.out_height = static_cast<uint32_t>(rh);
    }
  } else if (r.crop_width != 0) {
    // A crop alone takes the pixels as they are: a region of interest, nothing resampled.
    if (r.crop_width > sw || r.crop_height > sh)
      return fail(PIXNORM_ERROR_INVALID_ARGUMENT,
                  "pixnorm_plan_desc_apply_recipe: the recipe's %ux%u crop is larger than the %ux%u image "
                  "(torchvision would pad; not supported)",
                  r.crop_width, r.crop_height, sw, sh);
    auto offset = [&](uint32_t margin) {
      return r.crop_rounding == PIXNORM_CROP_FLOOR ? margin / 2
                                                   : static_cast<uint32_t>(std::nearbyint(margin / 2.0));
    };
    d.roi_x = (roi ? desc->roi_x : 0) + offset(sw - r.crop_width);
    d.roi_y = (roi ? desc->roi_y : 0) + offset(sh - r.crop_height);
    d.roi_width = r.crop_width;
    d.roi_height = r.crop_height;
    d.out_width = r.crop_width;
    d.out_height = r.crop_height;
  }
  *desc = d;
  return PIXNORM_OK;
}

const char* pixnorm_stats_get_field(const pixnorm_stats* stats, const char* key) {
  if (!stats || !key) return nullptr;
  for (const auto& field : stats->extra)
    if (field.first == key) return field.second.c_str();
  return nullptr;
}

pixnorm_status pixnorm_stats_serialize(const pixnorm_stats* stats, char* buffer, size_t* size) {
  pixnorm::clear_error();
  if (!stats || !size)
    return fail(PIXNORM_ERROR_INVALID_ARGUMENT, "pixnorm_stats_serialize: stats or size is NULL");
  return guarded([&] {
    const std::string text = serialize(*stats);
    const size_t needed = text.size() + 1;
    const size_t capacity = *size;
    *size = needed;
    if (!buffer) return PIXNORM_OK;
    if (capacity < needed)
      return fail(PIXNORM_ERROR_TOO_LARGE, "pixnorm_stats_serialize: buffer of %zu bytes, %zu needed", capacity,
                  needed);
    std::memcpy(buffer, text.c_str(), needed);
    return PIXNORM_OK;
  });
}

}  // extern "C"
