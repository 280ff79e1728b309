/* pixnorm: uint8 images to model-ready tensors, with frozen normalization statistics.
 *
 * C API. Every function returns a pixnorm_status; on failure a message naming the file,
 * field or argument at fault is available from pixnorm_last_error() (per thread).
 * No function throws. Buffers belong to the caller. pixnorm_plan_run and
 * pixnorm_plan_run_batch never allocate.
 *
 * Threads: a plan does not change after pixnorm_plan_create. Any number of threads may call
 * the functions taking a const pixnorm_plan* on one plan at the same time (the runs, each with
 * its own tensor, inputs may be shared, and the queries): each run gives exactly the bytes it
 * gives alone.
 * Only pixnorm_plan_free must not overlap any other call on the plan. Enum arguments and
 * fields are checked as integers: any int a C caller passes is refused or accepted, never
 * undefined behaviour.
 *
 *   pixnorm_stats* stats;  pixnorm_plan* plan;  pixnorm_plan_desc desc;
 *   pixnorm_stats_load("stats.json", &stats);                 // once
 *   pixnorm_plan_desc_init(&desc);
 *   desc.format = PIXNORM_FORMAT_RGB8; desc.width = 224; desc.height = 224;
 *   pixnorm_plan_create(stats, &desc, &plan);                 // once
 *   pixnorm_plan_run(plan, pixels, row_bytes, tensor);        // per frame
 */
#ifndef PIXNORM_PIXNORM_H
#define PIXNORM_PIXNORM_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(PIXNORM_SHARED)
#  ifdef PIXNORM_BUILDING
#    define PIXNORM_API __declspec(dllexport)
#  else
#    define PIXNORM_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define PIXNORM_API __attribute__((visibility("default")))
#else
#  define PIXNORM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PIXNORM_VERSION_MAJOR 0
#define PIXNORM_VERSION_MINOR 2
#define PIXNORM_VERSION_PATCH 0
#define PIXNORM_VERSION_STRING "0.2.0"

/* Limits, checked before any allocation. */
#define PIXNORM_MAX_DIMENSION 65536u          /* width or height */
#define PIXNORM_MAX_PIXELS (1u << 28)          /* width * height of one image (268 M) */
#define PIXNORM_MAX_BATCH 65536u               /* images in one tensor */
#define PIXNORM_MAX_STATS_BYTES (1u << 20)     /* statistics file size (1 MiB) */
#define PIXNORM_MAX_CHANNELS 3u                /* mean/std entries */

typedef enum pixnorm_status {
  PIXNORM_OK = 0,
  PIXNORM_ERROR_INVALID_ARGUMENT = 1, /* a NULL pointer, a bad enum, a stride too small, ... */
  PIXNORM_ERROR_IO = 2,               /* a file could not be opened, read or written */
  PIXNORM_ERROR_PARSE = 3,            /* malformed statistics file */
  PIXNORM_ERROR_INVALID_STATS = 4,    /* well-formed but unusable statistics (NaN, std <= 0, ...) */
  PIXNORM_ERROR_CHANNEL_MISMATCH = 5, /* input channels do not match the statistics */
  PIXNORM_ERROR_TOO_LARGE = 6,        /* over a documented limit, or a size overflows */
  PIXNORM_ERROR_UNSUPPORTED = 7,      /* backend not compiled in, or not supported by the CPU */
  PIXNORM_ERROR_OUT_OF_MEMORY = 8
} pixnorm_status;

