// An in-memory wasi::Os for the tests: a tree of directories, files and symbolic links, a console
// whose reads and polls can be told to "block" (return WouldBlock) a number of times, a clock the
// test sets, and sockets (listeners with a backlog of connections; a connection's bytes from the
// peer, what the program sent, and the room it has) that answer WouldBlock as the kernel's would.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <wasi/os.h>

namespace wasi_test {

using namespace wasi;
using support::Span;
using support::StringView;

class FakeOs final : public Os {
 public:
  struct Node {
    FileType type;
    std::string data;  // file contents or link target
    std::map<std::string, int> children;
    int parent = 0;
  };

  FakeOs() { nodes_.push_back({FileType::Directory, "", {}, 0}); }  // node 0: the root

  // Building the tree (paths relative to the root, parents must exist).
  int add(const std::string& path, FileType type, const std::string& data = "") {
    size_t slash = path.rfind('/');
    int parent = slash == std::string::npos ? 0 : find(path.substr(0, slash));
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    nodes_.push_back({type, data, {}, parent});
    int id = static_cast<int>(nodes_.size() - 1);
    nodes_[parent].children[name] = id;
    return id;
  }
  int find(const std::string& path) {
    int at = 0;
    size_t pos = 0;
    while (pos < path.size()) {
      size_t next = path.find('/', pos);
      if (next == std::string::npos) next = path.size();
      auto it = nodes_[at].children.find(path.substr(pos, next - pos));
      if (it == nodes_[at].children.end()) return -1;
      at = it->second;
      pos = next + 1;
    }
    return at;
  }
  Node& node(int id) { return nodes_[id]; }
  Handle open_node(int id) {
    handles_[next_handle_] = id;
    return next_handle_++;
  }
  Handle console() {
    if (console_ < 0) console_ = add_console();
    return open_node(console_);
  }

  // A socket: a listener (its backlog of connection node ids) or a connection.
  struct Socket {
    bool listener = false;
    std::vector<int> backlog;
    std::string in;            // from the peer, not yet received
    bool peer_closed = false;  // after `in`: the end of the stream
    std::string out;           // what the program sent
    u64 send_room = ~0ull;     // bytes sock_send takes before WouldBlock
    u64 recv_chunk = ~0ull;    // the most one sock_recv gives (segments)
    bool shut_rd = false, shut_wr = false;
    Errno error = Errno::Success;  // the next recv/send fails with it
  };
  // A listener; queue connections on it with connect().
  Handle listener() {
    int id = add_socket_node(true);
    return open_node(id);
  }
  // A connection waiting in the backlog of `listener`; returns its node id (see socket()).
  int connect(Handle listener, const std::string& in = "", bool peer_closed = false) {
    int id = add_socket_node(false);
    sockets_[id].in = in;
    sockets_[id].peer_closed = peer_closed;
    sockets_[handles_.at(listener)].backlog.push_back(id);
    return id;
  }
  Socket& socket(int id) { return sockets_.at(id); }
  Socket* socket_of(Handle h) {
    auto it = handles_.find(h);
    if (it == handles_.end()) return nullptr;
    auto s = sockets_.find(it->second);
    return s == sockets_.end() ? nullptr : &s->second;
  }
  std::map<Handle, bool> nonblocking;  // what set_nonblocking was told, per handle
  Errno nonblocking_answer = Errno::Success;
  int sock_calls = 0;

  std::string input, output;  // the console
  int block_reads = 0;        // the next N console reads return WouldBlock
  int block_polls = 0;        // the next N polls return WouldBlock
  u64 now = 1000;             // Monotonic and Realtime, in nanoseconds
  u64 last_poll_deadline = 0;
  int closes = 0;
  int appends = 0;
  u64 realtime_behind = 0;  // Realtime is Monotonic minus this
  u64 sparse_size = 0;      // an empty regular file reads as this many zeros (a sparse file)
  bool time_up = false;     // what yield_due answers
  int yield_asks = 0;       // how often it was asked
  int random_calls = 0;
  // Called at the start of every Os method with its name: a test rewrites the program's memory
  // here to play a program that changes its arguments while the call runs.
  std::function<void(const char*)> hook;

