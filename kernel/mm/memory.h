// Kernel memory: the frame allocator over all RAM, the kernel's page table (per-section
// permissions, a direct map of RAM, MMIO), the kernel heap, and the kernel address space (stacks
// with guard pages, lazily committed regions), built on lib/mem. See docs/memory.md.
//
// Virtual layout (Sv48; Sv39 in brackets):
//   0xffff800000000000 [0xffffffc000000000]  direct map of physical memory (RAM RW-, kernel text
//                                            R--, the firmware's reserved ranges not mapped)
//   0xffffc00000000000 [0xffffffe000000000]  kernel address space: stacks, regions (1 TiB [64 GiB])
//   0xffffffff80000000                        the kernel image (text R-X, rodata R--, data RW-)
#pragma once

#include <arch/trap_frame.h>
#include <mem/address_space.h>
#include <mem/frame_allocator.h>
#include <mem/heap.h>
#include <mem/page_table.h>

namespace kmem {

// Builds everything above and switches this hart to the kernel page table. Panics when the
// machine's memory cannot be managed at all (there is nothing to run without it).
void init();
bool ready();

mem::FrameAllocator& frames();
// Single frames through this CPU's cache (any context; disables interrupts while it works).
mem::FrameSource& frame_source();
mem::PhysWindow& window();
mem::PageMapper& page_table();
mem::AddressSpace& kernel_space();
// satp for the kernel page table (secondary harts switch to it in the trampoline).
u64 kernel_satp();

// The kernel heap (operator new (nothrow) uses it). nullptr when out of memory.
void* allocate(usize size, usize align = 16);
void free(void* ptr);
mem::HeapStats heap_stats();
// Gives the heap's cached empty slabs back to the frame allocator.
void trim_heap();

struct Stack {
  u64 bottom;  // lowest usable byte; the page below is a guard
  u64 top;
};
// A kernel stack of `size` bytes (page multiple), wired, with an unmapped guard page below it.
support::Result<Stack> allocate_stack(u64 size);

// Every other CPU and this one forget the batch's translations; returns when all have.
void shootdown(const mem::ShootdownBatch& batch);

// A page fault in kernel mode at `va`: resolves lazy commits and spurious faults (true: retry,
// after a local flush). False leaves the fault to the exception table or a panic; `report` then
// says what was hit (region and why).
bool handle_page_fault(u64 va, mem::Access access, char* report, usize report_size);

// Every online CPU returns the frames its cache holds to the allocator (tests comparing free
// frames before and after). Returns when all have.
void drain_frame_caches();

// Prints frame, heap and kernel-space statistics.
void print_stats();

}  // namespace kmem
