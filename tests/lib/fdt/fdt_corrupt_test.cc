// Damaged blobs: truncated, bit-flipped and hand-broken. parse() must return an error or a blob
// whose every accessor works; nothing may read outside the buffer (checked under ASan: every
// blob is parsed from an exactly sized heap copy), crash or hang.
#include <gtest/gtest.h>

#include <random>

#include "fdt_test_util.h"

using namespace fdt_test;

namespace {

std::vector<uint8_t> fixture(const char* name) {
  return read_file(std::filesystem::path(WARDEN_TEST_DATA) / name);
}

// A real blob with a bit of everything: reservations, a reserved-memory node, bootargs.
std::vector<uint8_t> sample() { return fixture("synthetic-received-smp4-512M.dtb"); }

Error parse_error(const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> storage;
  auto result = parse_copy(bytes, storage);
  EXPECT_TRUE(result.is_error());
  return result.is_error() ? result.error() : Error::NotFound;
}

// The parse error of the sample with header field `field` set to `value`, or moved by `delta`.
Error header_set(size_t field, uint32_t value) {
  std::vector<uint8_t> blob = sample();
  set_be32(blob, field, value);
  return parse_error(blob);
}
Error header_moved(size_t field, uint32_t delta) {
  return header_set(field, get_be32(sample(), field) + delta);
}

// Offset of the first token `kind` in the structure block at or after `from`.
size_t struct_offset(const std::vector<uint8_t>& blob) { return get_be32(blob, kStructOffset); }

TEST(Truncation, every_prefix_of_every_fixture_is_truncated) {
  for (const auto& path : fixture_paths()) {
    std::vector<uint8_t> whole = read_file(path);
    std::vector<uint8_t> storage;
    for (size_t length = 0; length < whole.size(); ++length) {
      std::vector<uint8_t> prefix(whole.data(), whole.data() + length);
      auto result = parse_copy(prefix, storage);
      ASSERT_TRUE(result.is_error()) << path << " length " << length;
      EXPECT_EQ(result.error(), Error::Truncated) << path << " length " << length;
    }
  }
}

// A prefix whose header claims exactly the bytes present, with the block sizes clipped to fit:
// the walk itself runs into the cut.
TEST(Truncation, prefixes_that_claim_to_be_whole_fail_or_parse_cleanly) {
  std::vector<uint8_t> whole = sample();
  std::vector<uint8_t> storage;
  size_t accepted = 0;
  for (size_t length = 40; length < whole.size(); ++length) {
    std::vector<uint8_t> prefix(whole.data(), whole.data() + length);
    set_be32(prefix, kTotalSize, static_cast<uint32_t>(length));
    for (auto [offset_field, size_field] :
         {std::pair{kStructOffset, kStructSize}, std::pair{kStringsOffset, kStringsSize}}) {
      uint32_t offset = get_be32(prefix, offset_field);
      uint32_t size = get_be32(prefix, size_field);
      uint32_t room = offset < length ? static_cast<uint32_t>(length - offset) : 0;
      set_be32(prefix, size_field, std::min(size, room));
    }
    auto result = parse_copy(prefix, storage);
    if (result.is_ok()) {
      ++accepted;
      touch_everything(result.value());
    }
  }
  // Cutting into the strings block leaves property names dangling and cutting the structure
  // block loses FDT_END: nothing short of the whole blob is valid.
  EXPECT_EQ(accepted, 0u);
}

TEST(Truncation, totalsize_larger_than_available_is_truncated) {
  std::vector<uint8_t> blob = sample();
  set_be32(blob, kTotalSize, static_cast<uint32_t>(blob.size() + 1));
  EXPECT_EQ(parse_error(blob), Error::Truncated);
  set_be32(blob, kTotalSize, 0xffffffff);
  EXPECT_EQ(parse_error(blob), Error::Truncated);
}

TEST(Truncation, null_and_tiny_buffers_are_truncated) {
  EXPECT_EQ(Blob::parse(nullptr, 0).error(), Error::Truncated);
  EXPECT_EQ(Blob::parse(nullptr, 4096).error(), Error::Truncated);
  uint8_t magic[] = {0xd0, 0x0d, 0xfe, 0xed};
  EXPECT_EQ(Blob::parse(magic, sizeof magic).error(), Error::Truncated);
  EXPECT_EQ(Blob::peek_total_size(magic, sizeof magic).error(), Error::Truncated);
}

// Flips 1 to 4 random bytes (fixed seed) of every fixture, 6000 blobs in all however many
// fixtures there are (at least 200 each).
TEST(Corruption, random_byte_flips_never_crash) {
  std::mt19937 random(20261129);
  std::vector<uint8_t> storage;
  size_t accepted = 0, rejected = 0;
  auto paths = fixture_paths();
  ASSERT_FALSE(paths.empty());
  const int rounds = std::max(200, 6000 / static_cast<int>(paths.size()));
  for (const auto& path : paths) {
    std::vector<uint8_t> original = read_file(path);
    for (int round = 0; round < rounds; ++round) {
      std::vector<uint8_t> blob = original;
      int flips = 1 + static_cast<int>(random() % 4);
      for (int i = 0; i < flips; ++i) {
        size_t at = random() % blob.size();
        // Half of the flips hit the header and the structure block's token words, where they do
        // the most damage; the rest anywhere.
        if (i == 0 && round % 2 == 0) at = random() % std::min<size_t>(blob.size(), 400);
        blob[at] ^= static_cast<uint8_t>(1u << (random() % 8));
      }
      auto result = parse_copy(blob, storage);
      if (result.is_ok()) {
        ++accepted;
        touch_everything(result.value(), round % 16 == 0 ? Depth::Full : Depth::Light);
      } else {
        ++rejected;
        EXPECT_STRNE(fdt::error_name(result.error()), "unknown error");
      }
    }
  }
  // Flips inside property values keep a blob valid; flips in the header or tokens do not.
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(rejected, 0u);
}

// Overwrites random aligned words with values that are likely to be tokens, lengths or offsets.
TEST(Corruption, random_structure_words_never_crash) {
  std::mt19937 random(7);
  std::vector<uint8_t> original = sample();
  std::vector<uint8_t> storage;
  size_t start = struct_offset(original);
  size_t words = (original.size() - start) / 4;
  const uint32_t interesting[] = {0,          1,
                                  2,          3,
                                  4,          9,
                                  10,         0xffffffff,
                                  0x7fffffff, 0x80000000,
                                  0xfffffffc, 64,
                                  4096,       static_cast<uint32_t>(original.size())};
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> blob = original;
    int changes = 1 + static_cast<int>(random() % 3);
    for (int i = 0; i < changes; ++i) {
      size_t at = start + 4 * (random() % words);
      set_be32(blob, at, interesting[random() % std::size(interesting)]);
    }
    auto result = parse_copy(blob, storage);
    if (result.is_ok())
      touch_everything(result.value(), round % 16 == 0 ? Depth::Full : Depth::Light);
  }
}

