// The virtio block driver against real devices. tests/boot/boot_test.py attaches a fresh
// writable image (at least 16 MiB) and a read-only one whose every sector holds pattern 3, and
// after QEMU exits checks on the host that the writable image holds what these tests wrote
// (pattern 1 over kSharedBase.., 4 over kLargeBase.., 5 over kPolledBase.., 2 in the last
// sector).
// Without such disks the tests skip themselves, saying what they need.
#include <arch/cpu.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/console/console.h>
#include <kernel/drivers/virtio_blk.h>
#include <kernel/ktest/ktest.h>
#include <kernel/mm/memory.h>
#include <kernel/sched/executor.h>

namespace {

constexpr u64 kSharedBase = 2048;  // sectors written by several harts
constexpr u32 kTasks = 4;
constexpr u32 kTaskSectors = 1024;  // each task's share
constexpr u32 kBatch = 32;          // requests in one transfer()
constexpr u32 kRequestSectors = 8;  // 4 KiB each
constexpr u64 kLargeBase = 8192;    // one 1 MiB request
constexpr u32 kLargeSectors = 2048;
constexpr u64 kPolledBase = 10240;      // 8 sectors written with interrupts off
constexpr u64 kMinSectors = 16 * 2048;  // 16 MiB

fs::BlockDevice* find_disk(bool read_only) {
  for (u32 i = 0; i < drivers::disk_count(); ++i) {
    fs::BlockDevice* d = drivers::disk(i);
    if (d->read_only() == read_only) return d;
  }
  return nullptr;
}

u32 disk_index(fs::BlockDevice* disk) {
  for (u32 i = 0; i < drivers::disk_count(); ++i)
    if (drivers::disk(i) == disk) return i;
  return 0;
}

// Word `word` of sector `sector` in pattern `seed` (tests/boot/boot_test.py computes the same).
u32 pattern_word(u32 seed, u64 sector, u32 word) {
  u32 x = seed * 0x9e3779b9u ^ static_cast<u32>(sector) * 0x85ebca6bu ^ word * 0xc2b2ae35u;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  return x;
}

void fill(u8* data, u64 sector, u64 sectors, u32 seed) {
  for (u64 s = 0; s < sectors; ++s)
    for (u32 w = 0; w < fs::kSectorSize / 4; ++w) {
      u32 v = pattern_word(seed, sector + s, w);
      u8* p = data + s * fs::kSectorSize + 4 * w;
      p[0] = static_cast<u8>(v);
      p[1] = static_cast<u8>(v >> 8);
      p[2] = static_cast<u8>(v >> 16);
      p[3] = static_cast<u8>(v >> 24);
    }
}

// The first sector (relative) that differs from the pattern, or `sectors` when all match.
u64 first_mismatch(const u8* data, u64 sector, u64 sectors, u32 seed) {
  for (u64 s = 0; s < sectors; ++s)
    for (u32 w = 0; w < fs::kSectorSize / 4; ++w) {
      u32 v = pattern_word(seed, sector + s, w);
      const u8* p = data + s * fs::kSectorSize + 4 * w;
      if ((p[0] | p[1] << 8 | p[2] << 16 | static_cast<u32>(p[3]) << 24) != v) return s;
    }
  return sectors;
}

struct Shared {
  fs::BlockDevice* disk;
  u32 cpus;      // bit per CPU that ran a transfer
  u32 failures;  // transfers that failed, sectors that read back wrong
  u32 finished;
};
async::BasicWaitQueue<> g_tasks_done;

// One task's share: written in batches of kBatch requests, read back in batches of another
// shape, each transfer a synchronous call that holds this hart until the device is done.
async::Task<void> writer(Shared& shared, u32 task) {
  constexpr u64 kBatchBytes = u64{kBatch} * kRequestSectors * fs::kSectorSize;
  u8* buffer = static_cast<u8*>(kmem::allocate(kBatchBytes, 4096));
  u64 first = kSharedBase + u64{task} * kTaskSectors;
  for (u32 done = 0; buffer != nullptr && done < kTaskSectors; done += kBatch * kRequestSectors) {
    fs::BlockRequest requests[kBatch];
    fill(buffer, first + done, kBatch * kRequestSectors, 1);
    for (u32 i = 0; i < kBatch; ++i) {
      u64 at = u64{i} * kRequestSectors;
      requests[i] = {true,
                     first + done + at,
                     {buffer + at * fs::kSectorSize, kRequestSectors * fs::kSectorSize},
                     {}};
    }
    __atomic_fetch_or(&shared.cpus, 1u << arch::this_cpu().id, __ATOMIC_RELAXED);
    if (shared.disk->transfer({requests, kBatch}).is_error())
      __atomic_fetch_add(&shared.failures, 1, __ATOMIC_RELAXED);
    co_await async::yield_now();
  }
  for (u32 done = 0; buffer != nullptr && done < kTaskSectors; done += kBatch * kRequestSectors) {
    // Read back as 8 requests of 32 sectors each, into a zeroed buffer.
    for (u64 i = 0; i < kBatchBytes; ++i) buffer[i] = 0;
    fs::BlockRequest requests[8];
    for (u32 i = 0; i < 8; ++i) {
      u64 at = u64{i} * 32;
      requests[i] = {false, first + done + at, {buffer + at * fs::kSectorSize, 32 * 512}, {}};
    }
    __atomic_fetch_or(&shared.cpus, 1u << arch::this_cpu().id, __ATOMIC_RELAXED);
    if (shared.disk->transfer({requests, 8}).is_error() ||
        first_mismatch(buffer, first + done, 256, 1) != 256)
      __atomic_fetch_add(&shared.failures, 1, __ATOMIC_RELAXED);
    co_await async::yield_now();
  }
  if (buffer == nullptr) __atomic_fetch_add(&shared.failures, 1, __ATOMIC_RELAXED);
  kmem::free(buffer);
  if (__atomic_add_fetch(&shared.finished, 1, __ATOMIC_ACQ_REL) == kTasks)
    g_tasks_done.notify_all();
}

// The error of `r`, or Error(0) (no error's value) when it succeeded.
fs::Error failure(const fs::Result<void>& r) { return r.is_error() ? r.error() : fs::Error{}; }

u32 popcount(u32 x) {
  u32 n = 0;
  for (; x != 0; x &= x - 1) ++n;
  return n;
}

}  // namespace

