#include <initrd/archive.h>

namespace initrd {

namespace {

constexpr usize kHeaderSize = 110;
constexpr usize kMaxName = 4096;

// Field i (0..12) of a header: 8 hex digits after the 6-byte magic.
bool hex_field(const u8* header, usize index, u32& out) {
  u32 value = 0;
  for (usize i = 0; i < 8; ++i) {
    u8 c = header[6 + index * 8 + i];
    u32 digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return false;
    value = value << 4 | digit;
  }
  out = value;
  return true;
}

constexpr usize align4(usize v) { return (v + 3) & ~usize{3}; }

struct Raw {
  u32 mode;
  usize name_offset;
  usize name_size;  // without the NUL
  usize data_offset;
  usize data_size;
  usize next;
};

// Validates and decodes the header at `offset`.
support::Result<Raw, Error> decode(support::Bytes blob, usize offset) {
  if (offset > blob.size() || blob.size() - offset < kHeaderSize) return Error::Truncated;
  const u8* h = blob.data() + offset;
  static constexpr char kMagic[] = "07070";
  for (usize i = 0; i < 5; ++i)
    if (h[i] != static_cast<u8>(kMagic[i])) return Error::BadMagic;
  if (h[5] != '1' && h[5] != '2') return Error::BadMagic;
  u32 fields[13];
  for (usize i = 0; i < 13; ++i)
    if (!hex_field(h, i, fields[i])) return Error::BadField;
  u32 mode = fields[1], file_size = fields[6], name_size = fields[11];
  if (name_size == 0 || name_size > kMaxName) return Error::BadName;
  usize name_offset = offset + kHeaderSize;
  if (blob.size() - name_offset < name_size) return Error::Truncated;
  if (blob[name_offset + name_size - 1] != 0) return Error::BadName;
  usize data_offset = align4(name_offset + name_size);
  if (data_offset > blob.size() || blob.size() - data_offset < file_size) return Error::Truncated;
  return Raw{mode,        name_offset, name_size - 1,
             data_offset, file_size,   align4(data_offset + file_size)};
}

support::StringView strip(support::StringView name) {
  while (name.starts_with("./")) name = name.substr(2);
  while (name.starts_with("/")) name = name.substr(1);
  return name;
}

}  // namespace

const char* error_name(Error error) {
  switch (error) {
    case Error::Truncated: return "truncated";
    case Error::BadMagic: return "bad magic (not a cpio newc archive)";
    case Error::BadField: return "bad header field";
    case Error::BadName: return "bad entry name";
    case Error::NoTrailer: return "no TRAILER!!! entry";
    case Error::NotFound: return "not found";
  }
  return "?";
}

support::Result<Archive, Error> Archive::parse(support::Bytes blob) {
  usize offset = 0, count = 0;
  for (;;) {
    Raw raw = TRY(decode(blob, offset));
    support::StringView name(reinterpret_cast<const char*>(blob.data() + raw.name_offset),
                             raw.name_size);
    if (name == "TRAILER!!!") return Archive(blob, count);
    ++count;
    offset = raw.next;
    if (offset >= blob.size()) return Error::NoTrailer;
  }
}

usize Archive::read_at(usize offset, Entry& out) const {
  Raw raw = decode(blob_, offset).value();  // validated by parse()
  out.name = strip(support::StringView(
      reinterpret_cast<const char*>(blob_.data() + raw.name_offset), raw.name_size));
  out.mode = raw.mode;
  out.data = blob_.subspan(raw.data_offset, raw.data_size);
  return raw.next;
}

support::Result<Entry, Error> Archive::find(support::StringView name) const {
  name = strip(name);
  usize offset = 0;
  Entry entry;
  for (usize i = 0; i < count_; ++i) {
    offset = read_at(offset, entry);
    if (entry.name == name) return entry;
  }
  return Error::NotFound;
}

}  // namespace initrd
