// Real device trees: every *.dtb in tests/lib/fdt/data, as QEMU's virt machine writes them
// (virt-smpN-SIZE.dtb) and as the kernel receives them after OpenSBI (received-smpN-SIZE.dtb,
// synthetic-received-*.dtb). The file name states the hart count and the RAM size.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "fdt_test_util.h"

using namespace fdt_test;

namespace {

struct Expected {
  unsigned harts = 0;
  uint64_t ram_bytes = 0;
  bool received = false;  // went through OpenSBI (or imitates it): has /reserved-memory
};

// "virt-smp4-512M.dtb" -> 4 harts, 512 MiB.
bool expected_from_name(const std::string& name, Expected* out) {
  static const std::regex pattern(R"((^|-)smp(\d+)-(\d+)([MG])\.dtb$)");
  std::smatch m;
  if (!std::regex_search(name, m, pattern)) return false;
  out->harts = static_cast<unsigned>(std::stoul(m[2]));
  out->ram_bytes = std::stoull(m[3]) << (m[4] == "G" ? 30 : 20);
  out->received = name.find("received") != std::string::npos;
  return true;
}

class Fixture : public testing::TestWithParam<std::filesystem::path> {
 protected:
  void SetUp() override {
    bytes_ = read_file(GetParam());
    ASSERT_FALSE(bytes_.empty()) << GetParam();
    ASSERT_TRUE(expected_from_name(GetParam().filename().string(), &expected_))
        << "fixture names must say smpN-SIZE: " << GetParam();
    auto parsed = Blob::parse(bytes_.data(), bytes_.size());
    ASSERT_TRUE(parsed.is_ok()) << fdt::error_name(parsed.error());
    blob_.emplace(parsed.release_value());
  }
  const Blob& blob() const { return blob_.value(); }
  Node find(const char* path) const {
    auto node = blob().find(path);
    EXPECT_TRUE(node.is_ok()) << path;
    return node.value();
  }
  Node only_compatible(const char* compatible) const {
    std::vector<Node> nodes;
    for (Node n : blob().compatible_nodes(compatible)) nodes.push_back(n);
    EXPECT_EQ(nodes.size(), 1u) << compatible;
    return nodes.at(0);
  }

