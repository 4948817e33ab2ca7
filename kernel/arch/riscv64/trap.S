/*
 * The kernel's trap vector (direct mode). Saves the full register frame (TrapFrame, see
 * include/arch/trap_frame.h), the FPU state when the interrupted code had it on, calls
 * trap_dispatch(frame) and returns with sret to frame->sepc, which the dispatcher may change
 * (exception-table fixups).
 *
 * Stack overflow: a trap taken with sp below this CPU's stack limit (Cpu::stack_limit, through
 * tp) runs on the CPU's emergency stack instead, where trap_dispatch reports the overflow.
 */
#define FRAME_SIZE (70 * 8)
#define REG(n) ((n) * 8)
#define SSTATUS 32 * 8
#define SEPC 33 * 8
#define SCAUSE 34 * 8
#define STVAL 35 * 8
#define FREG(n) ((36 + (n)) * 8)
#define FCSR 68 * 8
#define FP_SAVED 69 * 8
#define CPU_STACK_LIMIT 8
#define CPU_EMERGENCY_STACK 16
#define SSTATUS_FS (3 << 13)

  .section .text
  .balign 4
  .globl trap_entry
trap_entry:
  csrw sscratch, t0
  ld t0, CPU_STACK_LIMIT(tp)
  bgeu sp, t0, 1f
  ld sp, CPU_EMERGENCY_STACK(tp)   /* the interrupted sp is lost here: the report uses stval/sepc */
1:
  csrr t0, sscratch
  addi sp, sp, -FRAME_SIZE
  sd x1, REG(1)(sp)
  sd x3, REG(3)(sp)
  sd x4, REG(4)(sp)
  sd x5, REG(5)(sp)
  sd x6, REG(6)(sp)
  sd x7, REG(7)(sp)
  sd x8, REG(8)(sp)
  sd x9, REG(9)(sp)
  sd x10, REG(10)(sp)
  sd x11, REG(11)(sp)
  sd x12, REG(12)(sp)
  sd x13, REG(13)(sp)
  sd x14, REG(14)(sp)
  sd x15, REG(15)(sp)
  sd x16, REG(16)(sp)
  sd x17, REG(17)(sp)
  sd x18, REG(18)(sp)
  sd x19, REG(19)(sp)
  sd x20, REG(20)(sp)
  sd x21, REG(21)(sp)
  sd x22, REG(22)(sp)
  sd x23, REG(23)(sp)
  sd x24, REG(24)(sp)
  sd x25, REG(25)(sp)
  sd x26, REG(26)(sp)
  sd x27, REG(27)(sp)
  sd x28, REG(28)(sp)
  sd x29, REG(29)(sp)
  sd x30, REG(30)(sp)
  sd x31, REG(31)(sp)
  addi t0, sp, FRAME_SIZE
  sd t0, REG(2)(sp)
  csrr t0, sstatus
  sd t0, SSTATUS(sp)
  csrr t1, sepc
  sd t1, SEPC(sp)
  csrr t1, scause
  sd t1, SCAUSE(sp)
  csrr t1, stval
  sd t1, STVAL(sp)

  li t1, SSTATUS_FS
  and t1, t0, t1
  sd zero, FP_SAVED(sp)
  beqz t1, 2f
  fsd f0, FREG(0)(sp)
  fsd f1, FREG(1)(sp)
  fsd f2, FREG(2)(sp)
  fsd f3, FREG(3)(sp)
  fsd f4, FREG(4)(sp)
  fsd f5, FREG(5)(sp)
  fsd f6, FREG(6)(sp)
  fsd f7, FREG(7)(sp)
  fsd f8, FREG(8)(sp)
  fsd f9, FREG(9)(sp)
  fsd f10, FREG(10)(sp)
  fsd f11, FREG(11)(sp)
  fsd f12, FREG(12)(sp)
  fsd f13, FREG(13)(sp)
  fsd f14, FREG(14)(sp)
  fsd f15, FREG(15)(sp)
  fsd f16, FREG(16)(sp)
  fsd f17, FREG(17)(sp)
  fsd f18, FREG(18)(sp)
  fsd f19, FREG(19)(sp)
  fsd f20, FREG(20)(sp)
  fsd f21, FREG(21)(sp)
  fsd f22, FREG(22)(sp)
  fsd f23, FREG(23)(sp)
  fsd f24, FREG(24)(sp)
  fsd f25, FREG(25)(sp)
  fsd f26, FREG(26)(sp)
  fsd f27, FREG(27)(sp)
  fsd f28, FREG(28)(sp)
  fsd f29, FREG(29)(sp)
  fsd f30, FREG(30)(sp)
  fsd f31, FREG(31)(sp)
  frcsr t1
  sd t1, FCSR(sp)
  li t1, 1
  sd t1, FP_SAVED(sp)
