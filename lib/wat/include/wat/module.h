// The text-format module encoder: WebAssembly text in, WebAssembly binary out.
//
// The result is the exact byte image a .wasm file of the module would hold, so the engine
// decodes and validates text modules on the same path as binaries. The encoder resolves names
// and abbreviations (the text format's own well-formedness) but does not validate: a module that
// is syntactically fine but ill-typed encodes, and the engine's validator rejects it.
//
// Covers the WebAssembly 2.0 text format (SIMD included) and, of 3.0, tail calls, memory64,
// multiple memories, relaxed SIMD and exception handling; docs/text-format.md says what is not
// read yet (typed references and GC).
//
// Freestanding: no libc, allocation through `new (std::nothrow)` (NoMemory on failure), and no
// recursion that grows with the input's nesting (explicit stacks).
#pragma once

#include <support/result.h>
#include <support/string_view.h>
#include <support/vector.h>
#include <wat/error.h>
#include <wat/lexer.h>

namespace wat {

// What the text may say beyond 2.0 where 3.0 changed the meaning of 2.0 text: by default 3.0.
struct Features {
  // 3.0 (memory64): the limits of every memory and table, every memarg offset and alignment are
  // u64 numbers, written as u64 LEB128 numbers; whether they fit an i32 memory or table is for
  // validation ("memory size", "table size", "offset out of range"). Off (2.0): for i32 memories
  // and tables they are u32 numbers, a larger one is malformed text (BadInteger).
  bool memory64 = true;

  // The WebAssembly 2.0 text format.
  static constexpr Features wasm_2_0() {
    Features f;
    f.memory64 = false;
    return f;
  }
};

// Encodes one module. `text` is `(module $id? field*)`, `(module $id? binary "..."*)`,
// `(module $id? quote "..."*)` or just `field*` (an inline module). Errors carry the line and
// column in `text` (for quote, in the quoted text).
ParseResult<support::Vector<u8>> encode_module(StringView text,
                                               const Features& features = Features());

// Encodes the fields of a module from `lexer` up to (not including) the `)` that closes it or
// the end of input. The lexer is left at that token. For the script reader.
ParseResult<support::Vector<u8>> encode_module_fields(Lexer& lexer,
                                                      const Features& features = Features());

}  // namespace wat