  Errno clock_res(ClockId, u64* r) override {
    if (hook) hook("clock_res");
    *r = 1;
    return Errno::Success;
  }
  Errno clock_time(ClockId id, u64* t) override {
    if (hook) hook("clock_time");
    *t = id == ClockId::Realtime ? now - realtime_behind : now;
    return Errno::Success;
  }
  Errno random(Span<u8> out) override {
    if (hook) hook("random");
    ++random_calls;
    for (usize i = 0; i < out.size(); ++i) out[i] = static_cast<u8>(i * 7 + 1);
    return Errno::Success;
  }
  Errno read(Handle h, Span<u8> out, u64* done) override {
    if (hook) hook("read");
    Node* n = get(h);
    if (n == nullptr) return Errno::Badf;
    if (n->type == FileType::SocketStream) ADD_FAILURE() << "read() on a socket";
    if (block_reads > 0 || input.empty()) {
      if (block_reads > 0) --block_reads;
      return Errno::WouldBlock;
    }
    usize k = out.size() < input.size() ? out.size() : input.size();
    for (usize i = 0; i < k; ++i) out[i] = static_cast<u8>(input[i]);
    input.erase(0, k);
    *done = k;
    return Errno::Success;
  }
  Errno write(Handle h, Span<const u8> data, u64* done) override {
    if (hook) hook("write");
    if (get(h) == nullptr) return Errno::Badf;
    if (get(h)->type == FileType::SocketStream) ADD_FAILURE() << "write() on a socket";
    output.append(reinterpret_cast<const char*>(data.data()), data.size());
    *done = data.size();
    return Errno::Success;
  }
  Errno pread(Handle h, Span<u8> out, u64 offset, u64* done) override {
    if (hook) hook("pread");
    Node* n = get(h);
    if (n == nullptr) return Errno::Badf;
    if (n->data.empty() && sparse_size > 0) {
      u64 k = offset >= sparse_size ? 0 : sparse_size - offset;
      if (k > out.size()) k = out.size();
      memset(out.data(), 0, k);
      *done = k;
      return Errno::Success;
    }
    u64 k = offset >= n->data.size() ? 0 : n->data.size() - offset;
    if (k > out.size()) k = out.size();
    for (u64 i = 0; i < k; ++i) out[i] = static_cast<u8>(n->data[offset + i]);
    *done = k;
    return Errno::Success;
  }
  Errno pwrite(Handle h, Span<const u8> data, u64 offset, u64* done) override {
    if (hook) hook("pwrite");
    Node* n = get(h);
    if (n == nullptr) return Errno::Badf;
    if (n->data.size() < offset + data.size()) n->data.resize(offset + data.size());
    for (usize i = 0; i < data.size(); ++i) n->data[offset + i] = static_cast<char>(data[i]);
    *done = data.size();
    return Errno::Success;
  }
  Errno append(Handle h, Span<const support::Bytes> parts, u64* at, u64* done) override {
    if (hook) hook("append");
    Node* n = get(h);
    if (n == nullptr) return Errno::Badf;
    *at = n->data.size();
    *done = 0;
    for (support::Bytes p : parts) {
      n->data.append(reinterpret_cast<const char*>(p.data()), p.size());
      *done += p.size();
    }
    ++appends;
    return Errno::Success;
  }
  Errno stat(Handle h, FileStat* out) override {
    if (hook) hook("stat");
    auto it = handles_.find(h);
    if (it == handles_.end()) return Errno::Badf;
    fill(it->second, out);
    return Errno::Success;
  }
  Errno set_size(Handle h, u64 size) override {
    if (hook) hook("set_size");
    Node* n = get(h);
    if (n == nullptr) return Errno::Badf;
    n->data.resize(size);
    return Errno::Success;
  }
  Errno set_times(Handle, u64, u64, u16) override {
    if (hook) hook("set_times");
    return Errno::Success;
  }
  Errno sync(Handle, bool) override {
    if (hook) hook("sync");
    return Errno::Success;
  }
  Errno readdir(Handle dir, u64 cookie, DirEntry* e, bool* end) override {
    if (hook) hook("readdir");
    Node* n = get(dir);
    if (n == nullptr) return Errno::Badf;
    if (n->type != FileType::Directory) return Errno::Notdir;
    auto it = n->children.begin();
    for (u64 i = 0; i < cookie && it != n->children.end(); ++i) ++it;
    if (it == n->children.end()) {
      *end = true;
      return Errno::Success;
    }
    *end = false;
    e->next = cookie + 1;
    e->ino = static_cast<u64>(it->second) + 100;
    e->type = nodes_[it->second].type;
    e->name_len = static_cast<u32>(it->first.size());
    it->first.copy(e->name, it->first.size());
    return Errno::Success;
  }
  Errno stat_at(Handle dir, StringView name, FileStat* out) override {
    if (hook) hook("stat_at");
    int id;
    Errno e = child(dir, name, &id);
    if (e != Errno::Success) return e;
    fill(id, out);
    return Errno::Success;
  }
  Errno open_at(Handle dir, StringView name, const OpenOptions& o, Handle* out) override {
    if (hook) hook("open_at");
    int id;
    Errno e = child(dir, name, &id);
    if (e == Errno::Noent && o.create) {
      nodes_.push_back({FileType::RegularFile, "", {}, handles_[dir]});
      id = static_cast<int>(nodes_.size() - 1);
      get(dir)->children[std::string(name.data(), name.size())] = id;
    } else if (e != Errno::Success) {
      return e;
    } else if (o.create && o.exclusive) {
      return Errno::Exist;
    }
    if (nodes_[id].type == FileType::SymbolicLink) return Errno::Loop;
    if (o.directory && nodes_[id].type != FileType::Directory) return Errno::Notdir;
    if (nodes_[id].type == FileType::Directory && o.write) return Errno::Isdir;
    if (o.truncate) nodes_[id].data.clear();
    *out = open_node(id);
    return Errno::Success;
  }
  Errno set_times_at(Handle dir, StringView name, u64, u64, u16) override {
    if (hook) hook("set_times_at");
    int id;
    return child(dir, name, &id);
  }
  Errno mkdir_at(Handle dir, StringView name) override {
    if (hook) hook("mkdir_at");
    int id;
    if (child(dir, name, &id) == Errno::Success) return Errno::Exist;
    nodes_.push_back({FileType::Directory, "", {}, handles_[dir]});
    get(dir)->children[std::string(name.data(), name.size())] = static_cast<int>(nodes_.size() - 1);
    return Errno::Success;
  }
  Errno unlink_at(Handle dir, StringView name) override {
    if (hook) hook("unlink_at");
    int id;
    Errno e = child(dir, name, &id);
    if (e != Errno::Success) return e;
    if (nodes_[id].type == FileType::Directory) return Errno::Isdir;
    get(dir)->children.erase(std::string(name.data(), name.size()));
    return Errno::Success;
  }
  Errno rmdir_at(Handle dir, StringView name) override {
    if (hook) hook("rmdir_at");
    int id;
    Errno e = child(dir, name, &id);
    if (e != Errno::Success) return e;
    if (nodes_[id].type != FileType::Directory) return Errno::Notdir;
    if (!nodes_[id].children.empty()) return Errno::Notempty;
    get(dir)->children.erase(std::string(name.data(), name.size()));
    return Errno::Success;
  }
  Errno rename_at(Handle fd, StringView from, Handle td, StringView to) override {
    if (hook) hook("rename_at");
    int id;
    Errno e = child(fd, from, &id);
    if (e != Errno::Success) return e;
    get(fd)->children.erase(std::string(from.data(), from.size()));
    get(td)->children[std::string(to.data(), to.size())] = id;
    return Errno::Success;
  }
  Errno link_at(Handle fd, StringView from, Handle td, StringView to) override {
    if (hook) hook("link_at");
    int id;
    Errno e = child(fd, from, &id);
    if (e != Errno::Success) return e;
    get(td)->children[std::string(to.data(), to.size())] = id;
    return Errno::Success;
  }
  Errno symlink_at(StringView target, Handle dir, StringView name) override {
    if (hook) hook("symlink_at");
    int id;
    if (child(dir, name, &id) == Errno::Success) return Errno::Exist;
    nodes_.push_back({FileType::SymbolicLink, std::string(target.data(), target.size()), {}, 0});
    get(dir)->children[std::string(name.data(), name.size())] = static_cast<int>(nodes_.size() - 1);
    return Errno::Success;
  }
  Errno readlink_at(Handle dir, StringView name, Span<char> out, u64* len) override {
    if (hook) hook("readlink_at");
    int id;
    Errno e = child(dir, name, &id);
    if (e != Errno::Success) return e;
    if (nodes_[id].type != FileType::SymbolicLink) return Errno::Inval;
    u64 k = nodes_[id].data.size() < out.size() ? nodes_[id].data.size() : out.size();
    nodes_[id].data.copy(out.data(), k);
    *len = k;
    return Errno::Success;
  }
  Errno close(Handle h) override {
    if (hook) hook("close");
    if (handles_.erase(h) == 0) return Errno::Badf;
    ++closes;
    return Errno::Success;
  }
  Errno poll(Span<PollFd> fds, u64 deadline) override {
    if (hook) hook("poll");
    if (block_polls > 0) {
      --block_polls;
      return Errno::WouldBlock;
    }
    last_poll_deadline = deadline;
    bool any = false;
    for (PollFd& p : fds) {
      if (Socket* s = socket_of(p.handle)) {
        poll_socket(*s, p);
      } else {
        p.ready = p.write || !input.empty();
        p.nbytes = p.write ? 0 : input.size();
      }
      any |= p.ready;
    }
    if (!any && deadline == ~0ull) return Errno::WouldBlock;          // as a kernel Os would
    if (!any && deadline != ~0ull && deadline > now) now = deadline;  // time passes
    return Errno::Success;
  }