typedef enum pixnorm_format {
  PIXNORM_FORMAT_GRAY8 = 0,
  PIXNORM_FORMAT_RGB8 = 1,
  PIXNORM_FORMAT_BGR8 = 2,
  PIXNORM_FORMAT_RGBA8 = 3, /* alpha dropped */
  PIXNORM_FORMAT_BGRA8 = 4, /* alpha dropped */
  /* Camera YUV (8-bit), converted to RGB inside the plan (pixnorm_plan_desc.yuv_matrix/yuv_range).
   * Chroma of 4:2:0 formats covers 2x2 pixels: ceil(width/2) x ceil(height/2) samples. */
  PIXNORM_FORMAT_NV12 = 5, /* Y plane, then one plane of interleaved U,V */
  PIXNORM_FORMAT_NV21 = 6, /* Y plane, then one plane of interleaved V,U */
  PIXNORM_FORMAT_I420 = 7, /* Y plane, U plane, V plane */
  PIXNORM_FORMAT_YUYV = 8  /* one plane: Y0 U Y1 V per two pixels (4:2:2) */
} pixnorm_format;
/* One past the last format: the formats are 0 .. PIXNORM_FORMAT_COUNT - 1 (pixnorm_format_get_info). */
#define PIXNORM_FORMAT_COUNT 9

typedef enum pixnorm_layout {
  PIXNORM_LAYOUT_NCHW = 0, /* ONNX default: planes */
  PIXNORM_LAYOUT_NHWC = 1  /* TFLite default: interleaved */
} pixnorm_layout;
#define PIXNORM_LAYOUT_COUNT 2

typedef enum pixnorm_dtype {
  PIXNORM_DTYPE_F32 = 0,
  PIXNORM_DTYPE_F16 = 1,  /* IEEE half, round to nearest even; past 65504 gives infinity */
  PIXNORM_DTYPE_INT8 = 2, /* q = clamp(round_half_even(f / quant_scale) + quant_zero_point, -128, 127) */
  PIXNORM_DTYPE_UINT8 = 3 /* the same, clamped to 0..255 */
} pixnorm_dtype;
#define PIXNORM_DTYPE_COUNT 4

/* Resampling when the output size differs from the source region (separable; integer weights,
 * float ones for torch-*). */
typedef enum pixnorm_interp {
  PIXNORM_INTERP_BILINEAR = 0, /* half-pixel centres, edges clamped (OpenCV INTER_LINEAR) */
  PIXNORM_INTERP_AREA = 1,     /* box average over the covered source area (OpenCV INTER_AREA) when
                                * shrinking; bilinear along an axis that grows */
  PIXNORM_INTERP_NEAREST = 2,  /* the source pixel under the output pixel's centre (INTER_NEAREST_EXACT) */
  /* Pillow 9.4's Image.resize, byte for byte (8-bit fixed point, horizontal pass then vertical,
   * the intermediate rounded to uint8; the filter's support grows with the shrink factor). The
   * region of interest is cropped first (Image.crop), so taps never read outside it; center
   * crop with resize_short is torchvision's Resize(resize_short) then CenterCrop (the
   * surviving outputs only are computed); center crop alone is ImageOps.fit (the crop as
   * Pillow's float box); letterbox resizes the content to its rounded size. YUV sources are
   * converted to RGB at full resolution first; RGBA/BGRA are resampled as convert('RGB'). */
  PIXNORM_INTERP_PIL_NEAREST = 3,  /* Resampling.NEAREST (Pillow's affine nearest, not INTER_NEAREST) */
  PIXNORM_INTERP_PIL_BOX = 4,      /* Resampling.BOX */
  PIXNORM_INTERP_PIL_BILINEAR = 5, /* Resampling.BILINEAR (torchvision's default on PIL images) */
  PIXNORM_INTERP_PIL_HAMMING = 6,  /* Resampling.HAMMING */
  PIXNORM_INTERP_PIL_BICUBIC = 7,  /* Resampling.BICUBIC (Image.resize's default, Hugging Face's) */
  PIXNORM_INTERP_PIL_LANCZOS = 8,  /* Resampling.LANCZOS */
  /* OpenCV 4.6 cv2.resize and torchvision 0.14 tensor resizing of the region (resize_short with
   * center crop: resize to the short side, then the crop; center crop alone: the centred region
   * of whole pixels with the output's aspect, then resized; letterbox: the content resized to
   * its rounded size). Edges replicated. YUV sources are converted to RGB at full resolution
   * first; RGBA/BGRA are resampled without alpha. */
  PIXNORM_INTERP_CV_LINEAR_EXACT = 9,     /* INTER_LINEAR_EXACT, byte for byte (8-bit weights, one rounding) */
  PIXNORM_INTERP_CV_CUBIC = 10,           /* INTER_CUBIC (a = -0.75, 11-bit weights; within 1 of OpenCV's
                                           * float vertical pass) */
  PIXNORM_INTERP_TORCH_BILINEAR_AA = 11,  /* Resize(antialias=True), bilinear, on uint8 tensors: float
                                           * passes (horizontal, then vertical), rounded; within 1 */
  PIXNORM_INTERP_TORCH_BICUBIC_AA = 12,   /* the same, bicubic (a = -0.5, Pillow's filter in float) */
  PIXNORM_INTERP_TORCH_BICUBIC = 13       /* Resize(antialias=False), bicubic (a = -0.75), clamped and
                                           * rounded; within 1 */
} pixnorm_interp;

