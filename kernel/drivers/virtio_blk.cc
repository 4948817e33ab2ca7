#include <arch/cpu.h>
#include <kernel/arch/smp.h>
#include <kernel/boot/machine.h>
#include <kernel/console/log.h>
#include <kernel/drivers/plic.h>
#include <kernel/drivers/virtio.h>
#include <kernel/drivers/virtio_blk.h>
#include <kernel/mm/memory.h>
#include <kernel/sched/irq_lock.h>
#include <support/thread_safety.h>

#include <support/new.h>

namespace drivers {

namespace {

// virtio-blk features and request types (virtio 1.2, 5.2).
constexpr u64 kFeatureSizeMax = 1ull << 1;
constexpr u64 kFeatureSegMax = 1ull << 2;
constexpr u64 kFeatureReadOnly = 1ull << 5;
constexpr u64 kFeatureFlush = 1ull << 9;
constexpr u32 kConfigCapacity = 0;
constexpr u32 kConfigSizeMax = 8;
constexpr u32 kConfigSegMax = 12;
constexpr u32 kTypeIn = 0;
constexpr u32 kTypeOut = 1;
constexpr u32 kTypeFlush = 4;
constexpr u8 kStatusOk = 0;
constexpr u8 kStatusUnset = 0xff;  // what the driver leaves before the device writes its status

constexpr u32 kMaxSegments = 64;            // data segments in one device request
constexpr u64 kMaxPieceBytes = 256 * 1024;  // bytes in one device request
constexpr u32 kMaxDisks = 8;
constexpr u32 kFlushIndex = ~0u;  // the in-flight entry of a flush

struct RequestHeader {
  u32 type;
  u32 reserved;
  u64 sector;
};
static_assert(sizeof(RequestHeader) == 16);

// One transfer() or flush() call, on its caller's stack while it waits.
struct Waiter {
  support::Span<fs::BlockRequest> requests;
  usize next = 0;      // the request being submitted
  u64 offset = 0;      // bytes of requests[next] already submitted
  bool flush = false;  // a flush still to submit
  fs::Result<void> flush_result{};
  u32 outstanding = 0;  // device requests in flight (under the ring lock)
};

struct InFlight {
  Waiter* waiter = nullptr;  // null: the head is not in flight
  u32 request = 0;           // index in waiter->requests, or kFlushIndex
};

enum class Piece : u8 { Submitted, RingFull, Failed };

u32 boot_cpu_context() {
  const auto& m = machine::info();
  for (u32 i = 0; i < m.hart_count; ++i)
    if (m.harts[i].cpu == 0) return m.harts[i].plic_s_context;
  return m.harts[0].plic_s_context;
}

bool interrupts_enabled() {
  bool enabled = arch::interrupts_disable();
  arch::interrupts_restore(enabled);
  return enabled;
}

class VirtioBlock final : public fs::BlockDevice {
 public:
  bool init(u32 number, const machine::Device& slot, const virtio::Transport& transport);

  u64 sector_count() const override { return capacity_; }
  bool read_only() const override { return read_only_; }
  bool has_flush() const { return has_flush_; }
  fs::Result<void> transfer(support::Span<fs::BlockRequest> requests) override;
  fs::Result<void> flush() override;
  DiskStats stats() const;

 private:
  bool negotiate(u32 number);
  void run(Waiter& w);
  void submit_some(Waiter& w) REQUIRES(lock_);
  Piece submit_piece(Waiter& w) REQUIRES(lock_);
  bool submit_flush(Waiter& w) REQUIRES(lock_);
  void track(u16 head, Waiter& w, u32 request) REQUIRES(lock_);
  void reap() REQUIRES(lock_);
  void device_error(const char* what, u32 value) REQUIRES(lock_);
  static void on_interrupt(u32 source, void* context);
  static bool has_progress(void* context);

  RequestHeader* header(u16 head) { return reinterpret_cast<RequestHeader*>(headers_.virt) + head; }
  u64 header_phys(u16 head) const { return headers_.phys + 16ull * head; }
  volatile u8* status(u16 head) { return headers_.virt + 16ull * queue_size_ + head; }
  u64 status_phys(u16 head) const { return headers_.phys + 16ull * queue_size_ + head; }

  virtio::Transport transport_;
  virtio::DmaMemory headers_;  // RequestHeader[queue size], then one status byte per head
  u16 queue_size_ = 0;
  u32 number_ = 0;
  u64 capacity_ = 0;  // sectors
  bool read_only_ = false;
  bool has_flush_ = false;
  u32 segment_limit_ = kMaxSegments;
  u32 segment_bytes_max_ = ~0u;

