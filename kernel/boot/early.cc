// Runs on the boot stack before .bss is cleared: nothing here may use a zero-initialised global.
#include <arch/layout.h>
#include <arch/sbi.h>
#include <fdt/fdt.h>
#include <kernel/boot/machine.h>
#include <support/format.h>

extern "C" const char _kernel_start[], _kernel_end[];

namespace {

[[noreturn]] void refuse(support::StringView what, const machine::Range& a,
                         const machine::Range& b) {
  char buffer[200];
  auto text = support::format_to_buffer(
      buffer, sizeof buffer, "\nwarden: cannot boot: {} overlap ({:#x}..{:#x} and {:#x}..{:#x})\n",
      what, a.base, a.end(), b.base, b.end());
  for (char c : text) arch::sbi::legacy_putchar(c);
  arch::sbi::shutdown();
}

}  // namespace

// Checks that the kernel image (with .bss), the device tree and the initrd are disjoint, before
// clearing .bss could destroy one of them. A blob that does not parse is reported later.
extern "C" void boot_check_layout(u64 hart_id, u64 dtb_phys, u64 phys_map_base) {
  (void)hart_id;
  machine::Range image{arch::image_phys(_kernel_start),
                       static_cast<u64>(_kernel_end - _kernel_start)};
  const void* blob_address = reinterpret_cast<const void*>(phys_map_base + dtb_phys);
  auto declared = fdt::Blob::peek_total_size(blob_address, 8);
  if (declared.is_error()) return;  // reported, with the reason, once the console is up
  machine::Range dtb{dtb_phys, declared.value()};
  if (image.overlaps(dtb)) refuse("kernel image and device tree", image, dtb);
  auto blob = fdt::Blob::parse(blob_address, declared.value());
  if (blob.is_error()) return;
  auto range = blob.value().initrd();
  if (range.is_error()) return;
  u64 start = range.value().base, end = range.value().end();
  if (end <= start) return;
  machine::Range initrd{start, end - start};
  if (image.overlaps(initrd)) refuse("kernel image and initrd", image, initrd);
  if (dtb.overlaps(initrd)) refuse("device tree and initrd", dtb, initrd);
}
