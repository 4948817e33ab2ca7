# Programs in the kernel: figures (never pass/fail).

# `./x bench programs`: boots the kernel with the apps at --smp 1 and --smp 4 and runs the manual
# test bench.programs (kernel/ktest/programs_bench.cc): spawn-to-end time (compiling, then from
# the module cache), 200 programs at once, and the time from a line typed on the console to an
# interactive program's answer, idle and beside two endless compute loops. Under QEMU with more
# harts than host cores guest time stretches: compare runs on the same machine only.
bench_programs() {
  x_kernel_build || return 1
  x_initrd || return 1
  local smp
  for smp in 1 4; do
    echo "--smp $smp:"
    python3 "$ROOT/tools/qemu/qemu.py" --kernel "$KERNEL_ELF" --smp "$smp" --mem 512M \
      --initrd "$INITRD" --timeout 600 -- test=bench.programs | grep -E '^(bench:|ktest:)' ||
      return 1
  done
}

# `./x bench ipc`: boots the kernel with the apps at --smp 1 (every program on one hart) and
# --smp 2 (the two sides of a pipe can run on two harts) and runs the manual test bench.ipc
# (kernel/ktest/ipc_bench.cc, apps/bench/ipc_bench.c): the sched_yield round trip and reading
# 64 MiB from an in-memory file, beside 64 MiB through a pipe and a pipe round trip, all measured
# in the same run. --mem 1G: the file system holds the 16 MiB test file.
bench_ipc() {
  x_kernel_build || return 1
  x_initrd || return 1
  local smp
  for smp in 1 2; do
    echo "--smp $smp:"
    python3 "$ROOT/tools/qemu/qemu.py" --kernel "$KERNEL_ELF" --smp "$smp" --mem 1G \
      --initrd "$INITRD" --timeout 600 -- test=bench.ipc | tr -d '\r' | grep -E '^(bench:|ktest:)' ||
      return 1
  done
}