/* How the source region is mapped onto the output size. */
typedef enum pixnorm_fit {
  PIXNORM_FIT_STRETCH = 0,     /* the whole region onto the whole output */
  PIXNORM_FIT_CENTER_CROP = 1, /* the centre of the region with the output's aspect; with resize_short,
                                * torchvision's Resize(resize_short) then CenterCrop(out size) */
  PIXNORM_FIT_LETTERBOX = 2    /* the whole region, aspect kept, centred; borders letterbox_fill (YOLO) */
} pixnorm_fit;

/* Where a center crop of a resized image starts when the margin is odd. */
typedef enum pixnorm_crop_rounding {
  PIXNORM_CROP_ROUND = 0, /* torchvision's CenterCrop: int(round((size - crop) / 2.0)), half to even */
  PIXNORM_CROP_FLOOR = 1  /* Hugging Face's center_crop: (size - crop) // 2 */
} pixnorm_crop_rounding;

/* Kernel variants of one CPU target: the same bytes out, other instructions. Today: on x86
 * AVX-512 targets, the vector width of the kernels bound by their stores (float conversion to
 * NHWC and NCHW, narrow NCHW outputs), 256 or 512 bits; the faster depends on the CPU. Other
 * targets have one variant, which any choice runs. pixnorm_plan_target names the one that runs
 * (e.g. "AVX3/512"). */
typedef enum pixnorm_variant {
  PIXNORM_VARIANT_AUTO = 0,    /* the environment variable PIXNORM_VARIANT (auto, measure, 256, 512)
                                * when set, else the CPU's preference: 512 on AMD CPUs, 256 on others */
  PIXNORM_VARIANT_MEASURE = 1, /* each variant timed on the plan's own work when the plan is created
                                * (a few ms at most); the faster kept */
  PIXNORM_VARIANT_256 = 2,
  PIXNORM_VARIANT_512 = 3
} pixnorm_variant;

typedef enum pixnorm_yuv_matrix { PIXNORM_YUV_BT601 = 0, PIXNORM_YUV_BT709 = 1 } pixnorm_yuv_matrix;
typedef enum pixnorm_yuv_range {
  PIXNORM_YUV_LIMITED = 0, /* Y 16..235, U and V 16..240 (video, most cameras) */
  PIXNORM_YUV_FULL = 1     /* 0..255 (JPEG) */
} pixnorm_yuv_range;

typedef enum pixnorm_mode {
  PIXNORM_MODE_STANDARDIZE = 0,               /* (y - mean[c]) / (std[c] + epsilon) */
  PIXNORM_MODE_CENTER = 1,                    /* y - mean[c] */
  PIXNORM_MODE_RESCALE = 2,                   /* y */
  PIXNORM_MODE_SAMPLE_CENTER = 3,             /* y - mean(image) */
  PIXNORM_MODE_SAMPLE_STANDARDIZE = 4,        /* (y - mean(image)) / (std(image) + epsilon) */
  PIXNORM_MODE_PER_IMAGE_STANDARDIZATION = 5, /* (y - mean) / max(std, 1/sqrt(H*W*C)) */
  PIXNORM_MODE_MINMAX = 6                     /* (y - min) / (max - min), 0 for a constant image */
} pixnorm_mode;

