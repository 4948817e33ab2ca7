# Toolchain for the host tree as riscv64 Linux programs (./x spec-riscv64: the engine's unit tests
# and the spec runner, run under qemu-riscv64): Debian's clang-19 and lld-19 with the riscv64
# cross libc and libstdc++ (libc6-dev-riscv64-cross, libstdc++-12-dev-riscv64-cross), which
# clang finds in /usr/riscv64-linux-gnu by itself.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(WARDEN_TARGET riscv64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/clang-cross.cmake)
set(CMAKE_C_FLAGS_INIT "-march=rv64gc -mabi=lp64d")
set(CMAKE_CXX_FLAGS_INIT "-march=rv64gc -mabi=lp64d")
set(CMAKE_ASM_FLAGS_INIT "-march=rv64gc -mabi=lp64d")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")

# Libraries and headers of the target only (no host GoogleTest, wabt or Google Benchmark: the
# tools that need them are left out, and GoogleTest is built from Debian's sources, see
# CMakeLists.txt); programs of the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Programs of this build run under QEMU's user mode (package qemu-user): gtest_discover_tests
# lists the tests through it, and so does ctest.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu)
