// Control and status registers of the supervisor level. Only kernel/arch/riscv64 includes this.
#pragma once

#include <support/types.h>

#define ARCH_CSR_READ(name)                                 \
  ({                                                        \
    u64 csr_value_;                                         \
    __asm__ volatile("csrr %0, " #name : "=r"(csr_value_)); \
    csr_value_;                                             \
  })
#define ARCH_CSR_WRITE(name, value) __asm__ volatile("csrw " #name ", %0" ::"r"(u64(value)))
#define ARCH_CSR_SET(name, bits) __asm__ volatile("csrs " #name ", %0" ::"r"(u64(bits)))
#define ARCH_CSR_CLEAR(name, bits) __asm__ volatile("csrc " #name ", %0" ::"r"(u64(bits)))

namespace arch {

inline constexpr u64 kSstatusSie = 1ull << 1;
inline constexpr u64 kSstatusSpie = 1ull << 5;
inline constexpr u64 kSstatusSpp = 1ull << 8;
inline constexpr u64 kSstatusFs = 3ull << 13;
inline constexpr u64 kScauseInterrupt = 1ull << 63;
// Interrupt enable (sie) and pending (sip) bits of the supervisor's three sources.
inline constexpr u64 kSieSoftware = 1ull << 1;
inline constexpr u64 kSieTimer = 1ull << 5;
inline constexpr u64 kSieExternal = 1ull << 9;
inline constexpr u64 kSipSoftware = kSieSoftware;

enum class Exception : u64 {
  InstructionMisaligned = 0,
  InstructionAccessFault = 1,
  IllegalInstruction = 2,
  Breakpoint = 3,
  LoadMisaligned = 4,
  LoadAccessFault = 5,
  StoreMisaligned = 6,
  StoreAccessFault = 7,
  EcallFromU = 8,
  EcallFromS = 9,
  InstructionPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
};

}  // namespace arch