TEST(Corruption, random_header_fields_never_crash) {
  std::mt19937 random(11);
  std::vector<uint8_t> original = sample();
  std::vector<uint8_t> storage;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> blob = original;
    size_t field = 4 + 4 * (random() % 9);
    uint32_t value = get_be32(blob, field);
    switch (random() % 4) {
      case 0: value = static_cast<uint32_t>(random()); break;
      case 1: value += static_cast<uint32_t>(random() % 64) - 32; break;
      case 2: value = static_cast<uint32_t>(random() % (blob.size() + 64)); break;
      default: value = ~value; break;
    }
    set_be32(blob, field, value);
    auto result = parse_copy(blob, storage);
    if (result.is_ok())
      touch_everything(result.value(), round % 16 == 0 ? Depth::Full : Depth::Light);
  }
}

TEST(Header, bad_magic_is_rejected) {
  std::vector<uint8_t> blob = sample();
  blob[0] = 0xd1;
  EXPECT_EQ(parse_error(blob), Error::BadMagic);
  std::vector<uint8_t> zeros(4096, 0);
  EXPECT_EQ(parse_error(zeros), Error::BadMagic);
  EXPECT_EQ(Blob::peek_total_size(zeros.data(), zeros.size()).error(), Error::BadMagic);
}

TEST(Header, peek_total_size_reads_only_the_first_eight_bytes) {
  std::vector<uint8_t> blob = sample();
  std::vector<uint8_t> head(blob.begin(), blob.begin() + 8);
  EXPECT_EQ(Blob::peek_total_size(head.data(), head.size()).value(), blob.size());
}

TEST(Header, unsupported_versions_are_rejected) {
  EXPECT_EQ(header_set(kVersion, 15), Error::BadVersion);
  EXPECT_EQ(header_set(kLastCompatibleVersion, 18), Error::BadVersion);
  std::vector<uint8_t> blob = sample();
  set_be32(blob, kVersion, 18);  // newer but backwards compatible to 16: fine
  EXPECT_TRUE(Blob::parse(blob.data(), blob.size()).is_ok());
}

