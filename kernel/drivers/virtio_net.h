// The virtio network driver (virtio-net over virtio-mmio, modern interface): the first network
// device of the device tree (QEMU: -netdev user,id=n0 -device virtio-net-device,netdev=n0;
// `./x run --net`). See docs/net.md.
//
// Features: VERSION_1 (the 12-byte virtio_net_hdr, no offloads asked for) and MAC (the address
// from the configuration space; without it a fixed locally administered one is used). One
// receive queue kept full of 2 KiB buffers, one transmit queue whose buffers are reclaimed when
// the device is done with them.
//
// Context: the rings are driven by the network stack's task under the stack lock
// (kernel/net/stack.h), never from the interrupt handler, which only acknowledges the device
// and calls the notify function (the stack's kick). So the driver has no lock of its own: every
// method but the constructor's probe requires the stack lock.
//
// Bounds: the device's used length is never trusted. A used entry whose id is not a buffer in
// flight, or whose length is shorter than the virtio header plus an Ethernet header or longer
// than the buffer or than the largest frame (kMaxFrame), is dropped, counted, and its buffer
// goes back to the device.
#pragma once

#include <kernel/drivers/virtio.h>
#include <support/optional.h>
#include <support/span.h>
#include <support/types.h>

namespace drivers {

struct NetDeviceStats {
  u64 rx_frames = 0, rx_bytes = 0;
  u64 tx_frames = 0, tx_bytes = 0;
  u64 rx_malformed = 0;   // used entries dropped: bad length or id
  u64 tx_ring_full = 0;   // transmit_begin() found no free buffer
  u64 device_errors = 0;  // used entries with an id not in flight (also counted above for rx)
};

class VirtioNet;

// The largest Ethernet frame handled (no VLAN tag, no jumbo frames): 1514 bytes (MTU 1500).
inline constexpr u32 kMaxFrame = 1514;
inline constexpr u32 kMinFrame = 14;  // an Ethernet header

// The frame length carried by a receive buffer the device reports `written` bytes into (header
// included), for a buffer of `buffer_size` bytes; nothing when the length cannot be trusted.
support::Optional<u32> net_frame_length(u64 written, u64 buffer_size);

// Finds and sets up the first virtio network device of the device tree; null when there is none
// or it cannot be used (logged). `notify(context)` runs in interrupt context when the device
// has completed buffers. Call once at boot, after the PLIC and memory.
VirtioNet* init_net(void (*notify)(void*), void* context);

class VirtioNet {
 public:
  const u8* mac() const { return mac_; }
  bool mac_from_device() const { return mac_from_device_; }
  u32 irq() const { return irq_; }
  u16 rx_queue_size() const { return rx_.size(); }
  u16 tx_queue_size() const { return tx_.size(); }

  // Calls `deliver(context, frame)` for up to `budget` received frames (each frame's bytes are
  // valid during the call only) and gives their buffers back to the device. Returns how many
  // used entries it took (frames and dropped ones); `budget` reached means there may be more.
  u32 receive(void (*deliver)(void*, support::Span<const u8>), void* context, u32 budget);

  // A transmit buffer for one frame of at most kMaxFrame bytes (reclaims completed ones first);
  // nothing when every buffer is in flight.
  struct TxSlot {
    u16 head;
    support::Span<u8> frame;
  };
  support::Optional<TxSlot> transmit_begin();
  // Hands the first `length` bytes of the slot's frame to the device and notifies it.
  void transmit_commit(TxSlot slot, u32 length);

  NetDeviceStats stats() const { return stats_; }

  // Set up by init_net().
  bool init(u32 irq, const virtio::Transport& transport, void (*notify)(void*), void* context);

 private:
  static constexpr u32 kBufferSize = 2048;  // per descriptor: the header and one frame

  bool negotiate();
  void reclaim_transmitted();
  void post_receive();
  static void on_interrupt(u32 source, void* self);

  virtio::Transport transport_;
  virtio::Virtqueue rx_;
  virtio::Virtqueue tx_;
  virtio::DmaMemory rx_buffers_;  // kBufferSize per receive descriptor, indexed by descriptor
  virtio::DmaMemory tx_buffers_;  // kBufferSize per transmit descriptor, indexed by descriptor
  bool rx_posted_[virtio::Virtqueue::kMaxQueueSize] = {};  // descriptor given to the device
  bool tx_posted_[virtio::Virtqueue::kMaxQueueSize] = {};
  void (*notify_)(void*) = nullptr;
  void* notify_context_ = nullptr;
  u8 mac_[6] = {};
  bool mac_from_device_ = false;
  u32 irq_ = 0;
  NetDeviceStats stats_{};
};

}  // namespace drivers
