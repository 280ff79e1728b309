// Per-thread error message behind pixnorm_last_error().
#ifndef PIXNORM_ERROR_H
#define PIXNORM_ERROR_H

#include "pixnorm/pixnorm.h"

namespace pixnorm {

// Formats the message (printf-style, truncated to 1 KiB), stores it for this thread and
// returns `status`, so that callers write `return fail(PIXNORM_ERROR_IO, "...", ...)`.
pixnorm_status fail(pixnorm_status status, const char* format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

// Clears the message; called on entry of API functions that can fail.
void clear_error();

}  // namespace pixnorm

#endif
