#include <arch/cpu.h>
#include <arch/sbi.h>
#include <kernel/drivers/power.h>

namespace power {

namespace {
uptr g_test_device = 0;
constexpr u32 kPass = 0x5555;
constexpr u32 kFail = 0x3333;
}  // namespace

void set_test_device(uptr virtual_base) { g_test_device = virtual_base; }

void exit(u32 status) {
  if (g_test_device != 0) {
    u32 value = status == 0 ? kPass : ((status << 16) | kFail);
    *reinterpret_cast<volatile u32*>(g_test_device) = value;
  }
  // No test device (or it did not stop the machine): SBI reset reports success whatever happened.
  arch::sbi::shutdown();
}

}  // namespace power
