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

  u64 ra() const { return regs[1]; }
  u64 sp() const { return regs[2]; }
  u64 fp() const { return regs[8]; }
};
static_assert(sizeof(TrapFrame) == 36 * 8, "trap.S saves 36 double words");

}  // namespace arch
