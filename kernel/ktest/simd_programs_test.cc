// The vectorisable C programs (tools/bench/engine/checksum.c, matmul.c, blur.c), each built twice
// by tools/x.d/wasm.sh (x_simd_programs_build): scalar, and with clang's -msimd128, whose loop
// vectoriser emits WebAssembly SIMD. Both builds run in Warden and must print what the host's
// native build printed (/simd/NAME.expected, written beside them at build time).
#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

KTEST_ASYNC(programs, simd_builds_print_what_their_scalar_and_native_builds_print) {
  const char* names[] = {"checksum", "matmul", "blur"};
  const char* builds[] = {"scalar", "simd"};
  char path[64];
  if (programs::read_whole_file("/simd/checksum.expected").is_error()) {
    co_return kt.skip("no /simd/ programs in the initrd (x_initrd builds them)");
  }
  for (const char* name : names) {
    auto expected = programs::read_whole_file(
        support::format_to_buffer(path, sizeof path, "/simd/{}.expected", name));
    KEXPECT(expected.is_ok());
    if (expected.is_error()) co_return;
    for (const char* build : builds) {
      support::Vector<u8> out;
      programs::Exit e = co_await run(
          kt, support::format_to_buffer(path, sizeof path, "/simd/{}-{}.wasm", name, build), out);
      KEXPECT(e.end == programs::End::Exited && e.code == 0);
      KEXPECT_OUTPUT(out, text_of(expected.value()));
      console::print("  simd {} ({} build): {}", name, build, text_of(out));
    }
  }
}

}  // namespace
