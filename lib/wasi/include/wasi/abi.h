// The wasi_snapshot_preview1 ABI: error numbers, flags, rights and the byte layouts of the structs
// a program passes through its linear memory (little-endian, wasm32). Values are WASI's own
// numbering (witx), never the host's.
#pragma once

#include <support/types.h>

namespace wasi {

// WASI's errno (witx `errno`, u16). `WouldBlock` is internal: an Os returns it when an operation
// cannot complete now; a program never sees it (it becomes a pending host call, or `Again` for a
// descriptor with the non-blocking flag).
enum class Errno : u16 {
  Success = 0,
  TooBig = 1,
  Acces = 2,
  Addrinuse = 3,
  Addrnotavail = 4,
  Again = 6,
  Badf = 8,
  Busy = 10,
  Connaborted = 13,
  Connrefused = 14,
  Connreset = 15,
  Exist = 20,
  Fault = 21,
  Fbig = 22,
  Hostunreach = 23,
  Ilseq = 25,
  Inprogress = 26,
  Intr = 27,
  Inval = 28,
  Io = 29,
  Isconn = 30,
  Isdir = 31,
  Loop = 32,
  Mfile = 33,
  Mlink = 34,
  Msgsize = 35,
  Nametoolong = 37,
  Netdown = 38,
  Netunreach = 40,
  Nfile = 41,
  Nobufs = 42,
  Nodev = 43,
  Noent = 44,
  Nomem = 48,
  Nospc = 51,
  Nosys = 52,
  Notconn = 53,
  Notdir = 54,
  Notempty = 55,
  Notsock = 57,
  Notsup = 58,
  Notty = 59,
  Nxio = 60,
  Overflow = 61,
  Perm = 63,
  Pipe = 64,
  Range = 68,
  Rofs = 69,
  Spipe = 70,
  Timedout = 73,
  Xdev = 75,
  Notcapable = 76,
  WouldBlock = 0xffff,
};

enum class FileType : u8 {
  Unknown = 0,
  BlockDevice = 1,
  CharacterDevice = 2,
  Directory = 3,
  RegularFile = 4,
  SocketDgram = 5,
  SocketStream = 6,
  SymbolicLink = 7,
};

enum class ClockId : u32 { Realtime = 0, Monotonic = 1, ProcessCputime = 2, ThreadCputime = 3 };

using Rights = u64;
namespace right {
inline constexpr Rights kFdDatasync = 1ull << 0;
inline constexpr Rights kFdRead = 1ull << 1;
inline constexpr Rights kFdSeek = 1ull << 2;
inline constexpr Rights kFdFdstatSetFlags = 1ull << 3;
inline constexpr Rights kFdSync = 1ull << 4;
inline constexpr Rights kFdTell = 1ull << 5;
inline constexpr Rights kFdWrite = 1ull << 6;
inline constexpr Rights kFdAdvise = 1ull << 7;
inline constexpr Rights kFdAllocate = 1ull << 8;
inline constexpr Rights kPathCreateDirectory = 1ull << 9;
inline constexpr Rights kPathCreateFile = 1ull << 10;
inline constexpr Rights kPathLinkSource = 1ull << 11;
inline constexpr Rights kPathLinkTarget = 1ull << 12;
inline constexpr Rights kPathOpen = 1ull << 13;
inline constexpr Rights kFdReaddir = 1ull << 14;
inline constexpr Rights kPathReadlink = 1ull << 15;
inline constexpr Rights kPathRenameSource = 1ull << 16;
inline constexpr Rights kPathRenameTarget = 1ull << 17;
inline constexpr Rights kPathFilestatGet = 1ull << 18;
inline constexpr Rights kPathFilestatSetSize = 1ull << 19;
inline constexpr Rights kPathFilestatSetTimes = 1ull << 20;
inline constexpr Rights kFdFilestatGet = 1ull << 21;
inline constexpr Rights kFdFilestatSetSize = 1ull << 22;
inline constexpr Rights kFdFilestatSetTimes = 1ull << 23;
inline constexpr Rights kPathSymlink = 1ull << 24;
inline constexpr Rights kPathRemoveDirectory = 1ull << 25;
inline constexpr Rights kPathUnlinkFile = 1ull << 26;
inline constexpr Rights kPollFdReadwrite = 1ull << 27;
inline constexpr Rights kSockShutdown = 1ull << 28;
inline constexpr Rights kSockAccept = 1ull << 29;
inline constexpr Rights kAll = (1ull << 30) - 1;

// What makes sense on each kind of object (as wasmtime and wasi-libc expect).
inline constexpr Rights kRegularFile =
    kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell | kFdWrite | kFdAdvise |
    kFdAllocate | kFdFilestatGet | kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
inline constexpr Rights kDirectory =
    kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory | kPathCreateFile |
    kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink | kPathRenameSource |
    kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes |
    kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile |
    kPollFdReadwrite;
inline constexpr Rights kDirectoryInheriting = kDirectory | kRegularFile;
// A terminal or pipe: no seek/tell (wasi-libc's isatty() tests exactly that).
inline constexpr Rights kStream = kFdRead | kFdWrite | kFdFdstatSetFlags | kFdFilestatGet |
                                  kFdFilestatSetTimes | kPollFdReadwrite | kFdSync | kFdDatasync |
                                  kFdAdvise;
// Sockets (as wasmtime gives them): a listener accepts connections; a connection is read,
// written and shut down. Neither seeks (no FD_SEEK/FD_TELL: isatty() is false, lseek ESPIPE).
inline constexpr Rights kSocketListener =
    kSockAccept | kPollFdReadwrite | kFdFdstatSetFlags | kFdFilestatGet;
inline constexpr Rights kSocketConnection =
    kFdRead | kFdWrite | kSockShutdown | kPollFdReadwrite | kFdFdstatSetFlags | kFdFilestatGet;
}  // namespace right

// fdflags
inline constexpr u16 kFdflagAppend = 1, kFdflagDsync = 2, kFdflagNonblock = 4, kFdflagRsync = 8,
                     kFdflagSync = 16;
// oflags
inline constexpr u16 kOflagCreat = 1, kOflagDirectory = 2, kOflagExcl = 4, kOflagTrunc = 8;
// lookupflags
inline constexpr u32 kLookupSymlinkFollow = 1;
// fstflags
inline constexpr u16 kFstAtim = 1, kFstAtimNow = 2, kFstMtim = 4, kFstMtimNow = 8;
// whence
inline constexpr u8 kWhenceSet = 0, kWhenceCur = 1, kWhenceEnd = 2;
// eventtype
inline constexpr u8 kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2;
// subclockflags
inline constexpr u16 kSubclockAbstime = 1;
// eventrwflags
inline constexpr u16 kEventFdReadwriteHangup = 1;
// riflags (sock_recv), sdflags (sock_shutdown)
inline constexpr u16 kRiflagRecvPeek = 1, kRiflagRecvWaitall = 2;
inline constexpr u8 kSdflagRd = 1, kSdflagWr = 2;

// Struct layouts in guest memory. Padding is spelled out, so that a value-initialised struct
// copies out no stale host bytes and wasm::GuestMemory can copy them byte for byte.
struct Iovec {  // iovec and ciovec
  u32 buf;
  u32 len;
};
struct Fdstat {
  u8 filetype;
  u8 pad0;
  u16 flags;
  u32 pad1;
  u64 rights_base;
  u64 rights_inheriting;
};
struct Filestat {
  u64 dev;
  u64 ino;
  u8 filetype;
  u8 pad[7];
  u64 nlink;
  u64 size;
  u64 atim;
  u64 mtim;
  u64 ctim;
};
struct Prestat {
  u8 tag;  // 0: directory
  u8 pad[3];
  u32 name_len;
};
struct Dirent {  // followed by the name (not NUL-terminated)
  u64 next;
  u64 ino;
  u32 namlen;
  u8 type;
  u8 pad[3];
};
struct Subscription {
  u64 userdata;
  u8 tag;  // kEventClock, kEventFdRead, kEventFdWrite
  u8 pad0[7];
  u32 clock_id_or_fd;  // the union: subscription_clock.id or subscription_fd_readwrite.fd
  u32 pad1;
  u64 timeout;    // clock only
  u64 precision;  // clock only
  u16 clock_flags;
  u8 pad2[6];
};
struct Event {
  u64 userdata;
  u16 error;
  u8 type;
  u8 pad0[5];
  u64 nbytes;
  u16 flags;  // eventrwflags
  u8 pad1[6];
};

inline constexpr u32 kIovecSize = sizeof(Iovec);
inline constexpr u32 kFdstatSize = sizeof(Fdstat);
inline constexpr u32 kFilestatSize = sizeof(Filestat);
inline constexpr u32 kPrestatSize = sizeof(Prestat);
inline constexpr u32 kDirentSize = sizeof(Dirent);
inline constexpr u32 kSubscriptionSize = sizeof(Subscription);
inline constexpr u32 kEventSize = sizeof(Event);
static_assert(kIovecSize == 8 && kFdstatSize == 24 && kFilestatSize == 64 && kPrestatSize == 8 &&
              kDirentSize == 24 && kSubscriptionSize == 48 && kEventSize == 32);
static_assert(__builtin_offsetof(Fdstat, rights_base) == 8 &&
              __builtin_offsetof(Filestat, nlink) == 24 &&
              __builtin_offsetof(Subscription, clock_id_or_fd) == 16 &&
              __builtin_offsetof(Subscription, timeout) == 24 &&
              __builtin_offsetof(Subscription, clock_flags) == 40 &&
              __builtin_offsetof(Event, nbytes) == 16 && __builtin_offsetof(Event, flags) == 24);

// Bounds on what one call copies into host memory.
inline constexpr u32 kMaxIovecs = 1024;         // iovecs per transfer (IOV_MAX): more is Inval
inline constexpr u32 kMaxSubscriptions = 4096;  // per poll_oneoff: more is Inval
inline constexpr u32 kMaxPathSize = 4096;       // bytes in a path or link target: Nametoolong

}  // namespace wasi
