// Flattened device tree (FDT, "dtb") reader: a validated, read-only, allocation-free view of
// a blob.
//
// Blob::parse checks the header and walks the whole structure block once; every later accessor
// reads only inside that validated blob and cannot fail on layout (it still bounds-checks every
// read, so a blob modified after parse cannot make it read outside the blob or loop forever).
// Values are big-endian and read byte-wise: the blob needs no alignment in memory.
//
// Blob, Node and Property are small values that borrow the blob's memory: keep the blob's bytes
// alive and unchanged while any of them is used. Copying or moving a Blob does not invalidate
// Nodes obtained from it. Nothing here allocates, locks or blocks; there is no global state.
//
// Iteration is by range-for over small iterator ranges (children(), properties(), nodes(),
// compatible_nodes(), nodes_of_type(), memory_reservations(), Property::strings()); the
// for_each_* templates are the same walks with a callback. Whole-tree walks (find_by_phandle,
// compatible_nodes, Node::parent) are linear in the blob size; blobs are a few KiB.
//
// Freestanding: no libc, no std headers.
#pragma once

#include <support/error.h>
#include <support/optional.h>
#include <support/result.h>
#include <support/span.h>
#include <support/string_view.h>
#include <support/types.h>

namespace fdt {

using support::Bytes;
using support::Optional;
using support::Result;
using support::StringView;

enum class Error : u8 {
  Truncated = 1,    // the blob is shorter than its header or its totalsize says
  BadMagic,         // not 0xd00dfeed
  BadVersion,       // version < 16 or last_comp_version > 17
  BadLayout,        // block offsets/sizes outside totalsize, misaligned or overlapping;
                    // unbalanced nodes; more than one root; properties after child nodes
  BadToken,         // an unknown token or a token outside the structure block
  BadStringOffset,  // a property name offset outside the strings block or not NUL-terminated
  BadProperty,      // a value running off the structure block; from accessors: a value of the
                    // wrong size or shape for what was asked
  TooDeep,          // nodes nested more than kMaxDepth levels
  NotFound,         // no such node, property, phandle or index
};

// A stable, short, lower-case name ("truncated", "bad magic", ...).
const char* error_name(Error error);
// The nearest kernel-wide code (Truncated, Unsupported, Corrupt, Invalid or NotFound).
support::Error to_support_error(Error error);

// Nodes may nest at most this many levels (the root is level 1); deeper blobs are TooDeep.
inline constexpr u32 kMaxDepth = 64;
// The most specifier cells an Interrupt can hold (#interrupt-cells); more is BadProperty.
inline constexpr u32 kMaxInterruptCells = 4;

// An address range: a `reg` entry, a /memreserve/ entry, the initrd.
struct Range {
  u64 base;
  u64 size;
  u64 end() const { return base + size; }  // may wrap for absurd values; callers check
  bool operator==(const Range&) const = default;
};

class Node;

namespace detail {
// The validated structure and strings blocks, shared by Blob and Node. Internal.
struct Tree {
  const u8* structure = nullptr;
  u32 structure_size = 0;
  const char* strings = nullptr;
  u32 strings_size = 0;
  u32 root = 0;  // offset of the root's FDT_BEGIN_NODE (NOPs may precede it)
};
inline constexpr u32 kEnd = ~u32{0};
}  // namespace detail

// A property: its name and raw big-endian value, both inside the blob.
class Property {
 public:
  Property(StringView name, Bytes value) : name_(name), value_(value) {}

  StringView name() const { return name_; }
  Bytes bytes() const { return value_; }
  usize size() const { return value_.size(); }
  bool empty() const { return value_.empty(); }

  // The value as one big-endian number; kNone unless the value has exactly that size.
  Optional<u32> as_u32() const;
  Optional<u64> as_u64() const;
  // A 4- or 8-byte value as a number (timebase-frequency, linux,initrd-start, ...).
  Optional<u64> as_number() const;
  // The text before the first NUL; kNone unless the value is non-empty and ends with NUL. For a
  // string list ("compatible") this is the first string.
  Optional<StringView> as_string() const;

