/* Warden kernel image: linked in the higher half, loaded where OpenSBI jumps (layout.h). Run
   through the C preprocessor (kernel/CMakeLists.txt) for the constants of <arch/layout.h>. */
#include <arch/layout.h>

OUTPUT_ARCH(riscv)
ENTRY(_start)

KERNEL_PHYS = ARCH_KERNEL_PHYS;
KERNEL_VIRT = ARCH_KERNEL_VIRT;
KERNEL_OFFSET = KERNEL_VIRT - KERNEL_PHYS;
/* Upper bound of the whole image (file and BSS): the boot map covers far more, the bound keeps
   the image well clear of where QEMU puts the device tree and initrd on small machines. */
KERNEL_MAX_SIZE = 32M;

SECTIONS
{
  . = KERNEL_VIRT;
  _kernel_start = .;

  .text : AT(ADDR(.text) - KERNEL_OFFSET) {
    _text_start = .;
    *(.text.boot)
    *(.text .text.*)
    _text_end = .;
  }

  . = ALIGN(4096);
  .rodata : AT(ADDR(.rodata) - KERNEL_OFFSET) {
    _rodata_start = .;
    *(.rodata .rodata.* .srodata .srodata.*)
    . = ALIGN(8);
    __ktests_start = .;
    KEEP(*(.ktests))
    __ktests_end = .;
    . = ALIGN(8);
    __ex_table_start = .;
    KEEP(*(__ex_table))
    __ex_table_end = .;
  }
  .init_array : AT(ADDR(.init_array) - KERNEL_OFFSET) {
    __init_array_start = .;
    KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*)))
    KEEP(*(.init_array))
    __init_array_end = .;
    _rodata_end = .;
  }

  . = ALIGN(4096);
  .data : AT(ADDR(.data) - KERNEL_OFFSET) {
    _data_start = .;
    *(.data .data.* .sdata .sdata.*)
  }

  /* Boot page tables and the boot stack: not in .bss, which is cleared after they are in use. */
  . = ALIGN(4096);
  .boot_data (NOLOAD) : AT(ADDR(.boot_data) - KERNEL_OFFSET) {
    *(.boot_page_tables)
    . = ALIGN(16);
    *(.boot_stack)
  }

  . = ALIGN(4096);
  .bss (NOLOAD) : AT(ADDR(.bss) - KERNEL_OFFSET) {
    __bss_start = .;
    *(.bss .bss.* .sbss .sbss.* COMMON)
    . = ALIGN(8);
    __bss_end = .;
  }

  /* The symbol table for backtraces comes last, so that filling it in (second link) moves no
     code or data. It is loaded (PROGBITS). */
  . = ALIGN(4096);
  _ksyms_start = .;
  .ksyms : AT(ADDR(.ksyms) - KERNEL_OFFSET) {
    KEEP(*(.ksyms))
  }
  . = ALIGN(4096);
  _kernel_end = .;

  /DISCARD/ : { *(.comment) *(.eh_frame) *(.eh_frame_hdr) *(.riscv.attributes) *(.note*) }
}

ASSERT(_kernel_end - _kernel_start <= KERNEL_MAX_SIZE, "kernel image exceeds KERNEL_MAX_SIZE")
ASSERT(_start == KERNEL_VIRT, "_start must be the first instruction of the image")
