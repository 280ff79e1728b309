/* The one translation unit holding stb_image's implementation, configured for the CLI:
 * only the formats the CLI documents (fewer decoders, less attack surface) and the
 * user-facing failure messages ("Corrupt PNG"). Image sizes are checked against pixnorm's
 * limits from the header (image_io.cpp) before stb decodes anything. */
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_PNM
#define STBI_ONLY_TGA
#define STBI_FAILURE_USERMSG
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

/* stb keeps a failure reason until the next failure, and a few of its JPEG paths fail
 * without setting one: clearing it before a call keeps a stale reason out of messages. */
void pixnorm_cli_stbi_clear_failure(void) { stbi__g_failure_reason = NULL; }