typedef enum pixnorm_backend {
  PIXNORM_BACKEND_AUTO = 0, /* best compiled in; PIXNORM_FORCE_SCALAR=1 in the environment picks scalar */
  PIXNORM_BACKEND_SCALAR = 1,
  PIXNORM_BACKEND_HIGHWAY = 2,
  PIXNORM_BACKEND_XSIMD = 3
} pixnorm_backend;

typedef enum pixnorm_channel_order {
  PIXNORM_ORDER_RGB = 0,
  PIXNORM_ORDER_BGR = 1,
  PIXNORM_ORDER_GRAY = 2
} pixnorm_channel_order;

/* ---------------------------------------------------------------- errors */

/* The message of the last failed call on this thread ("" if none). */
PIXNORM_API const char* pixnorm_last_error(void);
PIXNORM_API const char* pixnorm_status_name(pixnorm_status status);

/* ---------------------------------------------------------------- statistics */

/* The numbers the runtime uses; the statistics object also keeps every other field of its
 * file (min, max, counts, accumulators, unknown fields) so that saving writes them back. */
typedef struct pixnorm_stats_values {
  pixnorm_channel_order channel_order;
  uint32_t channels; /* entries in mean and std: 1 (global) or 3 (1 for GRAY) */
  double rescale;    /* y = x * rescale, > 0 */
  double mean[PIXNORM_MAX_CHANNELS];
  double std[PIXNORM_MAX_CHANNELS]; /* > 0; all 1 when the file has no std */
  double epsilon;                   /* >= 0 */
  int has_std;                      /* 0 when the file gives no std (e.g. the caffe preset) */
} pixnorm_stats_values;

typedef struct pixnorm_stats pixnorm_stats;

/* Reads and validates a statistics file (JSON, at most PIXNORM_MAX_STATS_BYTES). */
PIXNORM_API pixnorm_status pixnorm_stats_load(const char* path, pixnorm_stats** out);
/* The same from memory; `name` is used in messages (a path, or "<memory>"). */
PIXNORM_API pixnorm_status pixnorm_stats_parse(const char* json, size_t size, const char* name,
                                               pixnorm_stats** out);
/* Built-in presets: "imagenet", "tf", "caffe", "unit". */
PIXNORM_API pixnorm_status pixnorm_stats_preset(const char* name, pixnorm_stats** out);
/* From values (validated like a file). */
PIXNORM_API pixnorm_status pixnorm_stats_create(const pixnorm_stats_values* values, pixnorm_stats** out);
PIXNORM_API void pixnorm_stats_free(pixnorm_stats* stats);

PIXNORM_API pixnorm_status pixnorm_stats_get(const pixnorm_stats* stats, pixnorm_stats_values* out);
/* Sets (or replaces) an extra top-level field; `json_value` must be one valid JSON value.
 * The fields the runtime interprets cannot be set this way. */
PIXNORM_API pixnorm_status pixnorm_stats_set_field(pixnorm_stats* stats, const char* key,
                                                   const char* json_value);
/* The raw JSON text of an extra field, or NULL when absent. Valid until the stats change. */
PIXNORM_API const char* pixnorm_stats_get_field(const pixnorm_stats* stats, const char* key);

/* The preprocessing a model was trained with (the file's optional "preprocess" section), in
 * the order it is applied: the decoded image (EXIF orientation ignored, converted to RGB, as
 * PIL.Image.open(...).convert("RGB")), resized, then center-cropped. */
typedef struct pixnorm_recipe {
  uint32_t version;       /* 1; 0: the statistics carry no recipe */
  uint32_t resize_width;  /* resize to exactly this size (aspect not kept); 0 and 0: not */
  uint32_t resize_height;
  uint32_t resize_short;  /* or: the shorter side to this, the longer int(resize_short * long / short)
                           * (torchvision's Resize(int), Hugging Face's shortest_edge); 0: not */
  pixnorm_interp interp;  /* of the resize */
  uint32_t crop_width;    /* then a center crop of this size; 0 and 0: none. After resize_width x */
  uint32_t crop_height;   /* resize_height only when equal to it (a no-op) */
  pixnorm_crop_rounding crop_rounding;
} pixnorm_recipe;