  // Big-endian 32-bit cells. cell(i) is kNone past the end or if the size is not a multiple of 4.
  usize cell_count() const { return value_.size() % 4 == 0 ? value_.size() / 4 : 0; }
  Optional<u32> cell(usize index) const;
  // `count` (0, 1 or 2) cells starting at cell `index` as one number; kNone if out of range.
  Optional<u64> cells(usize index, u32 count) const;

  // The NUL-terminated strings of a string list. Empty (yields nothing) unless the value ends
  // with NUL; empty strings inside the list are yielded.
  class StringIterator {
   public:
    StringIterator(const char* at, const char* end) : at_(at), end_(end) {}
    StringView operator*() const;
    StringIterator& operator++();
    bool operator!=(const StringIterator& other) const { return at_ != other.at_; }

   private:
    const char* at_;
    const char* end_;
  };
  struct Strings {
    const char* begin_;
    const char* end_;
    StringIterator begin() const { return {begin_, end_}; }
    StringIterator end() const { return {end_, end_}; }
  };
  Strings strings() const;
  bool contains_string(StringView text) const;

 private:
  StringView name_;
  Bytes value_;
};

// A phandle reference with its specifier, as found in `interrupts-extended`.
struct Interrupt;

namespace detail {
// Decodes the `interrupts-extended` entry of `node` that starts at cell `*cell` of `value` and
// advances `*cell` past it.
Result<Interrupt, Error> decode_interrupt(const Node& node, const Property& value, usize* cell);
}  // namespace detail

// A node of the tree. Obtained from Blob or from another Node; cheap to copy.
class Node {
 public:
  // Full name, e.g. "memory@80000000"; "" for the root.
  StringView name() const;
  // The part before '@' ("memory"), and the part after it ("80000000", "" when there is none).
  StringView unit_name() const;
  StringView unit_address() const;
  bool is_root() const { return parent_ == detail::kEnd; }

  Optional<Property> property(StringView name) const;
  bool has_property(StringView name) const { return property(name).has_value(); }
  // Shorthands for property(name)->as_u32() / as_number() / as_string().
  Optional<u32> u32_property(StringView name) const;
  Optional<u64> number_property(StringView name) const;
  Optional<StringView> string_property(StringView name) const;

  // True when `compatible` lists `text` exactly.
  bool is_compatible(StringView text) const;
  // `status` absent, "okay" or "ok" (the spec's meaning of an enabled device).
  bool is_enabled() const;

  // The parent (kNone for the root). Linear in the blob size.
  Optional<Node> parent() const;
  // The first child whose name matches `name` (full name, or unit name when `name` has no '@').
  Optional<Node> child(StringView name) const;

  // The cell counts this node gives its children's `reg`: #address-cells (default 2) and
  // #size-cells (default 1). BadProperty if present but not exactly one cell.
  Result<u32, Error> address_cells() const;
  Result<u32, Error> size_cells() const;

  // `reg` entry `index`, decoded with the parent's #address-cells/#size-cells (size 0 when
  // #size-cells is 0, as for cpus). NotFound without `reg` or past the last entry; BadProperty if
  // a cell count is malformed or above 2 (a u64 cannot hold it) or `reg` is not a whole number of
  // entries.
  Result<Range, Error> reg(usize index) const;
  // Number of `reg` entries; 0 when absent or malformed (reg(0) then says which).
  usize reg_count() const;

  // `interrupts-extended` entry `index`: (phandle, specifier) where the specifier length is the
  // referenced node's #interrupt-cells. NotFound without the property or past the last entry;
  // BadProperty for a dangling phandle, a missing/oversized #interrupt-cells or a short value.
  // Linear in index times blob size.
  Result<Interrupt, Error> interrupt_extended(usize index) const;
  // Calls fn(const Interrupt&) for each entry in order; stops at and returns the first error
  // (a node without the property has no entries and succeeds).
  template <typename Fn> Result<void, Error> for_each_interrupt_extended(Fn&& fn) const;

  // Children in blob order: `for (fdt::Node child : node.children())`.
  class ChildIterator {
   public:
    ChildIterator(const detail::Tree& tree, u32 offset, u32 parent)
        : tree_(tree), offset_(offset), parent_(parent) {}
    Node operator*() const { return Node(tree_, offset_, parent_); }
    ChildIterator& operator++();
    bool operator!=(const ChildIterator& other) const { return offset_ != other.offset_; }