TEST(Header, blocks_outside_totalsize_are_bad_layout) {
  EXPECT_EQ(header_moved(kStructSize, 4096), Error::BadLayout);
  EXPECT_EQ(header_moved(kStringsSize, 1), Error::BadLayout);
  EXPECT_EQ(header_set(kStringsOffset, 0xfffffff0), Error::BadLayout);
  EXPECT_EQ(header_set(kStructOffset, 0xfffffffc), Error::BadLayout);
  EXPECT_EQ(header_set(kTotalSize, 20), Error::BadLayout);
}

TEST(Header, misaligned_blocks_are_bad_layout) {
  EXPECT_EQ(header_moved(kStructOffset, 2), Error::BadLayout);
  EXPECT_EQ(header_moved(kReservationsOffset, 4), Error::BadLayout);
}

TEST(Header, blocks_inside_the_header_are_bad_layout) {
  EXPECT_EQ(header_set(kReservationsOffset, 0), Error::BadLayout);
}

TEST(Header, overlapping_blocks_are_bad_layout) {
  // Strings block moved onto the structure block.
  std::vector<uint8_t> blob = sample();
  set_be32(blob, kStringsOffset, get_be32(blob, kStructOffset));
  EXPECT_NE(parse_error(blob), Error::NotFound);
  // Structure block starting inside the reservation block's entries.
  blob = sample();
  ASSERT_EQ(get_be32(blob, kReservationsOffset), 40u);
  Builder b;
  b.reserve(0x1000, 0x1000).reserve(0x3000, 0x1000).begin("").end().finish();
  blob = b.build();
  std::vector<uint8_t> nested = blob;
  set_be32(nested, kStructOffset, 40 + 16);
  EXPECT_NE(parse_error(nested), Error::NotFound);
  // Same blocks, but the strings block overlaps the end of the structure block while the
  // structure itself still decodes: only the overlap check catches it.
  Builder c;
  c.begin("").prop_cells("a", {1}).end().finish();
  blob = c.build();
  std::vector<uint8_t> overlapped = blob;
  uint32_t structure_end = get_be32(blob, kStructOffset) + get_be32(blob, kStructSize);
  // Append the strings again right at the end and point strings 4 bytes back into FDT_END.
  overlapped.insert(overlapped.end(), {'a', 0});
  set_be32(overlapped, kStringsOffset, structure_end - 4);
  set_be32(overlapped, kStringsSize, 4 + static_cast<uint32_t>(overlapped.size() - structure_end));
  set_be32(overlapped, kTotalSize, static_cast<uint32_t>(overlapped.size()));
  EXPECT_EQ(parse_error(overlapped), Error::BadLayout);
}

TEST(Reservations, unterminated_reservation_block_is_bad_layout) {
  // A reservation block whose terminator is missing runs into the structure block.
  Builder b;
  b.reserve(0x1000, 0x1000).begin("").end().finish();
  std::vector<uint8_t> blob = b.build();
  set_be32(blob, 40 + 16, 0xffffffff);  // the terminator's address
  EXPECT_EQ(parse_error(blob), Error::BadLayout);
  // And one that runs off the end of the blob.
  std::vector<uint8_t> tail = blob;
  set_be32(tail, kReservationsOffset, static_cast<uint32_t>((tail.size() - 8) & ~size_t{7}));
  EXPECT_EQ(parse_error(tail), Error::BadLayout);
}

TEST(Structure, property_name_offset_past_strings_is_bad_string_offset) {
  Builder b;
  b.begin("").prop_cells("x", {1}).end().finish();
  std::vector<uint8_t> blob = b.build();
  size_t name_offset_field = struct_offset(blob) + 8 /* BEGIN_NODE "" */ + 8;
  set_be32(blob, name_offset_field, get_be32(blob, kStringsSize));
  EXPECT_EQ(parse_error(blob), Error::BadStringOffset);
  set_be32(blob, name_offset_field, 0xffffffff);
  EXPECT_EQ(parse_error(blob), Error::BadStringOffset);
}

TEST(Structure, property_name_without_nul_in_strings_is_bad_string_offset) {
  Builder b;
  b.begin("").prop_cells("x", {1}).end().finish();
  std::vector<uint8_t> blob = b.build();
  blob.back() = 'y';  // the strings block is "x\0": drop its terminator
  EXPECT_EQ(parse_error(blob), Error::BadStringOffset);
}

TEST(Structure, unknown_tokens_are_bad_token) {
  for (uint32_t token : {0u, 5u, 8u, 10u, 0x01000000u, 0xffffffffu}) {
    Builder b;
    b.begin("").token(token).end().finish();
    EXPECT_EQ(parse_error(b.build()), Error::BadToken) << token;
  }
}

