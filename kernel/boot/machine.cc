#include <fdt/fdt.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>

namespace machine {

namespace {

Info g_info;
u64 g_phys_map_base = 0;

void add_reserved(Info& m, u64 base, u64 size) {
  if (size == 0) return;
  if (m.reserved_count == kMaxRanges) {
    LOG_WARN("more than {} reserved ranges; ignoring {:#x}+{:#x}", kMaxRanges, base, size);
    return;
  }
  m.reserved[m.reserved_count++] = {base, size};
}

Device device_from(const fdt::Node& node) {
  Device d;
  if (auto reg = node.reg(0)) {
    d.base = reg.value().base;
    d.size = reg.value().size;
  }
  if (auto irq = node.property("interrupts")) {
    if (auto v = irq->cell(0)) d.irq = *v;
  }
  return d;
}

// Reads a u32 or u64 property; 0 when absent or of another size.
u64 number(const fdt::Node& node, support::StringView name) {
  return node.number_property(name).value_or(0);
}

}  // namespace

const char* error_name(Error error) {
  switch (error) {
    case Error::BadDeviceTree: return "the device tree does not parse";
    case Error::NoMemory: return "no memory node";
    case Error::NoCpus: return "no usable hart (or the boot hart is not listed)";
    case Error::TooMany: return "more harts than the kernel supports";
    case Error::NoTimebase: return "no timebase-frequency";
  }
  return "?";
}

void set_phys_map_base(u64 base) { g_phys_map_base = base; }
u64 phys_map_base() { return g_phys_map_base; }
const Info& info() { return g_info; }

i32 cpu_of_hart(u64 hart_id) {
  for (u32 i = 0; i < g_info.hart_count; ++i)
    if (g_info.harts[i].hart_id == hart_id) return static_cast<i32>(g_info.harts[i].cpu);
  return -1;
}

support::Result<void, Error> discover(u64 dtb_phys, u64 boot_hart) {
  Info& m = g_info;
  m = Info{};
  m.boot_hart = boot_hart;

  const void* blob_address = phys_ptr<const void>(dtb_phys);
  // The header says how much to read; the direct map covers all of it.
  auto declared = fdt::Blob::peek_total_size(blob_address, 8);
  if (declared.is_error()) {
    LOG_ERROR("device tree at {:#x}: {}", dtb_phys, fdt::error_name(declared.error()));
    return Error::BadDeviceTree;
  }
  auto parsed = fdt::Blob::parse(blob_address, declared.value());
  if (parsed.is_error()) {
    LOG_ERROR("device tree at {:#x}: {}", dtb_phys, fdt::error_name(parsed.error()));
    return Error::BadDeviceTree;
  }
  const fdt::Blob& blob = parsed.value();
  m.dtb = {dtb_phys, blob.total_size()};

  // Memory and what the firmware keeps for itself.
  blob.for_each_of_type("memory", [&](const fdt::Node& node) {
    for (u32 i = 0; i < node.reg_count(); ++i) {
      auto reg = node.reg(i);
      if (!reg || reg.value().size == 0) continue;
      if (m.memory_count == kMaxRanges) break;
      m.memory[m.memory_count++] = {reg.value().base, reg.value().size};
    }
  });
  if (m.memory_count == 0) return Error::NoMemory;
  for (fdt::Range r : blob.memory_reservations()) add_reserved(m, r.base, r.size);
  if (auto reserved = blob.find("/reserved-memory")) {
    reserved.value().for_each_child([&](const fdt::Node& child) {
      for (u32 i = 0; i < child.reg_count(); ++i)
        if (auto reg = child.reg(i)) add_reserved(m, reg.value().base, reg.value().size);
    });
  }

  // Harts: logical CPU 0 is the boot hart, the others follow in device-tree order.
  bool too_many = false;
  u32 next_cpu = 1;
  bool boot_found = false;
  blob.for_each_of_type("cpu", [&](const fdt::Node& node) {
    if (!node.is_enabled()) return;
    auto reg = node.reg(0);
    if (!reg) return;
    if (m.hart_count == arch::kMaxCpus) {
      too_many = true;
      return;
    }
    Hart& h = m.harts[m.hart_count++];
    h.hart_id = reg.value().base;
    h.isa = node.string_property("riscv,isa").value_or("");
    if (auto mmu = node.string_property("mmu-type")) m.mmu_type = *mmu;
    if (h.hart_id == boot_hart) {
      h.cpu = 0;
      boot_found = true;
    } else {
      h.cpu = next_cpu++;
    }
  });
  if (too_many) return Error::TooMany;
  if (m.hart_count == 0 || !boot_found) return Error::NoCpus;
  m.timebase_hz = blob.timebase_frequency().value_or(0);
  if (m.timebase_hz == 0) return Error::NoTimebase;

  // /chosen: command line, initrd, entropy.
  m.bootargs = blob.bootargs().value_or("");
  if (auto initrd = blob.initrd()) m.initrd = {initrd.value().base, initrd.value().size};
  if (auto seed = blob.rng_seed()) m.rng_seed = *seed;

  // Devices.
  blob.for_each_compatible("ns16550a", [&](const fdt::Node& node) {
    if (m.uart.present()) return;
    m.uart = device_from(node);
    m.uart_reg_shift = static_cast<u32>(number(node, "reg-shift"));
    u32 width = static_cast<u32>(number(node, "reg-io-width"));
    m.uart_reg_io_width = width == 0 ? 1 : width;
  });
  blob.for_each_compatible("sifive,test0", [&](const fdt::Node& node) {
    if (!m.test_device.present()) m.test_device = device_from(node);
  });
  blob.for_each_compatible("google,goldfish-rtc", [&](const fdt::Node& node) {
    if (!m.rtc.present()) m.rtc = device_from(node);
  });
  blob.for_each_compatible("virtio,mmio", [&](const fdt::Node& node) {
    if (m.virtio_count < kMaxVirtio) m.virtio[m.virtio_count++] = device_from(node);
  });
  auto find_plic = [&](const fdt::Node& node) {
    if (m.plic.present()) return;
    m.plic = device_from(node);
    // interrupts-extended: (cpu-intc phandle, cause) per context; cause 9 = S-mode external.
    u32 context = 0;
    auto walked = node.for_each_interrupt_extended([&](const fdt::Interrupt& irq) {
      u32 this_context = context++;
      if (irq.cell_count < 1 || irq.cells[0] != 9) return;
      auto cpu = irq.controller.parent();
      if (!cpu) return;
      auto reg = cpu->reg(0);
      if (!reg) return;
      for (u32 i = 0; i < m.hart_count; ++i)
        if (m.harts[i].hart_id == reg.value().base) m.harts[i].plic_s_context = this_context;
    });
    if (walked.is_error())
      LOG_WARN("plic: interrupts-extended: {}", fdt::error_name(walked.error()));
  };
  blob.for_each_compatible("riscv,plic0", find_plic);
  blob.for_each_compatible("sifive,plic-1.0.0", find_plic);
  return {};
}

void log_summary() {
  const Info& m = g_info;
  LOG_INFO("memory: {} MiB in {} range(s), mmu {}", m.ram_bytes() >> 20, m.memory_count,
           m.mmu_type.empty() ? support::StringView("?") : m.mmu_type);
  for (u32 i = 0; i < m.memory_count; ++i)
    LOG_INFO("  ram      {:#012x}..{:#012x}", m.memory[i].base, m.memory[i].end());
  for (u32 i = 0; i < m.reserved_count; ++i)
    LOG_INFO("  reserved {:#012x}..{:#012x}", m.reserved[i].base, m.reserved[i].end());
  LOG_INFO("  dtb      {:#012x}..{:#012x}", m.dtb.base, m.dtb.end());
  if (m.initrd.size != 0) LOG_INFO("  initrd   {:#012x}..{:#012x}", m.initrd.base, m.initrd.end());
  for (u32 i = 0; i < m.hart_count; ++i)
    LOG_DEBUG("hart {} -> cpu {}: {}", m.harts[i].hart_id, m.harts[i].cpu, m.harts[i].isa);
  LOG_INFO("devices: uart {:#x}, plic {:#x}, rtc {:#x}, test {:#x}, {} virtio-mmio slots",
           m.uart.base, m.plic.base, m.rtc.base, m.test_device.base, m.virtio_count);
}

}  // namespace machine
