#include <fs/loader.h>

namespace fs {

using support::StringView;

namespace {

constexpr u32 kTypeMask = 0170000;
constexpr u32 kTypeSymlink = 0120000;

// Splits off the first component of `path` (no leading '/'); empty when none is left.
StringView next_component(StringView& path) {
  while (!path.empty() && path[0] == '/') path = path.substr(1);
  usize slash = path.find('/');
  StringView name = path.substr(0, slash);
  path = path.substr(slash);
  while (!path.empty() && path[0] == '/') path = path.substr(1);
  return name;
}

}  // namespace

Result<bool> Loader::step(usize max_entries) {
  if (failed_) return *failed_;
  if (!archive_) {
    auto parsed = initrd::Archive::parse(blob_);
    if (parsed.is_error()) {
      archive_error_ = parsed.error();
      failed_ = Error::Invalid;
      return Error::Invalid;
    }
    archive_ = parsed.release_value();
  }
  if (max_entries == 0) max_entries = 1;
  usize start = next_;
  usize index = 0;
  support::Optional<Error> error;
  // FIXME(initrd): initrd::Archive has no cursor, so every step decodes the headers before its
  // first entry again (O(entries) per step, cheap next to the copies; an iterator would fix it).
  archive_->for_each([&](const initrd::Entry& entry) {
    if (index >= start && index - start < max_entries && !error) {
      if (auto unpacked = unpack(entry); unpacked.is_error())
        error = unpacked.error();
      else
        ++next_;
    }
    ++index;
  });
  if (error) {
    failed_ = error;
    return *error;
  }
  return next_ == archive_->entry_count();
}

Result<void> Loader::unpack(const initrd::Entry& entry) {
  u32 type = entry.mode & kTypeMask;
  if (!entry.is_directory() && !entry.is_file() && type != kTypeSymlink) {
    ++skipped_;
    return {};
  }
  // Walk to the last component, creating directories on the way.
  StringView rest = entry.name;
  NodeRef dir = fs_.root();
  StringView name;
  for (;;) {
    StringView component = next_component(rest);
    if (component == "..") return Error::Invalid;
    if (component.empty() && rest.empty()) break;  // the end (or a name of only "/")
    if (component == ".") continue;
    if (rest.empty()) {
      name = component;
      break;
    }
    auto found = fs_.lookup(dir, component);
    if (found.is_error() && found.error() != Error::NotFound) return found.error();
    NodeRef next = found.is_ok() ? found.release_value() : TRY(fs_.mkdir(dir, component));
    if (!next->is_directory()) return Error::NotDir;
    dir = support::move(next);
  }
  if (name.empty()) return {};  // "." or the root itself

  auto existing = fs_.lookup(dir, name);
  if (existing.is_error() && existing.error() != Error::NotFound) return existing.error();
  if (entry.is_directory()) {
    if (existing.is_ok()) return existing.value()->is_directory() ? Result<void>() : Error::Exists;
    TRY(fs_.mkdir(dir, name));
    return {};
  }
  if (entry.is_file()) {
    NodeRef file = TRY(fs_.create_file(dir, name, CreateMode::OpenExisting));
    TRY(fs_.truncate(file, 0));
    TRY(fs_.write(file, 0, entry.data));
    return {};
  }
  // A symlink replaces an earlier file or symlink of the same name (later entries win).
  if (existing.is_ok()) {
    if (existing.value()->is_directory()) return Error::Exists;
    TRY(fs_.unlink(dir, name));
  }
  StringView target(reinterpret_cast<const char*>(entry.data.data()), entry.data.size());
  TRY(fs_.symlink(dir, name, target));
  return {};
}

}  // namespace fs