/* The recipe of the statistics (version 0 when they have none). */
PIXNORM_API pixnorm_status pixnorm_stats_get_recipe(const pixnorm_stats* stats, pixnorm_recipe* out);
/* Sets the recipe, validated as in a file; NULL or version 0 removes it. */
PIXNORM_API pixnorm_status pixnorm_stats_set_recipe(pixnorm_stats* stats, const pixnorm_recipe* recipe);

/* Serializes to JSON (known fields first, then the others in their original order).
 * With buffer == NULL or too small, stores the size needed (with the final NUL) in *size
 * and returns PIXNORM_ERROR_TOO_LARGE (buffer too small) or PIXNORM_OK (buffer == NULL). */
PIXNORM_API pixnorm_status pixnorm_stats_serialize(const pixnorm_stats* stats, char* buffer, size_t* size);
/* Writes atomically: a temporary file beside `path`, then a rename (a symbolic link is followed
 * and its target replaced). A character device or FIFO (/dev/null, a named pipe) and
 * /dev/stdout, /dev/fd/N are written directly; a folder, block device or socket is refused. */
PIXNORM_API pixnorm_status pixnorm_stats_save(const pixnorm_stats* stats, const char* path);

/* ---------------------------------------------------------------- plans */

#define PIXNORM_EPSILON_DEFAULT (-1.0)

typedef struct pixnorm_plan_desc {
  pixnorm_format format;
  uint32_t width; /* the source image (camera frame) size */
  uint32_t height;
  uint32_t batch; /* images in the output tensor (pixnorm_plan_run_batch); default 1 */
  pixnorm_layout layout;
  pixnorm_dtype dtype;
  pixnorm_mode mode;
  int per_channel; /* per-image modes: one statistic per channel instead of one per image */
  /* PIXNORM_EPSILON_DEFAULT: the statistics' epsilon for the fixed modes, 1e-6 (as Keras)
   * for sample-standardize; otherwise >= 0, replacing it. */
  double epsilon;
  pixnorm_backend backend;
  /* 0 or 1: runs use the caller's thread only. N (<= 64): each run splits the image into up to
   * N row bands, one on the caller's thread and the others on worker threads the plan starts at
   * creation (PIXNORM_ERROR_UNSUPPORTED in a build without threads). This is parallelism within
   * one run; several threads may also run one plan at the same time whatever its value (see
   * pixnorm_plan_run). The workers serve one run at a time: a run that finds them busy with
   * another thread's run does all its bands on its own thread instead of waiting. A band gets
   * at least 131072 output pixels (fewer bands for smaller images:
   * waking a worker costs more than it saves there); the environment variable
   * PIXNORM_MIN_BAND_PIXELS, read when the plan is created, sets another minimum. A worker spins
   * (yielding its core) for up to 200 us after its band before it sleeps. */
  uint32_t threads;

  /* ---- geometry: all zero (the defaults) reads the whole image at its size. The steps are
   * region of interest, then fit (crop or letterbox) and resampling to the output size, then
   * the horizontal flip, fused with conversion and normalization in one pass. */
  uint32_t out_width; /* the model's input size; 0 and 0: the region's size */
  uint32_t out_height;
  pixnorm_interp interp;
  uint32_t roi_x; /* region of the source read; roi_width = roi_height = 0: the whole image */
  uint32_t roi_y;
  uint32_t roi_width;
  uint32_t roi_height;
  pixnorm_fit fit;
  uint32_t resize_short; /* center crop: the shorter side is first scaled to this; 0: not */
  uint32_t letterbox_fill; /* letterbox: the value (0..255) of every channel of the borders; default 114 */
  int flip;                /* 1: mirror the output horizontally */
  pixnorm_yuv_matrix yuv_matrix; /* YUV formats only */
  pixnorm_yuv_range yuv_range;
  /* INT8/UINT8 outputs: the model input's quantization (TFLite input_details "quantization"). */
  double quant_scale; /* > 0 */
  int32_t quant_zero_point;
  /* Center crop with resize_short: the crop's offset in the resized image (checked, and used,
   * only with PIXNORM_FIT_CENTER_CROP). */
  pixnorm_crop_rounding crop_rounding;
  /* Which kernel variant runs (pixnorm_variant); default AUTO. */
  pixnorm_variant variant;
} pixnorm_plan_desc;