  mutable IrqSpinLock lock_;
  virtio::Virtqueue queue_ GUARDED_BY(lock_);
  InFlight in_flight_[virtio::Virtqueue::kMaxQueueSize] GUARDED_BY(lock_);
  u8 waiting_[arch::kMaxCpus] GUARDED_BY(lock_) = {};  // transfers waiting, per CPU
  u32 waiters_ GUARDED_BY(lock_) = 0;
  u32 in_flight_count_ GUARDED_BY(lock_) = 0;
  u64 completions_ = 0;  // atomic: bumped by reap(), read by waiters without the lock
  DiskStats stats_ GUARDED_BY(lock_) = {};
};

VirtioBlock* g_disks[kMaxDisks];
u32 g_disk_count = 0;

}  // namespace

namespace {

bool VirtioBlock::negotiate(u32 number) {
  if (!transport_.reset_and_acknowledge()) {
    LOG_ERROR("virtio-blk: disk {}: the device does not reset", number);
    return false;
  }
  u64 offered = transport_.device_features();
  u64 wanted = kFeatureReadOnly | kFeatureFlush | kFeatureSegMax | kFeatureSizeMax;
  if (!transport_.negotiate(wanted)) {
    LOG_ERROR("virtio-blk: disk {}: the device refused the features (offered {:#x})", number,
              offered);
    transport_.fail();
    return false;
  }
  u64 features = offered & wanted;
  read_only_ = (features & kFeatureReadOnly) != 0;
  has_flush_ = (features & kFeatureFlush) != 0;
  capacity_ = transport_.config64(kConfigCapacity);
  if ((features & kFeatureSegMax) != 0) {
    u32 seg_max = transport_.config32(kConfigSegMax);
    if (seg_max != 0 && seg_max < segment_limit_) segment_limit_ = seg_max;
  }
  if ((features & kFeatureSizeMax) != 0) {
    u32 size_max = transport_.config32(kConfigSizeMax);
    if (size_max >= mem::kPageSize) segment_bytes_max_ = size_max;
  }
  return true;
}

bool VirtioBlock::init(u32 number, const machine::Device& slot,
                       const virtio::Transport& transport) {
  number_ = number;
  transport_ = transport;
  if (!negotiate(number)) return false;
  lock_.lock();
  auto queue = queue_.init(transport_, 0, virtio::Virtqueue::kMaxQueueSize);
  queue_size_ = queue_.size();
  lock_.unlock();
  if (queue.is_error()) {
    LOG_ERROR("virtio-blk: disk {}: no request queue ({})", number,
              support::error_name(queue.error()));
    transport_.fail();
    return false;
  }
  if (segment_limit_ > queue_size_ - 2u) segment_limit_ = queue_size_ - 2u;
  auto headers = virtio::DmaMemory::allocate(17ull * queue_size_);
  if (headers.is_error() || !plic::ready() ||
      plic::attach(slot.irq, boot_cpu_context(), on_interrupt, this).is_error()) {
    LOG_ERROR("virtio-blk: disk {}: no memory for requests or no interrupt {}", number, slot.irq);
    transport_.fail();
    return false;
  }
  headers_ = headers.value();
  transport_.driver_ok();
  return true;
}

fs::Result<void> VirtioBlock::transfer(support::Span<fs::BlockRequest> requests) {
  // Check every request first; the ones refused here are never sent.
  for (auto& r : requests) {
    u64 count = r.data.size() / fs::kSectorSize;
    if (r.data.size() % fs::kSectorSize != 0) {
      r.result = fs::Error::Invalid;
    } else if (count > capacity_ || r.sector > capacity_ - count) {
      r.result = fs::Error::Io;
    } else if (r.write && read_only_) {
      r.result = fs::Error::ReadOnly;
    } else {
      r.result = {};
    }
  }
  Waiter w;
  w.requests = requests;
  run(w);
  for (auto& r : requests)
    if (r.result.is_error()) return r.result.error();
  return {};
}

fs::Result<void> VirtioBlock::flush() {
  // Without VIRTIO_BLK_F_FLUSH a write is as durable as it gets once it completed, and every
  // write made before this call has (transfer() returns only when its requests are done).
  if (!has_flush_) return {};
  Waiter w;
  w.flush = true;
  run(w);
  return w.flush_result;
}

DiskStats VirtioBlock::stats() const {
  lock_.lock();
  DiskStats s = stats_;
  lock_.unlock();
  return s;
}

struct Progress {
  const u64* completions;
  u64 seen;
};

bool VirtioBlock::has_progress(void* context) {
  auto* p = static_cast<Progress*>(context);
  return __atomic_load_n(p->completions, __ATOMIC_ACQUIRE) != p->seen;
}

// Submits what the ring takes, reaps what completed, and sleeps until the interrupt handler
// reports completions; until every device request of `w` is done.
void VirtioBlock::run(Waiter& w) {
  bool interrupts_on = interrupts_enabled();
  u32 cpu = arch::this_cpu().id;
  lock_.lock();
  ++waiting_[cpu];
  if (++waiters_ > stats_.max_waiters) stats_.max_waiters = waiters_;
  lock_.unlock();
  for (;;) {
    lock_.lock();
    reap();
    submit_some(w);
    bool finished = w.next == w.requests.size() && !w.flush && w.outstanding == 0;
    u64 seen = __atomic_load_n(&completions_, __ATOMIC_RELAXED);
    if (finished) {
      --waiting_[cpu];
      --waiters_;
    }
    lock_.unlock();
    if (finished) return;
    if (interrupts_on) {
      // Woken by the interrupt handler's IPI (or any other interrupt); checked again first.
      Progress progress{&completions_, seen};
      smp::idle(has_progress, &progress);
    } else {
      // Interrupts off (a cross-call, an interrupt handler): nobody can wake this hart; it
      // reaps the ring itself on the next round.
      for (u32 i = 0; i < 64; ++i) support::cpu_relax();
    }
  }
}

}  // namespace

namespace {

void VirtioBlock::track(u16 head, Waiter& w, u32 request) {
  in_flight_[head] = InFlight{&w, request};
  ++w.outstanding;
  if (++in_flight_count_ > stats_.max_in_flight) stats_.max_in_flight = in_flight_count_;
}

void VirtioBlock::submit_some(Waiter& w) {
  bool submitted = false;
  if (w.flush) {
    if (!submit_flush(w)) return;
    w.flush = false;
    submitted = true;
  }
  while (w.next < w.requests.size()) {
    fs::BlockRequest& r = w.requests[w.next];
    if (r.result.is_error() || w.offset >= r.data.size()) {
      ++w.next;
      w.offset = 0;
      continue;
    }
    Piece piece = submit_piece(w);
    if (piece == Piece::RingFull) break;
    if (piece == Piece::Failed) r.result = fs::Error::Io;  // pieces already sent still complete
    if (piece == Piece::Submitted) submitted = true;
  }
  if (submitted) queue_.notify();
}

bool VirtioBlock::submit_flush(Waiter& w) {
  if (queue_.free_descriptors() < 2) return false;
  u16 head = queue_.peek_head();
  *header(head) = RequestHeader{kTypeFlush, 0, 0};
  *status(head) = kStatusUnset;
  virtio::Virtqueue::Buffer buffers[2] = {{header_phys(head), sizeof(RequestHeader), false},
                                          {status_phys(head), 1, true}};
  auto submitted = queue_.submit(buffers, 2);
  if (!submitted) return false;
  track(*submitted, w, kFlushIndex);
  return true;
}

// The next device request of requests[w.next] from w.offset: the buffer's physically contiguous
// runs (found through the kernel page table) as data segments, whole sectors only.
Piece VirtioBlock::submit_piece(Waiter& w) {
  fs::BlockRequest& r = w.requests[w.next];
  virtio::Virtqueue::Buffer buffers[kMaxSegments + 2];
  u32 count = 1;  // buffers[0]: the header
  u64 left = r.data.size() - w.offset;
  if (left > kMaxPieceBytes) left = kMaxPieceBytes;
  u64 bytes = 0;
  uptr start = reinterpret_cast<uptr>(r.data.data()) + w.offset;
  while (bytes < left) {
    auto t = kmem::page_table().query(start + bytes);
    // The device writes a read's data past the MMU: only into memory mapped writable.
    if (!t || (!r.write && !mem::has(t->perms, mem::Perms::Write))) return Piece::Failed;
    u64 chunk = t->page_size - (t->phys - t->frame);
    if (chunk > left - bytes) chunk = left - bytes;
    virtio::Virtqueue::Buffer& last = buffers[count - 1];
    if (count > 1 && last.phys + last.size == t->phys && last.size < segment_bytes_max_) {
      u64 room = segment_bytes_max_ - last.size;
      if (chunk > room) chunk = room;
      last.size += static_cast<u32>(chunk);
    } else {
      if (count - 1 == segment_limit_) break;
      if (chunk > segment_bytes_max_) chunk = segment_bytes_max_;
      buffers[count++] = {t->phys, static_cast<u32>(chunk), !r.write};
    }
    bytes += chunk;
  }
  // Whole sectors: give back the tail of a partial one (the next piece starts there).
  for (u64 excess = bytes % fs::kSectorSize; excess != 0;) {
    virtio::Virtqueue::Buffer& last = buffers[count - 1];
    u64 cut = excess < last.size ? excess : last.size;
    last.size -= static_cast<u32>(cut);
    bytes -= cut;
    excess -= cut;
    if (last.size == 0) --count;
  }
  if (bytes == 0) return Piece::Failed;
  if (queue_.free_descriptors() < count + 1) return Piece::RingFull;
  u16 head = queue_.peek_head();
  *header(head) =
      RequestHeader{r.write ? kTypeOut : kTypeIn, 0, r.sector + w.offset / fs::kSectorSize};
  *status(head) = kStatusUnset;
  buffers[0] = {header_phys(head), sizeof(RequestHeader), false};
  buffers[count++] = {status_phys(head), 1, true};
  auto submitted = queue_.submit(buffers, static_cast<u16>(count));
  if (!submitted) return Piece::RingFull;
  track(*submitted, w, static_cast<u32>(w.next));
  w.offset += bytes;
  return Piece::Submitted;
}

void VirtioBlock::device_error(const char* what, u32 value) {
  // The first few are logged; a device that floods the used ring is only counted after them.
  if (++stats_.device_errors <= 8)
    LOG_ERROR("virtio-blk: disk {}: device error: {} {} (ignored)", number_, what, value);
}

// Takes every completed request off the used ring: its result, its waiter's count.
void VirtioBlock::reap() {
  while (auto used = queue_.next_used()) {
    u16 head = used->head;
    if (head >= queue_size_) {
      device_error("used-ring id out of range:", head);
      continue;
    }
    InFlight f = in_flight_[head];
    if (f.waiter == nullptr || !queue_.release(head)) {
      device_error("used-ring id not in flight:", head);
      continue;
    }
    in_flight_[head] = InFlight{};
    --in_flight_count_;
    ++stats_.requests;
    u8 device_status = *status(head);
    if (device_status != kStatusOk) {
      ++stats_.errors;
      if (f.request == kFlushIndex) {
        f.waiter->flush_result = fs::Error::Io;
      } else {
        f.waiter->requests[f.request].result = fs::Error::Io;
      }
    }
    --f.waiter->outstanding;
    __atomic_add_fetch(&completions_, 1, __ATOMIC_RELEASE);
  }
}

void VirtioBlock::on_interrupt(u32, void* context) {
  auto* self = static_cast<VirtioBlock*>(context);
  self->transport_.acknowledge_interrupt();  // first: a completion after the reap interrupts again
  u32 wake[arch::kMaxCpus];
  u32 count = 0;
  self->lock_.lock();
  self->reap();
  for (u32 cpu = 0; cpu < arch::kMaxCpus; ++cpu)
    if (self->waiting_[cpu] != 0) wake[count++] = cpu;
  self->lock_.unlock();
  u32 me = arch::this_cpu().id;
  for (u32 i = 0; i < count; ++i)
    if (wake[i] != me) smp::wake(wake[i]);
}

}  // namespace

void init_disks() {
  const auto& m = machine::info();
  for (u32 i = 0; i < m.virtio_count; ++i) {
    const machine::Device& slot = m.virtio[i];
    virtio::Transport transport;
    auto probe = virtio::Transport::probe(machine::phys_to_virt(slot.base), transport);
    if (probe == virtio::Transport::Probe::Legacy) {
      LOG_WARN(
          "virtio: slot {:#x} holds device {} with the legacy interface only (QEMU needs "
          "-global virtio-mmio.force-legacy=false)",
          slot.base, transport.raw_device_id());
      continue;
    }
    if (probe != virtio::Transport::Probe::Device) continue;
    if (transport.type() != virtio::DeviceType::Block || g_disk_count == kMaxDisks) continue;
    void* memory = kmem::allocate(sizeof(VirtioBlock), alignof(VirtioBlock));
    if (memory == nullptr) {
      LOG_ERROR("virtio-blk: no memory for the disk at {:#x}", slot.base);
      continue;
    }
    auto* disk = new (memory) VirtioBlock();
    if (!disk->init(g_disk_count, slot, transport)) {
      disk->~VirtioBlock();
      kmem::free(memory);
      continue;
    }
    u64 sectors = disk->sector_count();
    LOG_INFO("virtio-blk: disk {}: {} MiB ({} sectors), {}, {}, slot {:#x} irq {}", g_disk_count,
             sectors >> 11, sectors,
             disk->has_flush() ? "flush"
                               : "no flush (writes complete "
                                 "when done; flush only waits)",
             disk->read_only() ? "read-only" : "read-write", slot.base, slot.irq);
    g_disks[g_disk_count++] = disk;
  }
  if (g_disk_count == 0) LOG_INFO("virtio-blk: no disk attached");
}

fs::BlockDevice* disk(u32 index) { return index < g_disk_count ? g_disks[index] : nullptr; }
u32 disk_count() { return g_disk_count; }

support::Optional<DiskStats> disk_stats(u32 index) {
  if (index >= g_disk_count) return support::kNone;
  return g_disks[index]->stats();
}

}  // namespace drivers
