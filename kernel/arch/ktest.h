// What the in-kernel tests (kernel/ktest) need from the architecture beyond the kernel's own
// interfaces. Implemented by kernel/arch/<arch>/ktest/, beside that architecture's own tests.
#pragma once

namespace ktest {

// Overwrites every floating-point register and the floating-point control and status register
// (rounding mode, exception flags), as any handler that uses the FPU may: a test calls it from
// an interrupt handler to check that interrupted code gets its FPU state back.
void clobber_fpu();

}  // namespace ktest