/* The planes of one image. Packed formats and the Y plane use planes[0]; NV12/NV21 put the
 * chroma plane in planes[1]; I420 puts U in planes[1] and V in planes[2]. row_bytes[i] is the
 * stride of planes[i]. */
typedef struct pixnorm_image {
  const uint8_t* planes[3];
  size_t row_bytes[3];
} pixnorm_image;

typedef struct pixnorm_plan pixnorm_plan;

/* Defaults: RGB8, 0x0, batch 1, NCHW, f32, standardize, global, default epsilon, auto backend,
 * the caller's thread only, no geometry (bilinear, stretch, letterbox fill 114), BT.601 limited
 * range, no quantization. */
PIXNORM_API void pixnorm_plan_desc_init(pixnorm_plan_desc* desc);

/* Fills the geometry of `desc` (out_width, out_height, interp, fit, resize_short, roi,
 * crop_rounding) from the statistics' recipe, for an image of desc->width x desc->height (or
 * its region of interest, when roi_width and roi_height are set): the plan then computes what
 * the training pipeline did. Statistics without a recipe leave `desc` unchanged. Fields set
 * afterwards override the recipe. A crop larger than the (resized) image is refused
 * (torchvision would pad). */
PIXNORM_API pixnorm_status pixnorm_plan_desc_apply_recipe(pixnorm_plan_desc* desc, const pixnorm_stats* stats);

/* Validates the description against the statistics and folds them into one scale and one
 * bias per channel. `stats` may be NULL for the per-image modes (rescale 1: raw units)
 * and for rescale (which is then the identity). The plan does not keep `stats`. */
PIXNORM_API pixnorm_status pixnorm_plan_create(const pixnorm_stats* stats, const pixnorm_plan_desc* desc,
                                               pixnorm_plan** out);
PIXNORM_API void pixnorm_plan_free(pixnorm_plan* plan);

/* Converts one image. row_bytes >= width * bytes per pixel; any alignment.
 * `tensor` holds pixnorm_plan_output_bytes(plan) bytes, aligned for its type.
 * YUV formats here are one contiguous frame: the Y plane (height rows of row_bytes), then
 * NV12/NV21: ceil(height/2) rows of 2*ceil(row_bytes/2) bytes; I420: U then V, each
 * ceil(height/2) rows of ceil(row_bytes/2) bytes. pixnorm_plan_run_image takes separate planes.
 *
 * The tensor must not share any byte with the input: the output's bytes
 * [tensor, tensor + pixnorm_plan_output_bytes) (times count for pixnorm_plan_run_batch) are
 * compared with each plane's [plane, plane + (rows - 1) * row_bytes + bytes of one row of
 * pixels) (the padding after the last row's pixels is not read, so it may hold the output);
 * an overlap returns PIXNORM_ERROR_INVALID_ARGUMENT and writes nothing.
 *
 * Several threads may run one plan at the same time (this function, pixnorm_plan_run_image and
 * pixnorm_plan_run_batch in any mix), each getting the bytes it would get alone. A plan that
 * resamples (geometry, YUV formats) or writes f16/int8/uint8 holds 4 sets of scratch buffers,
 * allocated at creation; each run (each batch) takes one, and a fifth simultaneous run waits
 * until one is returned. Other plans need none and never wait. In a build without threads
 * (PIXNORM_WITH_THREADS off) there is one set and no locking: runs must not overlap in time. */
PIXNORM_API pixnorm_status pixnorm_plan_run(const pixnorm_plan* plan, const uint8_t* pixels, size_t row_bytes,
                                            void* tensor);
