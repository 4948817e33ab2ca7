// The MMU as the rest of the kernel sees it: the page-table entry format in use (Sv48, or Sv39 on
// harts without it), activating a page table, and local TLB flushes.
#pragma once

#include <arch/pte_format.h>
#include <support/types.h>

namespace arch {

using PteFormat = RiscvPteFormat;

// The format the boot code chose (from the mode in satp).
PteFormat pte_format();
// Builds the satp value for a root table and switches this hart to it (with a full local flush).
u64 mmu_activate(u64 root_phys, const PteFormat& format);
// Switches this hart to an already built satp value.
void mmu_switch(u64 satp);
void tlb_flush_local_page(u64 va);
void tlb_flush_local_all();

}  // namespace arch
