/* int arch_test_breakpoint(void): an ebreak whose recovery returns 7; reaching the next
   instruction instead would return 0. */
  .section .text
  .globl arch_test_breakpoint
arch_test_breakpoint:
1:
  ebreak
  li a0, 0
  ret
2:
  li a0, 7
  ret
  .pushsection __ex_table, "a"
  .balign 8
  .dword 1b, 2b
  .popsection

/* u64 arch_test_illegal_instruction(void): executes an illegal instruction (all-zero word) whose
   recovery returns 1. */
  .globl arch_test_illegal_instruction
arch_test_illegal_instruction:
1:
  .word 0
  li a0, 0
  ret
2:
  li a0, 1
  ret
  .pushsection __ex_table, "a"
  .balign 8
  .dword 1b, 2b
  .popsection

/* u64 arch_test_misaligned_atomic(u32* address): amoadd.w on `address` (misaligned or unmapped
   by the caller); recovery returns 1. Plain misaligned loads never trap under QEMU; atomics do. */
  .globl arch_test_misaligned_atomic
arch_test_misaligned_atomic:
  li t0, 1
1:
  amoadd.w t1, t0, (a0)
  li a0, 0
  ret
2:
  li a0, 1
  ret
  .pushsection __ex_table, "a"
  .balign 8
  .dword 1b, 2b
  .popsection

/* u64 arch_test_misaligned_lr(u64* address): lr.d on a misaligned address. */
  .globl arch_test_misaligned_lr
arch_test_misaligned_lr:
1:
  lr.d t1, (a0)
  li a0, 0
  ret
2:
  li a0, 1
  ret
  .pushsection __ex_table, "a"
  .balign 8
  .dword 1b, 2b
  .popsection