KTEST_ASYNC(disk, patterns_written_from_several_harts_read_back_and_flush) {
  fs::BlockDevice* disk = find_disk(false);
  if (disk == nullptr || disk->sector_count() < kMinSectors) co_return kt.skip("needs a disk");
  static Shared shared;
  shared = Shared{disk, 0, 0, 0};
  for (u32 t = 0; t < kTasks; ++t) {
    CO_KASSERT(sched::executor().try_spawn_detached(writer(shared, t)).is_ok());
  }
  co_await g_tasks_done.wait_until(
      [] { return __atomic_load_n(&shared.finished, __ATOMIC_ACQUIRE) == kTasks; });
  KEXPECT_EQ(shared.failures, 0u);
  KEXPECT(disk->flush().is_ok());
  auto stats = drivers::disk_stats(disk_index(disk));
  CO_KASSERT(stats.has_value());
  console::print(
      "disk: {} device requests, at most {} in flight and {} callers waiting at once, "
      "{} harts\n",
      stats->requests, stats->max_in_flight, stats->max_waiters, popcount(shared.cpus));
  KEXPECT(stats->max_in_flight > 1);
  KEXPECT_EQ(stats->errors, 0u);
  KEXPECT_EQ(stats->device_errors, 0u);
  if (smp::cpu_count() >= 2) {
    KEXPECT(popcount(shared.cpus) >= 2);
    KEXPECT(stats->max_waiters >= 2);
  }
}

