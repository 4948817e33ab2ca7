// The virtio block driver: an fs::BlockDevice for each virtio block device of the device tree
// (QEMU: -drive file=...,if=none,id=d0 -device virtio-blk-device,drive=d0; `./x run --disk`).
//
// transfer() splits each request into device requests (header, data segments, status; one per
// physically contiguous run of the buffer, at most kMaxSegments and the device's seg_max),
// makes as many available as the ring holds, and waits until all have completed; completion
// comes by the device's interrupt through the PLIC. See docs/disk.md.
//
// Waiting: transfer() and flush() are synchronous (a program's host call, a kernel task). The
// caller's hart sleeps in the idle protocol (smp::idle: wfi) until the interrupt handler, which
// reaps the used ring under the ring lock, wakes it by IPI; a hart with interrupts off polls the
// ring itself. The hart is held while it waits (its executor's other tasks may be stolen by
// other harts); it does not spin.
//
// Lock: one IrqSpinLock per device guards the virtqueue and the in-flight table; taken by
// transfer(), flush() and the interrupt handler, never held while waiting.
#pragma once

#include <fs/block_device.h>
#include <support/optional.h>

namespace drivers {

struct DiskStats {
  u64 requests = 0;       // device requests completed (data and flush)
  u64 errors = 0;         // completed with a status other than OK
  u64 device_errors = 0;  // used-ring entries rejected (id out of range or not in flight)
  u32 max_in_flight = 0;  // most device requests in flight at once
  u32 max_waiters = 0;    // most transfer()/flush() calls waiting at once
};

// Probes every virtio-mmio slot of the device tree and sets up each block device found (logs
// one line per disk, or that none is attached). Call once at boot, after the PLIC and memory.
void init_disks();
// The index-th disk in device-tree order, or null when there is no such disk.
fs::BlockDevice* disk(u32 index);
u32 disk_count();
// The index-th disk's counters, or nothing when there is no such disk.
support::Optional<DiskStats> disk_stats(u32 index);

}  // namespace drivers
