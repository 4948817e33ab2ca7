/*
 * Boot entry. OpenSBI enters here in S-mode at the physical load address with paging off,
 * a0 = hart id, a1 = physical address of the device tree.
 *
 * Before any C++ runs this builds the boot page tables, turns paging on (Sv48, or Sv39 on harts
 * without it) and continues in the higher half, where the kernel is linked:
 *   - identity map of the first 512 GiB (Sv39: 256 GiB) in 1 GiB pages, only for the jump;
 *   - direct map of physical memory at PHYS_MAP (Sv48 0xffff800000000000, Sv39 0xffffffc000000000);
 *   - the kernel image at 0xffffffff80000000 -> 0x80000000 (2 GiB, covers the image).
 * Then it checks the boot layout (image, device tree, initrd disjoint), clears .bss and calls
 * kernel_main(hart_id, dtb_phys, phys_map_base).
 */

#include <arch/layout.h>
#include <arch/sbi.h>

#define PAGE_SIZE 4096
#define PTE_V 0x01
/* V R W X, accessed, dirty, global: set A and D ourselves, real harts may fault on them. */
#define PTE_LEAF_RWX 0xef
#define SATP_SV39 (8 << 60)
#define SATP_SV48 (9 << 60)
#define BOOT_STACK_SIZE (16 * 1024)

/* table[510] -> physical 2 GiB.., table[511] -> 3 GiB.. (1 GiB leaves): the kernel image's 2 GiB
   at the top of the address space, in either mode's table. Uses t3 and t5. */
.macro map_kernel_gibs table
  li t3, (2 << 28) | PTE_LEAF_RWX
  li t5, 510 * 8
  add t5, t5, \table
  sd t3, 0(t5)
  li t3, (3 << 28) | PTE_LEAF_RWX
  li t5, 511 * 8
  add t5, t5, \table
  sd t3, 0(t5)
.endm

  .section .text.boot, "ax"
  .globl _start
_start:
  csrw sie, zero
  csrw stvec, zero
  mv s3, a0                     /* hart id (not s0: that is the frame pointer) */
  mv s1, a1                     /* device tree (physical) */

  /* One boot only. OpenSBI may send a hart the kernel started as a secondary here instead of to
     _start_secondary (seen under load: it boots a second time and clears .bss under the first). */
  la t0, boot_claimed
  li t1, 1
  amoswap.w.aqrl t1, t1, (t0)
  bnez t1, .Lstray

  /* The tables are built once; a hart entering later (a boot hand-over, a secondary hart) finds
     them ready and must not clear them under another hart that still runs on them. */
  la t0, boot_tables_ready
  ld t1, 0(t0)
  bnez t1, .Lenable_paging

  /* Zero the three boot tables (physical addresses: paging is off, la is PC-relative). */
  la t0, boot_pt_root
  li t1, 3 * PAGE_SIZE
  add t1, t0, t1
1:
  sd zero, 0(t0)
  addi t0, t0, 8
  bltu t0, t1, 1b

  /* boot_pt_low[i] = 1 GiB page i, i = 0..511 (identity and direct map share it). */
  la t0, boot_pt_low
  li t1, 0                      /* i */
  li t2, 512
2:
  slli t3, t1, 28               /* (i << 30) >> 12 << 10 */
  ori t3, t3, PTE_LEAF_RWX
  slli t4, t1, 3
  add t4, t4, t0
  sd t3, 0(t4)
  addi t1, t1, 1
  bltu t1, t2, 2b

  /* boot_pt_kernel[510] = 2 GiB..3 GiB -> 0x80000000.., [511] -> 0xc0000000.. */
  la t0, boot_pt_kernel
  map_kernel_gibs t0

  /* Sv48 root: [0] identity, [256] direct map, [511] kernel. */
  la t0, boot_pt_root
  la t1, boot_pt_low
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, 0(t0)
  li t5, 256 * 8
  add t5, t5, t0
  sd t1, 0(t5)
  la t1, boot_pt_kernel
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, PTE_V
  li t5, 511 * 8
  add t5, t5, t0
  sd t1, 0(t5)

  la t0, boot_tables_ready
  li t1, 1
  sd t1, 0(t0)

.Lenable_paging:
  /* Try Sv48; a hart without it leaves satp unchanged (the write is ignored). */
  la t0, boot_pt_root
  srli t0, t0, 12
  li t1, SATP_SV48
  or t0, t0, t1
  sfence.vma
  csrw satp, t0
  csrr t2, satp
  beq t0, t2, 3f

  /* Sv39 fallback: reuse boot_pt_low as the root with 1 GiB leaves:
     [0..255] identity, [256..509] direct map of 0..254 GiB, [510..511] kernel. */
  la t0, boot_pt_low
  li t1, 0
  li t2, 254
4:
  slli t3, t1, 28
  ori t3, t3, PTE_LEAF_RWX
  addi t4, t1, 256
  slli t4, t4, 3
  add t4, t4, t0
  sd t3, 0(t4)
  addi t1, t1, 1
  bltu t1, t2, 4b
  map_kernel_gibs t0
  srli t0, t0, 12
  li t1, SATP_SV39
  or t0, t0, t1
  sfence.vma
  csrw satp, t0
  li s2, ARCH_DIRECT_MAP_SV39
  j 5f
