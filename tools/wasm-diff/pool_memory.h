// Linear memory for many short-lived instances without a map/unmap per instance: unmapping
// flushes the TLB, which in a virtual machine cost more than running the module. Slots are
// reserved once; what an instance may not touch stays PROT_NONE, as with MmapMemoryProvider, so
// an access past the memory's size faults here too.
#pragma once

#include <wasm/host.h>
#include <wasm/runtime.h>

namespace wasm_diff {

class PoolMemoryProvider final : public wasm::MemoryProvider {
 public:
  explicit PoolMemoryProvider(uint64_t max_bytes);
  ~PoolMemoryProvider();
  uint8_t* reserve(uint64_t initial_bytes, uint64_t max_bytes) override;
  bool commit(uint8_t* base, uint64_t old_bytes, uint64_t new_bytes) override;
  void release(uint8_t* base, uint64_t max_bytes) override;

 private:
  struct Slot {
    uint8_t* base = nullptr;
    uint64_t readable = 0;  // bytes mapped read-write from base
    uint64_t dirty = 0;     // bytes from base that may be non-zero
    bool used = false;
  };
  static constexpr int kSlots = 4;
  uint64_t slot_bytes_;
  Slot slots_[kSlots];
  wasm::MmapMemoryProvider fallback_;
  Slot* find(uint8_t* base);
};

}  // namespace wasm_diff
