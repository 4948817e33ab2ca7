// net::Socket: a TCP socket over the kernel's TCP/IP stack (lwIP, kernel/net/stack.h), as a
// kernel object (ipc::Kind::Socket) that programs hold by handle: a listener or a connection.
//
// Signals (ipc::signal, observed by the programs' wait sets like a pipe end's):
//   kReadable    listener: a connection waits to be accepted; connection: bytes to receive, or
//                the end of the stream (the peer shut down its sending side), or an error
//   kWritable    connection: connected, and room to send at least one byte (or sending is
//                over: send answers at once then)
//   kPeerClosed  connection: the peer closed its side, or the connection broke (reset, refused,
//                timed out); what was received before stays readable
// Operations never wait: what cannot complete now answers WouldBlock, and the caller waits for
// the signals. Every call may come from any hart, in task context (never from an interrupt).
//
// Memory: each connection charges the account it was made for (the program) its record and the
// most it can buffer (kBufferCharge: the receive window plus the send buffer), once, when made
// (an accepted one: by accept); a listener charges its record and the records and receive
// buffers (64 KiB each) of the `backlog` connections it may queue before they are accepted. The
// charge goes back when the socket is destroyed. The stack's own packet buffers are a fixed kernel
// pool (kernel/net/lwipopts.h), shared by all.
//
// Locks: every method takes the stack lock (kernel/net/stack.h), so none may be called with it
// held, nor with an IPC object's lock held; signals change under the object's lock, taken after
// the stack lock (stack lock -> object lock -> observer callbacks). recv and send copy at most
// the window or the send buffer (64 KiB) under the stack lock: `out` and `data` must be memory
// that can be touched without a fault.
//
// Closing: when the last handle goes (on_last_handle) a listener stops listening (queued,
// unaccepted connections are reset) and a connection is closed gracefully when everything it
// was asked to send is out, or reset when the peer had sent bytes nobody read (as BSD sockets
// do). The stack lets go of a closed connection by itself (no program waits for it).
#pragma once

#include <ipc/account.h>
#include <ipc/handle.h>
#include <ipc/object.h>
#include <support/span.h>
#include <support/string_view.h>
#include <support/types.h>
#include <wasi/abi.h>

namespace net {

using wasi::Errno;

// An IPv4 address and port, in host byte order.
struct Endpoint {
  u32 address = 0;  // 0: any (listen)
  u16 port = 0;
};

// Parses "A.B.C.D:PORT" (PORT 1..65535; "*:PORT" or ":PORT" listens on every address): false
// when malformed.
bool parse_endpoint(support::StringView text, Endpoint* out);

// What one socket charges its account besides its record.
inline constexpr u64 kBufferCharge = 128 * 1024;

// Rights a socket handle gets (ipc rights: read, write, duplicate, transfer, wait).
ipc::Rights socket_rights();

class Socket;

// The listeners one account (a program) may hold at once: a quarter of the stack's pool of them
// (MEMP_NUM_TCP_PCB_LISTEN), so that one program cannot take every listener from the others.
inline constexpr u32 kListenersPerAccount = 8;

// A listener on `local` with room for `backlog` (1..128) connections not yet accepted, charged
// to `account`: its handle. Addrinuse, Addrnotavail, Netdown (no network), Nomem (the account,
// its kListenersPerAccount listeners, or the stack), Inval.
Errno listen(ipc::Account& account, Endpoint local, u32 backlog, ipc::Handle* out);
// Starts a connection to `remote`, charged to `account`: its handle at once (the socket is
// connecting: kWritable rises when it is connected, kPeerClosed when it failed; connect_status
// says which). Netdown, Netunreach, Nomem, Inval.
Errno connect(ipc::Account& account, Endpoint remote, ipc::Handle* out);

// The socket `object` is, or null (another kind).
Socket* as_socket(ipc::Object* object);

class Socket final : public ipc::Object {
 public:
  static constexpr ipc::Kind kKind = ipc::Kind::Socket;

  bool listening() const;
  // Connection state for a connect()ed socket: Success (connected), WouldBlock (connecting),
  // or why it failed (Connrefused, Timedout, Connreset, Hostunreach ...).
  Errno connect_status();

  // Listener: the next waiting connection, charged to `account`: Success with its handle,
  // WouldBlock, Nomem (then the connection is reset), Inval (not a listener), Badf (closed).
  // The connection may already have ended (recv then gives what came, then its error).
  Errno accept(ipc::Account& account, ipc::Handle* out);
  // Connection: copies up to out.size() received bytes (`peek`: and keeps them): Success with
  // `*done` (0 only at the end of the stream, after shutdown(read), or for an empty `out`),
  // WouldBlock, the error that ended the connection once the bytes before it were read
  // (Connreset; Connrefused or Timedout for a connect that failed; Connaborted when the stack
  // gave up on it), Notconn (a listener, or not connected yet), Badf (closed: a transient
  // reference used after the last handle went).
  Errno recv(support::Span<u8> out, bool peek, u64* done);
  // Connection: queues up to data.size() bytes for sending: Success with `*done` > 0 (fewer
  // than asked when the send buffer fills; 0 for an empty `data`), WouldBlock (no room at all),
  // Pipe (sending was shut down or the connection broke), Notconn, Badf.
  Errno send(support::Span<const u8> data, u64* done);
  // Shuts down receiving (received bytes are dropped, later ones acknowledged and dropped, as
  // Linux does; recv answers 0) and/or sending (a FIN after what is queued): Success, Notconn
  // (a listener, or not connected yet), Badf.
  Errno shutdown(bool read, bool write);

  // Connection: bytes received and not yet read (poll_oneoff's nbytes for reading), and room
  // in the send buffer now (for writing; 0 when sending is over). 0 for a listener.
  u64 available() const;
  u64 room() const;

  // The socket's addresses (zero when not known).
  Endpoint local() const;
  Endpoint peer() const;

  // lwIP's callbacks and the stack's task reach the private state through this (socket.cc).
  struct Impl;

 private:
  friend struct Impl;
  Socket();
  ~Socket() override;
  void on_last_handle(ipc::Reaper& reaper) override;

  Impl* impl_ = nullptr;
};

}  // namespace net