2:
  /* A frame record so that backtraces walk from the handler into the interrupted code. */
  mv a0, sp
  ld t0, SEPC(sp)
  addi sp, sp, -16
  sd t0, 8(sp)
  sd s0, 0(sp)
  addi s0, sp, 16
  call trap_dispatch
  addi sp, sp, 16

  ld t0, FP_SAVED(sp)
  beqz t0, 3f
  fld f0, FREG(0)(sp)
  fld f1, FREG(1)(sp)
  fld f2, FREG(2)(sp)
  fld f3, FREG(3)(sp)
  fld f4, FREG(4)(sp)
  fld f5, FREG(5)(sp)
  fld f6, FREG(6)(sp)
  fld f7, FREG(7)(sp)
  fld f8, FREG(8)(sp)
  fld f9, FREG(9)(sp)
  fld f10, FREG(10)(sp)
  fld f11, FREG(11)(sp)
  fld f12, FREG(12)(sp)
  fld f13, FREG(13)(sp)
  fld f14, FREG(14)(sp)
  fld f15, FREG(15)(sp)
  fld f16, FREG(16)(sp)
  fld f17, FREG(17)(sp)
  fld f18, FREG(18)(sp)
  fld f19, FREG(19)(sp)
  fld f20, FREG(20)(sp)
  fld f21, FREG(21)(sp)
  fld f22, FREG(22)(sp)
  fld f23, FREG(23)(sp)
  fld f24, FREG(24)(sp)
  fld f25, FREG(25)(sp)
  fld f26, FREG(26)(sp)
  fld f27, FREG(27)(sp)
  fld f28, FREG(28)(sp)
  fld f29, FREG(29)(sp)
  fld f30, FREG(30)(sp)
  fld f31, FREG(31)(sp)
  ld t0, FCSR(sp)
  fscsr t0
3:
  ld t0, SSTATUS(sp)
  csrw sstatus, t0
  ld t0, SEPC(sp)
  csrw sepc, t0
  ld x1, REG(1)(sp)
  ld x3, REG(3)(sp)
  ld x4, REG(4)(sp)
  ld x5, REG(5)(sp)
  ld x6, REG(6)(sp)
  ld x7, REG(7)(sp)
  ld x8, REG(8)(sp)
  ld x9, REG(9)(sp)
  ld x10, REG(10)(sp)
  ld x11, REG(11)(sp)
  ld x12, REG(12)(sp)
  ld x13, REG(13)(sp)
  ld x14, REG(14)(sp)
  ld x15, REG(15)(sp)
  ld x16, REG(16)(sp)
  ld x17, REG(17)(sp)
  ld x18, REG(18)(sp)
  ld x19, REG(19)(sp)
  ld x20, REG(20)(sp)
  ld x21, REG(21)(sp)
  ld x22, REG(22)(sp)
  ld x23, REG(23)(sp)
  ld x24, REG(24)(sp)
  ld x25, REG(25)(sp)
  ld x26, REG(26)(sp)
  ld x27, REG(27)(sp)
  ld x28, REG(28)(sp)
  ld x29, REG(29)(sp)
  ld x30, REG(30)(sp)
  ld x31, REG(31)(sp)
  ld sp, REG(2)(sp)
  sret

/* [[noreturn]] void arch_run_on_stack(u64 top, void (*fn)()): continue on another stack. */
  .globl arch_run_on_stack
arch_run_on_stack:
  mv sp, a0
  li fp, 0
  jr a1

/*
 * Fault-checked accessors. Each access that may fault has an exception-table entry
 * (instruction -> recovery); the trap dispatcher resumes at the recovery label, which returns
 * a non-zero status. Nothing else in the kernel may fault and survive.
 */
#define EX_ENTRY(insn, fixup) \
  .pushsection __ex_table, "a"; .balign 8; .dword insn, fixup; .popsection

/* int arch_probe_read_u64(const void* address, u64* out): 0, or -1 if the load faulted. */
  .globl arch_probe_read_u64
arch_probe_read_u64:
1:
  ld t0, 0(a0)
  sd t0, 0(a1)
  li a0, 0
  ret
2:
  li a0, -1
  ret
  EX_ENTRY(1b, 2b)

/* int arch_probe_write_u64(void* address, u64 value): 0, or -1 if the store faulted. */
  .globl arch_probe_write_u64
arch_probe_write_u64:
1:
  sd a1, 0(a0)
  li a0, 0
  ret
2:
  li a0, -1
  ret
  EX_ENTRY(1b, 2b)

/* usize arch_copy_checked(void* dst, const void* src, usize n): bytes NOT copied (0 = all). */
  .globl arch_copy_checked
arch_copy_checked:
  beqz a2, 3f
1:
  lb t0, 0(a1)
2:
  sb t0, 0(a0)
  addi a0, a0, 1
  addi a1, a1, 1
  addi a2, a2, -1
  bnez a2, 1b
3:
  mv a0, a2
  ret
4:
  mv a0, a2
  ret
  EX_ENTRY(1b, 4b)
  EX_ENTRY(2b, 4b)
