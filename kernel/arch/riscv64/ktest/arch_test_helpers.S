/* The instructions the arch tests (arch_test.cc) make trap. Each helper runs one that traps, at a
   place the exception table lists, so the trap handler resumes at its recovery, which returns a
   value of its own; running on instead returns 0. */

/* trap_then_return VALUE, INSTRUCTION: the instruction, covered by the table; VALUE on recovery. */
.macro trap_then_return value, instruction:vararg
1:
  \instruction
  li a0, 0
  ret
2:
  li a0, \value
  ret
  .pushsection __ex_table, "a"
  .balign 8
  .dword 1b, 2b
  .popsection
.endm

  .section .text

/* int arch_test_breakpoint(void): an ebreak whose recovery returns 7. */
  .globl arch_test_breakpoint
arch_test_breakpoint:
  trap_then_return 7, ebreak

/* u64 arch_test_illegal_instruction(void): executes an illegal instruction (all-zero word) whose
   recovery returns 1. */
  .globl arch_test_illegal_instruction
arch_test_illegal_instruction:
  trap_then_return 1, .word 0

/* u64 arch_test_misaligned_atomic(u32* address): amoadd.w on `address` (misaligned or unmapped
   by the caller); recovery returns 1. Plain misaligned loads never trap under QEMU; atomics do. */
  .globl arch_test_misaligned_atomic
arch_test_misaligned_atomic:
  li t0, 1
  trap_then_return 1, amoadd.w t1, t0, (a0)

/* u64 arch_test_misaligned_lr(u64* address): lr.d on a misaligned address; recovery returns 1. */
  .globl arch_test_misaligned_lr
arch_test_misaligned_lr:
  trap_then_return 1, lr.d t1, (a0)
