// Helpers for the FDT tests: a small blob builder, fixture loading and a walk that touches every
// accessor (used on corrupted blobs: it must never crash, whatever parse() accepted).
#pragma once

#include <fdt/fdt.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

namespace fdt_test {

// The tests name the library's types without fdt:: (Blob, Node, Property, StringView).
using namespace fdt;

inline std::string str(StringView view) { return std::string(view.data(), view.size()); }

inline void put_be32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}
inline void put_be64(std::vector<uint8_t>& out, uint64_t value) {
  put_be32(out, static_cast<uint32_t>(value >> 32));
  put_be32(out, static_cast<uint32_t>(value));
}
inline void set_be32(std::vector<uint8_t>& blob, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i) blob[at + i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}
inline uint32_t get_be32(const std::vector<uint8_t>& blob, size_t at) {
  return (uint32_t{blob[at]} << 24) | (uint32_t{blob[at + 1]} << 16) |
         (uint32_t{blob[at + 2]} << 8) | uint32_t{blob[at + 3]};
}

// Header field offsets, as in the specification.
enum : size_t {
  kMagic = 0,
  kTotalSize = 4,
  kStructOffset = 8,
  kStringsOffset = 12,
  kReservationsOffset = 16,
  kVersion = 20,
  kLastCompatibleVersion = 24,
  kBootCpuid = 28,
  kStringsSize = 32,
  kStructSize = 36,
};

// Builds a blob token by token. The layout is what dtc writes: header, reservation block,
// structure block, strings block. Raw tokens can be emitted to build malformed blobs.
class Builder {
 public:
  Builder& begin(const std::string& name) {
    token(1);
    for (char c : name) structure_.push_back(static_cast<uint8_t>(c));
    structure_.push_back(0);
    pad();
    return *this;
  }
  Builder& end() { return token(2); }
  Builder& nop() { return token(4); }
  Builder& finish() { return token(9); }
  Builder& token(uint32_t value) {
    put_be32(structure_, value);
    return *this;
  }
  Builder& prop(const std::string& name, const std::vector<uint8_t>& value) {
    token(3);
    put_be32(structure_, static_cast<uint32_t>(value.size()));
    put_be32(structure_, string_offset(name));
    structure_.insert(structure_.end(), value.begin(), value.end());
    pad();
    return *this;
  }
  Builder& prop_cells(const std::string& name, std::initializer_list<uint32_t> cells) {
    std::vector<uint8_t> value;
    for (uint32_t c : cells) put_be32(value, c);
    return prop(name, value);
  }
  Builder& prop_u64(const std::string& name, uint64_t number) {
    std::vector<uint8_t> value;
    put_be64(value, number);
    return prop(name, value);
  }
  // One or more strings, each NUL-terminated ("a\0b" as {"a", "b"}).
  Builder& prop_strings(const std::string& name, std::initializer_list<std::string> strings) {
    std::vector<uint8_t> value;
    for (const std::string& s : strings) {
      value.insert(value.end(), s.begin(), s.end());
      value.push_back(0);
    }
    return prop(name, value);
  }
  Builder& prop_empty(const std::string& name) { return prop(name, {}); }
  Builder& reserve(uint64_t address, uint64_t size) {
    reservations_.push_back({address, size});
    return *this;
  }

  // The blob; `finish()` is not added automatically so that a missing FDT_END can be tested.
  std::vector<uint8_t> build(uint32_t version = 17) const {
    std::vector<uint8_t> blob(40, 0);
    size_t reservations = blob.size();
    for (auto [address, size] : reservations_) {
      put_be64(blob, address);
      put_be64(blob, size);
    }
    put_be64(blob, 0);
    put_be64(blob, 0);
    size_t structure = blob.size();
    blob.insert(blob.end(), structure_.begin(), structure_.end());
    size_t strings = blob.size();
    blob.insert(blob.end(), strings_.begin(), strings_.end());
    set_be32(blob, kMagic, 0xd00dfeed);
    set_be32(blob, kTotalSize, static_cast<uint32_t>(blob.size()));
    set_be32(blob, kStructOffset, static_cast<uint32_t>(structure));
    set_be32(blob, kStringsOffset, static_cast<uint32_t>(strings));
    set_be32(blob, kReservationsOffset, static_cast<uint32_t>(reservations));
    set_be32(blob, kVersion, version);
    set_be32(blob, kLastCompatibleVersion, 16);
    set_be32(blob, kBootCpuid, 0);
    set_be32(blob, kStringsSize, static_cast<uint32_t>(strings_.size()));
    set_be32(blob, kStructSize, static_cast<uint32_t>(structure_.size()));
    return blob;
  }

