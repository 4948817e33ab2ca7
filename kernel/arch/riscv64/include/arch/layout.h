// The riscv64 platform's layout, written once: where the kernel image is loaded and linked, where
// the direct map of physical memory and the kernel's own address space sit under Sv48 and Sv39,
// and how many hart ids the boot code can route. C++, entry.S and the linker script
// (linker.ld.S, run through the C preprocessor) all read these.
#pragma once

#ifdef __ASSEMBLER__
#define ARCH_U64(x) x
#else
#define ARCH_U64(x) x##ull
#endif

// OpenSBI jumps to the image at this physical address; it runs linked at the virtual one.
#define ARCH_KERNEL_PHYS ARCH_U64(0x80200000)
#define ARCH_KERNEL_VIRT ARCH_U64(0xffffffff80200000)
// The direct map of all physical memory (the base depends on the paging format the hart has).
#define ARCH_DIRECT_MAP_SV48 ARCH_U64(0xffff800000000000)
#define ARCH_DIRECT_MAP_SV39 ARCH_U64(0xffffffc000000000)
// Hart ids 0 .. ARCH_HART_ID_LIMIT - 1 can be started (the boot code's table by hart id).
#define ARCH_HART_ID_LIMIT 64

#ifndef __ASSEMBLER__
#include <support/types.h>

namespace arch {

inline constexpr u64 kKernelPhys = ARCH_KERNEL_PHYS;
inline constexpr u64 kKernelVirt = ARCH_KERNEL_VIRT;
// Virtual address of the image minus its physical address.
inline constexpr u64 kKernelOffset = kKernelVirt - kKernelPhys;
inline constexpr u64 kDirectMapSv48 = ARCH_DIRECT_MAP_SV48;
inline constexpr u64 kDirectMapSv39 = ARCH_DIRECT_MAP_SV39;
// Every kernel virtual address (direct map, kernel space, image) is at or above this.
inline constexpr u64 kKernelHalfBase = kDirectMapSv48;
// The kernel address space (stacks, regions): 1 TiB under Sv48, 64 GiB under Sv39.
inline constexpr u64 kKernelSpaceSv48 = 0xffffc00000000000ull;
inline constexpr u64 kKernelSpaceSv48Size = 1ull << 40;
inline constexpr u64 kKernelSpaceSv39 = 0xffffffe000000000ull;
inline constexpr u64 kKernelSpaceSv39Size = 64ull << 30;
inline constexpr u32 kHartIdLimit = ARCH_HART_ID_LIMIT;

// Physical address of a symbol of the kernel image.
inline u64 image_phys(const void* symbol) { return reinterpret_cast<u64>(symbol) - kKernelOffset; }

}  // namespace arch
#endif