TEST(Structure, corrupted_token_in_a_real_blob_is_bad_token) {
  std::vector<uint8_t> blob = sample();
  size_t at = struct_offset(blob);
  ASSERT_EQ(get_be32(blob, at), 1u);  // the root's BEGIN_NODE
  set_be32(blob, at, 0x42);
  EXPECT_EQ(parse_error(blob), Error::BadToken);
}

TEST(Structure, node_name_running_off_the_block_is_an_error) {
  Builder b;
  b.begin("").token(1);  // BEGIN_NODE with no name and nothing after
  std::vector<uint8_t> blob = b.build();
  // Fill the name with non-NUL bytes up to the end of the structure block.
  blob.insert(blob.begin() + static_cast<long>(struct_offset(blob) + 12), {'a', 'b', 'c', 'd'});
  set_be32(blob, kStructSize, get_be32(blob, kStructSize) + 4);
  set_be32(blob, kStringsOffset, get_be32(blob, kStringsOffset) + 4);
  set_be32(blob, kTotalSize, static_cast<uint32_t>(blob.size()));
  EXPECT_EQ(parse_error(blob), Error::BadToken);
}

TEST(Structure, property_length_past_the_block_is_bad_property) {
  Builder b;
  b.begin("").prop_cells("x", {1}).end().finish();
  std::vector<uint8_t> blob = b.build();
  size_t length_field = struct_offset(blob) + 8 + 4;
  for (uint32_t length : {64u, 0x7fffffffu, 0xfffffffcu, 0xffffffffu}) {
    set_be32(blob, length_field, length);
    EXPECT_EQ(parse_error(blob), Error::BadProperty) << length;
  }
}

TEST(Structure, missing_end_token_is_an_error) {
  Builder b;
  b.begin("").end();
  EXPECT_EQ(parse_error(b.build()), Error::BadToken);
}

TEST(Structure, unbalanced_nodes_are_bad_layout) {
  Builder open;
  open.begin("").begin("a").end().finish();
  EXPECT_EQ(parse_error(open.build()), Error::BadLayout);
  Builder closed;
  closed.begin("").end().end().finish();
  EXPECT_EQ(parse_error(closed.build()), Error::BadLayout);
  Builder empty;
  empty.finish();
  EXPECT_EQ(parse_error(empty.build()), Error::BadLayout);
}

TEST(Structure, second_root_is_bad_layout) {
  Builder b;
  b.begin("").end().begin("").end().finish();
  EXPECT_EQ(parse_error(b.build()), Error::BadLayout);
}

TEST(Structure, property_outside_the_root_is_bad_layout) {
  Builder b;
  b.prop_cells("x", {1}).begin("").end().finish();
  EXPECT_EQ(parse_error(b.build()), Error::BadLayout);
}

TEST(Structure, property_after_a_child_node_is_bad_layout) {
  Builder b;
  b.begin("").begin("child").end().prop_cells("late", {1}).end().finish();
  EXPECT_EQ(parse_error(b.build()), Error::BadLayout);
}

TEST(Structure, nesting_beyond_the_limit_is_too_deep) {
  auto nested = [](uint32_t levels) {
    Builder b;
    for (uint32_t i = 0; i < levels; ++i) b.begin(i == 0 ? "" : "n");
    for (uint32_t i = 0; i < levels; ++i) b.end();
    b.finish();
    return b.build();
  };
  std::vector<uint8_t> storage;
  auto deepest = parse_copy(nested(fdt::kMaxDepth), storage);
  ASSERT_TRUE(deepest.is_ok());
  size_t count = 0;
  for (fdt::Node n : deepest.value().nodes()) {
    ++count;
    if (count == fdt::kMaxDepth) {
      // The deepest node's parent chain is intact.
      EXPECT_EQ(n.parent()->parent()->name().size(), 1u);
    }
  }
  EXPECT_EQ(count, fdt::kMaxDepth);
  EXPECT_EQ(deepest.value().find("/n/n/n").value().name().size(), 1u);
  EXPECT_EQ(parse_error(nested(fdt::kMaxDepth + 1)), Error::TooDeep);
  EXPECT_EQ(parse_error(nested(100000)), Error::TooDeep);
}

TEST(Structure, string_offset_of_a_real_property_pointing_past_strings_is_rejected) {
  std::vector<uint8_t> blob = sample();
  // Find the first PROP token after the root's BEGIN_NODE "" and break its name offset.
  size_t at = struct_offset(blob) + 8;
  ASSERT_EQ(get_be32(blob, at), 3u);
  set_be32(blob, at + 8, get_be32(blob, kStringsSize) + 100);
  EXPECT_EQ(parse_error(blob), Error::BadStringOffset);
}

}  // namespace
