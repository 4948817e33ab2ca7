// Several memories (multi-memory) and memories with i64 addresses (memory64): the hostile cases
// the specification suite does not reach. An i64 address plus an offset that would wrap 64 bits
// traps (never wraps into the memory), a memory index out of range is refused at validation, a
// copy between memories of different sizes is checked against each at the edge, and memory.grow
// of an i64 memory past the embedder's limit (or by a delta that would wrap) returns -1. 3.0's
// u64 limits and offsets (Features::memory64): too large for an i32 memory or table is invalid,
// never truncated to 32 bits; an i64 offset near 2^64 traps.
#include <algorithm>
#include <optional>
#include <string>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

constexpr u64 kPage = 65536;

// load(a), store(a, v) at offset 0x20 and at offset 2^64-1 (`load_far`, `store_far`) of a one-page
// i64 memory, and bulk fill/copy on it.
const char* kMemory64 = R"((module
  (memory i64 1)
  (func (export "load") (param i64) (result i32) (i32.load offset=0x20 (local.get 0)))
  (func (export "load_far") (param i64) (result i32)
    (i32.load8_u offset=0xffffffffffffffff (local.get 0)))
  (func (export "store") (param i64 i32) (i64.store32 offset=0x20 (local.get 0) (i64.extend_i32_u (local.get 1))))
  (func (export "store_far") (param i64 i32)
    (i32.store8 offset=0xffffffffffffffff (local.get 0) (local.get 1)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "byte") (param i64) (result i32) (i32.load8_u (local.get 0)))))";

