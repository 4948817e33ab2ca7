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