  std::vector<uint8_t> bytes_;
  Expected expected_;
  std::optional<Blob> blob_;
};

TEST_P(Fixture, header_matches_file) {
  EXPECT_EQ(blob().total_size(), bytes_.size());
  EXPECT_EQ(blob().version(), 17u);
  EXPECT_LT(blob().boot_cpuid(), expected_.harts);
  EXPECT_TRUE(blob().root().is_root());
  EXPECT_EQ(str(blob().root().name()), "");
}

TEST_P(Fixture, has_one_enabled_cpu_node_per_hart_with_distinct_hart_ids) {
  std::set<uint64_t> hart_ids;
  Node cpus = find("/cpus");
  for (Node cpu : blob().nodes_of_type("cpu")) {
    EXPECT_EQ(str(cpu.unit_name()), "cpu");
    EXPECT_EQ(cpu.parent()->offset(), cpus.offset());
    auto reg = cpu.reg(0);
    ASSERT_TRUE(reg.is_ok()) << fdt::error_name(reg.error());
    EXPECT_EQ(reg.value().size, 0u) << "#size-cells is 0 under /cpus";
    EXPECT_EQ(cpu.reg_count(), 1u);
    EXPECT_EQ(str(cpu.unit_address()), std::to_string(reg.value().base));
    hart_ids.insert(reg.value().base);
    EXPECT_TRUE(cpu.is_enabled());
    EXPECT_EQ(str(cpu.string_property("status").value()), "okay");
    EXPECT_TRUE(str(cpu.string_property("riscv,isa").value()).starts_with("rv64imafdc"));
    EXPECT_TRUE(str(cpu.string_property("mmu-type").value()).starts_with("riscv,sv"));
    auto intc = cpu.child("interrupt-controller");
    ASSERT_TRUE(intc.has_value());
    EXPECT_TRUE(intc->is_compatible("riscv,cpu-intc"));
    EXPECT_EQ(intc->u32_property("#interrupt-cells").value(), 1u);
  }
  EXPECT_EQ(hart_ids.size(), expected_.harts);
  EXPECT_EQ(*hart_ids.rbegin(), expected_.harts - 1);
}

TEST_P(Fixture, memory_nodes_add_up_to_the_ram_size) {
  uint64_t total = 0;
  uint64_t lowest = ~uint64_t{0};
  for (Node memory : blob().nodes_of_type("memory")) {
    for (size_t i = 0; i < memory.reg_count(); ++i) {
      Range r = memory.reg(i).value();
      total += r.size;
      lowest = std::min(lowest, r.base);
    }
    EXPECT_EQ(memory.reg(memory.reg_count()).error(), fdt::Error::NotFound);
  }
  EXPECT_EQ(total, expected_.ram_bytes);
  EXPECT_EQ(lowest, 0x80000000u);
  // "/memory" finds memory@80000000 by its unit name.
  Node memory = find("/memory");
  EXPECT_EQ(str(memory.name()), "memory@80000000");
  EXPECT_EQ(str(memory.unit_address()), "80000000");
}

TEST_P(Fixture, timebase_is_ten_megahertz) {
  EXPECT_EQ(blob().timebase_frequency().value(), 10000000u);
  EXPECT_EQ(find("/cpus").number_property("timebase-frequency").value(), 10000000u);
}

TEST_P(Fixture, uart_is_an_ns16550a_at_0x10000000) {
  Node uart = only_compatible("ns16550a");
  EXPECT_EQ(uart.reg(0).value(), (Range{0x10000000, 0x100}));
  EXPECT_EQ(uart.offset(), find("/soc/serial@10000000").offset());
  EXPECT_EQ(uart.offset(), find("/soc/serial").offset());
  Optional<Property> stdout_path = find("/chosen").property("stdout-path");
  ASSERT_TRUE(stdout_path.has_value());
  EXPECT_EQ(str(stdout_path->as_string().value()), "/soc/serial@10000000");
  EXPECT_EQ(find(str(stdout_path->as_string().value()).c_str()).offset(), uart.offset());
}

TEST_P(Fixture, plic_has_two_contexts_per_hart_pointing_at_cpu_interrupt_controllers) {
  Node plic = only_compatible("riscv,plic0");
  EXPECT_TRUE(plic.is_compatible("sifive,plic-1.0.0"));
  EXPECT_EQ(plic.reg(0).value(), (Range{0xc000000, 0x600000}));
  EXPECT_EQ(plic.u32_property("riscv,ndev").value(), 0x60u);
  uint32_t phandle = plic.u32_property("phandle").value();
  EXPECT_EQ(blob().find_by_phandle(phandle).value().offset(), plic.offset());

  std::map<uint64_t, int> supervisor_contexts_per_hart;
  size_t contexts = 0;
  auto walked = plic.for_each_interrupt_extended([&](const fdt::Interrupt& irq) {
    ++contexts;
    ASSERT_EQ(irq.cell_count, 1u);
    EXPECT_TRUE(irq.controller.is_compatible("riscv,cpu-intc"));
    Node cpu = irq.controller.parent().value();
    EXPECT_EQ(str(cpu.string_property("device_type").value()), "cpu");
    // 9: supervisor external interrupt; 11: machine external (OpenSBI writes 0xffffffff there).
    if (irq.cells[0] == 9)
      supervisor_contexts_per_hart[cpu.reg(0).value().base]++;
    else if (expected_.received)
      EXPECT_EQ(irq.cells[0], 0xffffffffu);
    else
      EXPECT_EQ(irq.cells[0], 11u);
  });
  ASSERT_TRUE(walked.is_ok()) << fdt::error_name(walked.error());
  EXPECT_EQ(contexts, 2 * expected_.harts);
  EXPECT_EQ(supervisor_contexts_per_hart.size(), expected_.harts);
  for (auto [hart, count] : supervisor_contexts_per_hart) EXPECT_EQ(count, 1) << hart;

  // Index access agrees with the walk; past the end is NotFound.
  auto second = plic.interrupt_extended(1);
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second.value().cells[0], 9u);
  EXPECT_EQ(plic.interrupt_extended(contexts).error(), fdt::Error::NotFound);
}

TEST_P(Fixture, clint_timer_and_software_interrupts_cover_every_hart) {
  Node clint = only_compatible("riscv,clint0");
  EXPECT_EQ(clint.reg(0).value(), (Range{0x2000000, 0x10000}));
  size_t entries = 0;
  ASSERT_TRUE(clint.for_each_interrupt_extended([&](const fdt::Interrupt&) { ++entries; }));
  EXPECT_EQ(entries, 2 * expected_.harts);
}

TEST_P(Fixture, test_device_rtc_and_eight_virtio_slots_are_where_qemu_puts_them) {
  Node test = only_compatible("sifive,test0");
  EXPECT_EQ(test.reg(0).value(), (Range{0x100000, 0x1000}));
  Node rtc = only_compatible("google,goldfish-rtc");
  EXPECT_EQ(rtc.reg(0).value(), (Range{0x101000, 0x1000}));

  std::set<uint64_t> slots;
  for (Node virtio : blob().compatible_nodes("virtio,mmio")) {
    Range r = virtio.reg(0).value();
    EXPECT_EQ(r.size, 0x1000u);
    slots.insert(r.base);
    uint32_t irq = virtio.u32_property("interrupts").value();
    EXPECT_EQ(r.base, 0x10000000u + irq * 0x1000u) << "slot i uses PLIC source i";
  }
  ASSERT_EQ(slots.size(), 8u);
  EXPECT_EQ(*slots.begin(), 0x10001000u);
  EXPECT_EQ(*slots.rbegin(), 0x10008000u);
}