  Errno sock_accept(Handle listener, Handle* out) override {
    if (hook) hook("sock_accept");
    ++sock_calls;
    if (get(listener) == nullptr) return Errno::Badf;
    Socket* s = socket_of(listener);
    if (s == nullptr) return Errno::Notsock;
    if (!s->listener) return Errno::Inval;
    if (s->backlog.empty()) return Errno::WouldBlock;
    int id = s->backlog.front();
    s->backlog.erase(s->backlog.begin());
    *out = open_node(id);
    return Errno::Success;
  }
  Errno sock_recv(Handle h, Span<u8> out, bool peek, u64* done) override {
    if (hook) hook("sock_recv");
    ++sock_calls;
    Socket* s = socket_of(h);
    if (s == nullptr) return get(h) == nullptr ? Errno::Badf : Errno::Notsock;
    if (s->listener) return Errno::Notconn;
    if (s->error != Errno::Success) return s->error;
    if (s->in.empty() && !s->peer_closed && !s->shut_rd) return Errno::WouldBlock;
    u64 k = std::min<u64>({out.size(), s->in.size(), s->recv_chunk});
    memcpy(out.data(), s->in.data(), k);
    if (!peek) s->in.erase(0, k);
    *done = k;
    return Errno::Success;
  }
  Errno sock_send(Handle h, Span<const u8> data, u64* done) override {
    if (hook) hook("sock_send");
    ++sock_calls;
    Socket* s = socket_of(h);
    if (s == nullptr) return get(h) == nullptr ? Errno::Badf : Errno::Notsock;
    if (s->listener) return Errno::Notconn;
    if (s->error != Errno::Success) return s->error;
    if (s->shut_wr) return Errno::Pipe;
    if (s->send_room == 0 && !data.empty()) return Errno::WouldBlock;
    u64 k = std::min<u64>(data.size(), s->send_room);
    s->out.append(reinterpret_cast<const char*>(data.data()), k);
    if (s->send_room != ~0ull) s->send_room -= k;
    *done = k;
    return Errno::Success;
  }
  Errno sock_shutdown(Handle h, bool rd, bool wr) override {
    if (hook) hook("sock_shutdown");
    ++sock_calls;
    Socket* s = socket_of(h);
    if (s == nullptr) return get(h) == nullptr ? Errno::Badf : Errno::Notsock;
    if (s->listener) return Errno::Notconn;
    s->shut_rd |= rd;
    s->shut_wr |= wr;
    return Errno::Success;
  }
  Errno set_nonblocking(Handle h, bool on) override {
    if (hook) hook("set_nonblocking");
    if (nonblocking_answer != Errno::Success) return nonblocking_answer;
    nonblocking[h] = on;
    return Errno::Success;
  }

