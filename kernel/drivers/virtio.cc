#include <arch/mmio.h>
#include <kernel/boot/machine.h>
#include <kernel/drivers/virtio.h>
#include <kernel/mm/memory.h>
#include <support/utility.h>

namespace virtio {

namespace {

// virtio-mmio registers (virtio 1.2, 4.2.2).
constexpr u32 kMagic = 0x000;
constexpr u32 kVersion = 0x004;
constexpr u32 kDeviceId = 0x008;
constexpr u32 kDeviceFeatures = 0x010;
constexpr u32 kDeviceFeaturesSel = 0x014;
constexpr u32 kDriverFeatures = 0x020;
constexpr u32 kDriverFeaturesSel = 0x024;
constexpr u32 kQueueSel = 0x030;
constexpr u32 kQueueNumMax = 0x034;
constexpr u32 kQueueNum = 0x038;
constexpr u32 kQueueReady = 0x044;
constexpr u32 kQueueNotify = 0x050;
constexpr u32 kInterruptStatus = 0x060;
constexpr u32 kInterruptAck = 0x064;
constexpr u32 kStatus = 0x070;
constexpr u32 kQueueDescLow = 0x080;
constexpr u32 kQueueDescHigh = 0x084;
constexpr u32 kQueueDriverLow = 0x090;
constexpr u32 kQueueDriverHigh = 0x094;
constexpr u32 kQueueDeviceLow = 0x0a0;
constexpr u32 kQueueDeviceHigh = 0x0a4;
constexpr u32 kConfigGeneration = 0x0fc;
constexpr u32 kConfig = 0x100;

constexpr u32 kMagicValue = 0x74726976;  // "virt"

constexpr u16 kDescNext = 1;
constexpr u16 kDescWrite = 2;

u32 order_for(u64 bytes) {
  u32 order = 0;
  while ((mem::kPageSize << order) < bytes) ++order;
  return order;
}

}  // namespace

// The ring layouts the device reads and writes (virtio 1.2, 2.7).
struct Virtqueue::Descriptor {
  u64 addr;
  u32 len;
  u16 flags;
  u16 next;
};

struct Virtqueue::Available {
  u16 flags;
  u16 idx;
  u16 ring[];  // then u16 used_event (unused: no VIRTIO_F_EVENT_IDX)
};

struct Virtqueue::UsedRing {
  struct Element {
    u32 id;
    u32 len;
  };
  u16 flags;
  u16 idx;
  Element ring[];  // then u16 avail_event
};

support::Result<DmaMemory> DmaMemory::allocate(u64 bytes) {
  u32 order = order_for(bytes);
  auto frames = kmem::frames().alloc(order, mem::FrameKind::Other);
  if (frames.is_error()) return support::Error::NoMemory;
  DmaMemory m;
  m.phys = frames.value();
  m.order = order;
  m.size = mem::kPageSize << order;
  m.virt = machine::phys_ptr<u8>(m.phys);
  for (u64 i = 0; i < m.size; ++i) m.virt[i] = 0;
  return m;
}

void DmaMemory::release() {
  if (virt != nullptr) (void)kmem::frames().free(phys);
  *this = DmaMemory{};
}

// --- Transport ------------------------------------------------------------------------------

u32 Transport::read(u32 offset) const { return arch::mmio_read32(base_ + offset); }
void Transport::write(u32 offset, u32 value) { arch::mmio_write32(base_ + offset, value); }

Transport::Probe Transport::probe(uptr base, Transport& out) {
  out.base_ = base;
  if (out.read(kMagic) != kMagicValue) return Probe::NotVirtio;
  u32 version = out.read(kVersion);
  out.device_id_ = out.read(kDeviceId);
  out.type_ = static_cast<DeviceType>(out.device_id_);
  if (out.device_id_ == 0) return Probe::Empty;
  if (version != 2) return Probe::Legacy;
  return Probe::Device;
}

bool Transport::reset_and_acknowledge() {
  write(kStatus, 0);
  // A device that never finishes its reset is given up on, not waited for forever.
  for (u32 tries = 0; read(kStatus) != 0; ++tries)
    if (tries == 1000000) return false;
  write(kStatus, kStatusAcknowledge);
  write(kStatus, kStatusAcknowledge | kStatusDriver);
  return true;
}

u64 Transport::device_features() {
  write(kDeviceFeaturesSel, 0);
  u64 low = read(kDeviceFeatures);
  write(kDeviceFeaturesSel, 1);
  u64 high = read(kDeviceFeatures);
  return (high << 32) | low;
}

bool Transport::negotiate(u64 wanted) {
  u64 features = (wanted | kFeatureVersion1) & device_features();
  if ((features & kFeatureVersion1) == 0) return false;
  write(kDriverFeaturesSel, 0);
  write(kDriverFeatures, static_cast<u32>(features));
  write(kDriverFeaturesSel, 1);
  write(kDriverFeatures, static_cast<u32>(features >> 32));
  write(kStatus, read(kStatus) | kStatusFeaturesOk);
  return (read(kStatus) & kStatusFeaturesOk) != 0;
}

void Transport::driver_ok() { write(kStatus, read(kStatus) | kStatusDriverOk); }
void Transport::fail() { write(kStatus, read(kStatus) | kStatusFailed); }
u32 Transport::status() { return read(kStatus); }

u32 Transport::queue_max_size(u16 index) {
  write(kQueueSel, index);
  if (read(kQueueReady) != 0) return 0;
  return read(kQueueNumMax);
}

void Transport::enable_queue(u16 index, u16 size, u64 desc_phys, u64 avail_phys, u64 used_phys) {
  write(kQueueSel, index);
  write(kQueueNum, size);
  write(kQueueDescLow, static_cast<u32>(desc_phys));
  write(kQueueDescHigh, static_cast<u32>(desc_phys >> 32));
  write(kQueueDriverLow, static_cast<u32>(avail_phys));
  write(kQueueDriverHigh, static_cast<u32>(avail_phys >> 32));
  write(kQueueDeviceLow, static_cast<u32>(used_phys));
  write(kQueueDeviceHigh, static_cast<u32>(used_phys >> 32));
  write(kQueueReady, 1);
}

void Transport::notify(u16 index) { write(kQueueNotify, index); }

u32 Transport::acknowledge_interrupt() {
  u32 causes = read(kInterruptStatus);
  if (causes != 0) write(kInterruptAck, causes);
  return causes;
}

u32 Transport::config32(u32 offset) { return read(kConfig + offset); }

u64 Transport::config64(u32 offset) {
  u64 value = 0;
  for (u32 tries = 0; tries < 1000; ++tries) {  // a device that never settles: the last read
    u32 generation = read(kConfigGeneration);
    value = (u64{read(kConfig + offset + 4)} << 32) | read(kConfig + offset);
    if (read(kConfigGeneration) == generation) break;
  }
  return value;
}

// --- Virtqueue ------------------------------------------------------------------------------

support::Result<void> Virtqueue::init(Transport& transport, u16 index, u16 max_size) {
  static_assert(sizeof(Descriptor) == 16 && sizeof(UsedRing::Element) == 8);
  u32 limit = transport.queue_max_size(index);
  if (limit > max_size) limit = max_size;
  if (limit > kMaxQueueSize) limit = kMaxQueueSize;
  u32 size = 1;
  while (size * 2 <= limit) size *= 2;
  if (limit < 4) return support::Error::Unsupported;

  u64 avail_offset = 16ull * size;
  u64 used_offset = support::align_up(avail_offset + 6 + 2ull * size, 4);
  u64 bytes = used_offset + 6 + 8ull * size;
  auto memory = DmaMemory::allocate(bytes);
  if (memory.is_error()) return memory.error();
  memory_ = memory.value();
  transport_ = &transport;
  index_ = index;
  size_ = static_cast<u16>(size);
  desc_ = reinterpret_cast<Descriptor*>(memory_.virt);
  avail_ = reinterpret_cast<Available*>(memory_.virt + avail_offset);
  used_ = reinterpret_cast<UsedRing*>(memory_.virt + used_offset);
  for (u16 i = 0; i < size_; ++i) {
    desc_[i].next = static_cast<u16>(i + 1 < size_ ? i + 1 : 0);
    chain_length_[i] = 0;
  }
  free_head_ = 0;
  free_count_ = size_;
  avail_idx_ = 0;
  last_used_ = 0;
  transport.enable_queue(index, size_, memory_.phys, memory_.phys + avail_offset,
                         memory_.phys + used_offset);
  return {};
}

void Virtqueue::destroy() {
  memory_.release();
  desc_ = nullptr;
  avail_ = nullptr;
  used_ = nullptr;
  size_ = 0;
  free_count_ = 0;
}

support::Optional<u16> Virtqueue::submit(const Buffer* buffers, u16 count) {
  if (count == 0 || count > free_count_) return support::kNone;
  u16 head = free_head_;
  u16 at = head;
  for (u16 i = 0; i < count; ++i) {
    Descriptor& d = desc_[at];
    u16 following = static_cast<u16>(d.next & (size_ - 1));
    d.addr = buffers[i].phys;
    d.len = buffers[i].size;
    d.flags = static_cast<u16>((buffers[i].device_writes ? kDescWrite : 0) |
                               (i + 1 < count ? kDescNext : 0));
    if (i + 1 < count) {
      d.next = following;
      at = following;
    } else {
      free_head_ = following;
    }
  }
  free_count_ = static_cast<u16>(free_count_ - count);
  chain_length_[head] = count;
  avail_->ring[avail_idx_ & (size_ - 1)] = head;
  arch::dma_write_barrier();  // the descriptors and the ring entry before the index
  ++avail_idx_;
  __atomic_store_n(&avail_->idx, avail_idx_, __ATOMIC_RELAXED);
  return head;
}

void Virtqueue::notify() {
  arch::dma_full_barrier();    // the published index before the notification (and its register
  transport_->notify(index_);  // write is ordered after memory writes by mmio_write32)
}

bool Virtqueue::has_used() const {
  return __atomic_load_n(&used_->idx, __ATOMIC_RELAXED) != last_used_;
}

support::Optional<Virtqueue::Used> Virtqueue::next_used() {
  u16 published = __atomic_load_n(&used_->idx, __ATOMIC_RELAXED);
  if (published == last_used_) return support::kNone;
  arch::dma_read_barrier();  // the index before the entry (and the buffers) it covers
  const UsedRing::Element& e = used_->ring[last_used_ & (size_ - 1)];
  u32 id = __atomic_load_n(&e.id, __ATOMIC_RELAXED);
  u32 len = __atomic_load_n(&e.len, __ATOMIC_RELAXED);
  ++last_used_;
  return Used{static_cast<u16>(id < size_ ? id : size_), len};
}

bool Virtqueue::release(u16 head) {
  if (head >= size_ || chain_length_[head] == 0) return false;
  u16 count = chain_length_[head];
  chain_length_[head] = 0;
  // Our own record of the chain's length, not the device-visible flags, bounds the walk.
  u16 tail = head;
  for (u16 i = 1; i < count; ++i) tail = static_cast<u16>(desc_[tail].next & (size_ - 1));
  desc_[tail].next = free_head_;
  free_head_ = head;
  free_count_ = static_cast<u16>(free_count_ + count);
  return true;
}

}  // namespace virtio
