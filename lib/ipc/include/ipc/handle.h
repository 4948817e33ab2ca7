// Handle: an owning name for an object, with rights: what a handle table's entry holds and what a
// message carries. Each Handle keeps its object open (Object: "two counts, two meanings") and
// referenced; dropping the last one closes the object. Move-only: a second handle comes only
// from duplicate().
//
// A handle also carries one word of the embedder's (set_word): the WASI layer's state for the
// descriptor (docs/ipc.md, "WASI descriptors as handles"). It travels with the handle through
// duplicate, renumber and transfer; this library never interprets it.
#pragma once

#include <ipc/error.h>
#include <ipc/object.h>
#include <ipc/rights.h>

namespace ipc {

class Handle {
 public:
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) : object_(other.object_), rights_(other.rights_), word_(other.word_) {
    other.object_ = nullptr;
  }
  Handle& operator=(Handle&& other) {
    if (this != &other) {
      reset();
      object_ = other.object_;
      rights_ = other.rights_;
      word_ = other.word_;
      other.object_ = nullptr;
    }
    return *this;
  }
  ~Handle() { reset(); }

  // The first handle to `object`, a new object that never had one (one the embedder made: a
  // file, the console). Error::BadHandle if it had handles before: a closed object stays closed.
  static Result<Handle> create(Ref<Object> object, Rights rights);

  explicit operator bool() const { return object_ != nullptr; }
  Object* object() const { return object_; }
  // A transient reference to the object (it does not keep the object open).
  Ref<Object> ref() const { return Ref<Object>(object_); }
  Rights rights() const { return rights_; }
  bool has(Rights rights) const { return rights_.contains(rights); }
  u64 word() const { return word_; }
  void set_word(u64 word) { word_ = word; }

  // Another handle to the same object, with `rights` (right::kSame: these ones) and the same
  // word. Needs kDuplicate; Error::AccessDenied without it or for rights this handle lacks.
  Result<Handle> duplicate(Rights rights = right::kSame) const;
  // Lowers this handle's rights to `rights`: Error::AccessDenied if they are not a subset.
  Result<void> reduce(Rights rights);

  // Closes this handle (it becomes empty): if it was the object's last, the object closes.
  void reset();

 private:
  friend class Reaper;
  friend class HandleTable;
  Handle(Object* object, Rights rights, u64 word) : object_(object), rights_(rights), word_(word) {}
  // Empties the handle without dropping its counts, which the caller takes over.
  Object* detach() {
    Object* object = object_;
    object_ = nullptr;
    return object;
  }

  Object* object_ = nullptr;  // holds one reference and one handle count
  Rights rights_;
  u64 word_ = 0;
};

}  // namespace ipc
