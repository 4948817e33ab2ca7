// The instruction table of the text format (WebAssembly 2.0 including SIMD).
#pragma once

#include <support/string_view.h>
#include <support/types.h>

namespace wat {

enum class Imm : u8 {
  None,
  Block,
  Loop,
  If,
  Else,
  End,
  Label,
  BrTable,
  Call,
  CallIndirect,
  Local,
  Global,
  Table,
  TableInit,
  TableCopy,
  Elem,
  MemZero,
  MemoryInit,
  MemoryCopy,
  Data,
  MemArg,
  MemArgLane,
  I32,
  I64,
  F32,
  F64,
  V128,
  Lane,
  Shuffle,
  Select,
  RefNull,
  RefFunc,
  Tag,       // 3.0: throw
  TryTable,  // 3.0: try_table
};

struct Opcode {
  const char* name;
  u8 prefix;  // 0, 0xfc or 0xfd
  u16 code;   // the opcode (LEB128 u32 after a prefix)
  Imm imm;
  u8 align;  // natural alignment (log2) of memory accesses
};

// The instruction named `name`, or nullptr.
const Opcode* find_opcode(support::StringView name);

}  // namespace wat
