// The internal code: a function is an array of 8-byte words. Each instruction is the address of
// its handler followed by its operands. Slot operands are byte offsets from the frame pointer;
// branch operands are word offsets relative to the instruction's first word.
//
// Each operation comes with its operand signature, one character per operand word:
//   i l f d r e   a slot the operation reads: i32, i64, f32, f64, funcref, externref
//   I L F D R E   a slot the operation writes, of that type
//   a             a slot the operation reads holding a reference of either type
//   v V           a v128 the operation reads / writes: two consecutive slots (16 bytes), the
//                 operand word the first one's offset
//   s S           a slot read / written whose type is the instruction's type word
//   t             the type word (a ValType): only in checked builds (kTypeWords), last
//   -             a word that is not a slot (immediate, index, count, branch offset)
// The signature is the one place the instruction's layout is written: its length is the number
// of operand words and its letters their kinds. The translator emits typed operands checked
// against it by static_assert (compile.cc, emit_instr), the handlers read operands through
// accessors checked against it by static_assert and step over op_length() words (interp.cc,
// Handler), and the numeric operations' operand and result types come from it. The variable
// parts (return values, call arguments and results, br_table targets) are not in the signature.
// Checked builds (WARDEN_WASM_CHECKED, docs/engine.md) also check every operand's value type
// against it before the handler runs.
#pragma once

#include <support/types.h>
#include <wasm/types.h>

#include "simd.h"