KTEST(disk, one_large_request_from_an_odd_offset_round_trips) {
  fs::BlockDevice* disk = find_disk(false);
  if (disk == nullptr || disk->sector_count() < kMinSectors) return kt.skip("needs a disk");
  constexpr u64 kBytes = u64{kLargeSectors} * fs::kSectorSize;
  u8* buffer = static_cast<u8*>(kmem::allocate(kBytes + 4096, 4096));
  KASSERT(buffer != nullptr);
  u8* data = buffer + 1536;  // not page-aligned: segments start and end inside pages
  fill(data, kLargeBase, kLargeSectors, 4);
  KEXPECT(disk->write(kLargeBase, {data, kBytes}).is_ok());
  for (u64 i = 0; i < kBytes; ++i) data[i] = 0;
  KEXPECT(disk->read(kLargeBase, {data, kBytes}).is_ok());
  KEXPECT_EQ(first_mismatch(data, kLargeBase, kLargeSectors, 4), u64{kLargeSectors});
  kmem::free(buffer);
}

namespace {
const u8 kConstantSector[fs::kSectorSize] = {1};  // read-only memory: no read may land here
}  // namespace

KTEST(disk, requests_past_the_end_are_io_and_the_disk_goes_on) {
  fs::BlockDevice* disk = find_disk(false);
  if (disk == nullptr || disk->sector_count() < kMinSectors) return kt.skip("needs a disk");
  u64 end = disk->sector_count();
  alignas(16) u8 a[1024];
  alignas(16) u8 b[512];
  KEXPECT(failure(disk->read(end, {a, 512})) == fs::Error::Io);
  KEXPECT(failure(disk->read(end - 1, {a, 1024})) == fs::Error::Io);
  KEXPECT(failure(disk->write(~u64{0}, {a, 512})) == fs::Error::Io);
  KEXPECT(failure(disk->read(0, {a, 100})) == fs::Error::Invalid);
  auto* constant = const_cast<u8*>(kConstantSector);
  KEXPECT(failure(disk->read(0, {constant, 512})) == fs::Error::Io);
  KEXPECT_EQ(kConstantSector[0], 1);

  // One batch, one bad request in the middle: the others are done.
  fill(b, end - 1, 1, 2);
  fs::BlockRequest batch[3] = {
      {false, 0, {a, 512}, {}}, {false, end, {a + 512, 512}, {}}, {true, end - 1, {b, 512}, {}}};
  KEXPECT(failure(disk->transfer({batch, 3})) == fs::Error::Io);
  KEXPECT(batch[0].result.is_ok());
  KEXPECT(failure(batch[1].result) == fs::Error::Io);
  KEXPECT(batch[2].result.is_ok());
  for (auto& x : b) x = 0;
  KEXPECT(disk->read(end - 1, {b, 512}).is_ok());
  KEXPECT_EQ(first_mismatch(b, end - 1, 1, 2), 1u);
  KEXPECT(disk->flush().is_ok());
}

KTEST(disk, a_hart_with_interrupts_off_polls_for_its_requests) {
  fs::BlockDevice* disk = find_disk(false);
  if (disk == nullptr || disk->sector_count() < kMinSectors) return kt.skip("needs a disk");
  alignas(16) u8 stack_buffer[4096 + 2048];  // on a kernel stack: pages not contiguous
  u8* data = stack_buffer + 1024;
  fill(data, kPolledBase, 8, 5);
  bool enabled = arch::interrupts_disable();
  auto written = disk->write(kPolledBase, {data, 4096});
  for (u32 i = 0; i < 4096; ++i) data[i] = 0;
  auto read = disk->read(kPolledBase, {data, 4096});
  arch::interrupts_restore(enabled);
  KEXPECT(written.is_ok());
  KEXPECT(read.is_ok());
  KEXPECT_EQ(first_mismatch(data, kPolledBase, 8, 5), 8u);
}