  uint32_t string_offset(const std::string& name) {
    std::string all(strings_.begin(), strings_.end());
    size_t at = 0;
    while (at < all.size()) {
      if (std::strcmp(all.c_str() + at, name.c_str()) == 0) return static_cast<uint32_t>(at);
      at += std::strlen(all.c_str() + at) + 1;
    }
    uint32_t offset = static_cast<uint32_t>(strings_.size());
    strings_.insert(strings_.end(), name.begin(), name.end());
    strings_.push_back(0);
    return offset;
  }

 private:
  void pad() {
    while (structure_.size() % 4 != 0) structure_.push_back(0);
  }
  std::vector<uint8_t> structure_;
  std::vector<uint8_t> strings_;
  std::vector<std::pair<uint64_t, uint64_t>> reservations_;
};

inline std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every *.dtb in the fixture folder, sorted by name.
inline std::vector<std::filesystem::path> fixture_paths() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(WARDEN_TEST_DATA))
    if (entry.path().extension() == ".dtb") paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Parses `bytes` from an exactly sized heap copy (so that AddressSanitizer sees any read past
// the end) and returns the result.
inline fdt::Result<fdt::Blob, fdt::Error> parse_copy(const std::vector<uint8_t>& bytes,
                                                     std::vector<uint8_t>& storage) {
  storage = bytes;
  storage.shrink_to_fit();
  return fdt::Blob::parse(storage.empty() ? nullptr : storage.data(), storage.size());
}

// How much of the linear-time look-ups (parent, phandle, interrupts-extended) to exercise.
enum class Depth { Full, Light };

// Calls every accessor on every node and property; returns a checksum so nothing is optimized
// away. Must be safe on anything parse() accepted. Light does the linear-time look-ups on a
// sample of nodes only, which keeps thousands of fuzzing rounds fast under sanitizers.
inline uint64_t touch_everything(const fdt::Blob& blob, Depth depth = Depth::Full) {
  uint64_t sum = blob.total_size() + blob.boot_cpuid() + blob.version();
  for (fdt::Range r : blob.memory_reservations()) sum += r.base ^ r.size;
  size_t index = 0;
  for (fdt::Node node : blob.nodes()) {
    sum += node.name().size() + node.unit_name().size() + node.unit_address().size();
    sum += node.is_enabled() + node.is_compatible("virtio,mmio");
    bool sampled = depth == Depth::Full || index % 16 == 0;
    ++index;
    if (sampled)
      if (auto parent = node.parent()) sum += parent->offset();
    if (auto cells = node.address_cells()) sum += cells.value();
    if (auto cells = node.size_cells()) sum += cells.value();
    size_t count = node.reg_count();
    for (size_t i = 0; i <= count; ++i)
      if (auto r = node.reg(i)) sum += r.value().base + r.value().size;
    if (sampled) {
      (void)node.for_each_interrupt_extended([&](const fdt::Interrupt& irq) {
        sum += irq.phandle + irq.cell_count + irq.controller.offset();
        for (uint32_t i = 0; i < irq.cell_count; ++i) sum += irq.cells[i];
      });
      if (auto irq = node.interrupt_extended(1)) sum += irq.value().phandle;
    }
    for (fdt::Node child : node.children()) sum += child.offset();
    for (fdt::Property p : node.properties()) {
      sum += p.name().size() + p.size() + p.cell_count();
      if (auto v = p.as_u32()) sum += *v;
      if (auto v = p.as_u64()) sum += *v;
      if (auto v = p.as_number()) sum += *v;
      if (auto v = p.as_string()) sum += v->size();
      if (auto v = p.cell(p.cell_count())) sum += *v;
      if (auto v = p.cells(1, 2)) sum += *v;
      for (fdt::StringView s : p.strings()) sum += s.size();
      if (auto phandle = p.as_u32(); phandle && sampled) {
        if (auto target = blob.find_by_phandle(*phandle)) sum += target.value().offset();
      }
    }
  }
  for (const char* path : {"/", "/chosen", "/cpus", "/memory", "/soc/serial", "/soc//plic@c000000/",
                           "/reserved-memory", "/nowhere/else"}) {
    if (auto node = blob.find(path)) sum += node.value().offset();
  }
  for (fdt::Node n : blob.compatible_nodes("ns16550a")) sum += n.offset();
  for (fdt::Node n : blob.nodes_of_type("cpu")) sum += n.offset();
  if (auto args = blob.bootargs()) sum += args->size();
  if (auto initrd = blob.initrd()) sum += initrd.value().base;
  if (auto seed = blob.rng_seed()) sum += seed->size();
  if (auto timebase = blob.timebase_frequency()) sum += *timebase;
  return sum;
}

}  // namespace fdt_test
