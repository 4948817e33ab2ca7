// What the kernel knows about the machine it runs on, all of it from the device tree the
// firmware passed (nothing here is hard-coded for QEMU's `virt`).
#pragma once

#include <arch/cpu.h>
#include <support/result.h>
#include <support/span.h>
#include <support/string_view.h>

namespace machine {

struct Range {
  u64 base = 0;
  u64 size = 0;
  u64 end() const { return base + size; }
  bool overlaps(const Range& other) const {
    return size != 0 && other.size != 0 && base < other.end() && other.base < end();
  }
};

struct Hart {
  u64 hart_id = 0;
  u32 cpu = 0;  // logical CPU number: the boot hart is 0, the others in device-tree order
  support::StringView isa;
  bool enabled = true;
  u32 plic_s_context = ~0u;  // this hart's supervisor context in the PLIC
};

struct Device {
  u64 base = 0;  // physical
  u64 size = 0;
  u32 irq = 0;
  bool present() const { return size != 0; }
};

inline constexpr u32 kMaxRanges = 16;
inline constexpr u32 kMaxVirtio = 16;

struct Info {
  Range memory[kMaxRanges];
  u32 memory_count = 0;
  Range reserved[kMaxRanges];  // /memreserve/ and /reserved-memory
  u32 reserved_count = 0;
  Hart harts[arch::kMaxCpus];
  u32 hart_count = 0;
  u64 boot_hart = 0;
  u64 timebase_hz = 0;
  support::StringView mmu_type;
  Device uart;
  u32 uart_reg_shift = 0;
  u32 uart_reg_io_width = 1;
  Device plic;
  Device rtc;
  Device test_device;
  Device virtio[kMaxVirtio];
  u32 virtio_count = 0;
  Range initrd;
  Range dtb;
  support::StringView bootargs;
  support::Bytes rng_seed;

  u64 ram_bytes() const {
    u64 total = 0;
    for (u32 i = 0; i < memory_count; ++i) total += memory[i].size;
    return total;
  }
};

enum class Error : u8 {
  BadDeviceTree,  // the blob does not parse
  NoMemory,       // no /memory node
  NoCpus,         // no usable hart, or the boot hart is missing
  TooMany,        // more harts or ranges than the kernel supports
  NoTimebase,
};
const char* error_name(Error error);

// Reads the device tree at physical `dtb_phys` (reached through the direct map).
support::Result<void, Error> discover(u64 dtb_phys, u64 boot_hart);
const Info& info();

// The direct map of physical memory, set up by the boot code.
void set_phys_map_base(u64 base);
u64 phys_map_base();
inline u64 phys_to_virt(u64 physical) { return phys_map_base() + physical; }
template <typename T> T* phys_ptr(u64 physical) {
  return reinterpret_cast<T*>(phys_to_virt(physical));
}

// The logical CPU of a hart, or -1 when the hart is not in the device tree.
i32 cpu_of_hart(u64 hart_id);

// Prints the discovered machine (memory map, harts, devices) to the log.
void log_summary();

}  // namespace machine
