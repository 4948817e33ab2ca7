# Toolchain for the freestanding riscv64 kernel: Debian's clang-19 and lld-19, no libc.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(WARDEN_TARGET riscv64-unknown-elf)
include(${CMAKE_CURRENT_LIST_DIR}/clang-cross.cmake)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(WARDEN_KERNEL_FLAGS
    "-march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax -ffreestanding -fno-builtin \
-nostdlib -nostdinc++ -fno-stack-protector -fno-omit-frame-pointer -fno-plt -fno-pic")
set(CMAKE_C_FLAGS_INIT "${WARDEN_KERNEL_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${WARDEN_KERNEL_FLAGS} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${WARDEN_KERNEL_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib -static -Wl,--no-dynamic-linker")
