// The WebAssembly binary opcodes (2.0, and 3.0's tail calls), by name: what a function body's
// bytes say (code.h has the engine's internal operations, which the translator turns them into).
// Names follow the specification's instructions (`i32.add` is I32Add); the numeric and memory
// instructions have the names of the internal operations that implement them, which lets compile.cc
// check its opcode-to-operation arithmetic name by name.
#pragma once

#include <support/types.h>

namespace wasm {

// clang-format off
#define WASM_CONTROL_OPCODES(X) \
  X(Unreachable, 0x00) X(Nop, 0x01) X(Block, 0x02) X(Loop, 0x03) X(If, 0x04) X(Else, 0x05) \
  X(End, 0x0b) X(Br, 0x0c) X(BrIf, 0x0d) X(BrTable, 0x0e) X(Return, 0x0f) X(Call, 0x10) \
  X(CallIndirect, 0x11) X(ReturnCall, 0x12) X(ReturnCallIndirect, 0x13)

// Parametric and variable instructions, table.get and table.set.
#define WASM_VARIABLE_OPCODES(X) \
  X(Drop, 0x1a) X(Select, 0x1b) X(SelectTyped, 0x1c) X(LocalGet, 0x20) X(LocalSet, 0x21) \
  X(LocalTee, 0x22) X(GlobalGet, 0x23) X(GlobalSet, 0x24) X(TableGet, 0x25) X(TableSet, 0x26)

#define WASM_LOAD_STORE_OPCODES(X) \
  X(I32Load, 0x28) X(I64Load, 0x29) X(F32Load, 0x2a) X(F64Load, 0x2b) X(I32Load8S, 0x2c) \
  X(I32Load8U, 0x2d) X(I32Load16S, 0x2e) X(I32Load16U, 0x2f) X(I64Load8S, 0x30) \
  X(I64Load8U, 0x31) X(I64Load16S, 0x32) X(I64Load16U, 0x33) X(I64Load32S, 0x34) \
  X(I64Load32U, 0x35) X(I32Store, 0x36) X(I64Store, 0x37) X(F32Store, 0x38) X(F64Store, 0x39) \
  X(I32Store8, 0x3a) X(I32Store16, 0x3b) X(I64Store8, 0x3c) X(I64Store16, 0x3d) \
  X(I64Store32, 0x3e)

#define WASM_MEMORY_SIZE_OPCODES(X) X(MemorySize, 0x3f) X(MemoryGrow, 0x40)

#define WASM_CONST_OPCODES(X) X(I32Const, 0x41) X(I64Const, 0x42) X(F32Const, 0x43) X(F64Const, 0x44)

#define WASM_NUMERIC_OPCODES(X) \
  X(I32Eqz, 0x45) X(I32Eq, 0x46) X(I32Ne, 0x47) X(I32LtS, 0x48) X(I32LtU, 0x49) X(I32GtS, 0x4a) \
  X(I32GtU, 0x4b) X(I32LeS, 0x4c) X(I32LeU, 0x4d) X(I32GeS, 0x4e) X(I32GeU, 0x4f) X(I64Eqz, 0x50) \
  X(I64Eq, 0x51) X(I64Ne, 0x52) X(I64LtS, 0x53) X(I64LtU, 0x54) X(I64GtS, 0x55) X(I64GtU, 0x56) \
  X(I64LeS, 0x57) X(I64LeU, 0x58) X(I64GeS, 0x59) X(I64GeU, 0x5a) X(F32Eq, 0x5b) X(F32Ne, 0x5c) \
  X(F32Lt, 0x5d) X(F32Gt, 0x5e) X(F32Le, 0x5f) X(F32Ge, 0x60) X(F64Eq, 0x61) X(F64Ne, 0x62) \
  X(F64Lt, 0x63) X(F64Gt, 0x64) X(F64Le, 0x65) X(F64Ge, 0x66) X(I32Clz, 0x67) X(I32Ctz, 0x68) \
  X(I32Popcnt, 0x69) X(I32Add, 0x6a) X(I32Sub, 0x6b) X(I32Mul, 0x6c) X(I32DivS, 0x6d) \
  X(I32DivU, 0x6e) X(I32RemS, 0x6f) X(I32RemU, 0x70) X(I32And, 0x71) X(I32Or, 0x72) \
  X(I32Xor, 0x73) X(I32Shl, 0x74) X(I32ShrS, 0x75) X(I32ShrU, 0x76) X(I32Rotl, 0x77) \
  X(I32Rotr, 0x78) X(I64Clz, 0x79) X(I64Ctz, 0x7a) X(I64Popcnt, 0x7b) X(I64Add, 0x7c) \
  X(I64Sub, 0x7d) X(I64Mul, 0x7e) X(I64DivS, 0x7f) X(I64DivU, 0x80) X(I64RemS, 0x81) \
  X(I64RemU, 0x82) X(I64And, 0x83) X(I64Or, 0x84) X(I64Xor, 0x85) X(I64Shl, 0x86) \
  X(I64ShrS, 0x87) X(I64ShrU, 0x88) X(I64Rotl, 0x89) X(I64Rotr, 0x8a) X(F32Abs, 0x8b) \
  X(F32Neg, 0x8c) X(F32Ceil, 0x8d) X(F32Floor, 0x8e) X(F32Trunc, 0x8f) X(F32Nearest, 0x90) \
  X(F32Sqrt, 0x91) X(F32Add, 0x92) X(F32Sub, 0x93) X(F32Mul, 0x94) X(F32Div, 0x95) \
  X(F32Min, 0x96) X(F32Max, 0x97) X(F32Copysign, 0x98) X(F64Abs, 0x99) X(F64Neg, 0x9a) \
  X(F64Ceil, 0x9b) X(F64Floor, 0x9c) X(F64Trunc, 0x9d) X(F64Nearest, 0x9e) X(F64Sqrt, 0x9f) \
  X(F64Add, 0xa0) X(F64Sub, 0xa1) X(F64Mul, 0xa2) X(F64Div, 0xa3) X(F64Min, 0xa4) X(F64Max, 0xa5) \
  X(F64Copysign, 0xa6) X(I32WrapI64, 0xa7) X(I32TruncF32S, 0xa8) X(I32TruncF32U, 0xa9) \
  X(I32TruncF64S, 0xaa) X(I32TruncF64U, 0xab) X(I64ExtendI32S, 0xac) X(I64ExtendI32U, 0xad) \
  X(I64TruncF32S, 0xae) X(I64TruncF32U, 0xaf) X(I64TruncF64S, 0xb0) X(I64TruncF64U, 0xb1) \
  X(F32ConvertI32S, 0xb2) X(F32ConvertI32U, 0xb3) X(F32ConvertI64S, 0xb4) X(F32ConvertI64U, 0xb5) \
  X(F32DemoteF64, 0xb6) X(F64ConvertI32S, 0xb7) X(F64ConvertI32U, 0xb8) X(F64ConvertI64S, 0xb9) \
  X(F64ConvertI64U, 0xba) X(F64PromoteF32, 0xbb) X(I32ReinterpretF32, 0xbc) \
  X(I64ReinterpretF64, 0xbd) X(F32ReinterpretI32, 0xbe) X(F64ReinterpretI64, 0xbf) \
  X(I32Extend8S, 0xc0) X(I32Extend16S, 0xc1) X(I64Extend8S, 0xc2) X(I64Extend16S, 0xc3) \
  X(I64Extend32S, 0xc4)

// Reference instructions and the two prefixes: 0xfc for the opcodes below, 0xfd for SIMD.
#define WASM_REFERENCE_OPCODES(X) \
  X(RefNull, 0xd0) X(RefIsNull, 0xd1) X(RefFunc, 0xd2) X(PrefixFc, 0xfc) X(PrefixSimd, 0xfd)

// After the 0xfc prefix, as a LEB128 u32.
#define WASM_TRUNC_SAT_OPCODES(X) \
  X(I32TruncSatF32S, 0) X(I32TruncSatF32U, 1) X(I32TruncSatF64S, 2) X(I32TruncSatF64U, 3) \
  X(I64TruncSatF32S, 4) X(I64TruncSatF32U, 5) X(I64TruncSatF64S, 6) X(I64TruncSatF64U, 7)

#define WASM_BULK_OPCODES(X) \
  X(MemoryInit, 8) X(DataDrop, 9) X(MemoryCopy, 10) X(MemoryFill, 11) X(TableInit, 12) \
  X(ElemDrop, 13) X(TableCopy, 14) X(TableGrow, 15) X(TableSize, 16) X(TableFill, 17)

// After the 0xfd prefix, as a LEB128 u32: the SIMD instructions with immediates (memory
// arguments, lanes, constants). The lane-wise ones are in WASM_SIMD_LANE_OPS (simd.h).
#define WASM_SIMD_OPCODES(X) \
  X(V128Load, 0x00) X(V128Load8x8S, 0x01) X(V128Load8x8U, 0x02) X(V128Load16x4S, 0x03) \
  X(V128Load16x4U, 0x04) X(V128Load32x2S, 0x05) X(V128Load32x2U, 0x06) X(V128Load8Splat, 0x07) \
  X(V128Load16Splat, 0x08) X(V128Load32Splat, 0x09) X(V128Load64Splat, 0x0a) \
  X(V128Store, 0x0b) X(V128Const, 0x0c) X(I8x16Shuffle, 0x0d) X(I8x16ExtractLaneS, 0x15) \
  X(I8x16ExtractLaneU, 0x16) X(I8x16ReplaceLane, 0x17) X(I16x8ExtractLaneS, 0x18) \
  X(I16x8ExtractLaneU, 0x19) X(I16x8ReplaceLane, 0x1a) X(I32x4ExtractLane, 0x1b) \
  X(I32x4ReplaceLane, 0x1c) X(I64x2ExtractLane, 0x1d) X(I64x2ReplaceLane, 0x1e) \
  X(F32x4ExtractLane, 0x1f) X(F32x4ReplaceLane, 0x20) X(F64x2ExtractLane, 0x21) \
  X(F64x2ReplaceLane, 0x22) X(V128Load8Lane, 0x54) X(V128Load16Lane, 0x55) \
  X(V128Load32Lane, 0x56) X(V128Load64Lane, 0x57) X(V128Store8Lane, 0x58) \
  X(V128Store16Lane, 0x59) X(V128Store32Lane, 0x5a) X(V128Store64Lane, 0x5b) \
  X(V128Load32Zero, 0x5c) X(V128Load64Zero, 0x5d)

#define WASM_OPCODES(X) \
  WASM_CONTROL_OPCODES(X) WASM_VARIABLE_OPCODES(X) WASM_LOAD_STORE_OPCODES(X) \
  WASM_MEMORY_SIZE_OPCODES(X) WASM_CONST_OPCODES(X) WASM_NUMERIC_OPCODES(X) WASM_REFERENCE_OPCODES(X)
// clang-format on

enum class Opcode : u8 {
#define WASM_OPCODE_ENUM(name, byte) name = byte,
  WASM_OPCODES(WASM_OPCODE_ENUM)
#undef WASM_OPCODE_ENUM
};

enum class PrefixedOpcode : u32 {
#define WASM_OPCODE_ENUM(name, code) name = code,
  WASM_TRUNC_SAT_OPCODES(WASM_OPCODE_ENUM) WASM_BULK_OPCODES(WASM_OPCODE_ENUM)
#undef WASM_OPCODE_ENUM
};

enum class SimdOpcode : u32 {
#define WASM_OPCODE_ENUM(name, code) name = code,
  WASM_SIMD_OPCODES(WASM_OPCODE_ENUM)
#undef WASM_OPCODE_ENUM
};

// Whether `byte` starts an instruction the engine reads (0xfd, SIMD, included): a byte that
// does not is malformed, one that does may still be invalid where it stands.
constexpr bool is_opcode(u8 byte) {
  switch (static_cast<Opcode>(byte)) {
#define WASM_OPCODE_CASE(name, code) case Opcode::name:
    WASM_OPCODES(WASM_OPCODE_CASE)
#undef WASM_OPCODE_CASE
    return true;
  }
  return false;
}

}  // namespace wasm
