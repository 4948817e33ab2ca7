// The .wast script reader: a script becomes a list of commands a runner executes in order.
//
// Modules arrive as binary bytes whatever their form in the script: text modules are encoded
// here (<wat/module.h>), `module binary` strings are concatenated, and `module quote` text is
// read as a module. A module that does not read (as `assert_malformed` expects of quoted text)
// still yields its command, with `ok == false` and the error; the runner decides what that means.
//
// The Script borrows from the source text (module names are views into it): keep the source
// alive as long as the Script. Freestanding; allocation failure is ErrorCode::NoMemory.
#pragma once

#include <support/result.h>
#include <support/string_view.h>
#include <support/vector.h>
#include <wat/error.h>
#include <wat/lexer.h>
#include <wat/module.h>

namespace wat {

// HostRef (3.0's `ref.host N`) and OtherRef (3.0 references of another heap type, named by
// Value::heap_type) never occur in 2.0 scripts.
enum class ValueType : u8 { I32, I64, F32, F64, V128, FuncRef, ExternRef, HostRef, OtherRef };

// A constant: an action argument, or an exact expected result.
struct Value {
  ValueType type = ValueType::I32;
  bool is_null = false;  // references: `ref.null`
  u64 bits = 0;          // I32/F32: low 32 bits; I64/F64: the bit pattern; ExternRef: N of
                         // `ref.extern N`; HostRef: N of `ref.host N`; FuncRef: N of
                         // `ref.func N` (unused by 2.0 scripts)
  u8 v128[16] = {};      // V128: the bytes, little-endian lanes
  StringView heap_type;  // OtherRef, and Expected AnyNull/AnyRefOf: "any", "i31", "none" ...
};

enum class NanPattern : u8 { None, Canonical, Arithmetic };
enum class LaneShape : u8 { I8x16, I16x8, I32x4, I64x2, F32x4, F64x2 };

enum class ExpectKind : u8 {
  Exact,         // `value`, bit for bit (references: null-ness and the extern payload)
  Nan,           // an f32/f64 NaN of pattern `nan` (`value.type` says which)
  V128Lanes,     // a v128 compared lane by lane in `shape`: lanes with `lane_nan[i]` != None
                 // match that NaN pattern, the others equal the lane in `value.v128`
  AnyFuncRef,    // `(ref.func)`: any non-null funcref
  AnyExternRef,  // `(ref.extern)`: any non-null externref
  Either,        // `(either r...)`: any one of `alternatives`
  // 3.0 forms (never in 2.0 scripts):
  AnyNull,   // `(ref.null)` or `(ref.null ht)` for a heap type other than func/extern: a null
             // reference (`value.heap_type` names the type, empty for any)
  AnyRefOf,  // `(ref.i31)`, `(ref.struct)`, `(ref.array)`, `(ref.eq)`, `(ref.any)`,
             // `(ref.exn)`: a non-null reference of kind `value.heap_type`
};

struct Expected {
  ExpectKind kind = ExpectKind::Exact;
  Value value;
  NanPattern nan = NanPattern::None;
  LaneShape shape = LaneShape::I32x4;
  NanPattern lane_nan[4] = {};
  support::Vector<Expected> alternatives;
};

enum class ModuleForm : u8 { Text, Binary, Quote };

struct ModuleDef {
  ModuleForm form = ModuleForm::Text;
  StringView name;            // `$name` of the module, or empty
  Location location;          // of `(module` in the script
  bool ok = false;            // false: the text (or quoted text) did not read
  ParseError error;           // when !ok; its location is in the script, or in the quoted text
  support::Vector<u8> bytes;  // when ok: the binary module; Quote && !ok: the quoted text
};

enum class ActionKind : u8 { Invoke, Get };

struct Action {
  ActionKind kind = ActionKind::Invoke;
  StringView module;            // `$name` of the module, or empty for the latest
  support::Vector<u8> field;    // export name (UTF-8 bytes)
  support::Vector<Value> args;  // Invoke: arguments
};

enum class CommandKind : u8 {
  Module,            // define and instantiate `module`
  Register,          // make `register_module` (empty: latest) importable as `register_name`
  Action,            // perform `action`, results ignored
  AssertReturn,      // `action` returns `expected`
  AssertTrap,        // `action` traps with `message`
  AssertExhaustion,  // `action` exhausts the call stack
  AssertMalformed,   // `module` is malformed (text: !module.ok; binary: the decoder rejects)
  AssertInvalid,     // `module` fails validation
  AssertUnlinkable,  // `module` fails to link
  AssertModuleTrap,  // instantiating `module` traps (assert_trap with a module)
  // 3.0 forms (never in 2.0 scripts):
  ModuleDefinition,  // `(module definition $M? ...)`: define `module` without instantiating it
  ModuleInstance,    // `(module instance $I? $M?)`: instantiate definition `definition` (empty:
                     // latest) as `module.name`
  AssertException,   // `action` throws a WebAssembly exception
};

struct Command {
  CommandKind kind = CommandKind::Module;
  Location location;  // of the command's `(`
  ModuleDef module;
  Action action;
  support::Vector<Expected> expected;  // AssertReturn
  support::Vector<u8> message;         // assert_*: the expected failure text
  support::Vector<u8> register_name;   // Register
  StringView register_module;          // Register
  StringView definition;               // ModuleInstance
};

struct Script {
  support::Vector<Command> commands;
};

// Reads a whole script. Fails on text that is not a script (a malformed command, action or
// value); module contents failing to read do not fail the script (see ModuleDef::ok). A script
// consisting only of module fields is read as one module command. Modules are read with
// `features` (module.h).
ParseResult<Script> read_script(StringView source, const Features& features = Features());

}  // namespace wat
