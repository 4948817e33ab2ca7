// Tests of the test harness itself. Manual: they run only when a filter names them exactly.
#include <arch/cpu.h>
#include <kernel/ktest/ktest.h>

KTEST_MANUAL(selftest, must_fail) {
  KEXPECT_EQ(1 + 1, 3);  // deliberately false: the harness must report failure and exit 1
}

KTEST_MANUAL(selftest, hang) {
  for (;;) arch::wait_for_interrupt();  // the QEMU runner's time limit must catch this
}