namespace wasm {

// Type words of the operations whose operand types are not fixed by the operation (Const, Copy,
// Select, globals, table elements): emitted only in checked builds.
constexpr u32 kTypeWords = WARDEN_WASM_CHECKED ? 1 : 0;

// clang-format off
#define WASM_NUMERIC_OPS(X) \
  X(I32Eqz, "Ii") X(I32Eq, "Iii") X(I32Ne, "Iii") X(I32LtS, "Iii") X(I32LtU, "Iii") \
  X(I32GtS, "Iii") X(I32GtU, "Iii") X(I32LeS, "Iii") X(I32LeU, "Iii") X(I32GeS, "Iii") \
  X(I32GeU, "Iii") X(I64Eqz, "Il") X(I64Eq, "Ill") X(I64Ne, "Ill") X(I64LtS, "Ill") \
  X(I64LtU, "Ill") X(I64GtS, "Ill") X(I64GtU, "Ill") X(I64LeS, "Ill") X(I64LeU, "Ill") \
  X(I64GeS, "Ill") X(I64GeU, "Ill") X(F32Eq, "Iff") X(F32Ne, "Iff") X(F32Lt, "Iff") \
  X(F32Gt, "Iff") X(F32Le, "Iff") X(F32Ge, "Iff") X(F64Eq, "Idd") X(F64Ne, "Idd") \
  X(F64Lt, "Idd") X(F64Gt, "Idd") X(F64Le, "Idd") X(F64Ge, "Idd") X(I32Clz, "Ii") \
  X(I32Ctz, "Ii") X(I32Popcnt, "Ii") X(I32Add, "Iii") X(I32Sub, "Iii") X(I32Mul, "Iii") \
  X(I32DivS, "Iii") X(I32DivU, "Iii") X(I32RemS, "Iii") X(I32RemU, "Iii") X(I32And, "Iii") \
  X(I32Or, "Iii") X(I32Xor, "Iii") X(I32Shl, "Iii") X(I32ShrS, "Iii") X(I32ShrU, "Iii") \
  X(I32Rotl, "Iii") X(I32Rotr, "Iii") X(I64Clz, "Ll") X(I64Ctz, "Ll") X(I64Popcnt, "Ll") \
  X(I64Add, "Lll") X(I64Sub, "Lll") X(I64Mul, "Lll") X(I64DivS, "Lll") X(I64DivU, "Lll") \
  X(I64RemS, "Lll") X(I64RemU, "Lll") X(I64And, "Lll") X(I64Or, "Lll") X(I64Xor, "Lll") \
  X(I64Shl, "Lll") X(I64ShrS, "Lll") X(I64ShrU, "Lll") X(I64Rotl, "Lll") X(I64Rotr, "Lll") \
  X(F32Abs, "Ff") X(F32Neg, "Ff") X(F32Ceil, "Ff") X(F32Floor, "Ff") X(F32Trunc, "Ff") \
  X(F32Nearest, "Ff") X(F32Sqrt, "Ff") X(F32Add, "Fff") X(F32Sub, "Fff") X(F32Mul, "Fff") \
  X(F32Div, "Fff") X(F32Min, "Fff") X(F32Max, "Fff") X(F32Copysign, "Fff") X(F64Abs, "Dd") \
  X(F64Neg, "Dd") X(F64Ceil, "Dd") X(F64Floor, "Dd") X(F64Trunc, "Dd") X(F64Nearest, "Dd") \
  X(F64Sqrt, "Dd") X(F64Add, "Ddd") X(F64Sub, "Ddd") X(F64Mul, "Ddd") X(F64Div, "Ddd") \
  X(F64Min, "Ddd") X(F64Max, "Ddd") X(F64Copysign, "Ddd") X(I32WrapI64, "Il") \
  X(I32TruncF32S, "If") X(I32TruncF32U, "If") X(I32TruncF64S, "Id") X(I32TruncF64U, "Id") \
  X(I64ExtendI32S, "Li") X(I64ExtendI32U, "Li") X(I64TruncF32S, "Lf") X(I64TruncF32U, "Lf") \
  X(I64TruncF64S, "Ld") X(I64TruncF64U, "Ld") X(F32ConvertI32S, "Fi") X(F32ConvertI32U, "Fi") \
  X(F32ConvertI64S, "Fl") X(F32ConvertI64U, "Fl") X(F32DemoteF64, "Fd") X(F64ConvertI32S, "Di") \
  X(F64ConvertI32U, "Di") X(F64ConvertI64S, "Dl") X(F64ConvertI64U, "Dl") X(F64PromoteF32, "Df") \
  X(I32ReinterpretF32, "If") X(I64ReinterpretF64, "Ld") X(F32ReinterpretI32, "Fi") \
  X(F64ReinterpretI64, "Dl") X(I32Extend8S, "Ii") X(I32Extend16S, "Ii") X(I64Extend8S, "Ll") \
  X(I64Extend16S, "Ll") X(I64Extend32S, "Ll") X(I32TruncSatF32S, "If") X(I32TruncSatF32U, "If") \
  X(I32TruncSatF64S, "Id") X(I32TruncSatF64U, "Id") X(I64TruncSatF32S, "Lf") \
  X(I64TruncSatF32U, "Lf") X(I64TruncSatF64S, "Ld") X(I64TruncSatF64U, "Ld")

#define WASM_MEMORY_OPS(X) \
  X(I32Load, "Ii-") X(I64Load, "Li-") X(F32Load, "Fi-") X(F64Load, "Di-") X(I32Load8S, "Ii-") \
  X(I32Load8U, "Ii-") X(I32Load16S, "Ii-") X(I32Load16U, "Ii-") X(I64Load8S, "Li-") \
  X(I64Load8U, "Li-") X(I64Load16S, "Li-") X(I64Load16U, "Li-") X(I64Load32S, "Li-") \
  X(I64Load32U, "Li-") X(I32Store, "ii-") X(I64Store, "il-") X(F32Store, "if-") \
  X(F64Store, "id-") X(I32Store8, "ii-") X(I32Store16, "ii-") X(I64Store8, "il-") \
  X(I64Store16, "il-") X(I64Store32, "il-")

// The loads and stores of a memory other than memory 0 with i32 addresses (the `Mem` family) and
// of a memory with i64 addresses (memory64, the `Mem64` family, any memory index), in the order
// of WASM_MEMORY_OPS: the value or result, the address, the offset, the memory index. Memory 0
// with i32 addresses keeps the operations above (its base and size are the handlers' cached
// arguments); these fetch the memory from the instance.
#define WASM_MEMORY_MEM_OPS(X) \
  X(I32LoadMem, "Ii--") X(I64LoadMem, "Li--") X(F32LoadMem, "Fi--") X(F64LoadMem, "Di--") \
  X(I32Load8SMem, "Ii--") X(I32Load8UMem, "Ii--") X(I32Load16SMem, "Ii--") \
  X(I32Load16UMem, "Ii--") X(I64Load8SMem, "Li--") X(I64Load8UMem, "Li--") \
  X(I64Load16SMem, "Li--") X(I64Load16UMem, "Li--") X(I64Load32SMem, "Li--") \
  X(I64Load32UMem, "Li--") X(I32StoreMem, "ii--") X(I64StoreMem, "il--") X(F32StoreMem, "if--") \
  X(F64StoreMem, "id--") X(I32Store8Mem, "ii--") X(I32Store16Mem, "ii--") X(I64Store8Mem, "il--") \
  X(I64Store16Mem, "il--") X(I64Store32Mem, "il--")

#define WASM_MEMORY_MEM64_OPS(X) \
  X(I32LoadMem64, "Il--") X(I64LoadMem64, "Ll--") X(F32LoadMem64, "Fl--") X(F64LoadMem64, "Dl--") \
  X(I32Load8SMem64, "Il--") X(I32Load8UMem64, "Il--") X(I32Load16SMem64, "Il--") \
  X(I32Load16UMem64, "Il--") X(I64Load8SMem64, "Ll--") X(I64Load8UMem64, "Ll--") \
  X(I64Load16SMem64, "Ll--") X(I64Load16UMem64, "Ll--") X(I64Load32SMem64, "Ll--") \
  X(I64Load32UMem64, "Ll--") X(I32StoreMem64, "li--") X(I64StoreMem64, "ll--") \
  X(F32StoreMem64, "lf--") X(F64StoreMem64, "ld--") X(I32Store8Mem64, "li--") \
  X(I32Store16Mem64, "li--") X(I64Store8Mem64, "ll--") X(I64Store16Mem64, "ll--") \
  X(I64Store32Mem64, "ll--")

// memory.size, memory.grow, memory.fill, memory.copy and memory.init of a memory other than
// memory 0 with i32 addresses (`Mem`, the memory index a word) and of a memory with i64
// addresses (`Mem64`): their address, size and delta operands are of the memory's address type;
// a copy between an i32 and an i64 memory takes its length as an i32 (the smaller type), and
// memory.init's segment offset and length are i32.
#define WASM_MEMORY_INDEX_OPS(X) \
  X(MemorySizeMem, "I-") X(MemorySizeMem64, "L-") X(MemoryGrowMem, "Ii-") \
  X(MemoryGrowMem64, "Ll-") X(MemoryFillMem, "-iii") X(MemoryFillMem64, "-lil") \
  X(MemoryCopyMem, "--iii") X(MemoryCopyMem64, "--lll") X(MemoryCopyMem32From64, "--ili") \
  X(MemoryCopyMem64From32, "--lii") X(MemoryInitMem, "--iii") X(MemoryInitMem64, "--lii")

// The table operations, call_indirect and return_call_indirect of a table with i64 indices
// (table64): the same operands as the i32 ones with the index, size, delta and length slots of
// type i64; a copy between an i32 and an i64 table takes its length as an i32, table.init its
// segment offset and length.
#define WASM_TABLE64_OPS(X) \
  X(TableGet64, "S-lt") X(TableSet64, "-lst") X(TableSize64, "L-") X(TableGrow64, "L-slt") \
  X(TableFill64, "-lslt") X(TableCopy64, "--lll") X(TableCopy32From64, "--ili") \
  X(TableCopy64From32, "--lii") X(TableInit64, "--lii") X(CallIndirect64, "--l-") \
  X(ReturnCallIndirect64, "--l-")

// Every operation on a memory other than memory 0 with i32 addresses, and on i64 tables.
#define WASM_MEMORY_INDEXED_OPS(X) \
  WASM_MEMORY_MEM_OPS(X) WASM_MEMORY_MEM64_OPS(X) WASM_MEMORY_INDEX_OPS(X) WASM_TABLE64_OPS(X)

#define WASM_CONTROL_OPS(X) \
  X(Unreachable, "") X(Br, "-") X(BrIfNez, "i-") X(BrIfEqz, "i-") X(BrTable, "i-") \
  X(Copy, "Sst") X(Const, "S-t") X(Fuel, "") X(Return, "--") X(Call, "--") \
  X(CallIndirect, "--i-") X(ReturnCall, "--") X(ReturnCallIndirect, "--i-") X(Select, "Sisst") X(GlobalGet, "S-t") X(GlobalSet, "-st") \
  X(MemorySize, "I") X(MemoryGrow, "Ii") X(MemoryFill, "iii") X(MemoryCopy, "iii") \
  X(MemoryInit, "-iii") X(DataDrop, "-") X(TableGet, "S-it") X(TableSet, "-ist") \
  X(TableSize, "I-") X(TableGrow, "I-sit") X(TableFill, "-isit") X(TableCopy, "--iii") \
  X(TableInit, "--iii") X(ElemDrop, "-") X(RefFunc, "R-") X(RefIsNull, "Ia") X(BrIfI32Eq, "ii-") \
  X(BrIfI32Ne, "ii-") X(BrIfI32LtS, "ii-") X(BrIfI32LtU, "ii-") X(BrIfI32GtS, "ii-") \
  X(BrIfI32GtU, "ii-") X(BrIfI32LeS, "ii-") X(BrIfI32LeU, "ii-") X(BrIfI32GeS, "ii-") \
  X(BrIfI32GeU, "ii-") X(BrIfI32EqImm, "i--") X(BrIfI32NeImm, "i--") X(BrIfI32LtSImm, "i--") \
  X(BrIfI32LtUImm, "i--") X(BrIfI32GtSImm, "i--") X(BrIfI32GtUImm, "i--") \
  X(BrIfI32LeSImm, "i--") X(BrIfI32LeUImm, "i--") X(BrIfI32GeSImm, "i--") \
  X(BrIfI32GeUImm, "i--") X(I32EqImm, "Ii-") X(I32NeImm, "Ii-") X(I32LtSImm, "Ii-") \
  X(I32LtUImm, "Ii-") X(I32GtSImm, "Ii-") X(I32GtUImm, "Ii-") X(I32LeSImm, "Ii-") \
  X(I32LeUImm, "Ii-") X(I32GeSImm, "Ii-") X(I32GeUImm, "Ii-") X(I32AddImm, "Ii-") \
  X(I32SubImm, "Ii-") X(I32MulImm, "Ii-") X(I32AndImm, "Ii-") X(I32OrImm, "Ii-") \
  X(I32XorImm, "Ii-") X(I32ShlImm, "Ii-") X(I32ShrSImm, "Ii-") X(I32ShrUImm, "Ii-") \
  X(I64AddImm, "Ll-") X(I64SubImm, "Ll-") X(I64MulImm, "Ll-") X(I64AndImm, "Ll-") \
  X(I64OrImm, "Ll-") X(I64XorImm, "Ll-") X(I64ShlImm, "Ll-") X(I64ShrSImm, "Ll-") \
  X(I64ShrUImm, "Ll-")

// The SIMD operations with immediates or of their own (the lane-wise ones come from
// WASM_SIMD_LANE_OPS in simd.h, after these). Loads and stores: the address, the offset word (and
// the lane word); a v128 is two slots.
#define WASM_SIMD_OPS(X) \
  X(V128Copy, "Vv") X(V128Const, "V--") X(V128Select, "Vivv") X(V128GlobalGet, "V-") \
  X(V128GlobalSet, "-v") X(V128Load, "Vi-") X(V128Load8x8S, "Vi-") X(V128Load8x8U, "Vi-") \
  X(V128Load16x4S, "Vi-") X(V128Load16x4U, "Vi-") X(V128Load32x2S, "Vi-") \
  X(V128Load32x2U, "Vi-") X(V128Load8Splat, "Vi-") X(V128Load16Splat, "Vi-") \
  X(V128Load32Splat, "Vi-") X(V128Load64Splat, "Vi-") X(V128Load32Zero, "Vi-") \
  X(V128Load64Zero, "Vi-") X(V128Store, "iv-") X(V128Load8Lane, "Viv--") \
  X(V128Load16Lane, "Viv--") X(V128Load32Lane, "Viv--") X(V128Load64Lane, "Viv--") \
  X(V128Store8Lane, "iv--") X(V128Store16Lane, "iv--") X(V128Store32Lane, "iv--") \
  X(V128Store64Lane, "iv--") X(I8x16Shuffle, "Vvv--") X(I8x16ExtractLaneS, "Iv-") \
  X(I8x16ExtractLaneU, "Iv-") X(I16x8ExtractLaneS, "Iv-") X(I16x8ExtractLaneU, "Iv-") \
  X(I32x4ExtractLane, "Iv-") X(I64x2ExtractLane, "Lv-") X(F32x4ExtractLane, "Fv-") \
  X(F64x2ExtractLane, "Dv-") X(I8x16ReplaceLane, "Vvi-") X(I16x8ReplaceLane, "Vvi-") \
  X(I32x4ReplaceLane, "Vvi-") X(I64x2ReplaceLane, "Vvl-") X(F32x4ReplaceLane, "Vvf-") \
  X(F64x2ReplaceLane, "Vvd-") X(I32x4ExtendLowI8x16U, "Vv") X(I32x4ExtendLowI8x16S, "Vv") \
  WASM_SIMD_MEMORY_INDEXED_OPS(X)

// The SIMD loads and stores of a memory other than memory 0 with i32 addresses (`Mem`) and of a
// memory with i64 addresses (`Mem64`), in the order of those of WASM_SIMD_OPS (V128Load to
// V128Store64Lane), as the scalar WASM_MEMORY_MEM_OPS: the same operands, the memory index last.
#define WASM_SIMD_MEMORY_INDEXED_OPS(X) \
  X(V128LoadMem, "Vi--") X(V128Load8x8SMem, "Vi--") X(V128Load8x8UMem, "Vi--") \
  X(V128Load16x4SMem, "Vi--") X(V128Load16x4UMem, "Vi--") X(V128Load32x2SMem, "Vi--") \
  X(V128Load32x2UMem, "Vi--") X(V128Load8SplatMem, "Vi--") X(V128Load16SplatMem, "Vi--") \
  X(V128Load32SplatMem, "Vi--") X(V128Load64SplatMem, "Vi--") X(V128Load32ZeroMem, "Vi--") \
  X(V128Load64ZeroMem, "Vi--") X(V128StoreMem, "iv--") X(V128Load8LaneMem, "Viv---") \
  X(V128Load16LaneMem, "Viv---") X(V128Load32LaneMem, "Viv---") X(V128Load64LaneMem, "Viv---") \
  X(V128Store8LaneMem, "iv---") X(V128Store16LaneMem, "iv---") X(V128Store32LaneMem, "iv---") \
  X(V128Store64LaneMem, "iv---") X(V128LoadMem64, "Vl--") X(V128Load8x8SMem64, "Vl--") \
  X(V128Load8x8UMem64, "Vl--") X(V128Load16x4SMem64, "Vl--") X(V128Load16x4UMem64, "Vl--") \
  X(V128Load32x2SMem64, "Vl--") X(V128Load32x2UMem64, "Vl--") X(V128Load8SplatMem64, "Vl--") \
  X(V128Load16SplatMem64, "Vl--") X(V128Load32SplatMem64, "Vl--") \
  X(V128Load64SplatMem64, "Vl--") X(V128Load32ZeroMem64, "Vl--") X(V128Load64ZeroMem64, "Vl--") \
  X(V128StoreMem64, "lv--") X(V128Load8LaneMem64, "Vlv---") X(V128Load16LaneMem64, "Vlv---") \
  X(V128Load32LaneMem64, "Vlv---") X(V128Load64LaneMem64, "Vlv---") \
  X(V128Store8LaneMem64, "lv---") X(V128Store16LaneMem64, "lv---") \
  X(V128Store32LaneMem64, "lv---") X(V128Store64LaneMem64, "lv---")
// clang-format on

// The signature of a lane-wise operation (WASM_SIMD_LANE_OPS) by its shape; the handler calls
// simd::Name with the operands as these types: V128 for v, u32 for i (and the i32 result of a
// Test), u64 for l, and for f and d their bits (u32, u64).
#define WASM_SIMD_SIGNATURE_Unop "Vv"
#define WASM_SIMD_SIGNATURE_Binop "Vvv"
#define WASM_SIMD_SIGNATURE_Ternop "Vvvv"
#define WASM_SIMD_SIGNATURE_Test "Iv"
#define WASM_SIMD_SIGNATURE_Shift "Vvi"
#define WASM_SIMD_SIGNATURE_SplatI32 "Vi"
#define WASM_SIMD_SIGNATURE_SplatI64 "Vl"
#define WASM_SIMD_SIGNATURE_SplatF32 "Vf"
#define WASM_SIMD_SIGNATURE_SplatF64 "Vd"

// The operations: the lists above, then one per entry of WASM_SIMD_LANE_OPS (simd.h).
enum class Op : u16 {
#define WASM_OP_ENUM(name, signature) name,
#define WASM_LANE_OP_ENUM(name, code, shape) name,
  WASM_CONTROL_OPS(WASM_OP_ENUM) WASM_MEMORY_OPS(WASM_OP_ENUM) WASM_MEMORY_INDEXED_OPS(WASM_OP_ENUM)
      WASM_NUMERIC_OPS(WASM_OP_ENUM) WASM_SIMD_OPS(WASM_OP_ENUM)
          WASM_SIMD_LANE_OPS(WASM_LANE_OP_ENUM)
#undef WASM_OP_ENUM
#undef WASM_LANE_OP_ENUM
              Count
};

constexpr u32 op_index(Op op) { return static_cast<u32>(op); }
// Whether `op` is one of first..last, in the order above.
constexpr bool op_in(Op op, Op first, Op last) { return op >= first && op <= last; }

// ---- operand layouts

// The signatures, for constant expressions.
inline constexpr const char* kOpSignatures[] = {
#define WASM_OP_SIGNATURE(name, signature) signature,
#define WASM_LANE_OP_SIGNATURE(name, code, shape) WASM_SIMD_SIGNATURE_##shape,
    WASM_CONTROL_OPS(WASM_OP_SIGNATURE) WASM_MEMORY_OPS(WASM_OP_SIGNATURE)
        WASM_MEMORY_INDEXED_OPS(WASM_OP_SIGNATURE) WASM_NUMERIC_OPS(WASM_OP_SIGNATURE)
            WASM_SIMD_OPS(WASM_OP_SIGNATURE) WASM_SIMD_LANE_OPS(WASM_LANE_OP_SIGNATURE)
#undef WASM_OP_SIGNATURE
#undef WASM_LANE_OP_SIGNATURE
};
static_assert(sizeof(kOpSignatures) / sizeof(kOpSignatures[0]) == op_index(Op::Count));

constexpr const char* signature_of(Op op) { return kOpSignatures[op_index(op)]; }

// The operand words of the signature (the type word included).
constexpr u32 operand_count(Op op) {
  u32 n = 0;
  while (signature_of(op)[n] != 0) ++n;
  return n;
}

// What an operand word is, by its signature letter.
enum class Operand : u8 {
  Written,  // a slot the operation writes (I L F D R E V S)
  Read,     // a slot it reads (i l f d r e a v s)
  Word,     // not a slot: an immediate, an index, a count, a branch offset (-)
  Type,     // the type word (t), in checked builds only
  None,     // past the signature, or not a signature letter
};
constexpr Operand operand_kind(char c) {
  switch (c) {
    case 'I':
    case 'L':
    case 'F':
    case 'D':
    case 'R':
    case 'E':
    case 'V':
    case 'S': return Operand::Written;
    case 'i':
    case 'l':
    case 'f':
    case 'd':
    case 'r':
    case 'e':
    case 'a':
    case 'v':
    case 's': return Operand::Read;
    case '-': return Operand::Word;
    case 't': return Operand::Type;
    default: return Operand::None;
  }
}
// Operand word `i` of an instruction of `op` (1 is the word after the operation's).
constexpr Operand operand(Op op, u32 i) {
  return i >= 1 && i <= operand_count(op) ? operand_kind(signature_of(op)[i - 1]) : Operand::None;
}
constexpr bool has_type_word(Op op) {
  return operand_count(op) != 0 && operand(op, operand_count(op)) == Operand::Type;
}
// The words of an instruction of `op` up to its variable part: the operation's word and its
// operands, the type word only in checked builds.
constexpr u32 op_length(Op op) {
  return 1 + operand_count(op) - (has_type_word(op) && kTypeWords == 0 ? 1 : 0);
}

// Every letter is one of the above; a type word comes last, and exactly where a slot takes its
// type from it (s, S).
constexpr bool signatures_well_formed() {
  for (u32 k = 0; k < op_index(Op::Count); ++k) {
    Op op = static_cast<Op>(k);
    bool typed_slot = false;
    for (u32 i = 1; i <= operand_count(op); ++i) {
      char c = signature_of(op)[i - 1];
      if (operand(op, i) == Operand::None) return false;
      if (operand(op, i) == Operand::Type && i != operand_count(op)) return false;
      typed_slot = typed_slot || c == 's' || c == 'S';
    }
    if (typed_slot != has_type_word(op)) return false;
  }
  return true;
}
static_assert(signatures_well_formed());

// The i32 comparisons, in the order of every family with one operation per comparison: the
// plain ones (I32Eq..I32GeU), with an immediate (I32EqImm..I32GeUImm), compare-and-branch
// (BrIfI32Eq..BrIfI32GeU) and compare-and-branch with an immediate (BrIfI32EqImm..). The
// translator moves a comparison from one family to another by its offset (compare_in), which
// the static_asserts below check comparison by comparison.
#define WASM_I32_COMPARISONS(X) X(Eq) X(Ne) X(LtS) X(LtU) X(GtS) X(GtU) X(LeS) X(LeU) X(GeS) X(GeU)

// Comparison `op` of the family that starts with `from`, as the same comparison of the family
// that starts with `to`.
constexpr Op compare_in(Op op, Op from, Op to) {
  return static_cast<Op>(op_index(to) + (op_index(op) - op_index(from)));
}
#define WASM_CHECK_COMPARISON(cmp)                                                                \
  static_assert(compare_in(Op::I32##cmp, Op::I32Eq, Op::I32EqImm) == Op::I32##cmp##Imm &&         \
                compare_in(Op::I32##cmp, Op::I32Eq, Op::BrIfI32Eq) == Op::BrIfI32##cmp &&         \
                compare_in(Op::I32##cmp, Op::I32Eq, Op::BrIfI32EqImm) == Op::BrIfI32##cmp##Imm && \
                compare_in(Op::I32##cmp##Imm, Op::I32EqImm, Op::I32Eq) == Op::I32##cmp);
WASM_I32_COMPARISONS(WASM_CHECK_COMPARISON)
#undef WASM_CHECK_COMPARISON
#define WASM_COUNT_COMPARISON(cmp) +1
static_assert(op_index(Op::I32GeU) - op_index(Op::I32Eq) + 1 ==
              0 WASM_I32_COMPARISONS(WASM_COUNT_COMPARISON));
#undef WASM_COUNT_COMPARISON

// The word that starts an instruction of kind `op` (its handler's address).
u64 op_word(Op op);
// The operation a word names (for disassembly and tests); Op::Count if none.
Op word_op(u64 word);
// The operation's name ("I32Add") and operand signature ("Iii"); "?" and "" for Op::Count.
const char* op_name(Op op);
constexpr const char* op_signature(Op op) { return op < Op::Count ? signature_of(op) : ""; }

#if WARDEN_WASM_CHECKED
// Reports a type confusion found by a checked build and ends the process (the hosted definition
// is checked_hosted.cc; checked builds are for tests and fuzzing on the host).
[[noreturn]] void checked_failed(const char* message);
#endif

}  // namespace wasm
