// The FPU clobber for the time tests (kernel/arch/ktest.h): f0..f31 zeroed, fcsr all flags set.
#include <kernel/arch/ktest.h>

namespace ktest {

void clobber_fpu() {
  __asm__ volatile(
      "fcvt.d.l f0, zero\n fmv.d f1, f0\n fmv.d f2, f0\n fmv.d f3, f0\n fmv.d f4, f0\n"
      "fmv.d f5, f0\n fmv.d f6, f0\n fmv.d f7, f0\n fmv.d f8, f0\n fmv.d f9, f0\n fmv.d f10, f0\n"
      "fmv.d f11, f0\n fmv.d f12, f0\n fmv.d f13, f0\n fmv.d f14, f0\n fmv.d f15, f0\n"
      "fmv.d f16, f0\n fmv.d f17, f0\n fmv.d f18, f0\n fmv.d f19, f0\n fmv.d f20, f0\n"
      "fmv.d f21, f0\n fmv.d f22, f0\n fmv.d f23, f0\n fmv.d f24, f0\n fmv.d f25, f0\n"
      "fmv.d f26, f0\n fmv.d f27, f0\n fmv.d f28, f0\n fmv.d f29, f0\n fmv.d f30, f0\n"
      "fmv.d f31, f0\n csrwi fcsr, 0x1f" ::
          : "memory");
}

}  // namespace ktest