  bool yield_due() override {
    ++yield_asks;
    return time_up;
  }
  bool charge(u64 bytes) override {
    if (charged + bytes > charge_limit) return false;
    charged += bytes;
    return true;
  }
  void uncharge(u64 bytes) override { charged -= bytes; }
  u64 charged = 0;           // what the WASI layer holds for the program (Os::charge)
  u64 charge_limit = ~0ull;  // more is refused

  std::map<Handle, int> handles_;

 private:
  int add_socket_node(bool is_listener) {
    nodes_.push_back({FileType::SocketStream, "", {}, 0});
    int id = static_cast<int>(nodes_.size() - 1);
    sockets_[id].listener = is_listener;
    return id;
  }
  static void poll_socket(const Socket& s, PollFd& p) {
    if (s.listener) {
      p.ready = !p.write && !s.backlog.empty();
      return;
    }
    p.hangup = s.peer_closed;
    p.ready = p.write ? s.send_room > 0 || s.shut_wr : !s.in.empty() || s.peer_closed;
    p.nbytes = p.write ? 0 : s.in.size();
  }
  int add_console() {
    nodes_.push_back({FileType::CharacterDevice, "", {}, 0});
    return static_cast<int>(nodes_.size() - 1);
  }
  Node* get(Handle h) {
    auto it = handles_.find(h);
    return it == handles_.end() ? nullptr : &nodes_[it->second];
  }
  Errno child(Handle dir, StringView name, int* id) {
    auto it = handles_.find(dir);
    if (it == handles_.end()) return Errno::Badf;
    Node& d = nodes_[it->second];
    if (d.type != FileType::Directory) return Errno::Notdir;
    std::string n(name.data(), name.size());
    if (n.find('/') != std::string::npos) ADD_FAILURE() << "a path reached the Os: " << n;
    if (n == ".") {
      *id = it->second;
      return Errno::Success;
    }
    if (n == "..") ADD_FAILURE() << "'..' reached the Os";
    auto c = d.children.find(n);
    if (c == d.children.end()) return Errno::Noent;
    *id = c->second;
    return Errno::Success;
  }
  void fill(int id, FileStat* out) {
    *out = FileStat{};
    out->dev = 1;
    out->ino = static_cast<u64>(id) + 100;
    out->type = nodes_[id].type;
    out->nlink = 1;
    out->size = nodes_[id].data.size();
  }

  std::vector<Node> nodes_;
  std::map<int, Socket> sockets_;  // by node id
  int console_ = -1;
  Handle next_handle_ = 10;
};

}  // namespace wasi_test
