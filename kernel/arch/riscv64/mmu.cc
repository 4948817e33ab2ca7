#include <arch/csr.h>
#include <arch/mmu.h>

namespace arch {

PteFormat pte_format() {
  u64 mode = ARCH_CSR_READ(satp) >> 60;
  return mode == 8 ? PteFormat::sv39() : PteFormat::sv48();
}

u64 mmu_activate(u64 root_phys, const PteFormat& format) {
  u64 satp = (format.satp_mode() << 60) | (root_phys >> 12);
  mmu_switch(satp);
  return satp;
}

void mmu_switch(u64 satp) {
  __asm__ volatile("sfence.vma" ::: "memory");
  ARCH_CSR_WRITE(satp, satp);
  __asm__ volatile("sfence.vma" ::: "memory");
}

void tlb_flush_local_page(u64 va) { __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }

void tlb_flush_local_all() { __asm__ volatile("sfence.vma" ::: "memory"); }

}  // namespace arch