   private:
    detail::Tree tree_;
    u32 offset_;
    u32 parent_;
  };
  struct Children {
    detail::Tree tree;
    u32 first;
    u32 parent;
    ChildIterator begin() const { return {tree, first, parent}; }
    ChildIterator end() const { return {tree, detail::kEnd, parent}; }
  };
  Children children() const;

  // Properties in blob order: `for (fdt::Property p : node.properties())`.
  class PropertyIterator {
   public:
    PropertyIterator(const detail::Tree& tree, u32 offset) : tree_(tree), offset_(offset) {}
    Property operator*() const;
    PropertyIterator& operator++();
    bool operator!=(const PropertyIterator& other) const { return offset_ != other.offset_; }

   private:
    detail::Tree tree_;
    u32 offset_;
  };
  struct Properties {
    detail::Tree tree;
    u32 first;
    PropertyIterator begin() const { return {tree, first}; }
    PropertyIterator end() const { return {tree, detail::kEnd}; }
  };
  Properties properties() const;

  template <typename Fn> void for_each_child(Fn&& fn) const {
    for (Node child : children()) fn(child);
  }
  template <typename Fn> void for_each_property(Fn&& fn) const {
    for (Property p : properties()) fn(p);
  }

  // Offset of the node in the structure block: a stable identity within one blob.
  u32 offset() const { return offset_; }
  bool operator==(const Node& other) const {
    return offset_ == other.offset_ && tree_.structure == other.tree_.structure;
  }

  // Internal: Nodes come from Blob, from other Nodes and from the iterators.
  Node(const detail::Tree& tree, u32 offset, u32 parent)
      : tree_(tree), offset_(offset), parent_(parent) {}

 private:
  friend Result<Interrupt, Error> detail::decode_interrupt(const Node&, const Property&, usize*);
  detail::Tree tree_;
  u32 offset_;
  u32 parent_;  // detail::kEnd for the root
};

struct Interrupt {
  u32 phandle;
  Node controller;  // the node `phandle` refers to
  u32 cell_count;   // its #interrupt-cells
  u32 cells[kMaxInterruptCells];
};

namespace detail {
// Depth-first walk of every node in blob order, remembering the open ancestors.
class NodeWalker {
 public:
  explicit NodeWalker(const Tree& tree);  // starts at the root; tree.structure null = done
  bool done() const { return offset_ == kEnd; }
  Node node() const { return Node(tree_, offset_, depth_ > 1 ? stack_[depth_ - 2] : kEnd); }
  void advance();
  u32 offset() const { return offset_; }

 private:
  Tree tree_;
  u32 offset_;
  u32 depth_;  // 1 for the root
  u32 stack_[kMaxDepth];
};
}  // namespace detail

// Every node in blob (depth-first) order whose filter accepts it. Internal to the ranges below.
class NodeIterator {
 public:
  enum class Filter : u8 { All, Compatible, DeviceType };
  NodeIterator(const detail::Tree& tree, Filter filter, StringView text);
  NodeIterator() : walker_(detail::Tree{}), filter_(Filter::All) {}
  Node operator*() const { return walker_.node(); }
  NodeIterator& operator++();
  bool operator!=(const NodeIterator& other) const {
    return walker_.offset() != other.walker_.offset();
  }

 private:
  void skip_rejected();
  detail::NodeWalker walker_;
  Filter filter_;
  StringView text_;
};
struct NodeRange {
  detail::Tree tree;
  NodeIterator::Filter filter;
  StringView text;
  NodeIterator begin() const { return NodeIterator(tree, filter, text); }
  NodeIterator end() const { return NodeIterator(); }
};

// The /memreserve/ entries (the memory reservation block), in order, without the terminator.
class ReservationIterator {
 public:
  explicit ReservationIterator(const u8* at) : at_(at) {}
  Range operator*() const;
  ReservationIterator& operator++() {
    at_ += 16;
    return *this;
  }
  bool operator!=(const ReservationIterator& other) const { return at_ != other.at_; }

