// The lexer and the module encoder: bytes for small modules, abbreviations, errors with their
// line and column, and nesting far deeper than any recursion could take on a small stack.
#include <gtest/gtest.h>
#include <pthread.h>
#include <wat/module.h>

#include <string>
#include <vector>

namespace {

std::vector<u8> encode(const std::string& text) {
  auto r = wat::encode_module(wat::StringView(text.data(), text.size()));
  EXPECT_TRUE(r.is_ok()) << text << "\n -> " << (r.is_ok() ? "" : wat::error_name(r.error().code))
                         << " at " << (r.is_ok() ? 0 : r.error().location.line) << ":"
                         << (r.is_ok() ? 0 : r.error().location.column);
  if (r.is_error()) return {};
  return std::vector<u8>(r.value().begin(), r.value().end());
}

wat::ParseError failure(const std::string& text, const wat::Features& features = {}) {
  auto r = wat::encode_module(wat::StringView(text.data(), text.size()), features);
  EXPECT_TRUE(r.is_error()) << text;
  return r.is_error() ? r.error() : wat::ParseError{};
}

std::vector<u8> header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

std::vector<u8> with_header(std::vector<u8> rest) {
  std::vector<u8> out = header();
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

TEST(Module, empty_forms_encode_to_the_header) {
  EXPECT_EQ(encode("(module)"), header());
  EXPECT_EQ(encode("(module $m)"), header());
  EXPECT_EQ(encode(""), header());
  EXPECT_EQ(encode("(module binary \"\\00asm\" \"\\01\\00\\00\\00\")"), header());
  EXPECT_EQ(encode("(module quote \"(func)\")"),
            with_header({1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b}));
}

TEST(Module, exported_function_encodes_exactly) {
  EXPECT_EQ(encode("(module (func (export \"f\") (result i32) i32.const 42))"),
            with_header({1,  5, 1, 0x60, 0,   1,    0x7f,           // type
                         3,  2, 1, 0,                               // func
                         7,  5, 1, 1,    'f', 0,    0,              // export
                         10, 6, 1, 4,    0,   0x41, 42,   0x0b}));  // code
}

TEST(Module, folded_and_flat_instructions_encode_alike) {
  auto flat = encode(
      "(func (param i32) (result i32) local.get 0 if (result i32) i32.const 1 else i32.const 2 "
      "end)");
  auto folded = encode(
      "(func (param $x i32) (result i32) (if (result i32) (local.get $x) (then (i32.const 1)) "
      "(else (i32.const 2))))");
  EXPECT_EQ(flat, folded);
}

TEST(Module, names_resolve_per_index_space) {
  auto named = encode(
      "(global $g (mut i32) (i32.const 0)) (func $f (local $l i32) (block $b (br $b)) "
      "(global.set $g (local.get $l)) (call $f))");
  auto numbered = encode(
      "(global (mut i32) (i32.const 0)) (func (local i32) (block (br 0)) "
      "(global.set 0 (local.get 0)) (call 0))");
  EXPECT_EQ(named, numbered);
}

TEST(Module, inline_import_and_export_abbreviations) {
  auto short_form = encode(
      "(func $i (import \"m\" \"f\") (param i32)) (memory (export \"mem\") 1) "
      "(table (export \"t\") 0 funcref)");
  auto long_form = encode(
      "(import \"m\" \"f\" (func $i (param i32))) (memory $m 1) (table $t 0 funcref) "
      "(export \"mem\" (memory $m)) (export \"t\" (table $t))");
  EXPECT_EQ(short_form, long_form);
}

TEST(Module, inline_data_and_elem_abbreviations) {
  EXPECT_EQ(encode("(memory (data \"ab\"))"), encode("(memory 1 1) (data (i32.const 0) \"ab\")"));
  EXPECT_EQ(encode("(func $f) (table funcref (elem $f $f))"),
            encode("(func $f) (table 2 2 funcref) (elem (i32.const 0) $f $f)"));
  EXPECT_EQ(
      encode("(func $f) (table 1 funcref) (elem (offset (i32.const 0)) func $f)"),
      encode(
          "(func $f) (table 1 funcref) (elem (table 0) (i32.const 0) funcref (item ref.func $f))"));
}

TEST(Module, implicit_types_follow_explicit_ones_in_text_order) {
  auto bytes = encode("(func (param i64)) (type (func (param f32))) (func (param i64))");
  // Type section: 2 types, f32 first (explicit), then the implicit i64; both funcs use type 1.
  std::vector<u8> types = {1, 9, 2, 0x60, 1, 0x7d, 0, 0x60, 1, 0x7e, 0};
  ASSERT_GE(bytes.size(), 8 + types.size());
  EXPECT_EQ(std::vector<u8>(bytes.begin() + 8, bytes.begin() + 8 + types.size()), types);
  std::vector<u8> funcs = {3, 3, 2, 1, 1};
  EXPECT_EQ(std::vector<u8>(bytes.begin() + 8 + types.size(), bytes.begin() + 8 + types.size() + 5),
            funcs);
}

TEST(Module, simd_immediates) {
  auto bytes = encode(
      "(func (result v128) (v128.const i16x8 1 2 3 4 5 6 7 -1) (v128.const f32x4 1 2 3 4) "
      "(i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31) drop)");
  // An i8x16.shuffle needs exactly 16 lanes: the 17th is where the next instruction was due.
  (void)bytes;
  auto error = failure(
      "(func (result v128) (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 (v128.const "
      "i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0)))");
  EXPECT_EQ(error.code, wat::ErrorCode::UnexpectedToken);
  auto ok = encode("(func (param v128) (result i32) (i32x4.extract_lane 3 (local.get 0)))");
  std::vector<u8> body = {0x20, 0, 0xfd, 0x1b, 3, 0x0b};
  EXPECT_TRUE(std::search(ok.begin(), ok.end(), body.begin(), body.end()) != ok.end());
}

TEST(Errors, name_line_and_column) {
  auto e = failure("(module\n  (func\n    (i32.add (i32.const 1) (i32.const x))))");
  EXPECT_EQ(e.code, wat::ErrorCode::BadInteger);
  EXPECT_EQ(e.location.line, 3u);
  EXPECT_EQ(e.location.column, 39u);

  e = failure("(module (func (br $nowhere)))");
  EXPECT_EQ(e.code, wat::ErrorCode::UnknownName);
  EXPECT_EQ(e.location.column, 19u);

  e = failure("(module\n(; never closed (; nested ;)\n");
  EXPECT_EQ(e.code, wat::ErrorCode::UnterminatedComment);
  EXPECT_EQ(e.location.line, 2u);
  EXPECT_EQ(e.location.column, 1u);

  e = failure("(func block $a end $b)");
  EXPECT_EQ(e.code, wat::ErrorCode::MismatchingLabel);

  e = failure("(func) (import \"m\" \"f\" (func))");
  EXPECT_EQ(e.code, wat::ErrorCode::ImportAfterDefinition);

  e = failure("(func $f) (func $f)");
  EXPECT_EQ(e.code, wat::ErrorCode::DuplicateName);

  e = failure("(func i32.const 1x)");
  EXPECT_EQ(e.code, wat::ErrorCode::BadInteger);

  e = failure("(func i32.const 0\"x\")");
  EXPECT_EQ(e.code, wat::ErrorCode::NoSeparator);

  e = failure("(func (i32.foo))");
  EXPECT_EQ(e.code, wat::ErrorCode::UnknownInstruction);
  EXPECT_EQ(e.location.column, 8u);
}

TEST(Errors, strings_are_checked) {
  EXPECT_EQ(failure("(func (export \"\\ff\"))").code, wat::ErrorCode::BadUtf8);
  EXPECT_EQ(failure("(func (export \"\xc0\x80\"))").code, wat::ErrorCode::BadUtf8);
  EXPECT_EQ(failure("(func (export \"\\u{d800}\"))").code, wat::ErrorCode::BadEscape);
  EXPECT_EQ(failure("(func (export \"\\q\"))").code, wat::ErrorCode::BadEscape);
  EXPECT_EQ(failure("(func (export \"abc").code, wat::ErrorCode::UnterminatedString);
  // Data strings may hold any bytes through escapes.
  encode("(memory 1) (data (i32.const 0) \"\\ff\\00\\u{10FFFF}\\t\")");
  encode("(func (export \"\\u{1F600}\xe2\x82\xac\"))");
}

TEST(Lexer, comments_and_annotations_are_skipped) {
  EXPECT_EQ(
      encode("(module (; a (; nested ;) comment ;) (@custom \"x\" (a (b))) ;; line\n (func))"),
      encode("(module (func))"));
}

// Runs `body` on a thread with a `stack`-byte stack: deep input must not need a deep stack.
template <typename F> void on_small_stack(size_t stack, F body) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<F*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline, &body), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr size_t kSmallStack = 256 * 1024;  // ASan's redzones inflate every frame
#else
constexpr size_t kSmallStack = 64 * 1024;
#endif
#else
constexpr size_t kSmallStack = 64 * 1024;
#endif

TEST(Nesting, hundred_thousand_folded_blocks_on_a_small_stack) {
  constexpr int kDepth = 100000;
  std::string text = "(func ";
  for (int i = 0; i < kDepth; ++i) text += "(block ";
  text += "(br 99999)";
  for (int i = 0; i < kDepth; ++i) text += ")";
  text += ")";
  bool ok = false;
  size_t size = 0;
  on_small_stack(kSmallStack, [&] {
    auto r = wat::encode_module(wat::StringView(text.data(), text.size()));
    ok = r.is_ok();
    if (ok) size = r.value().size();
  });
  EXPECT_TRUE(ok);
  EXPECT_GT(size, 3u * kDepth);
}

TEST(Nesting, hundred_thousand_flat_blocks_and_folded_operands) {
  constexpr int kDepth = 100000;
  std::string flat = "(func ";
  for (int i = 0; i < kDepth; ++i) flat += "block ";
  for (int i = 0; i < kDepth; ++i) flat += "end ";
  flat += ")";
  std::string operands = "(func (result i32) ";
  for (int i = 0; i < kDepth; ++i) operands += "(i32.eqz ";
  operands += "(i32.const 0)";
  for (int i = 0; i < kDepth; ++i) operands += ")";
  operands += ")";
  std::string comments = "(module ";
  for (int i = 0; i < kDepth; ++i) comments += "(;";
  for (int i = 0; i < kDepth; ++i) comments += ";)";
  comments += ")";
  bool ok[3] = {};
  on_small_stack(kSmallStack, [&] {
    ok[0] = wat::encode_module(wat::StringView(flat.data(), flat.size())).is_ok();
    ok[1] = wat::encode_module(wat::StringView(operands.data(), operands.size())).is_ok();
    ok[2] = wat::encode_module(wat::StringView(comments.data(), comments.size())).is_ok();
  });
  EXPECT_TRUE(ok[0]);
  EXPECT_TRUE(ok[1]);
  EXPECT_TRUE(ok[2]);
}

TEST(Nesting, unbalanced_deep_input_fails_cleanly) {
  std::string text = "(func ";
  for (int i = 0; i < 100000; ++i) text += "(block ";
  auto e = failure(text);
  EXPECT_EQ(e.code, wat::ErrorCode::UnexpectedEnd);
}

}  // namespace