/* The same with each plane given. */
PIXNORM_API pixnorm_status pixnorm_plan_run_image(const pixnorm_plan* plan, const pixnorm_image* image,
                                                  void* tensor);
/* Converts `count` images (<= desc.batch) into consecutive slots of one tensor. Every image
 * is checked (sizes, overlap with the count slots written) before any is converted. */
PIXNORM_API pixnorm_status pixnorm_plan_run_batch(const pixnorm_plan* plan, const uint8_t* const* images,
                                                  const size_t* row_bytes, uint32_t count, void* tensor);

/* Elements of one image's output (C*H*W); a batch tensor holds batch times this. */
PIXNORM_API size_t pixnorm_plan_output_elements(const pixnorm_plan* plan);
/* Bytes of one image's output: elements times 4 (f32), 2 (f16) or 1 (int8, uint8). */
PIXNORM_API size_t pixnorm_plan_output_bytes(const pixnorm_plan* plan);
/* The output image size (out_width x out_height, or the region's size). */
PIXNORM_API void pixnorm_plan_output_size(const pixnorm_plan* plan, uint32_t* width, uint32_t* height);
/* Output channels (1 or 3), in the order of pixnorm_plan_output_order. */
PIXNORM_API uint32_t pixnorm_plan_output_channels(const pixnorm_plan* plan);
PIXNORM_API pixnorm_channel_order pixnorm_plan_output_order(const pixnorm_plan* plan);
/* The backend that runs, and for Highway the CPU target (e.g. "AVX2"). */
PIXNORM_API pixnorm_backend pixnorm_plan_backend(const pixnorm_plan* plan);
PIXNORM_API const char* pixnorm_plan_target(const pixnorm_plan* plan);
/* The folded parameters for the fixed modes (per output channel): out = float(x) * scale + bias,
 * x being the (converted, resampled) uint8 sample. For INT8/UINT8 they include the division
 * by quant_scale: q = clamp(round_half_even(float(x) * scale + bias) + quant_zero_point). */
PIXNORM_API pixnorm_status pixnorm_plan_get_params(const pixnorm_plan* plan, float scale[PIXNORM_MAX_CHANNELS],
                                                   float bias[PIXNORM_MAX_CHANNELS]);

/* ---------------------------------------------------------------- exact per-channel sums */

/* Integer statistics of uint8 samples, accumulated over any number of images: the same
 * vectorized reduction the per-image modes use. Channels are in the input's order
 * (R,G,B for RGB8/RGBA8, B,G,R for BGR8/BGRA8; alpha is not counted). */
typedef struct pixnorm_channel_sums {
  uint32_t channels; /* 1 or 3; 0 until the first image */
  uint64_t pixels;   /* samples per channel */
  uint64_t sum[PIXNORM_MAX_CHANNELS];
  uint64_t sum_sq[PIXNORM_MAX_CHANNELS];
  uint8_t min[PIXNORM_MAX_CHANNELS];
  uint8_t max[PIXNORM_MAX_CHANNELS];
} pixnorm_channel_sums;

PIXNORM_API void pixnorm_channel_sums_init(pixnorm_channel_sums* sums);
/* Adds one image to `sums`. Fails, leaving `sums` unchanged, on a channel count different
 * from the images already added, or when a 64-bit sum would overflow (over 2.8e14 pixels:
 * split the data and add the parts' sums in wider integers). No allocation. */
PIXNORM_API pixnorm_status pixnorm_channel_sums_add(pixnorm_channel_sums* sums, pixnorm_format format, uint32_t width,
                                                    uint32_t height, const uint8_t* pixels, size_t row_bytes,
                                                    pixnorm_backend backend);

/* ---------------------------------------------------------------- formats, types and layouts */

