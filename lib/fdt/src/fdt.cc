// Flattened device tree reader. See <fdt/fdt.h> and docs/fdt.md.
//
// parse() validates everything once; the accessors below re-check bounds on every read anyway and
// treat anything unexpected as "end of the walk", so they can neither fault nor loop: every step
// moves strictly forward through a block of known size.
#include <fdt/fdt.h>

namespace fdt {

namespace {

constexpr u32 kMagic = 0xd00dfeed;
constexpr u32 kHeaderSizeV16 = 36;  // up to size_dt_strings
constexpr u32 kHeaderSizeV17 = 40;  // plus size_dt_struct
constexpr u32 kOldestVersion = 16;
constexpr u32 kNewestVersion = 17;

constexpr u32 kBeginNode = 1;
constexpr u32 kEndNode = 2;
constexpr u32 kProp = 3;
constexpr u32 kNop = 4;
constexpr u32 kEndTree = 9;
constexpr u32 kInvalidToken = 0;

using detail::kEnd;
using detail::Tree;

// Header field offsets.
enum HeaderField : u32 {
  kFieldMagic = 0,
  kFieldTotalSize = 4,
  kFieldStructOffset = 8,
  kFieldStringsOffset = 12,
  kFieldReservationsOffset = 16,
  kFieldVersion = 20,
  kFieldLastCompatibleVersion = 24,
  kFieldBootCpuid = 28,
  kFieldStringsSize = 32,
  kFieldStructSize = 36,
};

// Byte-wise big-endian loads: no alignment needed, no type punning.
u32 load_be32(const u8* p) {
  return (u32{p[0]} << 24) | (u32{p[1]} << 16) | (u32{p[2]} << 8) | u32{p[3]};
}
u64 load_be64(const u8* p) { return (u64{load_be32(p)} << 32) | load_be32(p + 4); }

constexpr u64 align4(u64 value) { return (value + 3) & ~u64{3}; }

// Length of the NUL-terminated string at `s`, or `limit` when no NUL occurs in [s, s + limit).
usize bounded_length(const char* s, usize limit) {
  for (usize i = 0; i < limit; ++i)
    if (s[i] == '\0') return i;
  return limit;
}

// One token of the structure block, decoded with bounds checks. `kind` is kInvalidToken when the
// token or its payload does not fit in the block; then `next` is kEnd.
struct Token {
  u32 kind = kInvalidToken;
  u32 offset = 0;
  u32 next = kEnd;
  // BEGIN_NODE: the name. PROP: the name offset and the value.
  StringView name;
  u32 name_offset = 0;
  Bytes value;
};

// Decodes the token at `offset`. Reports structural problems through `error` (when non-null) so
// that parse() and the accessors share one decoder.
Token read_token(const Tree& tree, u32 offset, Error* error = nullptr) {
  Token token;
  token.offset = offset;
  auto fail = [&](Error e) {
    if (error) *error = e;
    token.kind = kInvalidToken;
    token.next = kEnd;
    return token;
  };
  if (offset % 4 != 0 || u64{offset} + 4 > tree.structure_size) return fail(Error::BadToken);
  const u8* at = tree.structure + offset;
  u32 kind = load_be32(at);
  u64 next = u64{offset} + 4;
  switch (kind) {
    case kBeginNode: {
      const char* name = reinterpret_cast<const char*>(at + 4);
      usize limit = tree.structure_size - (offset + 4);
      usize length = bounded_length(name, limit);
      if (length == limit) return fail(Error::BadToken);
      token.name = StringView(name, length);
      next = align4(next + length + 1);
      break;
    }
    case kProp: {
      if (u64{offset} + 12 > tree.structure_size) return fail(Error::BadToken);
      u32 length = load_be32(at + 4);
      u32 name_offset = load_be32(at + 8);
      if (u64{offset} + 12 + length > tree.structure_size) return fail(Error::BadProperty);
      if (name_offset >= tree.strings_size) return fail(Error::BadStringOffset);
      const char* name = tree.strings + name_offset;
      usize limit = tree.strings_size - name_offset;
      usize name_length = bounded_length(name, limit);
      if (name_length == limit) return fail(Error::BadStringOffset);
      token.name = StringView(name, name_length);
      token.name_offset = name_offset;
      token.value = Bytes(at + 12, length);
      next = align4(next + 8 + length);
      break;
    }
    case kEndNode:
    case kNop:
    case kEndTree: break;
    default: return fail(Error::BadToken);
  }
  token.kind = kind;
  // `next` may equal the block size (after FDT_END) but never wraps: offsets fit in u32 and the
  // payload was checked against the block size.
  token.next = next > tree.structure_size ? kEnd : static_cast<u32>(next);
  return token;
}

// The first non-NOP token at or after `offset`.
Token skip_nops(const Tree& tree, u32 offset) {
  Token token = read_token(tree, offset);
  while (token.kind == kNop) token = read_token(tree, token.next);
  return token;
}

// The token following the BEGIN_NODE at `node` and its properties (a child, END_NODE or junk).
Token after_properties(const Tree& tree, u32 node) {
  Token token = read_token(tree, node);
  if (token.kind != kBeginNode) return Token{};
  token = skip_nops(tree, token.next);
  while (token.kind == kProp) token = skip_nops(tree, token.next);
  return token;
}

// The offset of the first BEGIN_NODE after the whole subtree that starts at `node`, when it is a
// sibling (at the same level); else kEnd.
u32 next_sibling(const Tree& tree, u32 node) {
  Token token = read_token(tree, node);
  if (token.kind != kBeginNode) return kEnd;
  u32 depth = 1;
  while (depth > 0) {
    token = read_token(tree, token.next);
    switch (token.kind) {
      case kBeginNode: ++depth; break;
      case kEndNode: --depth; break;
      case kProp:
      case kNop: break;
      default: return kEnd;
    }
  }
  token = skip_nops(tree, token.next);
  return token.kind == kBeginNode ? token.offset : kEnd;
}

u32 first_property(const Tree& tree, u32 node) {
  Token token = read_token(tree, node);
  if (token.kind != kBeginNode) return kEnd;
  token = skip_nops(tree, token.next);
  return token.kind == kProp ? token.offset : kEnd;
}

u32 first_child(const Tree& tree, u32 node) {
  Token token = after_properties(tree, node);
  return token.kind == kBeginNode ? token.offset : kEnd;
}

StringView node_name(const Tree& tree, u32 node) {
  Token token = read_token(tree, node);
  return token.kind == kBeginNode ? token.name : StringView();
}

// A node by offset with its parent known, found by walking from the root.
Optional<Node> locate(const Tree& tree, u32 offset) {
  for (detail::NodeWalker walker(tree); !walker.done(); walker.advance())
    if (walker.offset() == offset) return walker.node();
  return support::kNone;
}

Optional<Node> find_phandle(const Tree& tree, u32 phandle) {
  if (phandle == 0 || phandle == ~u32{0}) return support::kNone;
  for (detail::NodeWalker walker(tree); !walker.done(); walker.advance()) {
    Node node = walker.node();
    for (Property p : node.properties()) {
      if (p.name() != "phandle" && p.name() != "linux,phandle") continue;
      Optional<u32> value = p.as_u32();
      if (value && *value == phandle) return node;
    }
  }
  return support::kNone;
}

// A component of a path matches a node by full name, or by unit name when it has no '@'.
bool name_matches(StringView node_name, StringView wanted) {
  if (node_name == wanted) return true;
  if (wanted.find('@') != wanted.size()) return false;
  return node_name.substr(0, node_name.find('@')) == wanted;
}

Result<u32, Error> cell_count_property(const Node& node, StringView name, u32 fallback) {
  Optional<Property> value = node.property(name);
  if (!value) return fallback;
  Optional<u32> count = value->as_u32();
  if (!count) return Error::BadProperty;
  return *count;
}

struct RegLayout {
  u32 address_cells;
  u32 size_cells;
  Property value;
  usize count;
};

Result<RegLayout, Error> reg_layout(const Node& node, const Tree& tree, u32 parent) {
  Optional<Property> value = node.property("reg");
  if (!value) return Error::NotFound;
  u32 address_cells = 2;
  u32 size_cells = 1;
  if (parent != kEnd) {
    // Only the parent's properties are read, so its own parent need not be known.
    Node parent_node(tree, parent, kEnd);
    address_cells = TRY(parent_node.address_cells());
    size_cells = TRY(parent_node.size_cells());
  }
  if (address_cells > 2 || size_cells > 2 || address_cells + size_cells == 0)
    return Error::BadProperty;
  usize entry_size = usize{address_cells + size_cells} * 4;
  if (value->size() % entry_size != 0) return Error::BadProperty;
  return RegLayout{address_cells, size_cells, *value, value->size() / entry_size};
}

}  // namespace

const char* error_name(Error error) {
  switch (error) {
    case Error::Truncated: return "truncated";
    case Error::BadMagic: return "bad magic";
    case Error::BadVersion: return "bad version";
    case Error::BadLayout: return "bad layout";
    case Error::BadToken: return "bad token";
    case Error::BadStringOffset: return "bad string offset";
    case Error::BadProperty: return "bad property";
    case Error::TooDeep: return "too deep";
    case Error::NotFound: return "not found";
  }
  return "unknown error";
}

support::Error to_support_error(Error error) {
  switch (error) {
    case Error::Truncated: return support::Error::Truncated;
    case Error::NotFound: return support::Error::NotFound;
    case Error::BadVersion: return support::Error::Unsupported;
    case Error::BadProperty: return support::Error::Invalid;
    default: return support::Error::Corrupt;
  }
}

// ---- Property -------------------------------------------------------------------------------

Optional<u32> Property::as_u32() const {
  if (value_.size() != 4) return support::kNone;
  return load_be32(value_.data());
}

Optional<u64> Property::as_u64() const {
  if (value_.size() != 8) return support::kNone;
  return load_be64(value_.data());
}

Optional<u64> Property::as_number() const {
  if (value_.size() == 4) return u64{load_be32(value_.data())};
  if (value_.size() == 8) return load_be64(value_.data());
  return support::kNone;
}

Optional<StringView> Property::as_string() const {
  if (value_.empty() || value_[value_.size() - 1] != 0) return support::kNone;
  const char* text = reinterpret_cast<const char*>(value_.data());
  return StringView(text, bounded_length(text, value_.size()));
}

Optional<u32> Property::cell(usize index) const {
  if (value_.size() % 4 != 0 || index >= value_.size() / 4) return support::kNone;
  return load_be32(value_.data() + index * 4);
}

Optional<u64> Property::cells(usize index, u32 count) const {
  if (count > 2 || value_.size() % 4 != 0) return support::kNone;
  usize total = value_.size() / 4;
  if (index > total || count > total - index) return support::kNone;
  u64 result = 0;
  for (u32 i = 0; i < count; ++i)
    result = (result << 32) | load_be32(value_.data() + (index + i) * 4);
  return result;
}

StringView Property::StringIterator::operator*() const {
  return StringView(at_, bounded_length(at_, static_cast<usize>(end_ - at_)));
}

Property::StringIterator& Property::StringIterator::operator++() {
  usize length = bounded_length(at_, static_cast<usize>(end_ - at_));
  at_ = length < static_cast<usize>(end_ - at_) ? at_ + length + 1 : end_;
  return *this;
}

Property::Strings Property::strings() const {
  const char* text = reinterpret_cast<const char*>(value_.data());
  if (value_.empty() || value_[value_.size() - 1] != 0) return {text, text};
  return {text, text + value_.size()};
}

bool Property::contains_string(StringView text) const {
  for (StringView s : strings())
    if (s == text) return true;
  return false;
}

// ---- Node -----------------------------------------------------------------------------------

StringView Node::name() const { return node_name(tree_, offset_); }

StringView Node::unit_name() const {
  StringView full = name();
  return full.substr(0, full.find('@'));
}

StringView Node::unit_address() const {
  StringView full = name();
  usize at = full.find('@');
  return at == full.size() ? StringView() : full.substr(at + 1);
}

Optional<Property> Node::property(StringView wanted) const {
  for (Property p : properties())
    if (p.name() == wanted) return p;
  return support::kNone;
}

Optional<u32> Node::u32_property(StringView wanted) const {
  Optional<Property> p = property(wanted);
  if (!p) return support::kNone;
  return p->as_u32();
}

Optional<u64> Node::number_property(StringView wanted) const {
  Optional<Property> p = property(wanted);
  if (!p) return support::kNone;
  return p->as_number();
}

Optional<StringView> Node::string_property(StringView wanted) const {
  Optional<Property> p = property(wanted);
  if (!p) return support::kNone;
  return p->as_string();
}

bool Node::is_compatible(StringView text) const {
  Optional<Property> p = property("compatible");
  return p && p->contains_string(text);
}

bool Node::is_enabled() const {
  Optional<Property> p = property("status");
  if (!p) return true;
  Optional<StringView> status = p->as_string();
  return status && (*status == "okay" || *status == "ok");
}

Optional<Node> Node::parent() const {
  if (parent_ == kEnd) return support::kNone;
  return locate(tree_, parent_);
}

Optional<Node> Node::child(StringView wanted) const {
  for (Node c : children())
    if (name_matches(c.name(), wanted)) return c;
  return support::kNone;
}

Result<u32, Error> Node::address_cells() const {
  return cell_count_property(*this, "#address-cells", 2);
}

Result<u32, Error> Node::size_cells() const { return cell_count_property(*this, "#size-cells", 1); }

Result<Range, Error> Node::reg(usize index) const {
  RegLayout layout = TRY(reg_layout(*this, tree_, parent_));
  if (index >= layout.count) return Error::NotFound;
  usize cell = index * (layout.address_cells + layout.size_cells);
  Optional<u64> base = layout.value.cells(cell, layout.address_cells);
  Optional<u64> size = layout.value.cells(cell + layout.address_cells, layout.size_cells);
  if (!base || !size) return Error::BadProperty;
  return Range{*base, *size};
}

usize Node::reg_count() const {
  Result<RegLayout, Error> layout = reg_layout(*this, tree_, parent_);
  return layout ? layout.value().count : 0;
}

Result<Interrupt, Error> Node::interrupt_extended(usize index) const {
  Optional<Property> value = property("interrupts-extended");
  if (!value) return Error::NotFound;
  if (value->size() % 4 != 0) return Error::BadProperty;
  usize cell = 0;
  for (usize i = 0; cell < value->cell_count(); ++i) {
    Interrupt entry = TRY(detail::decode_interrupt(*this, *value, &cell));
    if (i == index) return entry;
  }
  return Error::NotFound;
}

Node::Children Node::children() const { return {tree_, first_child(tree_, offset_), offset_}; }

Node::ChildIterator& Node::ChildIterator::operator++() {
  offset_ = next_sibling(tree_, offset_);
  return *this;
}

Node::Properties Node::properties() const { return {tree_, first_property(tree_, offset_)}; }

Property Node::PropertyIterator::operator*() const {
  Token token = read_token(tree_, offset_);
  return Property(token.name, token.value);
}

Node::PropertyIterator& Node::PropertyIterator::operator++() {
  Token token = read_token(tree_, offset_);
  token = token.kind == kProp ? skip_nops(tree_, token.next) : Token{};
  offset_ = token.kind == kProp ? token.offset : kEnd;
  return *this;
}

namespace detail {

Result<Interrupt, Error> decode_interrupt(const Node& node, const Property& value, usize* cell) {
  Optional<u32> phandle = value.cell(*cell);
  if (!phandle) return Error::BadProperty;
  Optional<Node> controller = find_phandle(node.tree_, *phandle);
  if (!controller) return Error::BadProperty;
  Optional<u32> count = controller->u32_property("#interrupt-cells");
  if (!count || *count > kMaxInterruptCells) return Error::BadProperty;
  if (*count > value.cell_count() - *cell - 1) return Error::BadProperty;
  Interrupt entry{*phandle, *controller, *count, {}};
  for (u32 i = 0; i < *count; ++i) entry.cells[i] = *value.cell(*cell + 1 + i);
  *cell += 1 + *count;
  return entry;
}

// ---- Whole-tree walks -----------------------------------------------------------------------

NodeWalker::NodeWalker(const Tree& tree) : tree_(tree), offset_(kEnd), depth_(0), stack_{} {
  if (tree_.structure == nullptr) return;
  Token token = read_token(tree_, tree_.root);
  if (token.kind != kBeginNode) return;
  offset_ = tree_.root;
  depth_ = 1;
  stack_[0] = offset_;
}

void NodeWalker::advance() {
  if (offset_ == kEnd) return;
  Token token = read_token(tree_, offset_);
  for (;;) {
    token = read_token(tree_, token.next);
    switch (token.kind) {
      case kProp:
      case kNop: continue;
      case kBeginNode:
        if (depth_ >= kMaxDepth) break;  // parse() rejects this; stop rather than overflow
        stack_[depth_++] = token.offset;
        offset_ = token.offset;
        return;
      case kEndNode:
        if (--depth_ == 0) break;
        continue;
      default: break;
    }
    offset_ = kEnd;
    depth_ = 0;
    return;
  }
}

}  // namespace detail

NodeIterator::NodeIterator(const Tree& tree, Filter filter, StringView text)
    : walker_(tree), filter_(filter), text_(text) {
  skip_rejected();
}

NodeIterator& NodeIterator::operator++() {
  walker_.advance();
  skip_rejected();
  return *this;
}

void NodeIterator::skip_rejected() {
  for (; !walker_.done(); walker_.advance()) {
    Node node = walker_.node();
    switch (filter_) {
      case Filter::All: return;
      case Filter::Compatible:
        if (node.is_compatible(text_)) return;
        break;
      case Filter::DeviceType: {
        Optional<StringView> type = node.string_property("device_type");
        if (type && *type == text_) return;
        break;
      }
    }
  }
}

Range ReservationIterator::operator*() const { return Range{load_be64(at_), load_be64(at_ + 8)}; }

// ---- Blob -----------------------------------------------------------------------------------

Result<u32, Error> Blob::peek_total_size(const void* data, usize available) {
  const u8* bytes = static_cast<const u8*>(data);
  if (bytes == nullptr || available < 8) return Error::Truncated;
  if (load_be32(bytes + kFieldMagic) != kMagic) return Error::BadMagic;
  return load_be32(bytes + kFieldTotalSize);
}

namespace {

struct Span32 {
  u64 begin;
  u64 end;
};

bool overlap(Span32 a, Span32 b) {
  return a.begin < a.end && b.begin < b.end && a.begin < b.end && b.begin < a.end;
}

// Walks the whole structure block: known tokens, one balanced root, properties before children,
// bounded depth. Returns the offset just past FDT_END and the root's offset.
struct Walked {
  u32 end;
  u32 root;
};

Result<Walked, Error> validate_structure(const Tree& tree) {
  u32 offset = 0;
  u32 depth = 0;
  bool root_seen = false;
  u32 root = 0;
  bool after_child = false;  // the open node has had a child: no more properties allowed
  for (;;) {
    Error error = Error::BadToken;
    Token token = read_token(tree, offset, &error);
    switch (token.kind) {
      case kInvalidToken: return error;
      case kBeginNode:
        if (depth == 0) {
          if (root_seen) return Error::BadLayout;
          root_seen = true;
          root = token.offset;
        }
        if (depth >= kMaxDepth) return Error::TooDeep;
        ++depth;
        after_child = false;
        break;
      case kEndNode:
        if (depth == 0) return Error::BadLayout;
        --depth;
        after_child = true;
        break;
      case kProp:
        if (depth == 0 || after_child) return Error::BadLayout;
        break;
      case kNop: break;
      case kEndTree:
        if (depth != 0 || !root_seen) return Error::BadLayout;
        return Walked{token.next, root};
      default: return Error::BadToken;  // read_token knows no other kinds
    }
    if (token.next == kEnd) return Error::BadToken;
    offset = token.next;
  }
}

}  // namespace

Result<Blob, Error> Blob::parse(const void* data, usize available) {
  const u8* bytes = static_cast<const u8*>(data);
  if (bytes == nullptr || available < 4) return Error::Truncated;
  if (load_be32(bytes + kFieldMagic) != kMagic) return Error::BadMagic;
  if (available < kFieldVersion + 8) return Error::Truncated;
  u32 version = load_be32(bytes + kFieldVersion);
  u32 last_compatible = load_be32(bytes + kFieldLastCompatibleVersion);
  if (version < kOldestVersion || last_compatible > kNewestVersion) return Error::BadVersion;
  u32 header_size = version >= 17 ? kHeaderSizeV17 : kHeaderSizeV16;
  if (available < header_size) return Error::Truncated;

  u32 total = load_be32(bytes + kFieldTotalSize);
  if (total < header_size) return Error::BadLayout;
  if (total > available) return Error::Truncated;

  u32 struct_offset = load_be32(bytes + kFieldStructOffset);
  u32 strings_offset = load_be32(bytes + kFieldStringsOffset);
  u32 reservations_offset = load_be32(bytes + kFieldReservationsOffset);
  u32 strings_size = load_be32(bytes + kFieldStringsSize);
  u64 struct_size;
  if (version >= 17) {
    struct_size = load_be32(bytes + kFieldStructSize);
  } else {
    // Version 16 does not record it: the block runs to whichever of strings or the end is next;
    // the walk below finds its true end.
    struct_size = total - u64{struct_offset};
    if (strings_offset > struct_offset) struct_size = strings_offset - u64{struct_offset};
    if (struct_offset > total) return Error::BadLayout;
  }
  if (reservations_offset % 8 != 0 || struct_offset % 4 != 0) return Error::BadLayout;
  if (reservations_offset < header_size || struct_offset < header_size ||
      strings_offset < header_size)
    return Error::BadLayout;
  if (u64{struct_offset} + struct_size > total || u64{strings_offset} + strings_size > total)
    return Error::BadLayout;

  // The reservation block: 16-byte entries ended by an all-zero one, inside totalsize.
  u64 reservation_count = 0;
  for (;;) {
    u64 entry = u64{reservations_offset} + reservation_count * 16;
    if (entry + 16 > total) return Error::BadLayout;
    if (load_be64(bytes + entry) == 0 && load_be64(bytes + entry + 8) == 0) break;
    ++reservation_count;
  }

  Tree tree;
  tree.structure = bytes + struct_offset;
  tree.structure_size = static_cast<u32>(struct_size);
  tree.strings = reinterpret_cast<const char*>(bytes + strings_offset);
  tree.strings_size = strings_size;
  Walked walked = TRY(validate_structure(tree));
  if (version < 17) tree.structure_size = walked.end;
  tree.root = walked.root;

  Span32 reservations{reservations_offset, reservations_offset + (reservation_count + 1) * 16};
  Span32 structure{struct_offset, struct_offset + u64{tree.structure_size}};
  Span32 strings{strings_offset, strings_offset + u64{strings_size}};
  if (overlap(reservations, structure) || overlap(reservations, strings) ||
      overlap(structure, strings))
    return Error::BadLayout;

  Blob blob;
  blob.data_ = data;
  blob.total_size_ = total;
  blob.version_ = version;
  blob.boot_cpuid_ = load_be32(bytes + kFieldBootCpuid);
  blob.reservations_ = bytes + reservations_offset;
  blob.reservation_count_ = static_cast<usize>(reservation_count);
  blob.tree_ = tree;
  return blob;
}

Result<Node, Error> Blob::find(StringView path) const {
  if (path.empty() || path[0] != '/') return Error::NotFound;
  Node node = root();
  usize at = 1;
  while (at < path.size()) {
    StringView rest = path.substr(at);
    usize slash = rest.find('/');
    StringView component = rest.substr(0, slash);
    at += slash + 1;
    if (component.empty()) continue;
    Optional<Node> next = node.child(component);
    if (!next) return Error::NotFound;
    node = *next;
  }
  return node;
}

Result<Node, Error> Blob::find_by_phandle(u32 phandle) const {
  Optional<Node> node = find_phandle(tree_, phandle);
  if (!node) return Error::NotFound;
  return *node;
}

Optional<StringView> Blob::bootargs() const {
  Result<Node, Error> chosen = find("/chosen");
  if (!chosen) return support::kNone;
  return chosen.value().string_property("bootargs");
}

Result<Range, Error> Blob::initrd() const {
  Node chosen = TRY(find("/chosen"));
  Optional<Property> start = chosen.property("linux,initrd-start");
  Optional<Property> end = chosen.property("linux,initrd-end");
  if (!start || !end) return Error::NotFound;
  Optional<u64> first = start->as_number();
  Optional<u64> last = end->as_number();
  if (!first || !last || *last < *first) return Error::BadProperty;
  return Range{*first, *last - *first};
}

Optional<Bytes> Blob::rng_seed() const {
  Result<Node, Error> chosen = find("/chosen");
  if (!chosen) return support::kNone;
  Optional<Property> seed = chosen.value().property("rng-seed");
  if (!seed) return support::kNone;
  return seed->bytes();
}

Optional<u64> Blob::timebase_frequency() const {
  Result<Node, Error> cpus = find("/cpus");
  if (!cpus) return support::kNone;
  Optional<u64> frequency = cpus.value().number_property("timebase-frequency");
  if (frequency) return frequency;
  for (Node cpu : cpus.value().children()) {
    Optional<StringView> type = cpu.string_property("device_type");
    if (type && *type == "cpu") return cpu.number_property("timebase-frequency");
  }
  return support::kNone;
}

}  // namespace fdt
