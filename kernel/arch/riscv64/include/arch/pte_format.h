// The RISC-V Sv39/Sv48 page-table entry format, as the traits that mem::PageTable<Format> walks
// with. Header-only and free of CSRs so that the host tests check the real bit layout.
//
// An entry: V(0) R(1) W(2) X(3) U(4) G(5) A(6) D(7), RSW(8-9), PPN(10-53). V with R=W=X=0 points to
// the next-level table; any of R/W/X makes a leaf. Leaves are created with A set, and D when
// writable: QEMU sets them in hardware, but a hart may instead raise a page fault on a clear A/D,
// which is then not spurious. W without R is reserved, so writable implies readable.
#pragma once

#include <mem/types.h>

namespace arch {

struct RiscvPteFormat {
  static constexpr u64 kValid = 1 << 0;
  static constexpr u64 kRead = 1 << 1;
  static constexpr u64 kWrite = 1 << 2;
  static constexpr u64 kExec = 1 << 3;
  static constexpr u64 kUser = 1 << 4;
  static constexpr u64 kGlobal = 1 << 5;
  static constexpr u64 kAccessed = 1 << 6;
  static constexpr u64 kDirty = 1 << 7;
  static constexpr u32 kPpnShift = 10;
  static constexpr u64 kPpnMask = ((u64{1} << 44) - 1) << kPpnShift;

  static constexpr u32 kIndexBits = 9;  // 512 eight-byte entries per 4 KiB table

  // 3 for Sv39, 4 for Sv48 (5 for Sv57 would work unchanged).
  u32 levels = 4;

  static constexpr RiscvPteFormat sv39() { return RiscvPteFormat{3}; }
  static constexpr RiscvPteFormat sv48() { return RiscvPteFormat{4}; }

  constexpr u32 level_count() const { return levels; }
  // Leaves are allowed at levels 0 (4 KiB), 1 (2 MiB) and 2 (1 GiB); a 512 GiB leaf is legal but
  // never useful here.
  constexpr u32 max_leaf_level() const { return levels - 1 < 2 ? levels - 1 : 2; }
  // The satp MODE field value (8 = Sv39, 9 = Sv48).
  constexpr u64 satp_mode() const { return levels + 5; }

  static constexpr bool is_valid(u64 pte) { return (pte & kValid) != 0; }
  static constexpr bool is_leaf(u64 pte) { return (pte & (kRead | kWrite | kExec)) != 0; }
  static constexpr u64 address(u64 pte) { return ((pte & kPpnMask) >> kPpnShift) << 12; }
  static constexpr bool accessed(u64 pte) { return (pte & kAccessed) != 0; }
  static constexpr bool dirty(u64 pte) { return (pte & kDirty) != 0; }

  static constexpr u64 make_table(mem::PhysAddr table) {
    return ((table >> 12) << kPpnShift) | kValid;
  }
  // A leaf with A preset, and D preset when writable.
  static constexpr u64 make_leaf(mem::PhysAddr frame, mem::Perms perms) {
    u64 pte = ((frame >> 12) << kPpnShift) | kValid | kAccessed;
    if (has(perms, mem::Perms::Read)) pte |= kRead;
    if (has(perms, mem::Perms::Write)) pte |= kWrite | kRead | kDirty;
    if (has(perms, mem::Perms::Execute)) pte |= kExec;
    if (has(perms, mem::Perms::User)) pte |= kUser;
    if (has(perms, mem::Perms::Global)) pte |= kGlobal;
    return pte;
  }
  static constexpr mem::Perms perms(u64 pte) {
    mem::Perms p = mem::Perms::None;
    if (pte & kRead) p = p | mem::Perms::Read;
    if (pte & kWrite) p = p | mem::Perms::Write;
    if (pte & kExec) p = p | mem::Perms::Execute;
    if (pte & kUser) p = p | mem::Perms::User;
    if (pte & kGlobal) p = p | mem::Perms::Global;
    return p;
  }
  // A mapping needs at least one of R, W, X (a leaf without them would read as a table pointer).
  static constexpr bool valid_leaf_perms(mem::Perms perms) {
    return (u8(perms) & u8(mem::Perms::Read | mem::Perms::Write | mem::Perms::Execute)) != 0;
  }
  // Whether a hart would perform `access` through this leaf without a fault (privilege checks on
  // U, SUM and MXR are the kernel's business).
  static constexpr bool allows(u64 pte, mem::Access access) {
    if (!is_valid(pte) || !is_leaf(pte) || !accessed(pte)) return false;
    switch (access) {
      case mem::Access::Read: return (pte & kRead) != 0;
      case mem::Access::Write: return (pte & kWrite) != 0 && dirty(pte);
      case mem::Access::Execute: return (pte & kExec) != 0;
    }
    return false;
  }
};

}  // namespace arch
