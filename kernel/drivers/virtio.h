// virtio over MMIO (the transport QEMU's `virt` machine gives, slots listed in the device tree)
// and the split virtqueue, shared by the device drivers (block now, network next).
//
// Only the modern interface (virtio-mmio version 2, virtio 1.x) is driven: QEMU 7.2 offers the
// legacy one (version 1) unless started with `-global virtio-mmio.force-legacy=false`, which
// tools/qemu/qemu.py always passes. A legacy slot is reported and left alone.
//
// Neither class locks: the driver that owns a device serialises its use (the block driver holds
// its ring lock around every call that touches the queue, including from its interrupt).
#pragma once

#include <support/optional.h>
#include <support/result.h>
#include <support/types.h>

namespace virtio {

enum class DeviceType : u32 { None = 0, Network = 1, Block = 2 };

// Device status bits (virtio 1.2, 2.1).
inline constexpr u32 kStatusAcknowledge = 1;
inline constexpr u32 kStatusDriver = 2;
inline constexpr u32 kStatusDriverOk = 4;
inline constexpr u32 kStatusFeaturesOk = 8;
inline constexpr u32 kStatusNeedsReset = 64;
inline constexpr u32 kStatusFailed = 128;

// Feature bits common to every device.
inline constexpr u64 kFeatureVersion1 = 1ull << 32;

// Physically contiguous, zeroed memory shared with a device, from the frame allocator (whole
// pages, reached through the direct map).
struct DmaMemory {
  u8* virt = nullptr;
  u64 phys = 0;
  u64 size = 0;
  u32 order = 0;

  static support::Result<DmaMemory> allocate(u64 bytes);
  void release();
};

// One virtio-mmio slot (its registers through the kernel's device mapping).
class Transport {
 public:
  enum class Probe : u8 { Device, Empty, NotVirtio, Legacy };
  // Looks at the slot whose registers are at `base` (virtual): Device when it holds a modern
  // virtio device; Empty when the slot has none (device id 0); NotVirtio for a bad magic value;
  // Legacy for version 1 (QEMU without force-legacy=false).
  static Probe probe(uptr base, Transport& out);

  DeviceType type() const { return type_; }
  u32 raw_device_id() const { return device_id_; }

  // Resets the device and acknowledges it (ACKNOWLEDGE | DRIVER); false when the device does
  // not finish its reset.
  bool reset_and_acknowledge();
  u64 device_features();
  // Writes the driver's features (always with VERSION_1) and sets FEATURES_OK; false when the
  // device does not keep FEATURES_OK (it refuses the subset) or lacks VERSION_1.
  bool negotiate(u64 wanted);
  void driver_ok();
  void fail();
  u32 status();

  // Queue setup: the largest size the device takes for queue `index` (0 when the queue does
  // not exist or is already in use).
  u32 queue_max_size(u16 index);
  void enable_queue(u16 index, u16 size, u64 desc_phys, u64 avail_phys, u64 used_phys);
  void notify(u16 index);
  // Reads and acknowledges the interrupt causes (bit 0: used buffers, bit 1: configuration).
  u32 acknowledge_interrupt();

  // Device-specific configuration (offsets from the start of the configuration space); the
  // 64-bit read retries (a bounded number of times) until the configuration generation is stable.
  u32 config32(u32 offset);
  u64 config64(u32 offset);

 private:
  u32 read(u32 offset) const;
  void write(u32 offset, u32 value);

  uptr base_ = 0;
  u32 device_id_ = 0;
  DeviceType type_ = DeviceType::None;
};

// A split virtqueue of `size` entries (a power of two): descriptor table, available (driver)
// ring and used (device) ring in one contiguous DMA allocation. Descriptors not in flight are
// on a free list threaded through their `next` fields.
class Virtqueue {
 public:
  static constexpr u16 kMaxQueueSize = 256;

  // A buffer for the device: `device_writes` marks one the device fills (a read's data, a status).
  struct Buffer {
    u64 phys;
    u32 size;
    bool device_writes;
  };
  struct Used {
    u16 head;  // the first descriptor of the completed chain, checked to be in range
    u32 written;
  };

  // Sets up queue `index` on `transport` with min(device maximum, max_size, kMaxQueueSize)
  // entries rounded down to a power of two. Error::Unsupported when the device has no such queue
  // (or fewer than 4 entries), Error::NoMemory when the rings cannot be allocated.
  support::Result<void> init(Transport& transport, u16 index, u16 max_size);
  void destroy();

  u16 size() const { return size_; }
  u16 free_descriptors() const { return free_count_; }
  // The head descriptor the next submit() will use (to place per-request data beside it).
  u16 peek_head() const { return free_head_; }

  // Builds a chain of `count` buffers and makes it available to the device (not yet notified).
  // Returns its head descriptor, or nothing when fewer than `count` descriptors are free.
  support::Optional<u16> submit(const Buffer* buffers, u16 count);
  // Tells the device new buffers are available.
  void notify();
  // True when the device has completed chains not yet taken with next_used.
  bool has_used() const;
  // The next completed chain, or nothing. An entry whose id is out of range is returned with
  // `head` = size() (the caller reports the device error and must not release it).
  support::Optional<Used> next_used();
  // Returns the chain starting at `head` to the free list; false (and nothing freed) when
  // `head` does not start a chain in flight (a device error: the caller logs it).
  bool release(u16 head);

 private:
  struct Descriptor;
  struct Available;
  struct UsedRing;

  Transport* transport_ = nullptr;
  u16 index_ = 0;
  u16 size_ = 0;
  DmaMemory memory_{};
  Descriptor* desc_ = nullptr;
  Available* avail_ = nullptr;
  UsedRing* used_ = nullptr;
  u16 free_head_ = 0;
  u16 free_count_ = 0;
  u16 avail_idx_ = 0;                     // the driver's next available index
  u16 last_used_ = 0;                     // the next used entry to read
  u16 chain_length_[kMaxQueueSize] = {};  // per head: descriptors in its chain, 0 if not in flight
};

}  // namespace virtio
