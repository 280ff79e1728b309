/* The one translation unit holding stb_image_write (PNG only, to memory: the CLI writes files
 * itself, atomically) and stb_easy_font, which is all static functions: the plot code reaches
 * it through the wrappers below. */
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#include <stb/stb_easy_font.h>

int pixnorm_cli_png_to_func(stbi_write_func* func, void* context, int w, int h, int comp, const void* data,
                            int stride) {
  return stbi_write_png_to_func(func, context, w, h, comp, data, stride);
}

/* Quads of `text` at (x, y) into `vertices` (16 bytes each, 4 per quad: x, y, z as floats and
 * a colour); returns the number of quads. */
int pixnorm_cli_text_quads(float x, float y, const char* text, void* vertices, int bytes) {
  return stb_easy_font_print(x, y, (char*)text, NULL, vertices, bytes);
}

int pixnorm_cli_text_width(const char* text) { return stb_easy_font_width((char*)text); }
