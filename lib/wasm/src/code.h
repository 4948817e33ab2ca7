// The internal code: a function is an array of 8-byte words. Each instruction is the address of
// its handler followed by its operands. Slot operands are byte offsets from the frame pointer;
// branch operands are word offsets relative to the instruction's first word.
#pragma once

#include <support/types.h>

namespace wasm {

// clang-format off
#define WASM_NUMERIC_OPS(X) \
  X(I32Eqz) X(I32Eq) X(I32Ne) X(I32LtS) X(I32LtU) X(I32GtS) X(I32GtU) X(I32LeS) X(I32LeU) \
  X(I32GeS) X(I32GeU) X(I64Eqz) X(I64Eq) X(I64Ne) X(I64LtS) X(I64LtU) X(I64GtS) X(I64GtU) \
  X(I64LeS) X(I64LeU) X(I64GeS) X(I64GeU) X(F32Eq) X(F32Ne) X(F32Lt) X(F32Gt) X(F32Le) X(F32Ge) \
  X(F64Eq) X(F64Ne) X(F64Lt) X(F64Gt) X(F64Le) X(F64Ge) X(I32Clz) X(I32Ctz) X(I32Popcnt) \
  X(I32Add) X(I32Sub) X(I32Mul) X(I32DivS) X(I32DivU) X(I32RemS) X(I32RemU) X(I32And) X(I32Or) \
  X(I32Xor) X(I32Shl) X(I32ShrS) X(I32ShrU) X(I32Rotl) X(I32Rotr) X(I64Clz) X(I64Ctz) \
  X(I64Popcnt) X(I64Add) X(I64Sub) X(I64Mul) X(I64DivS) X(I64DivU) X(I64RemS) X(I64RemU) \
  X(I64And) X(I64Or) X(I64Xor) X(I64Shl) X(I64ShrS) X(I64ShrU) X(I64Rotl) X(I64Rotr) X(F32Abs) \
  X(F32Neg) X(F32Ceil) X(F32Floor) X(F32Trunc) X(F32Nearest) X(F32Sqrt) X(F32Add) X(F32Sub) \
  X(F32Mul) X(F32Div) X(F32Min) X(F32Max) X(F32Copysign) X(F64Abs) X(F64Neg) X(F64Ceil) \
  X(F64Floor) X(F64Trunc) X(F64Nearest) X(F64Sqrt) X(F64Add) X(F64Sub) X(F64Mul) X(F64Div) \
  X(F64Min) X(F64Max) X(F64Copysign) X(I32WrapI64) X(I32TruncF32S) X(I32TruncF32U) \
  X(I32TruncF64S) X(I32TruncF64U) X(I64ExtendI32S) X(I64ExtendI32U) X(I64TruncF32S) \
  X(I64TruncF32U) X(I64TruncF64S) X(I64TruncF64U) X(F32ConvertI32S) X(F32ConvertI32U) \
  X(F32ConvertI64S) X(F32ConvertI64U) X(F32DemoteF64) X(F64ConvertI32S) X(F64ConvertI32U) \
  X(F64ConvertI64S) X(F64ConvertI64U) X(F64PromoteF32) X(I32ReinterpretF32) \
  X(I64ReinterpretF64) X(F32ReinterpretI32) X(F64ReinterpretI64) X(I32Extend8S) X(I32Extend16S) \
  X(I64Extend8S) X(I64Extend16S) X(I64Extend32S) X(I32TruncSatF32S) X(I32TruncSatF32U) \
  X(I32TruncSatF64S) X(I32TruncSatF64U) X(I64TruncSatF32S) X(I64TruncSatF32U) \
  X(I64TruncSatF64S) X(I64TruncSatF64U)

#define WASM_MEMORY_OPS(X) \
  X(I32Load) X(I64Load) X(F32Load) X(F64Load) X(I32Load8S) X(I32Load8U) X(I32Load16S) \
  X(I32Load16U) X(I64Load8S) X(I64Load8U) X(I64Load16S) X(I64Load16U) X(I64Load32S) \
  X(I64Load32U) X(I32Store) X(I64Store) X(F32Store) X(F64Store) X(I32Store8) X(I32Store16) \
  X(I64Store8) X(I64Store16) X(I64Store32)

#define WASM_CONTROL_OPS(X) \
  X(Unreachable) X(Br) X(BrIfNez) X(BrIfEqz) X(BrTable) X(Copy) X(Const) X(Fuel) X(Return) \
  X(Call) X(CallIndirect) X(Select) X(GlobalGet) X(GlobalSet) X(MemorySize) X(MemoryGrow) \
  X(MemoryFill) X(MemoryCopy) X(MemoryInit) X(DataDrop) X(TableGet) X(TableSet) X(TableSize) \
  X(TableGrow) X(TableFill) X(TableCopy) X(TableInit) X(ElemDrop) X(RefFunc) X(RefIsNull) \
  X(BrIfI32Eq) X(BrIfI32Ne) X(BrIfI32LtS) X(BrIfI32LtU) X(BrIfI32GtS) X(BrIfI32GtU) \
  X(BrIfI32LeS) X(BrIfI32LeU) X(BrIfI32GeS) X(BrIfI32GeU) X(BrIfI32EqImm) X(BrIfI32NeImm) \
  X(BrIfI32LtSImm) X(BrIfI32LtUImm) X(BrIfI32GtSImm) X(BrIfI32GtUImm) X(BrIfI32LeSImm) \
  X(BrIfI32LeUImm) X(BrIfI32GeSImm) X(BrIfI32GeUImm) X(I32EqImm) X(I32NeImm) X(I32LtSImm) \
  X(I32LtUImm) X(I32GtSImm) X(I32GtUImm) X(I32LeSImm) X(I32LeUImm) X(I32GeSImm) X(I32GeUImm) \
  X(I32AddImm) X(I32SubImm) X(I32MulImm) X(I32AndImm) X(I32OrImm) X(I32XorImm) X(I32ShlImm) \
  X(I32ShrSImm) X(I32ShrUImm) X(I64AddImm) X(I64SubImm) X(I64MulImm) X(I64AndImm) X(I64OrImm) \
  X(I64XorImm) X(I64ShlImm) X(I64ShrSImm) X(I64ShrUImm)
// clang-format on

enum class Op : u16 {
#define WASM_OP_ENUM(name) name,
  WASM_CONTROL_OPS(WASM_OP_ENUM) WASM_MEMORY_OPS(WASM_OP_ENUM) WASM_NUMERIC_OPS(WASM_OP_ENUM)
#undef WASM_OP_ENUM
      Count
};

// The word that starts an instruction of kind `op` (its handler's address).
u64 op_word(Op op);
// The operation a word names (for disassembly and tests); Op::Count if none.
Op word_op(u64 word);

}  // namespace wasm
