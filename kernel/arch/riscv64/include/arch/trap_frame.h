// The register frame trap.S saves on every trap. Layout fixed by trap.S: keep them in step.
#pragma once

#include <support/types.h>

namespace arch {

struct TrapFrame {
  u64 regs[32];  // x0..x31 by number; regs[0] is unused, regs[2] is the interrupted sp
  u64 sstatus;
  u64 sepc;
  u64 scause;
  u64 stval;
  // Floating-point state, saved only when the interrupted code had the FPU on (sstatus.FS != Off;
  // OpenSBI leaves it on and dirty): a handler may use FP registers too.
  u64 fregs[32];
  u64 fcsr;
  u64 fp_saved;

  u64 ra() const { return regs[1]; }
  u64 sp() const { return regs[2]; }
  u64 fp() const { return regs[8]; }
};
static_assert(sizeof(TrapFrame) == 70 * 8, "trap.S saves 70 double words");
static_assert(sizeof(TrapFrame) % 16 == 0, "the stack stays 16-byte aligned");

}  // namespace arch