TEST_P(Fixture, reserved_memory_children_lie_in_ram_when_received) {
  auto reserved = blob().find("/reserved-memory");
  if (!expected_.received) {
    EXPECT_EQ(reserved.error(), fdt::Error::NotFound);
    return;
  }
  ASSERT_TRUE(reserved.is_ok());
  size_t regions = 0;
  for (Node region : reserved.value().children()) {
    for (size_t i = 0; i < region.reg_count(); ++i) {
      Range r = region.reg(i).value();
      EXPECT_GE(r.base, 0x80000000u);
      EXPECT_LE(r.end(), 0x80000000u + expected_.ram_bytes);
      ++regions;
    }
  }
  EXPECT_GE(regions, 1u);
}

TEST_P(Fixture, every_node_is_reachable_by_walk_children_and_find) {
  // The depth-first walk and the child iteration see the same nodes, and every node's parent
  // lists it as a child.
  size_t walked = 0;
  size_t as_children = 1;  // the root
  for (Node node : blob().nodes()) {
    ++walked;
    for (Node child : node.children()) {
      ++as_children;
      EXPECT_EQ(child.parent()->offset(), node.offset());
    }
  }
  EXPECT_EQ(walked, as_children);
  EXPECT_GT(walked, 20u);
  EXPECT_NE(touch_everything(blob()), 0u);
}

TEST_P(Fixture, parses_the_same_from_an_unaligned_copy) {
  std::vector<uint8_t> shifted(bytes_.size() + 3);
  std::memcpy(shifted.data() + 3, bytes_.data(), bytes_.size());
  auto moved = Blob::parse(shifted.data() + 3, bytes_.size());
  ASSERT_TRUE(moved.is_ok());
  std::vector<uint8_t> exact;
  auto original = parse_copy(bytes_, exact);
  EXPECT_EQ(touch_everything(moved.value()), touch_everything(original.value()));
}

std::string fixture_name(const testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllFixtures, Fixture, testing::ValuesIn(fixture_paths()), fixture_name);

TEST(Fixtures, cover_one_four_and_eight_harts_and_three_memory_sizes) {
  std::set<unsigned> harts;
  std::set<uint64_t> sizes;
  for (const auto& path : fixture_paths()) {
    Expected e;
    ASSERT_TRUE(expected_from_name(path.filename().string(), &e)) << path;
    harts.insert(e.harts);
    sizes.insert(e.ram_bytes);
  }
  EXPECT_TRUE(harts.count(1) && harts.count(4) && harts.count(8));
  EXPECT_GE(sizes.size(), 3u);
}

// The crafted received-like blob (dumped DTS plus what OpenSBI and a boot loader add).
TEST(SyntheticReceived, has_memreserve_entries_bootargs_initrd_and_reserved_memory) {
  std::vector<uint8_t> bytes =
      read_file(std::filesystem::path(WARDEN_TEST_DATA) / "synthetic-received-smp4-512M.dtb");
  Blob blob = Blob::parse(bytes.data(), bytes.size()).release_value();
  std::vector<Range> reservations;
  for (Range r : blob.memory_reservations()) reservations.push_back(r);
  ASSERT_EQ(reservations.size(), 2u);
  EXPECT_EQ(blob.memory_reservations().size(), 2u);
  EXPECT_EQ(reservations[0], (Range{0x80000000, 0x40000}));
  EXPECT_EQ(reservations[1], (Range{0x87f00000, 0x100000}));

  EXPECT_EQ(str(blob.bootargs().value()), "log=debug test=fdt*");
  // initrd-start is 64-bit and initrd-end 32-bit in this blob: both widths are accepted.
  EXPECT_EQ(blob.initrd().value(), (Range{0x88000000, 0x200000}));
  EXPECT_EQ(blob.rng_seed().value().size(), 32u);

  Node resv0 = blob.find("/reserved-memory/mmode_resv0@80040000").value();
  EXPECT_EQ(resv0.reg(0).value(), (Range{0x80040000, 0x20000}));
  EXPECT_TRUE(resv0.has_property("no-map"));
  EXPECT_TRUE(resv0.property("no-map")->empty());
  EXPECT_EQ(blob.find("/reserved-memory/mmode_resv1").value().reg(0).value(),
            (Range{0x80000000, 0x40000}));
}

TEST(VirtDump, has_rng_seed_but_no_bootargs_or_initrd) {
  std::vector<uint8_t> bytes =
      read_file(std::filesystem::path(WARDEN_TEST_DATA) / "virt-smp1-128M.dtb");
  Blob blob = Blob::parse(bytes.data(), bytes.size()).release_value();
  EXPECT_FALSE(blob.bootargs().has_value());
  EXPECT_EQ(blob.initrd().error(), fdt::Error::NotFound);
  EXPECT_EQ(blob.rng_seed().value().size(), 32u);
  EXPECT_EQ(blob.memory_reservations().size(), 0u);
  for (Range r : blob.memory_reservations()) ADD_FAILURE() << r.base;
}

}  // namespace
