// A decoded, validated and translated module. compile() does all three eagerly (a Compilation
// does the same in bounded steps); a Module is immutable afterwards and shared by every instance
// made from it.
#pragma once

#include <support/string_view.h>
#include <wasm/types.h>

namespace wasm {

// A name inside the module's own copy of its bytes.
struct Name {
  u32 offset = 0;
  u32 size = 0;
};

// A constant expression of one instruction, or (Op::Extended) of several: an extended constant
// expression (WebAssembly 3.0: i32/i64 add, sub and mul between constants and global.get),
// whose instructions are `length` entries of Module::const_code from index `value`, each of
// one of the other kinds (the arithmetic ones only there), in postfix order.
struct ConstExpr {
  // clang-format off
  enum class Op : u8 {
    I32, I64, F32, F64, V128, RefNull, RefFunc, GlobalGet,  // one value
    I32Add, I32Sub, I32Mul, I64Add, I64Sub, I64Mul,         // two values to one (in const_code only)
    Extended,
  };
  // clang-format on
  Op op = Op::I32;
  ValType type = ValType::I32;
  u32 length = 1;  // instructions (Extended)
  u64 value = 0;   // the constant's bits, the function or global index, the first instruction
  u64 hi = 0;      // V128: the constant's bytes 8..15 (`value` has bytes 0..7)
};

struct Import {
  Name module;
  Name name;
  ExternKind kind = ExternKind::Func;
  u32 func_type = 0;
  TableType table;
  MemoryType memory;
  GlobalType global;
};

struct Export {
  Name name;
  ExternKind kind = ExternKind::Func;
  u32 index = 0;
};

struct GlobalDef {
  GlobalType type;
  ConstExpr init;
};

enum class SegmentMode : u8 { Passive, Active, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Passive;
  ValType type = ValType::FuncRef;
  u32 table = 0;
  ConstExpr offset;
  Vector<ConstExpr> items;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Passive;
  u32 memory = 0;
  ConstExpr offset;
  u32 bytes_offset = 0;  // into Module::bytes
  u32 size = 0;
};

// Where one translated instruction came from, for trap messages.
struct CodeMapEntry {
  u32 code_offset;  // in words from the function's code start
  u32 wasm_offset;  // byte offset in the module
};

// A defined function after translation to internal code.
struct Function {
  u32 type_index = 0;
  u32 local_count = 0;  // slots of params + declared locals: the first frame slots (a v128 two)
  u32 param_slots = 0;  // slots of the params (the first of them)
  u32 frame_slots = 0;  // locals + deepest operand stack, plus room for callee args
  u32 body_offset = 0;  // byte offset of the body in the module
  Vector<u64> code;     // internal code (see interp.h)
  Vector<CodeMapEntry> code_map;
  Name name;  // from the name section (size 0 if none)
#if WARDEN_WASM_CHECKED
  Vector<ValType> local_types;  // per slot of params and declared locals: its type at entry
#endif
};

struct CustomSection {
  Name name;
  u32 offset = 0;
  u32 size = 0;
};

// The proposals a compilation accepts beyond WebAssembly 2.0. The default is everything the
// engine supports (3.0); an embedder or a test of an earlier version turns features off, and
// each one off restores exactly the earlier checks.
struct Features {
  // Several memories and a memory index on every memory instruction. Off (2.0): at most one
  // memory ("multiple memories"), a zero byte after memory.size, memory.grow and the bulk memory
  // instructions ("zero byte expected"), and a memarg's alignment flags below 32 ("malformed
  // memop flags": no bit announcing a memory index).
  bool multi_memory = true;
  // 3.0's limits and offsets (memory64): limits flag 0x04 gives a memory or table i64 addresses,
  // every limit is a u64 LEB128 number and every memarg offset a u64, and what does not fit an
  // i32 memory or table is invalid ("memory size must be at most 65536 pages (4GiB)", "table
  // size must be at most 2^32-1", "offset out of range"). Off (2.0): limits flags 0 and 1 only
  // ("integer too large"), limits and offsets are u32 numbers (a longer or larger one is
  // malformed: "integer representation too long", "integer too large").
  bool memory64 = true;

  // The WebAssembly 2.0 feature set.
  static constexpr Features wasm_2_0() {
    Features f;
    f.multi_memory = false;
    f.memory64 = false;
    return f;
  }
};

class Module {
 public:
  // Decodes, validates and translates `bytes` (copied). On failure returns the first error with
  // its byte offset. Never recurses per nesting level. The caller owns the module. The same as
  // Compilation::begin and one unbounded step.
  static Result<Module*, CompileError> compile(Span<const u8> bytes,
                                               const Features& features = Features());
  ~Module();

