// The initial ramdisk the boot loader placed in memory (QEMU -initrd): a cpio archive of
// programs and data, read in place through the direct map.
#pragma once

#include <initrd/archive.h>
#include <support/optional.h>

namespace ramdisk {

// Parses the initrd from the device tree's /chosen, if any; logs what it found.
void init();
// The archive, or nothing when there is no initrd (or it did not parse).
const initrd::Archive* archive();
// The archive's bytes (empty without an initrd).
support::Bytes blob();

}  // namespace ramdisk
