// One table of pixel formats and one of output types: everything the runtime knows about a
// format or a type is its row here (formats.cpp), so that a new one is a row plus its kernels.
#ifndef PIXNORM_FORMATS_H
#define PIXNORM_FORMATS_H

#include "pixnorm/pixnorm.h"

namespace pixnorm {

// One plane of a format: `bytes` per group of 1 << shift_x pixels of a row, one row per
// 1 << shift_y image rows; `stride` names its row_bytes in messages.
struct PlaneRow {
  const char* stride;
  unsigned bytes, shift_x, shift_y;
};

struct FormatRow {
  const char* name;   // public (pixnorm_format_name), as the command line spells it
  const char* label;  // in the runtime's messages, as the enumerator spells it
  unsigned bytes_per_pixel;
  unsigned planes;
  unsigned chroma_shift_x, chroma_shift_y;
  unsigned channels;
  pixnorm_channel_order order;
  bool yuv, alpha;
  PlaneRow plane[3];
};

struct DtypeRow {
  const char* name;
  const char* numpy_name;
  unsigned bytes;
  bool quantized;
  int min, max;
};

// The rows of valid values (format_known / dtype_known first, for integers from C callers).
bool format_known(int bits);
bool dtype_known(int bits);
const FormatRow& format_row(pixnorm_format f);
const DtypeRow& dtype_row(pixnorm_dtype t);

}  // namespace pixnorm

#endif
