// All harts: start-up, per-CPU blocks, inter-processor interrupts, cross-calls and the idle
// protocol. Implemented by kernel/arch/<arch>/smp.cc.
//
// Lock order: none is held across these calls; cross-call queues are lock-free pushes, so
// calls may be made from any context except that call_on waits (see below).
#pragma once

#include <arch/cpu.h>
#include <support/result.h>

namespace smp {

// Sets up the boot hart as logical CPU 0 (per-CPU block in tp, its stacks). Called first thing.
void init_boot_cpu(u64 hart_id);
// Records that this CPU now runs on [bottom, top) (a stack with a guard page below).
void move_to_stack(u64 bottom, u64 top);

// Starts every other hart of the device tree through SBI HSM into the same paging trampoline
// and waits (bounded) until each reports in. Returns the number of CPUs online.
u32 start_secondaries();

u32 cpu_count();         // CPUs online
arch::Cpu* cpu(u32 id);  // null when `id` is not a CPU that came online

// Runs fn(arg) on CPU `id` (in its interrupt context) and waits for it to finish. While waiting
// this CPU keeps serving cross-calls made to it, so two CPUs calling each other cannot deadlock.
// Calling the current CPU runs fn directly. Error::NotFound for a CPU that is not online.
support::Result<void> call_on(u32 id, void (*fn)(void*), void* arg);

// Queues request.fn(request.arg) on CPU `id` and returns at once; `request` must stay alive until
// request.done becomes non-zero. Error::NotFound for a CPU that is not online.
support::Result<void> post(u32 id, arch::CallRequest& request);

// Runs the cross-calls queued for this CPU now (for code that waits on other CPUs).
void serve_calls();

// Makes CPU `id` leave its idle wait soon (an IPI if it is sleeping; nothing otherwise).
void wake(u32 id);
void send_ipi(u32 id, arch::IpiReason reason);

// The idle protocol: disable interrupts, publish that this CPU sleeps, re-check
// `has_work(context)` (and pending IPIs), wfi, then re-enable interrupts (the interrupt that
// woke the hart is taken there). Whoever queues work for a sleeping CPU calls wake().
void idle(bool (*has_work)(void*), void* context);

// Panic path: ask every other CPU to stop, without waiting for them.
void stop_others();

// Interrupt entry for IPIs (called by the trap dispatcher).
void handle_ipi();

}  // namespace smp