/* What a pixel format is, from the library's one table of formats. */
typedef struct pixnorm_format_info {
  const char* name;             /* "gray8", "rgb8", "bgr8", "rgba8", "bgra8", "nv12", "nv21", "i420", "yuyv" */
  uint32_t bytes_per_pixel;     /* bytes per pixel of planes[0]: 1, 3, 4; YUV: 1 (the Y sample), YUYV 2 */
  uint32_t planes;              /* planes of an image (pixnorm_image): 1, 2 (NV12, NV21) or 3 (I420) */
  uint32_t chroma_shift_x;      /* chroma subsampling as shifts (samples cover 1 << shift pixels): */
  uint32_t chroma_shift_y;      /* 4:2:0 1 and 1, 4:2:2 (YUYV) 1 and 0, others 0 and 0 */
  uint32_t channels;            /* channels of the output: 1 (GRAY8) or 3 */
  pixnorm_channel_order order;  /* of the channels as stored (YUV formats: RGB, after conversion) */
  int yuv;                      /* 1: converted to RGB with pixnorm_plan_desc.yuv_matrix and yuv_range */
  int alpha;                    /* 1: a fourth byte per pixel, dropped (RGBA8, BGRA8) */
} pixnorm_format_info;

/* PIXNORM_ERROR_INVALID_ARGUMENT for a value that is not a format (or out NULL). */
PIXNORM_API pixnorm_status pixnorm_format_get_info(pixnorm_format format, pixnorm_format_info* out);
/* The format's name (pixnorm_format_info.name), "unknown" for a value that is not a format. */
PIXNORM_API const char* pixnorm_format_name(pixnorm_format format);
/* The format of a name as pixnorm_format_name spells it (exact, lower case);
 * PIXNORM_ERROR_INVALID_ARGUMENT, naming the accepted names, for any other. */
PIXNORM_API pixnorm_status pixnorm_format_from_name(const char* name, pixnorm_format* out);

/* What an output type is. */
typedef struct pixnorm_dtype_info {
  const char* name;       /* "f32", "f16", "int8", "uint8" */
  const char* numpy_name; /* "float32", "float16", "int8", "uint8" */
  uint32_t bytes;         /* per element: 4, 2, 1, 1 */
  int quantized;          /* 1: quant_scale and quant_zero_point apply (INT8, UINT8) */
  int32_t min, max;       /* quantized: the range of the stored integers; 0 and 0 otherwise */
} pixnorm_dtype_info;

PIXNORM_API pixnorm_status pixnorm_dtype_get_info(pixnorm_dtype dtype, pixnorm_dtype_info* out);
PIXNORM_API const char* pixnorm_dtype_name(pixnorm_dtype dtype); /* "unknown" when not a type */
PIXNORM_API pixnorm_status pixnorm_dtype_from_name(const char* name, pixnorm_dtype* out);
/* "nchw", "nhwc"; "unknown" when not a layout. */
PIXNORM_API const char* pixnorm_layout_name(pixnorm_layout layout);
PIXNORM_API pixnorm_status pixnorm_layout_from_name(const char* name, pixnorm_layout* out);

/* ---------------------------------------------------------------- information */

PIXNORM_API const char* pixnorm_version(void);
PIXNORM_API const char* pixnorm_backend_name(pixnorm_backend backend);
/* 1 when the backend is compiled in and can run on this CPU. */
PIXNORM_API int pixnorm_backend_available(pixnorm_backend backend);
/* The backend AUTO resolves to now (honours PIXNORM_FORCE_SCALAR). */
PIXNORM_API pixnorm_backend pixnorm_backend_default(void);
/* Space-separated CPU targets: for Highway those compiled in and supported by this CPU,
 * best first; for xsimd the one architecture compiled in; "" for scalar. */
PIXNORM_API const char* pixnorm_backend_targets(pixnorm_backend backend);
/* The target the backend runs now (Highway: the dispatched one), with the kernel variant a plan
 * of variant AUTO runs where the target has several (e.g. "AVX3/512"; with PIXNORM_VARIANT=measure,
 * which each plan decides for itself, the CPU's preference). */
PIXNORM_API const char* pixnorm_backend_target(pixnorm_backend backend);

#ifdef __cplusplus
}
#endif
#endif /* PIXNORM_PIXNORM_H */