 private:
  const u8* at_;
};
struct Reservations {
  const u8* first;
  usize count;
  ReservationIterator begin() const { return ReservationIterator(first); }
  ReservationIterator end() const { return ReservationIterator(first + count * 16); }
  usize size() const { return count; }
};

class Blob {
 public:
  // Validates the blob at `data` of which `available` bytes may be read: header (magic,
  // version >= 16 and last_comp_version <= 17, totalsize <= available, blocks inside totalsize,
  // aligned and disjoint), the reservation block (terminated inside its space) and the whole
  // structure block (known tokens, aligned, NUL-terminated names, property names inside the strings
  // block, one balanced root, properties before children, at most kMaxDepth levels). Never reads
  // outside [data, data + available). `data` needs no particular alignment.
  static Result<Blob, Error> parse(const void* data, usize available);
  // Reads only the header's totalsize, for a caller that must learn the size before mapping the
  // whole blob. Needs 8 readable bytes; checks the magic.
  static Result<u32, Error> peek_total_size(const void* data, usize available);

  const void* data() const { return data_; }
  u32 total_size() const { return total_size_; }
  u32 version() const { return version_; }
  u32 boot_cpuid() const { return boot_cpuid_; }

  Reservations memory_reservations() const { return {reservations_, reservation_count_}; }

  Node root() const { return Node(tree_, tree_.root, detail::kEnd); }
  // A node by absolute path ("/", "/chosen", "/soc/serial@10000000", "/memory"). A component
  // without '@' also matches a node whose unit name equals it (the first one in blob order).
  // NotFound when absent or when `path` is not absolute.
  Result<Node, Error> find(StringView path) const;
  // The node whose `phandle` (or legacy `linux,phandle`) is `phandle`. NotFound for 0,
  // 0xffffffff or no such node.
  Result<Node, Error> find_by_phandle(u32 phandle) const;

  // All nodes, depth-first, root first: `for (fdt::Node n : blob.nodes())`.
  NodeRange nodes() const { return {tree_, NodeIterator::Filter::All, {}}; }
  // Nodes whose `compatible` list contains `text` exactly, in blob order.
  NodeRange compatible_nodes(StringView text) const {
    return {tree_, NodeIterator::Filter::Compatible, text};
  }
  // Nodes whose `device_type` is `type` ("memory", "cpu"), in blob order.
  NodeRange nodes_of_type(StringView type) const {
    return {tree_, NodeIterator::Filter::DeviceType, type};
  }
  template <typename Fn> void for_each_node(Fn&& fn) const {
    for (Node n : nodes()) fn(n);
  }
  template <typename Fn> void for_each_compatible(StringView text, Fn&& fn) const {
    for (Node n : compatible_nodes(text)) fn(n);
  }
  template <typename Fn> void for_each_of_type(StringView type, Fn&& fn) const {
    for (Node n : nodes_of_type(type)) fn(n);
  }

  // Conveniences for what every boot reads.
  // /chosen bootargs; kNone when absent or not a string.
  Optional<StringView> bootargs() const;
  // /chosen linux,initrd-start .. linux,initrd-end (each 4 or 8 bytes) as [base, base + size).
  // NotFound when either is absent; BadProperty for a wrong size or end < start.
  Result<Range, Error> initrd() const;
  // /chosen rng-seed bytes; kNone when absent.
  Optional<Bytes> rng_seed() const;
  // /cpus timebase-frequency (4 or 8 bytes), else the first cpu node's; kNone when neither.
  Optional<u64> timebase_frequency() const;

 private:
  Blob() = default;
  const void* data_ = nullptr;
  u32 total_size_ = 0;
  u32 version_ = 0;
  u32 boot_cpuid_ = 0;
  const u8* reservations_ = nullptr;
  usize reservation_count_ = 0;
  detail::Tree tree_;
};

template <typename Fn> Result<void, Error> Node::for_each_interrupt_extended(Fn&& fn) const {
  Optional<Property> value = property("interrupts-extended");
  if (!value) return {};
  if (value->size() % 4 != 0) return Error::BadProperty;
  usize cell = 0;
  while (cell < value->cell_count()) {
    Result<Interrupt, Error> entry = detail::decode_interrupt(*this, *value, &cell);
    if (entry.is_error()) return entry.error();
    fn(static_cast<const Interrupt&>(entry.value()));
  }
  return {};
}

}  // namespace fdt