namespace {

TEST(Module, wasm3_exception_handling_encodes) {
  auto bytes = encode(
      "(tag $e (param i32)) (func (result i32) (block $h (result i32) "
      "(try_table (result i32) (catch $e $h) (catch_all 0) (i32.const 1) (throw $e))))");
  // try_table i32, 2 clauses: catch tag 0 -> label 0, catch_all -> label 0; then the body.
  std::vector<u8> body = {0x02, 0x7f, 0x1f, 0x7f, 0x02, 0x00, 0x00, 0x00, 0x02,
                          0x00, 0x41, 0x01, 0x08, 0x00, 0x0b, 0x0b, 0x0b};
  EXPECT_TRUE(std::search(bytes.begin(), bytes.end(), body.begin(), body.end()) != bytes.end());
  std::vector<u8> tags = {13, 3, 1, 0x00, 0x00};  // tag section: one tag of type 0
  EXPECT_TRUE(std::search(bytes.begin(), bytes.end(), tags.begin(), tags.end()) != bytes.end());
}

TEST(Module, wasm3_memory64_and_multi_memory_encode) {
  auto bytes = encode(
      "(memory $a i64 1) (memory $b 1) (func (param i64) (result i32) "
      "(i32.load $b offset=8 (i32.const 0)) (drop) (i32.load $a offset=0x1_0000_0000 (local.get "
      "0)))");
  std::vector<u8> memories = {5, 5, 2, 0x04, 0x01, 0x00, 0x01};
  EXPECT_TRUE(std::search(bytes.begin(), bytes.end(), memories.begin(), memories.end()) !=
              bytes.end());
  std::vector<u8> load_b = {0x28, 0x42, 0x01, 0x08};  // align 2 | 0x40, memory 1, offset 8
  EXPECT_TRUE(std::search(bytes.begin(), bytes.end(), load_b.begin(), load_b.end()) != bytes.end());
  std::vector<u8> load_a = {0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10};  // 64-bit offset
  EXPECT_TRUE(std::search(bytes.begin(), bytes.end(), load_a.begin(), load_a.end()) != bytes.end());
  // 3.0 text: a 32-bit memory's offset, limits and alignment are 64-bit numbers too (validation
  // refuses what does not fit); 2.0 text: 32-bit numbers, a larger one does not read.
  auto far = encode("(memory 1) (func (drop (i32.load offset=0x1_0000_0000 (i32.const 0))))");
  EXPECT_TRUE(std::search(far.begin(), far.end(), load_a.begin(), load_a.end()) != far.end());
  auto limits =
      encode("(memory 0x1_0000_0001 0xffff_ffff_ffff_ffff) (table 0 0x1_0000_0000 funcref)");
  std::vector<u8> memory_limits = {0x01, 0x81, 0x80, 0x80, 0x80, 0x10, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  EXPECT_TRUE(std::search(limits.begin(), limits.end(), memory_limits.begin(),
                          memory_limits.end()) != limits.end());
  std::vector<u8> table_limits = {0x70, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10};
  EXPECT_TRUE(std::search(limits.begin(), limits.end(), table_limits.begin(), table_limits.end()) !=
              limits.end());
  auto align =
      encode("(memory 1) (func (drop (i32.load align=0x8000_0000_0000_0000 (i32.const 0))))");
  std::vector<u8> load_align = {0x28, 0x3f, 0x00};  // alignment 2^63 (invalid), offset 0
  EXPECT_TRUE(std::search(align.begin(), align.end(), load_align.begin(), load_align.end()) !=
              align.end());
  const wat::Features v2 = wat::Features::wasm_2_0();
  EXPECT_EQ(
      failure("(memory 1) (func (drop (i32.load offset=0x1_0000_0000 (i32.const 0))))", v2).code,
      wat::ErrorCode::BadInteger);
  EXPECT_EQ(
      failure("(memory 1) (func (drop (i32.load align=0x1_0000_0000 (i32.const 0))))", v2).code,
      wat::ErrorCode::BadInteger);
  EXPECT_EQ(failure("(memory 0x1_0000_0000)", v2).code, wat::ErrorCode::BadInteger);
  EXPECT_EQ(failure("(table 0 0x1_0000_0000 funcref)", v2).code, wat::ErrorCode::BadInteger);
  // Beyond 64 bits does not read in 3.0 either; an i64 memory's offset is 64-bit in 2.0 text too.
  EXPECT_EQ(failure("(memory 0x1_0000_0000_0000_0000)").code, wat::ErrorCode::BadInteger);
  EXPECT_EQ(failure("(memory i64 1) (func (drop (i32.load offset=0x1_0000_0000_0000_0000 "
                    "(i64.const 0))))")
                .code,
            wat::ErrorCode::BadInteger);
  auto wide2 = wat::encode_module(
      "(memory i64 1) (func (drop (i32.load offset=0x1_0000_0000 (i64.const 0))))", v2);
  EXPECT_TRUE(wide2.is_ok());
}

}  // namespace
