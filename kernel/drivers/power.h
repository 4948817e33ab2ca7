// Ending the machine. QEMU's `virt` test device (sifive,test) reports a status to the host;
// SBI system reset cannot (QEMU exits 0 whatever the reason).
#pragma once

#include <support/types.h>

namespace power {

void set_test_device(uptr virtual_base);
// Status 0: success (0x5555). Otherwise QEMU exits with `status` ((status << 16) | 0x3333).
[[noreturn]] void exit(u32 status);

}  // namespace power