TEST(Memory64, AddressPlusOffsetThatWouldWrapTraps) {
  Harness h(text(kMemory64));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("store", {kPage - 0x24, 0x11223344}), RunStatus::Done);
  ASSERT_EQ(h.call("load", {kPage - 0x24}), RunStatus::Done);
  EXPECT_EQ(h.result(), 0x11223344u);
  // One byte past the end, and addresses whose sum with the offset wraps to 0x10 or 0.
  for (u64 a : {kPage - 0x23, ~u64{0} - 0xf, ~u64{0} - 0x1f, ~u64{0}, u64{1} << 63}) {
    EXPECT_EQ(h.call("load", {a}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(h.call("store", {a, 7}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  }
  // Offset 2^64-1: address 1 would reach byte 0, address 0 byte 2^64-1.
  for (u64 a : {u64{0}, u64{1}, u64{2}, kPage}) {
    EXPECT_EQ(h.call("load_far", {a}), RunStatus::Trap) << a;
    EXPECT_EQ(h.call("store_far", {a, 9}), RunStatus::Trap) << a;
  }
  ASSERT_EQ(h.call("byte", {0}), RunStatus::Done);
  EXPECT_EQ(h.result(), 0u);  // nothing was written at the wrapped addresses
  ASSERT_EQ(h.call("byte", {1}), RunStatus::Done);
  EXPECT_EQ(h.result(), 0u);
}

TEST(Memory64, BulkRangesThatWouldWrapTrapAndWriteNothing) {
  Harness h(text(kMemory64));
  ASSERT_NE(h.instance, nullptr);
  const u64 huge = ~u64{0} - 0xf;  // d + n wraps to a small number
  EXPECT_EQ(h.call("fill", {0x20, 0xab, huge}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(h.call("fill", {huge, 0xab, 0x20}), RunStatus::Trap);
  EXPECT_EQ(h.call("copy", {0, 0x20, huge}), RunStatus::Trap);
  EXPECT_EQ(h.call("copy", {0x20, huge, 0x20}), RunStatus::Trap);
  EXPECT_EQ(h.call("copy", {huge, 0, 0x20}), RunStatus::Trap);
  for (u64 a : {u64{0}, u64{0x20}, u64{0x30}}) {
    ASSERT_EQ(h.call("byte", {a}), RunStatus::Done);
    EXPECT_EQ(h.result(), 0u) << a;
  }
  EXPECT_EQ(h.call("fill", {kPage - 1, 0xab, 1}), RunStatus::Done);  // the last byte: fine
  EXPECT_EQ(h.call("fill", {kPage, 0xab, 0}), RunStatus::Done);      // empty at the end: fine
  EXPECT_EQ(h.call("fill", {kPage + 1, 0xab, 0}), RunStatus::Trap);  // empty past the end
}

TEST(Memory64, GrowPastTheEmbedderLimitReturnsMinusOne) {
  StoreConfig config;
  config.max_memory_pages = 4;
  Harness h(text(R"((module (memory i64 1)
    (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
    (func (export "size") (result i64) (memory.size))))"),
            config);
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("grow", {2}), RunStatus::Done);
  EXPECT_EQ(h.result(), 1u);
  // One page past the limit, deltas that would wrap the page count, the type's own bound.
  for (u64 delta : {u64{2}, ~u64{0}, ~u64{0} - 1, u64{1} << 48, u64{1} << 63}) {
    ASSERT_EQ(h.call("grow", {delta}), RunStatus::Done);
    EXPECT_EQ(static_cast<i64>(h.result()), -1) << delta;
  }
  ASSERT_EQ(h.call("grow", {1}), RunStatus::Done);
  EXPECT_EQ(h.result(), 3u);
  ASSERT_EQ(h.call("size"), RunStatus::Done);
  EXPECT_EQ(h.result(), 4u);
  EXPECT_EQ(h.instance->memory->size, 4 * kPage);
}

TEST(Memory64, MinimumOverTheLimitFailsInstantiationWithoutAllocating) {
  // 2^48 pages is a valid type (the bound memory64 allows), far beyond any embedder.
  auto m = compile(text("(module (memory i64 0x1000000000000))"));
  ASSERT_TRUE(m.is_ok());
  // A provider that records what it is asked for (and gives nothing).
  struct Recorder final : MemoryProvider {
    u8* reserve(u64, u64 max_bytes) override {
      largest = max_bytes > largest ? max_bytes : largest;
      return nullptr;
    }
    bool commit(u8*, u64, u64) override { return false; }
    void release(u8*, u64) override {}
    u64 largest = 0;
  } provider;
  {
    Store store(provider);
    auto inst = store.instantiate(*m.value(), {});
    ASSERT_TRUE(inst.is_error());
    EXPECT_EQ(inst.error().kind, InstantiateError::Kind::Limit);
  }
  EXPECT_EQ(provider.largest, 0u);  // refused before any reservation
  delete m.value();
  // Past 2^48 pages the type itself is invalid.
  auto big = compile(text("(module (memory i64 0x1000000000001))"));
  ASSERT_TRUE(big.is_error());
  EXPECT_EQ(big.error().kind, ErrorKind::Invalid);
}

// Two memories of one and two pages; copy(dst_mem, d, src_mem, s, n) through four functions.
const char* kTwoMemories = R"((module
  (memory $a 1)
  (memory $b 2)
  (func (export "a_from_b") (param i32 i32 i32) (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "b_from_a") (param i32 i32 i32) (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_b") (param i32 i32 i32) (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "a") (param i32) (result i32) (i32.load8_u $a (local.get 0)))
  (func (export "b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "sizes") (result i32) (i32.add (i32.mul (memory.size $a) (i32.const 16)) (memory.size $b)))))";

TEST(MultiMemory, CopyBetweenMemoriesOfDifferentSizesAtTheEdge) {
  Harness h(text(kTwoMemories));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("sizes"), RunStatus::Done);
  EXPECT_EQ(h.result(), 0x12u);
  ASSERT_EQ(h.call("fill_b", {2 * kPage - 8, 0x5a, 8}), RunStatus::Done);
  // The last 4 bytes of b into the last 4 of a: inside both.
  ASSERT_EQ(h.call("a_from_b", {kPage - 4, 2 * kPage - 4, 4}), RunStatus::Done);
  ASSERT_EQ(h.call("a", {kPage - 1}), RunStatus::Done);
  EXPECT_EQ(h.result(), 0x5au);
  // A source range that fits b (two pages) but whose destination passes a's end by one byte.
  ASSERT_EQ(h.call("a_from_b", {kPage - 4, 2 * kPage - 8, 5}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  ASSERT_EQ(h.call("a", {kPage - 5}), RunStatus::Done);
  EXPECT_EQ(h.result(), 0u);  // nothing written
  // a's source checked against a's size (one page), not b's.
  ASSERT_EQ(h.call("b_from_a", {0, kPage - 3, 4}), RunStatus::Trap);
  ASSERT_EQ(h.call("b_from_a", {2 * kPage - 4, kPage - 4, 4}), RunStatus::Done);
  ASSERT_EQ(h.call("b_from_a", {2 * kPage - 3, kPage - 4, 4}), RunStatus::Trap);
  ASSERT_EQ(h.call("b", {kPage}), RunStatus::Done);  // b has a second page, a does not
  ASSERT_EQ(h.call("a", {kPage}), RunStatus::Trap);
}

TEST(MultiMemory, MemoryIndexOutOfRangeIsInvalid) {
  const char* bodies[] = {
      "(drop (i32.load 2 (i32.const 0)))",
      "(i32.store 2 (i32.const 0) (i32.const 0))",
      "(drop (memory.size 2))",
      "(drop (memory.grow 2 (i32.const 0)))",
      "(memory.fill 2 (i32.const 0) (i32.const 0) (i32.const 0))",
      "(memory.copy 0 2 (i32.const 0) (i32.const 0) (i32.const 0))",
      "(memory.copy 2 1 (i32.const 0) (i32.const 0) (i32.const 0))",
      "(memory.init 2 0 (i32.const 0) (i32.const 0) (i32.const 0))",
  };
  for (const char* body : bodies) {
    std::string t = std::string("(module (memory 1) (memory 1) (data \"x\") (func ") + body + "))";
    Bytes b = text(t);
    ASSERT_FALSE(b.empty()) << t;
    auto m = compile(b);
    ASSERT_TRUE(m.is_error()) << t;
    EXPECT_EQ(m.error().kind, ErrorKind::Invalid) << t;
  }
  auto data = compile(text("(module (memory 1) (data (memory 1) (i32.const 0) \"x\"))"));
  ASSERT_TRUE(data.is_error());
  EXPECT_EQ(data.error().kind, ErrorKind::Invalid);
  // An i32 memory's offset must fit 32 bits (3.0 reads it as a u64); an i64 memory's address is
  // an i64.
  auto offset = compile(
      text("(module (memory 1) (func (drop (i32.load offset=0x100000000 (i32.const 0)))))"));
  ASSERT_TRUE(offset.is_error());
  EXPECT_EQ(offset.error().kind, ErrorKind::Invalid);
  EXPECT_STREQ(offset.error().message, "offset out of range");
  auto type =
      compile(text("(module (memory 1) (memory i64 1) (func (drop (i32.load 1 (i32.const 0)))))"));
  ASSERT_TRUE(type.is_error());
  EXPECT_EQ(type.error().kind, ErrorKind::Invalid);
}

// The binary of `(module (memory <limits>) (func (drop (i32.load offset=<offset> (i32.const
// 0)))))` with `limits` bytes (flags and bounds) and the u64 LEB128 `offset`, built by hand so that
// no reader stands between the test and the decoder.
Bytes load_module(const Bytes& limits, u64 offset) {
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // header
             0x01, 0x04, 0x01, 0x60, 0x00, 0x00,              // type () -> ()
             0x03, 0x02, 0x01, 0x00};                         // one function
  Bytes mem = {0x01};
  mem.insert(mem.end(), limits.begin(), limits.end());
  m.push_back(0x05);
  leb(m, mem.size());
  m.insert(m.end(), mem.begin(), mem.end());
  Bytes body = {0x00, 0x41, 0x00, 0x28, 0x02};  // no locals, i32.const 0, i32.load align=4
  leb(body, offset);
  body.insert(body.end(), {0x1a, 0x0b});  // drop, end
  Bytes code = {0x01};
  leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  m.push_back(0x0a);
  leb(m, code.size());
  m.insert(m.end(), code.begin(), code.end());
  return m;
}

// The kind of error compiling `b` with `features` gives (and its message); nullopt: accepted.
std::optional<ErrorKind> compile_kind(const Bytes& b, const Features& features,
                                      const char** message = nullptr) {
  auto m = Module::compile(Span<const u8>(b.data(), b.size()), features);
  if (m.is_ok()) {
    delete m.value();
    return std::nullopt;
  }
  if (message != nullptr) *message = m.error().message;
  return m.error().kind;
}

// 3.0 reads an i32 memory's offsets as u64 numbers: one of 2^32 or more is invalid, never
// truncated into a small offset (2^32 + 4 is not 4); the 2.0 set reads a u32 and finds the
// number malformed.
TEST(Memory64Encodings, OffsetOfAnI32MemoryAtOrBeyond2To32IsInvalid) {
  const Bytes one_page = {0x00, 0x01};
  Bytes ok = load_module(one_page, 0xffffffffu);
  auto accepted = compile(ok);
  ASSERT_TRUE(accepted.is_ok());
  delete accepted.value();
  for (u64 offset : {u64{1} << 32, (u64{1} << 32) + 4, ~u64{0}, u64{1} << 63}) {
    Bytes b = load_module(one_page, offset);
    const char* message = "";
    EXPECT_EQ(compile_kind(b, Features(), &message), ErrorKind::Invalid) << offset;
    EXPECT_STREQ(message, "offset out of range") << offset;
    EXPECT_EQ(compile_kind(b, Features::wasm_2_0()), ErrorKind::Malformed) << offset;
  }
  // The same in text: 3.0 text reads the offset, validation refuses it; 2.0 text refuses it.
  const char* t = "(module (memory 1) (func (drop (i32.load offset=0x100000004 (i32.const 0)))))";
  auto bytes = wat::encode_module(support::StringView(t));
  ASSERT_TRUE(bytes.is_ok());
  Bytes encoded(bytes.value().data(), bytes.value().data() + bytes.value().size());
  EXPECT_EQ(encoded, load_module(one_page, (u64{1} << 32) + 4));
  EXPECT_TRUE(wat::encode_module(support::StringView(t), wat::Features::wasm_2_0()).is_error());
}

// An i32 memory of more than 65536 pages is invalid whatever the encoding of the number: 65537,
// and 2^32 + 1 (which a u32 truncation would make 1 page), as minimum or maximum; the 2.0 set
// refuses the 2^32 + 1 of a u64 LEB128 as malformed. Likewise a table's 2^32 + 1 elements.
TEST(Memory64Encodings, LimitsBeyondAnI32MemoryOrTableAreInvalid) {
  auto limits = [](u8 flags, std::vector<u64> bounds) {
    Bytes b = {flags};
    for (u64 v : bounds) leb(b, v);
    return b;
  };
  const u64 wrap = (u64{1} << 32) + 1;
  auto largest = compile(load_module(limits(0x01, {0, 65536}), 0));
  ASSERT_TRUE(largest.is_ok());
  delete largest.value();
  for (const Bytes& l : {limits(0x00, {65537}), limits(0x01, {0, 65537}), limits(0x00, {wrap}),
                         limits(0x01, {1, wrap}), limits(0x01, {wrap, wrap})}) {
    const char* message = "";
    EXPECT_EQ(compile_kind(load_module(l, 0), Features(), &message), ErrorKind::Invalid);
    EXPECT_STREQ(message, "memory size must be at most 65536 pages (4GiB)");
  }
  EXPECT_EQ(compile_kind(load_module(limits(0x00, {65537}), 0), Features::wasm_2_0()),
            ErrorKind::Invalid);
  EXPECT_EQ(compile_kind(load_module(limits(0x00, {wrap}), 0), Features::wasm_2_0()),
            ErrorKind::Malformed);
  // Limits with i64 addresses are 3.0's: malformed flags for the 2.0 set.
  EXPECT_EQ(compile_kind(load_module(limits(0x04, {1}), 0), Features::wasm_2_0()),
            ErrorKind::Malformed);
  // Tables: `(table <limits> funcref)`, no memory.
  auto table = [](const Bytes& l) {
    Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    Bytes t = {0x01, 0x70};
    t.insert(t.end(), l.begin(), l.end());
    m.push_back(0x04);
    leb(m, t.size());
    m.insert(m.end(), t.begin(), t.end());
    return m;
  };
  auto fits = compile(table(limits(0x01, {0, 0xffffffffu})));
  ASSERT_TRUE(fits.is_ok());
  delete fits.value();
  for (const Bytes& l :
       {limits(0x00, {wrap}), limits(0x01, {0, wrap}), limits(0x00, {1ull << 32})}) {
    const char* message = "";
    EXPECT_EQ(compile_kind(table(l), Features(), &message), ErrorKind::Invalid);
    EXPECT_STREQ(message, "table size must be at most 2^32-1");
    EXPECT_EQ(compile_kind(table(l), Features::wasm_2_0()), ErrorKind::Malformed);
  }
}

// An i64 memory's offset near 2^64: the address plus the offset would wrap to a small address
// that is in bounds (and holds a marker); the access traps and writes nothing.
TEST(Memory64Encodings, OffsetNear2To64OfAnI64MemoryTrapsInsteadOfWrapping) {
  Harness h(text(R"((module
    (memory i64 1)
    (data (i64.const 0x10) "\2a")
    (func (export "load") (param i64) (result i32) (i32.load8_u offset=0xfffffffffffffff0 (local.get 0)))
    (func (export "store") (param i64) (i32.store8 offset=0xfffffffffffffff0 (local.get 0) (i32.const 7)))
    (func (export "byte") (param i64) (result i32) (i32.load8_u (local.get 0)))))"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("byte", {0x10}), RunStatus::Done);
  ASSERT_EQ(h.result(), 0x2au);
  for (u64 a : {u64{0x20}, u64{0x10}, u64{0x11}, u64{0xf}, kPage}) {  // 0x20 + offset wraps to 0x10
    EXPECT_EQ(h.call("load", {a}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(h.call("store", {a}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  }
  for (u64 a : {u64{0}, u64{0x10}, u64{0x11}}) {
    ASSERT_EQ(h.call("byte", {a}), RunStatus::Done);
    EXPECT_EQ(h.result(), a == 0x10 ? 0x2au : 0u) << a;
  }
}

TEST(MultiMemory, GrowingAnotherMemoryLeavesMemoryZeroAndReloadsIt) {
  Harness h(text(R"((module (memory 1) (memory 0)
    (func (export "grow1") (param i32) (result i32) (memory.grow 1 (local.get 0)))
    (func (export "grow0") (param i32) (result i32) (memory.grow 0 (local.get 0)))
    (func (export "last0") (result i32)
      (drop (memory.grow 1 (i32.const 1)))
      (i32.store (i32.const 65532) (i32.const 5))
      (drop (memory.grow 0 (i32.const 1)))
      (i32.store (i32.const 131068) (i32.const 6))
      (i32.add (i32.load (i32.const 65532)) (i32.load 1 (i32.const 65532))))))"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("last0"), RunStatus::Done);
  EXPECT_EQ(h.result(), 5u);
  EXPECT_EQ(h.instance->memories[0]->size, 2 * kPage);
  EXPECT_EQ(h.instance->memories[1]->size, 1 * kPage);
}

}  // namespace
}  // namespace wasm_test
