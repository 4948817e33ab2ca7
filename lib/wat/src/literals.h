// Literal readers shared by the module encoder and the script reader.
#pragma once

#include <wat/lexer.h>

namespace wat {

// Reads `shape lane*` after `v128.const` into 16 little-endian bytes. `shape` (optional) gets
// 0..5 for i8x16, i16x8, i32x4, i64x2, f32x4, f64x2. With `lane_nan` (4 entries, optional)
// float lanes may be `nan:canonical` (1) or `nan:arithmetic` (2), as script results use them.
ParseResult<void> read_v128(Lexer& lexer, u8 (&bytes)[16], u8* shape, u8* lane_nan);

}  // namespace wat
