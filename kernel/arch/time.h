// Time on every hart: a monotonic nanosecond clock from the hart's time counter (timebase from the
// device tree) and one one-shot deadline per hart (Sstc `stimecmp` when the hart has it, the SBI
// timer otherwise). Deadlines are rounded up to the next tick: a deadline never fires early.
// The executor's timer structure builds on now() and arm().
#pragma once

#include <support/types.h>

namespace ktime {

// Probes Sstc on this hart (through a fault fixup) and enables the timer interrupt. Per hart.
void init_this_cpu();
bool has_sstc();

u64 now_ns();  // since the machine's reset (the time counter's zero), monotonic, all harts
u64 ticks_now();

// Arms this hart's deadline: `fn(context)` runs in interrupt context on this hart once
// now_ns() >= deadline_ns. Replaces an armed deadline; a past deadline fires at once.
void arm(u64 deadline_ns, void (*fn)(void*), void* context);
void disarm();

// Interrupt entry for the timer (called by the trap dispatcher).
void handle_timer_interrupt();

// Busy-waits with interrupts as they are (for tests and early boot only).
void spin_for_ns(u64 ns);

}  // namespace ktime
