// Program files on the root file system: reading a program, the kernel's whole-file helpers.
#include <fs/file_system.h>
#include <support/format.h>

#include <kernel/proc/program.h>

namespace programs {
namespace {

// `path` made absolute against `cwd` into `buffer`; empty when it does not fit.
StringView absolute(StringView path, StringView cwd, char* buffer, usize size) {
  if (path.size() > 0 && path[0] == '/') return path;
  bool slash = cwd.size() > 0 && cwd[cwd.size() - 1] == '/';
  usize n = cwd.size() + (slash ? 0 : 1) + path.size();
  if (n >= size) return {};
  return support::format_to_buffer(buffer, size, slash ? "{}{}" : "{}/{}", cwd, path);
}

SpawnError error_of(fs::Error error) {
  switch (error) {
    case fs::Error::NoMemory: return SpawnError::NoMemory;
    case fs::Error::NotFound:
    case fs::Error::NotDir:
    case fs::Error::Loop: return SpawnError::NotFound;
    default: return SpawnError::Invalid;
  }
}

// The regular file at `path` (absolute, or relative to `cwd`).
support::Result<fs::NodeRef, SpawnError> find_file(StringView path, StringView cwd) {
  char buffer[1024];
  StringView full = absolute(path, cwd, buffer, sizeof buffer);
  if (full.size() == 0) return SpawnError::Invalid;
  auto node = root().resolve(full);
  if (node.is_error()) return error_of(node.error());
  if (!node.value()->is_file()) return SpawnError::NotFound;
  return support::move(node.value());
}

}  // namespace

support::Result<support::Vector<u8>, SpawnError> read_file(StringView path, StringView cwd) {
  fs::NodeRef node = TRY(find_file(path, cwd));
  auto bytes = root().read_all(node);
  if (bytes.is_error()) return error_of(bytes.error());
  return support::move(bytes.value());
}

support::Result<u64, SpawnError> file_size(StringView path, StringView cwd) {
  fs::NodeRef node = TRY(find_file(path, cwd));
  return root().stat(node).size;
}

bool file_exists(StringView path, StringView cwd) { return find_file(path, cwd).is_ok(); }

support::Result<support::Vector<u8>, SpawnError> read_whole_file(StringView path) {
  return read_file(path, "/");
}

support::Result<fs::NodeRef, SpawnError> create_empty_file(StringView path) {
  usize slash = path.size();
  while (slash > 0 && path[slash - 1] != '/') --slash;
  if (slash == 0) return SpawnError::Invalid;
  auto dir = root().resolve(slash == 1 ? StringView("/") : path.substr(0, slash - 1));
  if (dir.is_error()) return error_of(dir.error());
  auto file = root().create_file(dir.value(), path.substr(slash), fs::CreateMode::OpenExisting);
  if (file.is_error()) return error_of(file.error());
  if (auto r = root().truncate(file.value(), 0); r.is_error()) return error_of(r.error());
  return support::move(file.value());
}

bool write_whole_file(StringView path, support::Span<const u8> bytes) {
  auto file = create_empty_file(path);
  return file.is_ok() &&
         root().write(file.value(), 0, support::Bytes(bytes.data(), bytes.size())).is_ok();
}

}  // namespace programs
