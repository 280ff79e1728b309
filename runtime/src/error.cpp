#include "c_enum.h"
#include "error.h"

#include <cstdarg>
#include <cstdio>

namespace {
thread_local char g_message[1024];
}

namespace pixnorm {

pixnorm_status fail(pixnorm_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_message, sizeof(g_message), format, args);
  va_end(args);
  return status;
}

void clear_error() { g_message[0] = '\0'; }

}  // namespace pixnorm

extern "C" const char* pixnorm_last_error(void) { return g_message; }

extern "C" const char* pixnorm_status_name(pixnorm_status status) {
  switch (pixnorm::enum_bits(status)) {
    case PIXNORM_OK: return "ok";
    case PIXNORM_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case PIXNORM_ERROR_IO: return "i/o error";
    case PIXNORM_ERROR_PARSE: return "parse error";
    case PIXNORM_ERROR_INVALID_STATS: return "invalid statistics";
    case PIXNORM_ERROR_CHANNEL_MISMATCH: return "channel mismatch";
    case PIXNORM_ERROR_TOO_LARGE: return "too large";
    case PIXNORM_ERROR_UNSUPPORTED: return "unsupported";
    case PIXNORM_ERROR_OUT_OF_MEMORY: return "out of memory";
  }
  return "unknown status";
}
