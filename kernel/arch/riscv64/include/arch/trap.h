// Trap handling: the vector in trap.S, dispatch in trap.cc.
#pragma once

#include <arch/trap_frame.h>
#include <support/types.h>

namespace arch {

// Installs the kernel's trap vector on this hart.
void trap_init_this_cpu();

// Human-readable name of an scause value ("load page fault", "illegal instruction", ...).
const char* trap_cause_name(u64 scause);

// The cause the architecture gives an exception `scause` taken at `sepc`: a load fault
// (misaligned, access, page) of an AMO or store-conditional is the matching store/AMO fault.
// Emulators that split an AMO into a load and a store report the load's cause; the trap handler
// corrects it before anything looks at it.
u64 architectural_cause(u64 scause, u64 sepc);

// The last fault recovered through the exception table on this CPU (for tests and reports).
struct FixupRecord {
  u64 count;  // faults recovered on this CPU so far
  u64 scause;
  u64 stval;
  u64 sepc;
};
FixupRecord last_fixup();

}  // namespace arch

extern "C" void trap_dispatch(arch::TrapFrame* frame);
