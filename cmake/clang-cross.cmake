# Debian's clang-19 for C, C++ and assembly, compiling for WARDEN_TARGET (a target triple): the
# part the cross toolchains (riscv64-kernel.cmake, riscv64-linux.cmake) share.
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_ASM_COMPILER clang-19)
set(CMAKE_C_COMPILER_TARGET ${WARDEN_TARGET})
set(CMAKE_CXX_COMPILER_TARGET ${WARDEN_TARGET})
set(CMAKE_ASM_COMPILER_TARGET ${WARDEN_TARGET})
