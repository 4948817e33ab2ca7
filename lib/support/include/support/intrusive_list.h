// IntrusiveList<T, &T::node>: a doubly linked list threaded through a named member of T, so that
// queuing allocates nothing. An object can be on as many lists as it has nodes; a node is on at
// most one list at a time. Not thread-safe: callers hold the lock that guards the list.
#pragma once

#include <support/types.h>

namespace support {

class IntrusiveNode {
 public:
  IntrusiveNode() = default;
  IntrusiveNode(const IntrusiveNode&) = delete;
  IntrusiveNode& operator=(const IntrusiveNode&) = delete;

  bool is_linked() const { return next_ != nullptr; }

 private:
  template <typename T, IntrusiveNode T::*> friend class IntrusiveList;
  IntrusiveNode* prev_ = nullptr;
  IntrusiveNode* next_ = nullptr;
};

template <typename T, IntrusiveNode T::* Member> class IntrusiveList {
 public:
  IntrusiveList() { head_.prev_ = head_.next_ = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() { clear(); }

  bool empty() const { return head_.next_ == &head_; }
  usize size() const { return size_; }

  void push_back(T& item) { insert_before(head_, node_of(item)); }
  void push_front(T& item) { insert_before(*head_.next_, node_of(item)); }

  T* front() { return empty() ? nullptr : owner_of(head_.next_); }
  T* back() { return empty() ? nullptr : owner_of(head_.prev_); }

  T* pop_front() {
    if (empty()) return nullptr;
    T* item = owner_of(head_.next_);
    remove(*item);
    return item;
  }
  T* pop_back() {
    if (empty()) return nullptr;
    T* item = owner_of(head_.prev_);
    remove(*item);
    return item;
  }

  // `item` must be on this list.
  void remove(T& item) {
    IntrusiveNode& node = node_of(item);
    node.prev_->next_ = node.next_;
    node.next_->prev_ = node.prev_;
    node.prev_ = node.next_ = nullptr;
    --size_;
  }

  void clear() {
    while (pop_front() != nullptr) {
    }
  }

  class Iterator {
   public:
    Iterator(IntrusiveNode* node) : node_(node) {}
    T& operator*() const { return *owner_of(node_); }
    T* operator->() const { return owner_of(node_); }
    Iterator& operator++() {
      node_ = node_->next_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return node_ == other.node_; }

   private:
    IntrusiveNode* node_;
  };
  Iterator begin() { return Iterator(head_.next_); }
  Iterator end() { return Iterator(&head_); }

 private:
  static IntrusiveNode& node_of(T& item) { return item.*Member; }
  static T* owner_of(IntrusiveNode* node) {
    // The offset of the member inside T, computed without a real object.
    alignas(T) static constexpr char probe_storage[sizeof(T)] = {};
    const T* probe = reinterpret_cast<const T*>(probe_storage);
    uptr offset = reinterpret_cast<uptr>(&(probe->*Member)) - reinterpret_cast<uptr>(probe);
    return reinterpret_cast<T*>(reinterpret_cast<uptr>(node) - offset);
  }
  void insert_before(IntrusiveNode& position, IntrusiveNode& node) {
    node.next_ = &position;
    node.prev_ = position.prev_;
    position.prev_->next_ = &node;
    position.prev_ = &node;
    ++size_;
  }

  IntrusiveNode head_;
  usize size_ = 0;
};

}  // namespace support