KTEST(disk, a_read_only_disk_reads_and_refuses_writes) {
  fs::BlockDevice* disk = find_disk(true);
  if (disk == nullptr) return kt.skip("needs a read-only disk");
  u64 sectors = disk->sector_count() < 64 ? disk->sector_count() : 64;
  u8* buffer = static_cast<u8*>(kmem::allocate(64 * fs::kSectorSize, 4096));
  KASSERT(buffer != nullptr);
  KEXPECT(disk->read(0, {buffer, sectors * fs::kSectorSize}).is_ok());
  KEXPECT_EQ(first_mismatch(buffer, 0, sectors, 3), sectors);
  KEXPECT(failure(disk->write(0, {buffer, 512})) == fs::Error::ReadOnly);
  fs::BlockRequest batch[2] = {{true, 1, {buffer, 512}, {}}, {false, 2, {buffer + 512, 512}, {}}};
  KEXPECT(failure(disk->transfer({batch, 2})) == fs::Error::ReadOnly);
  KEXPECT(failure(batch[0].result) == fs::Error::ReadOnly);
  KEXPECT(batch[1].result.is_ok());
  KEXPECT_EQ(first_mismatch(buffer + 512, 2, 1, 3), 1u);
  KEXPECT(disk->flush().is_ok());
  kmem::free(buffer);
}

// `test=disk.bench_sequential` (run only when named): the raw device's throughput through the
// driver, for comparison with file I/O over it. Overwrites the writable disk's first 64 MiB.
KTEST_ASYNC_MANUAL(disk, bench_sequential) {
  fs::BlockDevice* disk = find_disk(false);
  if (disk == nullptr) co_return kt.skip("needs a disk");
  constexpr u32 kRequests = 16;
  constexpr u64 kRequestBytes = 64 * 1024;
  constexpr u64 kTransferBytes = kRequests * kRequestBytes;  // 1 MiB per transfer()
  u64 total = disk->sector_count() * fs::kSectorSize;
  if (total > (u64{64} << 20)) total = u64{64} << 20;
  total -= total % kTransferBytes;
  CO_KASSERT(total > 0);
  u8* buffer = static_cast<u8*>(kmem::allocate(kTransferBytes, 4096));
  CO_KASSERT(buffer != nullptr);
  fill(buffer, 0, kTransferBytes / fs::kSectorSize, 6);
  u64 ns[2] = {0, 0};
  for (u32 pass = 0; pass < 2; ++pass) {
    u64 start = ktime::now_ns();
    for (u64 at = 0; at < total; at += kTransferBytes) {
      fs::BlockRequest requests[kRequests];
      for (u32 i = 0; i < kRequests; ++i)
        requests[i] = {pass == 0,
                       (at + i * kRequestBytes) / fs::kSectorSize,
                       {buffer + i * kRequestBytes, kRequestBytes},
                       {}};
      KEXPECT(disk->transfer({requests, kRequests}).is_ok());
    }
    if (pass == 0) KEXPECT(disk->flush().is_ok());
    ns[pass] = ktime::now_ns() - start;
  }
  // Small requests: one 4 KiB read per call, the latency of a round trip through the device.
  constexpr u32 kSmall = 1000;
  u64 start = ktime::now_ns();
  for (u32 i = 0; i < kSmall; ++i) KEXPECT(disk->read(u64{i} * 8, {buffer, 4096}).is_ok());
  u64 small_ns = ktime::now_ns() - start;
  kmem::free(buffer);
  u64 mib = total >> 20;
  console::print(
      "disk bench: sequential write {} MiB (then flush) in {} ms: {} MiB/s; read in {} "
      "ms: {} MiB/s (16 requests of 64 KiB per call); 4 KiB reads one at a time: {} "
      "us each\n",
      mib, ns[0] / 1000000, mib * 1000000000 / (ns[0] ? ns[0] : 1), ns[1] / 1000000,
      mib * 1000000000 / (ns[1] ? ns[1] : 1), small_ns / kSmall / 1000);
}
