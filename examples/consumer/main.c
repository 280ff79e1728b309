/* Uses pixnorm's C API from C99: the ImageNet preset, a plan for a small RGB8 image, one run,
 * and a check of every output against (x/255 - mean[c]) / std[c]. Exits non-zero on failure. */
#include <pixnorm/pixnorm.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 7 /* odd sizes so that SIMD kernels also run their tails */
#define H 5

static int check(pixnorm_status st, const char* what) {
  if (st != PIXNORM_OK) {
    fprintf(stderr, "consumer: %s failed: %s: %s\n", what, pixnorm_status_name(st), pixnorm_last_error());
    return 0;
  }
  return 1;
}

int main(void) {
  static const double mean[3] = {0.485, 0.456, 0.406};
  static const double std_[3] = {0.229, 0.224, 0.225};
  uint8_t pixels[H][W * 3 + 1]; /* one byte of row padding: row_bytes > width * 3 */
  float tensor[3 * H * W];
  pixnorm_stats* stats = NULL;
  pixnorm_plan* plan = NULL;
  pixnorm_plan_desc desc;
  double worst = 0.0;
  int ok = 0;

  for (int y = 0; y < H; ++y)
    for (int i = 0; i < W * 3 + 1; ++i) pixels[y][i] = (uint8_t)((y * 61 + i * 37) & 255);

  printf("pixnorm %s\n", pixnorm_version());
  /* The header compiled against and the library linked must be the same release; so must the
   * version the build system found (CMake package or pkg-config), when it passes one. */
  if (strcmp(pixnorm_version(), PIXNORM_VERSION_STRING) != 0) {
    fprintf(stderr, "consumer: library %s, header %s\n", pixnorm_version(), PIXNORM_VERSION_STRING);
    goto done;
  }
#ifdef PIXNORM_EXPECT_VERSION
  if (strcmp(pixnorm_version(), PIXNORM_EXPECT_VERSION) != 0) {
    fprintf(stderr, "consumer: library %s, build system found %s\n", pixnorm_version(), PIXNORM_EXPECT_VERSION);
    goto done;
  }
#endif
  if (!check(pixnorm_stats_preset("imagenet", &stats), "pixnorm_stats_preset")) goto done;
  pixnorm_plan_desc_init(&desc);
  desc.format = PIXNORM_FORMAT_RGB8;
  desc.width = W;
  desc.height = H;
  desc.layout = PIXNORM_LAYOUT_NCHW;
  if (!check(pixnorm_plan_create(stats, &desc, &plan), "pixnorm_plan_create")) goto done;
  if (pixnorm_plan_output_elements(plan) != 3 * H * W) {
    fprintf(stderr, "consumer: %zu output elements, expected %d\n", pixnorm_plan_output_elements(plan), 3 * H * W);
    goto done;
  }
  printf("backend %s, target %s\n", pixnorm_backend_name(pixnorm_plan_backend(plan)), pixnorm_plan_target(plan));
  if (!check(pixnorm_plan_run(plan, &pixels[0][0], sizeof pixels[0], tensor), "pixnorm_plan_run")) goto done;

  /* A NULL image must be refused with a status, not a crash. */
  if (pixnorm_plan_run(plan, NULL, sizeof pixels[0], tensor) != PIXNORM_ERROR_INVALID_ARGUMENT) {
    fprintf(stderr, "consumer: a NULL image was not refused\n");
    goto done;
  }

  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        double expect = (pixels[y][x * 3 + c] / 255.0 - mean[c]) / std_[c];
        double err = fabs(tensor[(c * H + y) * W + x] - expect);
        if (err > worst) worst = err;
        if (!(err <= 1e-6)) {
          fprintf(stderr, "consumer: out[c=%d,y=%d,x=%d] = %.9g, expected %.9g\n", c, y, x,
                  tensor[(c * H + y) * W + x], expect);
          goto done;
        }
      }
  printf("out[0,0,0..3] = %.6f %.6f %.6f %.6f\n", tensor[0], tensor[1], tensor[2], tensor[3]);
  printf("all %d outputs within %.2g of (x/255 - mean)/std\n", 3 * H * W, worst);
  ok = 1;

done:
  pixnorm_plan_free(plan);
  pixnorm_stats_free(stats);
  puts(ok ? "consumer: OK" : "consumer: FAILED");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
