// Device registers and memory shared with a device (DMA): the accesses and barriers a driver
// needs, with RISC-V's fences (the same choice as Linux: a register read is followed by
// `fence i,r`, a register write preceded by `fence w,o`).
#pragma once

#include <support/types.h>

namespace arch {

// A 32-bit device register. The read completes before later memory reads (so a status read
// from a register is not overtaken by reads of the memory it describes); the write comes after
// every earlier memory write (so a device told to look sees what was written before).
inline u32 mmio_read32(uptr address) {
  u32 value = *reinterpret_cast<volatile u32*>(address);
  __asm__ volatile("fence i,r" ::: "memory");
  return value;
}
inline void mmio_write32(uptr address, u32 value) {
  __asm__ volatile("fence w,o" ::: "memory");
  *reinterpret_cast<volatile u32*>(address) = value;
}

// Ordering between this hart's accesses to memory a device also reads and writes:
// earlier writes before later writes (publish a descriptor, then the index that names it) ...
inline void dma_write_barrier() { __asm__ volatile("fence w,w" ::: "memory"); }
// ... earlier reads before later reads (read the index the device published, then its entries),
inline void dma_read_barrier() { __asm__ volatile("fence r,r" ::: "memory"); }
// ... and everything before everything.
inline void dma_full_barrier() { __asm__ volatile("fence rw,rw" ::: "memory"); }

}  // namespace arch
