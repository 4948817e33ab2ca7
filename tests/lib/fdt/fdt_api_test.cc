// The accessors' contracts, on small blobs built in the test.
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "fdt_test_util.h"

using namespace fdt_test;

namespace {

// Keeps the bytes alive next to the parsed blob.
struct Parsed {
  std::vector<uint8_t> bytes;
  std::optional<Blob> blob;
  const Blob* operator->() const { return &blob.value(); }
  Node find(const char* path) const {
    auto node = blob.value().find(path);
    EXPECT_TRUE(node.is_ok()) << path;
    return node.value();
  }
};

Parsed parse(const Builder& builder, uint32_t version = 17) {
  Parsed parsed;
  parsed.bytes = builder.build(version);
  auto result = Blob::parse(parsed.bytes.data(), parsed.bytes.size());
  EXPECT_TRUE(result.is_ok()) << fdt::error_name(result.error());
  if (result.is_ok()) parsed.blob.emplace(result.release_value());
  return parsed;
}

Property prop(const Parsed& p, const char* path, const char* name) {
  return p.find(path).property(name).value();
}

TEST(PropertyValues, numbers_need_exactly_their_size) {
  Builder b;
  b.begin("")
      .prop_cells("one", {0x12345678})
      .prop_u64("two", 0x1122334455667788)
      .prop("three", {1, 2, 3})
      .prop_empty("none")
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_EQ(prop(p, "/", "one").as_u32().value(), 0x12345678u);
  EXPECT_FALSE(prop(p, "/", "one").as_u64().has_value());
  EXPECT_EQ(prop(p, "/", "one").as_number().value(), 0x12345678u);
  EXPECT_EQ(prop(p, "/", "two").as_u64().value(), 0x1122334455667788u);
  EXPECT_FALSE(prop(p, "/", "two").as_u32().has_value());
  EXPECT_EQ(prop(p, "/", "two").as_number().value(), 0x1122334455667788u);
  EXPECT_FALSE(prop(p, "/", "three").as_number().has_value());
  EXPECT_FALSE(prop(p, "/", "none").as_u32().has_value());
  EXPECT_TRUE(prop(p, "/", "none").empty());
  EXPECT_EQ(prop(p, "/", "three").bytes().size(), 3u);
  EXPECT_EQ(prop(p, "/", "three").bytes()[2], 3u);
}

TEST(PropertyValues, strings_must_be_nul_terminated) {
  Builder b;
  b.begin("")
      .prop_strings("model", {"riscv-virtio,qemu"})
      .prop_strings("list", {"a", "", "bc"})
      .prop("unterminated", {'a', 'b'})
      .prop_empty("empty")
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_EQ(str(prop(p, "/", "model").as_string().value()), "riscv-virtio,qemu");
  EXPECT_EQ(str(prop(p, "/", "list").as_string().value()), "a");
  EXPECT_FALSE(prop(p, "/", "unterminated").as_string().has_value());
  EXPECT_FALSE(prop(p, "/", "empty").as_string().has_value());

  std::vector<std::string> list;
  for (StringView s : prop(p, "/", "list").strings()) list.push_back(str(s));
  EXPECT_EQ(list, (std::vector<std::string>{"a", "", "bc"}));
  EXPECT_TRUE(prop(p, "/", "list").contains_string("bc"));
  EXPECT_TRUE(prop(p, "/", "list").contains_string(""));
  EXPECT_FALSE(prop(p, "/", "list").contains_string("b"));
  for (StringView s : prop(p, "/", "unterminated").strings()) ADD_FAILURE() << str(s);
  for (StringView s : prop(p, "/", "empty").strings()) ADD_FAILURE() << str(s);
}

TEST(PropertyValues, cells_are_bounds_checked) {
  Builder b;
  b.begin("").prop_cells("c", {1, 2, 3}).prop("odd", {0, 0, 0, 1, 0}).end().finish();
  Parsed p = parse(b);
  Property c = prop(p, "/", "c");
  EXPECT_EQ(c.cell_count(), 3u);
  EXPECT_EQ(c.cell(2).value(), 3u);
  EXPECT_FALSE(c.cell(3).has_value());
  EXPECT_EQ(c.cells(1, 2).value(), 0x0000000200000003u);
  EXPECT_EQ(c.cells(3, 0).value(), 0u);
  EXPECT_FALSE(c.cells(2, 2).has_value());
  EXPECT_FALSE(c.cells(0, 3).has_value());
  EXPECT_FALSE(c.cells(~size_t{0}, 2).has_value());
  Property odd = prop(p, "/", "odd");
  EXPECT_EQ(odd.cell_count(), 0u);
  EXPECT_FALSE(odd.cell(0).has_value());
}

TEST(Nodes, names_split_at_the_unit_address) {
  Builder b;
  b.begin("").begin("memory@80000000").end().begin("chosen").end().end().finish();
  Parsed p = parse(b);
  Node memory = p.find("/memory@80000000");
  EXPECT_EQ(str(memory.name()), "memory@80000000");
  EXPECT_EQ(str(memory.unit_name()), "memory");
  EXPECT_EQ(str(memory.unit_address()), "80000000");
  Node chosen = p.find("/chosen");
  EXPECT_EQ(str(chosen.unit_name()), "chosen");
  EXPECT_EQ(str(chosen.unit_address()), "");
  EXPECT_TRUE(p->root().is_root());
  EXPECT_FALSE(chosen.is_root());
  EXPECT_EQ(chosen.parent()->offset(), p->root().offset());
  EXPECT_FALSE(p->root().parent().has_value());
}

TEST(Find, paths_match_full_names_or_unit_names) {
  Builder b;
  b.begin("")
      .begin("soc")
      .begin("uart@2000")
      .end()
      .begin("uart@1000")
      .end()
      .end()
      .begin("uart")
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_EQ(p->find("/").value(), p->root());
  EXPECT_EQ(str(p.find("/soc/uart@1000").name()), "uart@1000");
  EXPECT_EQ(str(p.find("/soc/uart").name()), "uart@2000") << "first in blob order";
  EXPECT_EQ(str(p.find("//soc//uart@1000/").name()), "uart@1000");
  EXPECT_EQ(p.find("/uart").parent().value(), p->root());
  EXPECT_EQ(p->find("/soc/uart@3000").error(), Error::NotFound);
  EXPECT_EQ(p->find("/soc/uar").error(), Error::NotFound);
  EXPECT_EQ(p->find("/so").error(), Error::NotFound);
  EXPECT_EQ(p->find("soc").error(), Error::NotFound) << "paths are absolute";
  EXPECT_EQ(p->find("").error(), Error::NotFound);
  // A component with '@' never matches by unit name alone.
  EXPECT_EQ(p->find("/uart@").error(), Error::NotFound);
}

TEST(Find, phandles_resolve_including_legacy_linux_phandle) {
  Builder b;
  b.begin("")
      .begin("a")
      .prop_cells("phandle", {1})
      .end()
      .begin("b")
      .prop_cells("linux,phandle", {2})
      .end()
      .begin("c")
      .prop_cells("phandle", {0xffffffff})
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_EQ(str(p->find_by_phandle(1).value().name()), "a");
  EXPECT_EQ(str(p->find_by_phandle(2).value().name()), "b");
  EXPECT_EQ(p->find_by_phandle(3).error(), Error::NotFound);
  EXPECT_EQ(p->find_by_phandle(0).error(), Error::NotFound);
  EXPECT_EQ(p->find_by_phandle(0xffffffff).error(), Error::NotFound);
}

TEST(Iteration, children_properties_and_all_nodes_in_blob_order_skipping_nops) {
  Builder b;
  b.nop()
      .begin("")
      .nop()
      .prop_cells("p1", {1})
      .nop()
      .prop_cells("p2", {2})
      .nop()
      .begin("a")
      .begin("a1")
      .end()
      .end()
      .nop()
      .begin("b")
      .end()
      .nop()
      .end()
      .nop()
      .finish();
  Parsed p = parse(b);
  std::vector<std::string> names;
  for (Property prop : p->root().properties()) names.push_back(str(prop.name()));
  EXPECT_EQ(names, (std::vector<std::string>{"p1", "p2"}));
  names.clear();
  for (Node child : p->root().children()) names.push_back(str(child.name()));
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  names.clear();
  for (Node node : p->nodes()) names.push_back(str(node.name()));
  EXPECT_EQ(names, (std::vector<std::string>{"", "a", "a1", "b"}));
  names.clear();
  p->for_each_node([&](Node n) { names.push_back(str(n.name())); });
  EXPECT_EQ(names.size(), 4u);
  EXPECT_EQ(p.find("/a/a1").parent()->parent().value(), p->root());
  size_t properties = 0;
  p.find("/a").for_each_property([&](Property) { ++properties; });
  EXPECT_EQ(properties, 0u);
  size_t children = 0;
  p.find("/a/a1").for_each_child([&](Node) { ++children; });
  EXPECT_EQ(children, 0u);
}

TEST(Iteration, compatible_and_device_type_filters) {
  Builder b;
  b.begin("")
      .begin("x@1")
      .prop_strings("compatible", {"vendor,x2", "vendor,x"})
      .end()
      .begin("y")
      .prop_strings("compatible", {"vendor,xx"})
      .begin("x@2")
      .prop_strings("compatible", {"vendor,x"})
      .prop_strings("device_type", {"memory"})
      .end()
      .end()
      .begin("cpu")
      .prop_strings("device_type", {"cpu"})
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  std::vector<std::string> names;
  p->for_each_compatible("vendor,x", [&](Node n) { names.push_back(str(n.name())); });
  EXPECT_EQ(names, (std::vector<std::string>{"x@1", "x@2"}));
  names.clear();
  p->for_each_of_type("memory", [&](Node n) { names.push_back(str(n.name())); });
  EXPECT_EQ(names, (std::vector<std::string>{"x@2"}));
  names.clear();
  for (Node n : p->nodes_of_type("cpu")) names.push_back(str(n.name()));
  EXPECT_EQ(names, (std::vector<std::string>{"cpu"}));
  for (Node n : p->compatible_nodes("vendor")) ADD_FAILURE() << str(n.name());
  EXPECT_EQ(p.find("/y/x@2").parent().value(), p.find("/y"));
}

TEST(Status, absent_okay_and_ok_are_enabled) {
  Builder b;
  b.begin("")
      .begin("a")
      .end()
      .begin("b")
      .prop_strings("status", {"okay"})
      .end()
      .begin("c")
      .prop_strings("status", {"ok"})
      .end()
      .begin("d")
      .prop_strings("status", {"disabled"})
      .end()
      .begin("e")
      .prop_cells("status", {1})
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_TRUE(p.find("/a").is_enabled());
  EXPECT_TRUE(p.find("/b").is_enabled());
  EXPECT_TRUE(p.find("/c").is_enabled());
  EXPECT_FALSE(p.find("/d").is_enabled());
  EXPECT_FALSE(p.find("/e").is_enabled());
}

TEST(Reg, uses_the_parents_cell_counts) {
  Builder b;
  b.begin("")  // no #address-cells/#size-cells: defaults 2 and 1
      .begin("default@0")
      .prop_cells("reg", {0x1, 0x2, 0x3, 0x0, 0x10, 0x20})
      .end()
      .begin("bus32")
      .prop_cells("#address-cells", {1})
      .prop_cells("#size-cells", {1})
      .begin("dev@100")
      .prop_cells("reg", {0x100, 0x10, 0x200, 0x20})
      .end()
      .end()
      .begin("bus64")
      .prop_cells("#address-cells", {2})
      .prop_cells("#size-cells", {2})
      .begin("dev@0")
      .prop_cells("reg", {0x1, 0x0, 0x0, 0x1000})
      .end()
      .end()
      .begin("cpus")
      .prop_cells("#address-cells", {1})
      .prop_cells("#size-cells", {0})
      .begin("cpu@3")
      .prop_cells("reg", {3})
      .end()
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  Node def = p.find("/default@0");
  EXPECT_EQ(def.reg_count(), 2u);
  EXPECT_EQ(def.reg(0).value(), (Range{0x100000002, 0x3}));
  EXPECT_EQ(def.reg(1).value(), (Range{0x10, 0x20}));
  EXPECT_EQ(def.reg(2).error(), Error::NotFound);
  Node dev32 = p.find("/bus32/dev");
  EXPECT_EQ(dev32.reg_count(), 2u);
  EXPECT_EQ(dev32.reg(1).value(), (Range{0x200, 0x20}));
  EXPECT_EQ(p.find("/bus64/dev").reg(0).value(), (Range{0x100000000, 0x1000}));
  EXPECT_EQ(p.find("/cpus/cpu").reg(0).value(), (Range{3, 0}));
  EXPECT_EQ(p.find("/bus32").address_cells().value(), 1u);
  EXPECT_EQ(p->root().address_cells().value(), 2u);
  EXPECT_EQ(p->root().size_cells().value(), 1u);
  EXPECT_EQ(p.find("/bus32").reg(0).error(), Error::NotFound) << "no reg at all";
  EXPECT_EQ(p.find("/bus32").reg_count(), 0u);
}

TEST(Reg, malformed_cell_counts_and_partial_entries_are_bad_property) {
  Builder b;
  b.begin("")
      .begin("wide")
      .prop_cells("#address-cells", {3})
      .begin("dev")
      .prop_cells("reg", {0, 0, 0, 0, 0})
      .end()
      .end()
      .begin("long")
      .prop_cells("#address-cells", {0, 1})
      .begin("dev")
      .prop_cells("reg", {0, 0, 0})
      .end()
      .end()
      .begin("zero")
      .prop_cells("#address-cells", {0})
      .prop_cells("#size-cells", {0})
      .begin("dev")
      .prop_cells("reg", {0})
      .end()
      .end()
      .begin("partial")
      .prop_cells("reg", {0, 0x1000, 0x10, 0})  // 1.33 entries of 3 cells
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_EQ(p.find("/wide/dev").reg(0).error(), Error::BadProperty);
  EXPECT_EQ(p.find("/long").address_cells().error(), Error::BadProperty);
  EXPECT_EQ(p.find("/long/dev").reg(0).error(), Error::BadProperty);
  EXPECT_EQ(p.find("/zero/dev").reg(0).error(), Error::BadProperty);
  EXPECT_EQ(p.find("/partial").reg(0).error(), Error::BadProperty);
  EXPECT_EQ(p.find("/partial").reg_count(), 0u);
  EXPECT_EQ(p.find("/wide/dev").reg_count(), 0u);
}

Builder interrupt_tree() {
  Builder b;
  b.begin("")
      .begin("intc1")
      .prop_cells("phandle", {1})
      .prop_cells("#interrupt-cells", {1})
      .end()
      .begin("intc2")
      .prop_cells("phandle", {2})
      .prop_cells("#interrupt-cells", {2})
      .end()
      .begin("nocells")
      .prop_cells("phandle", {3})
      .end()
      .begin("toomany")
      .prop_cells("phandle", {4})
      .prop_cells("#interrupt-cells", {fdt::kMaxInterruptCells + 1})
      .end()
      .begin("dev")
      .prop_cells("interrupts-extended", {1, 11, 2, 5, 6, 1, 9})
      .end()
      .begin("dangling")
      .prop_cells("interrupts-extended", {1, 11, 7, 1})
      .end()
      .begin("short")
      .prop_cells("interrupts-extended", {1, 11, 2, 5})
      .end()
      .begin("uncounted")
      .prop_cells("interrupts-extended", {3, 1})
      .end()
      .begin("huge")
      .prop_cells("interrupts-extended", {4, 1, 2, 3, 4, 5})
      .end()
      .begin("ragged")
      .prop("interrupts-extended", {0, 0, 0, 1, 0, 0})
      .end()
      .begin("plain")
      .end()
      .end()
      .finish();
  return b;
}

TEST(InterruptsExtended, specifier_length_comes_from_each_controller) {
  Parsed p = parse(interrupt_tree());
  Node dev = p.find("/dev");
  std::vector<std::vector<uint32_t>> entries;
  auto walked = dev.for_each_interrupt_extended([&](const fdt::Interrupt& irq) {
    std::vector<uint32_t> entry{irq.phandle};
    entry.insert(entry.end(), irq.cells, irq.cells + irq.cell_count);
    entries.push_back(entry);
    EXPECT_EQ(irq.controller, p->find_by_phandle(irq.phandle).value());
  });
  ASSERT_TRUE(walked.is_ok());
  EXPECT_EQ(entries, (std::vector<std::vector<uint32_t>>{{1, 11}, {2, 5, 6}, {1, 9}}));
  EXPECT_EQ(dev.interrupt_extended(1).value().cell_count, 2u);
  EXPECT_EQ(dev.interrupt_extended(2).value().cells[0], 9u);
  EXPECT_EQ(dev.interrupt_extended(3).error(), Error::NotFound);
}

TEST(InterruptsExtended, broken_references_are_bad_property) {
  Parsed p = parse(interrupt_tree());
  for (const char* path : {"/dangling", "/short", "/uncounted", "/huge", "/ragged"}) {
    size_t seen = 0;
    auto walked = p.find(path).for_each_interrupt_extended([&](const fdt::Interrupt&) { ++seen; });
    EXPECT_EQ(walked.error(), Error::BadProperty) << path;
    EXPECT_LE(seen, 1u) << path;
  }
  // Entries before the broken one are still readable by index.
  EXPECT_EQ(p.find("/dangling").interrupt_extended(0).value().cells[0], 11u);
  EXPECT_EQ(p.find("/dangling").interrupt_extended(1).error(), Error::BadProperty);
}

TEST(InterruptsExtended, absent_property_has_no_entries) {
  Parsed p = parse(interrupt_tree());
  Node plain = p.find("/plain");
  EXPECT_EQ(plain.interrupt_extended(0).error(), Error::NotFound);
  size_t seen = 0;
  EXPECT_TRUE(plain.for_each_interrupt_extended([&](const fdt::Interrupt&) { ++seen; }).is_ok());
  EXPECT_EQ(seen, 0u);
}

TEST(Chosen, initrd_accepts_32_and_64_bit_bounds) {
  Builder b;
  b.begin("")
      .begin("chosen")
      .prop_cells("linux,initrd-start", {0x84000000})
      .prop_u64("linux,initrd-end", 0x84100000)
      .prop_strings("bootargs", {"console=uart log=debug"})
      .prop("rng-seed", {1, 2, 3, 4, 5})
      .end()
      .end()
      .finish();
  Parsed p = parse(b);
  EXPECT_EQ(p->initrd().value(), (Range{0x84000000, 0x100000}));
  EXPECT_EQ(p->initrd().value().end(), 0x84100000u);
  EXPECT_EQ(str(p->bootargs().value()), "console=uart log=debug");
  EXPECT_EQ(p->rng_seed().value().size(), 5u);
}

TEST(Chosen, malformed_or_missing_initrd_is_an_error) {
  Builder reversed;
  reversed.begin("")
      .begin("chosen")
      .prop_cells("linux,initrd-start", {0x2000})
      .prop_cells("linux,initrd-end", {0x1000})
      .end()
      .end()
      .finish();
  EXPECT_EQ(parse(reversed)->initrd().error(), Error::BadProperty);
  Builder odd;
  odd.begin("")
      .begin("chosen")
      .prop("linux,initrd-start", {0, 0, 1})
      .prop_cells("linux,initrd-end", {0x1000})
      .end()
      .end()
      .finish();
  EXPECT_EQ(parse(odd)->initrd().error(), Error::BadProperty);
  Builder half;
  half.begin("").begin("chosen").prop_cells("linux,initrd-start", {0}).end().end().finish();
  EXPECT_EQ(parse(half)->initrd().error(), Error::NotFound);
  Builder none;
  none.begin("").end().finish();
  Parsed p = parse(none);
  EXPECT_EQ(p->initrd().error(), Error::NotFound);
  EXPECT_FALSE(p->bootargs().has_value());
  EXPECT_FALSE(p->rng_seed().has_value());
  EXPECT_FALSE(p->timebase_frequency().has_value());
}

TEST(Cpus, timebase_may_be_64_bit_or_live_in_a_cpu_node) {
  Builder wide;
  wide.begin("").begin("cpus").prop_u64("timebase-frequency", 1000000000000).end().end().finish();
  EXPECT_EQ(parse(wide)->timebase_frequency().value(), 1000000000000u);
  Builder in_cpu;
  in_cpu.begin("")
      .begin("cpus")
      .begin("cpu-map")
      .end()
      .begin("cpu@0")
      .prop_strings("device_type", {"cpu"})
      .prop_cells("timebase-frequency", {24000000})
      .end()
      .end()
      .end()
      .finish();
  EXPECT_EQ(parse(in_cpu)->timebase_frequency().value(), 24000000u);
}

TEST(Header, version_16_blobs_are_read_without_the_struct_size_field) {
  Builder b;
  b.begin("").prop_cells("x", {7}).begin("child").end().end().finish();
  std::vector<uint8_t> bytes = b.build(16);
  set_be32(bytes, kStructSize, 0xdeadbeef);  // not part of a version 16 header
  auto blob = Blob::parse(bytes.data(), bytes.size());
  ASSERT_TRUE(blob.is_ok()) << fdt::error_name(blob.error());
  EXPECT_EQ(blob.value().version(), 16u);
  EXPECT_EQ(blob.value().root().u32_property("x").value(), 7u);
  EXPECT_TRUE(blob.value().find("/child").is_ok());
}

TEST(Header, boot_cpuid_and_reservations_are_reported) {
  Builder b;
  b.reserve(0x80000000, 0x200000).reserve(0x90000000, 0x1000).begin("").end().finish();
  std::vector<uint8_t> bytes = b.build();
  set_be32(bytes, kBootCpuid, 5);
  Blob blob = Blob::parse(bytes.data(), bytes.size()).release_value();
  EXPECT_EQ(blob.boot_cpuid(), 5u);
  EXPECT_EQ(blob.total_size(), bytes.size());
  EXPECT_EQ(blob.data(), bytes.data());
  std::vector<Range> reservations;
  for (Range r : blob.memory_reservations()) reservations.push_back(r);
  EXPECT_EQ(reservations, (std::vector<Range>{{0x80000000, 0x200000}, {0x90000000, 0x1000}}));
}

TEST(Header, available_bytes_beyond_totalsize_are_ignored) {
  Builder b;
  b.begin("").end().finish();
  std::vector<uint8_t> bytes = b.build();
  size_t total = bytes.size();
  bytes.resize(total + 4096, 0xff);
  Blob blob = Blob::parse(bytes.data(), bytes.size()).release_value();
  EXPECT_EQ(blob.total_size(), total);
}

TEST(Lifetime, nodes_outlive_the_blob_object_that_produced_them) {
  Builder b;
  b.begin("").begin("a").prop_cells("v", {42}).end().end().finish();
  std::vector<uint8_t> bytes = b.build();
  std::optional<Node> node;
  {
    std::optional<Blob> blob;
    blob.emplace(Blob::parse(bytes.data(), bytes.size()).release_value());
    Blob copy = *blob;
    blob.reset();
    node.emplace(copy.find("/a").value());
  }
  EXPECT_EQ(node->u32_property("v").value(), 42u);
  // Range-for over a temporary's children is safe: the range holds what it needs by value.
  size_t count = 0;
  for (Node child : Blob::parse(bytes.data(), bytes.size()).value().root().children()) {
    EXPECT_EQ(str(child.name()), "a");
    ++count;
  }
  EXPECT_EQ(count, 1u);
}

TEST(Errors, every_error_has_a_distinct_name_and_a_support_code) {
  std::set<std::string> names;
  for (Error e :
       {Error::Truncated, Error::BadMagic, Error::BadVersion, Error::BadLayout, Error::BadToken,
        Error::BadStringOffset, Error::BadProperty, Error::TooDeep, Error::NotFound}) {
    names.insert(fdt::error_name(e));
    (void)fdt::to_support_error(e);
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_EQ(names.count("unknown error"), 0u);
  EXPECT_EQ(fdt::to_support_error(Error::NotFound), support::Error::NotFound);
  EXPECT_EQ(fdt::to_support_error(Error::Truncated), support::Error::Truncated);
  EXPECT_EQ(fdt::to_support_error(Error::BadToken), support::Error::Corrupt);
}

}  // namespace