  support::StringView name_of(Name name) const {
    return support::StringView(reinterpret_cast<const char*>(bytes.data()) + name.offset,
                               name.size);
  }
  u32 imported_func_count() const { return imported_funcs; }
  const FuncType& func_type(u32 func_index) const { return types[func_types[func_index]]; }
  // The function's name from the name section, else an export name, else empty.
  support::StringView function_name(u32 func_index) const;
  // The function index and wasm byte offset of a position in the internal code, if any.
  bool locate(const u64* ip, u32* func_index, u32* wasm_offset) const;
  // The bytes the module holds (its copy of the bytes, every table and function's internal code
  // and code map, each at allocation_cost of its capacity). O(functions).
  u64 footprint() const;

  Vector<u8> bytes;
  Vector<FuncType> types;
  Vector<Import> imports;
  Vector<u32> func_types;  // type index of every function, imported first
  Vector<TableType> tables;
  Vector<MemoryType> memories;
  Vector<GlobalDef> globals;  // imported globals first (init unused for them)
  Vector<Export> exports;
  Vector<ElemSegment> elems;
  Vector<DataSegment> datas;
  Vector<Function> functions;    // defined functions only
  Vector<ConstExpr> const_code;  // the instructions of extended constant expressions
  u32 const_depth = 0;           // the deepest operand stack of any of them
  Vector<CustomSection> customs;
  Vector<u8> declared_funcs;  // 1 where a function index may be used by ref.func
  u32 imported_funcs = 0;
  u32 imported_tables = 0;
  u32 imported_memories = 0;
  u32 imported_globals = 0;
  bool has_start = false;
  u32 start = 0;
  bool has_data_count = false;
  u32 data_count = 0;
};

// A module compilation done in steps of bounded work, so that an embedder (the kernel) can
// yield between steps while it validates and translates a large module:
//
//   Compilation* c = TRY(Compilation::begin(bytes));
//   for (;;) {
//     Result<bool, CompileError> r = c->step(kBudget);
//     if (r.is_error()) { delete c; return r.error(); }
//     if (r.value()) break;
//     yield();
//   }
//   Module* m = c->take();
//   delete c;
//
// A step runs the same code, in the same order, as Module::compile, cut only between units of
// work, so the module (its internal code byte for byte) and the error (kind, offset, message)
// never depend on the budgets. A Compilation is used by one thread at a time (any thread); it
// takes no locks and never blocks.
class Compilation {
 public:
  // Copies `bytes` (so the caller's buffer may go away) and checks nothing else yet. Fails with
  // NoMemory, or Limit ("module too large") for more than 0xfffffff0 bytes. The caller owns the
  // Compilation and deletes it.
  static Result<Compilation*, CompileError> begin(Span<const u8> bytes);
  // The same, taking the caller's buffer instead of copying it (it becomes Module::bytes), so
  // there is no pass over the bytes outside the steps. On success `bytes` is left empty; on
  // failure the caller still has it.
  static Result<Compilation*, CompileError> begin(Vector<u8>&& bytes);
  ~Compilation();
  Compilation(const Compilation&) = delete;
  Compilation& operator=(const Compilation&) = delete;

  // Does at least one unit of work, then more while fewer than `budget` bytes of the module
  // were consumed in this step: it stops at the first boundary past the budget. The units (never
  // split) are the header, one whole section other than code, a function's size and local
  // declarations, and one instruction of a function body; the final checks close the step that
  // reaches them. So a step exceeds the budget by at most one unit: one instruction (the
  // largest is a br_table of up to 65,520 targets) or one non-code section (cheap per byte:
  // data segments are not copied, but a section of 100,000 elements is one unit). A budget of 0
  // does one unit; ~u64{0} finishes. Bytes are a fair measure of work in function bodies (about
  // 40-60 bytes per microsecond on the x86-64 host, 7-9 under qemu-riscv64).
  // Returns true once the module is complete (take() it), false when more steps are needed, or
  // the module's first error. After an error every call returns the same error; after
  // completion every call returns true.
  Result<bool, CompileError> step(u64 budget);

  // The module once step() returned true; the caller owns it. Null before that, after an error
  // or when already taken.
  Module* take();

  // Progress: the byte offset reached and the module size.
  u32 position() const;
  u32 size() const;

  // Bounds what the compilation allocates, for the module and for its own work stacks, each
  // allocation counted at allocation_cost of its size when it is made (so at least the module's
  // footprint()): the unit of work that would go over fails with Limit (kOverMemoryLimit) at the
  // offset reached, before allocating. The module's copy of the bytes counts from begin(). No
  // limit by default.
  void set_memory_limit(u64 bytes);
  u64 memory_used() const;

  // The features the module may use (default: all the engine supports). Set before the first
  // step.
  void set_features(const Features& features);

 private:
  struct State;
  explicit Compilation(State* state) : state_(state) {}
  static Result<Compilation*, CompileError> start(Module* module);
  State* state_;
};

}  // namespace wasm
