# Programs in the kernel: figures (never pass/fail).

# Boots the kernel with the apps once per hart count and runs the manual kernel test TEST,
# printing its "bench:" and "ktest:" lines.
x_bench_in_kernel() {  # test mem smp...
  local test="$1" mem="$2" smp
  shift 2
  x_kernel_build || return 1
  x_initrd || return 1
  for smp in "$@"; do
    echo "--smp $smp:"
    python3 "$ROOT/tools/qemu/qemu.py" --kernel "$KERNEL_ELF" --smp "$smp" --mem "$mem" \
      --initrd "$INITRD" --timeout 600 -- "test=$test" | tr -d '\r' |
      grep -E '^(bench:|ktest:)' || return 1
  done
}

# `./x bench programs`: boots the kernel with the apps at --smp 1 and --smp 4 and runs the manual
# test bench.programs (kernel/ktest/programs_bench.cc): spawn-to-end time (compiling, then from
# the module cache), 200 programs at once, and the time from a line typed on the console to an
# interactive program's answer, idle and beside two endless compute loops. Under QEMU with more
# harts than host cores guest time stretches: compare runs on the same machine only.
bench_programs() { x_bench_in_kernel bench.programs 512M 1 4; }

# `./x bench ipc`: boots the kernel with the apps at --smp 1 (every program on one hart) and
# --smp 2 (the two sides of a pipe can run on two harts) and runs the manual test bench.ipc
# (kernel/ktest/ipc_bench.cc, apps/bench/ipc_bench.c): the sched_yield round trip and reading
# 64 MiB from an in-memory file, beside 64 MiB through a pipe and the pipe and channel round
# trips, all measured in the same run (docs/ipc.md, "Figures"). --mem 1G: the file system holds
# the 16 MiB test file.
bench_ipc() { x_bench_in_kernel bench.ipc 1G 1 2; }
