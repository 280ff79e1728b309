/* The one translation unit holding stb_image's implementation, configured for the CLI:
 * only the formats the CLI documents (fewer decoders, less attack surface) and the
 * user-facing failure messages ("Corrupt PNG"). Image sizes are checked against pixnorm's
 * limits from the header (image_io.cpp) before stb decodes anything, and what stb allocates
 * while decoding is held to a budget (below). */
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#define STBI_FAILURE_USERMSG

#include <stddef.h>
#include <stdlib.h>

/* Every block stb allocates counts against a budget per decode, set by image_io.cpp from the
 * image's header and the file's size: without it a PNG chunk may claim 2 GiB in a few bytes,
 * or a small zlib stream inflate to gigabytes, before stb finds out the file is corrupt. Each
 * block carries its size in front, as free() is given none. Per thread: decodes run in parallel.
 * New blocks are zeroed: stb 2.27 decodes a JPEG scan with Huffman tables the file never
 * defined, and uninitialized ones index far outside its arrays (all-zero ones decode nothing). */
typedef union {
  size_t size;
  max_align_t align;
} pixnorm_block;
static _Thread_local int budget_on, budget_hit;
static _Thread_local long long budget_left;

static int budget_take(size_t n) {
  if (!budget_on) return 1;
  if (budget_left < 0 || n > (unsigned long long)budget_left) {
    budget_hit = 1;
    return 0;
  }
  budget_left -= (long long)n;
  return 1;
}
static void budget_give(size_t n) {
  if (budget_on) budget_left += (long long)n;
}
static void* budget_malloc(size_t n) {
  pixnorm_block* b;
  if (n > (size_t)-1 - sizeof(pixnorm_block) || !budget_take(n)) return NULL;
  b = (pixnorm_block*)calloc(1, sizeof(pixnorm_block) + n);
  if (!b) {
    budget_give(n);
    return NULL;
  }
  b->size = n;
  return b + 1;
}
static void budget_free(void* p) {
  pixnorm_block* b;
  if (!p) return;
  b = (pixnorm_block*)p - 1;
  budget_give(b->size);
  free(b);
}
static void* budget_realloc(void* p, size_t n) {
  pixnorm_block *b, *q;
  size_t old;
  if (!p) return budget_malloc(n);
  b = (pixnorm_block*)p - 1;
  old = b->size;
  if (n > (size_t)-1 - sizeof(pixnorm_block) || (n > old && !budget_take(n - old))) return NULL;
  q = (pixnorm_block*)realloc(b, sizeof(pixnorm_block) + n);
  if (!q) {
    if (n > old) budget_give(n - old);
    return NULL;
  }
  if (n < old) budget_give(old - n);
  q->size = n;
  return q + 1;
}
#define STBI_MALLOC(n) budget_malloc(n)
#define STBI_REALLOC(p, n) budget_realloc(p, n)
#define STBI_FREE(p) budget_free(p)

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

/* stb keeps a failure reason until the next failure, and a few of its JPEG paths fail
 * without setting one: clearing it before a call keeps a stale reason out of messages. */
void pixnorm_cli_stbi_clear_failure(void) { stbi__g_failure_reason = NULL; }

/* From now on, on this thread, stb may allocate at most `bytes` more than it frees (0: no limit). */
void pixnorm_cli_stbi_set_budget(size_t bytes) {
  budget_on = bytes != 0;
  budget_left = bytes > (size_t)0x7FFFFFFFFFFFFFFFull ? 0x7FFFFFFFFFFFFFFFll : (long long)bytes;
  budget_hit = 0;
}
/* 1 when an allocation was refused since the budget was set. */
int pixnorm_cli_stbi_over_budget(void) { return budget_hit; }
