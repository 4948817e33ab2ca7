#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/drivers/ramdisk.h>

namespace ramdisk {

namespace {
support::Optional<initrd::Archive> g_archive;
support::Bytes g_blob;
}  // namespace

void init() {
  const auto& range = machine::info().initrd;
  if (range.size == 0) {
    LOG_INFO("initrd: none");
    return;
  }
  support::Bytes blob(machine::phys_ptr<const u8>(range.base), range.size);
  auto parsed = initrd::Archive::parse(blob);
  if (parsed.is_error()) {
    LOG_ERROR("initrd at {:#x} ({} bytes): {}", range.base, range.size,
              initrd::error_name(parsed.error()));
    return;
  }
  g_archive = parsed.release_value();
  g_blob = blob;
  LOG_INFO("initrd: {} entries, {} KiB", g_archive->entry_count(), range.size >> 10);
}

const initrd::Archive* archive() { return g_archive ? &*g_archive : nullptr; }

support::Bytes blob() { return g_blob; }

}  // namespace ramdisk