3:
  li s2, ARCH_DIRECT_MAP_SV48
5:
  sfence.vma
  /* Secondary harts enable paging with the same satp and find the direct map at the same base. */
  csrr t0, satp
  la t1, boot_satp
  sd t0, 0(t1)
  la t1, boot_phys_map_base
  sd s2, 0(t1)
  /* Jump to the higher-half alias of the next instruction: an absolute address. */
  la t0, .Lhigh_literal
  ld t0, 0(t0)
  jr t0

  .balign 8
.Lhigh_literal:
  .dword .Lhigh

.Lhigh:
  /* Now running at the link address. */
  la sp, boot_stack_top
  mv tp, zero
  li fp, 0
  la t0, early_trap_entry
  csrw stvec, t0

  /* Check the layout before .bss is cleared: the device tree or initrd may sit inside it. */
  mv a0, s3
  mv a1, s1
  mv a2, s2
  call boot_check_layout

  la t0, __bss_start
  la t1, __bss_end
6:
  bgeu t0, t1, 7f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 6b
7:
  mv a0, s3
  mv a1, s1
  mv a2, s2
  call kernel_main
8:
  wfi
  j 8b

/* A trap before the real vector is installed: report the cause through SBI and stop. */
  .balign 4
early_trap_entry:
  csrr a0, scause
  csrr a1, sepc
  csrr a2, stval
  call early_trap
9:
  wfi
  j 9b

/*
 * A hart that entered _start after the boot was claimed: wait until the kernel has prepared its
 * per-CPU block (smp::start_secondaries publishes it by hart id before asking SBI to start the
 * hart), then continue as that secondary. Paging is off here: physical addresses only.
 */
.Lstray:
  li t1, ARCH_HART_ID_LIMIT
  bgeu s3, t1, 3f
  la t0, secondary_cpu_by_hart
  slli t1, s3, 3
  add t0, t0, t1
1:
  ld a1, 0(t0)
  bnez a1, 2f
  .insn i 0x0F, 0, x0, x0, 0x010   /* pause */
  j 1b
2:
  mv a0, s3
  j _start_secondary
3:
  wfi
  j 3b

/*
 * Secondary harts, started by smp::start_secondaries through SBI HSM with a0 = hart id and
 * a1 = the virtual address of their per-CPU block (usable once paging is on). Same trampoline:
 * the boot tables are ready, so only satp is set, then the jump to the higher half.
 */
  .section .text.boot, "ax"
  .globl _start_secondary
_start_secondary:
  csrw sie, zero
  mv s3, a0
  mv s4, a1
  la t0, boot_satp
  ld t0, 0(t0)
  sfence.vma
  csrw satp, t0
  sfence.vma
  la t0, .Lsecondary_literal
  ld t0, 0(t0)
  jr t0
  .balign 8
.Lsecondary_literal:
  .dword .Lsecondary_high
.Lsecondary_high:
  /* The kernel page table (its stacks are not in the boot tables). */
  la t0, kernel_satp_value
  ld t0, 0(t0)
  beqz t0, 1f
  sfence.vma
  csrw satp, t0
  sfence.vma
1:
  ld sp, 48(s4)                 /* Cpu::stack_top */
  mv tp, s4
  li fp, 0
  mv a0, s4
  call secondary_main
9:
  wfi
  j 9b

/*
 * void arch_hand_off_boot(u64 hart_id, u64 entry_phys, u64 opaque): start `hart_id` at
 * `entry_phys` (SBI HSM hart_start, a1 = opaque) and stop this hart. Registers only between the
 * two calls: the new hart takes over the boot stack. Returns (with the SBI error in a0) only if
 * the start failed.
 */
  .section .text
  .globl arch_hand_off_boot
arch_hand_off_boot:
  la t0, boot_claimed   /* the new hart must be allowed to boot */
  fence rw, w
  sw zero, 0(t0)
  li a7, ARCH_SBI_EXT_HSM
  li a6, ARCH_SBI_HSM_HART_START  /* (hart_id, start_addr, opaque) */
  ecall
  bnez a0, 1f
  li a7, ARCH_SBI_EXT_HSM
  li a6, ARCH_SBI_HSM_HART_STOP
  ecall
1:
  ret

  .section .data
  .balign 8
boot_tables_ready:
  .dword 0
boot_claimed:
  .word 0
  .balign 8
  /* Virtual addresses of the per-CPU blocks of harts being started, by hart id (0 .. ARCH_HART_ID_LIMIT - 1). */
  .globl secondary_cpu_by_hart
secondary_cpu_by_hart:
  .space ARCH_HART_ID_LIMIT * 8
  .globl boot_satp
boot_satp:
  .dword 0
  .globl boot_phys_map_base
boot_phys_map_base:
  .dword 0

  .section .boot_page_tables, "aw", @nobits
  .balign PAGE_SIZE
  .globl boot_pt_root
boot_pt_root:
  .space PAGE_SIZE
  .globl boot_pt_low
boot_pt_low:
  .space PAGE_SIZE
boot_pt_kernel:
  .space PAGE_SIZE

  .section .boot_stack, "aw", @nobits
  .balign 16
  .globl boot_stack_bottom
boot_stack_bottom:
  .space BOOT_STACK_SIZE
  .globl boot_stack_top
boot_stack_top:
