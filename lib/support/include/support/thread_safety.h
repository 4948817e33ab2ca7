// Clang's thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html):
// a lock type is a CAPABILITY, data names the lock that guards it (GUARDED_BY), a function names
// the locks it needs held (REQUIRES), takes (ACQUIRE) or gives back (RELEASE). Every build
// compiles with -Werror=thread-safety (the top-level CMakeLists.txt), so touching guarded data
// without its lock fails the build. On a compiler without the attributes they expand to nothing.
//
// What the analysis cannot see, and the code must keep by hand (docs/conventions.md):
//  - a lambda is a function of its own: the body of `locked.with([&](T& t) { ... })` is not
//    known to run under the lock. That is what Locked<T> is for: its data is reachable only there.
//  - a suspension point: nothing stops a coroutine from holding a lock across co_await.
//  - constructors and destructors are not checked.
#pragma once

#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(capability)
#define WARDEN_THREAD_ANNOTATION(x) __attribute__((x))
#endif
#endif
#ifndef WARDEN_THREAD_ANNOTATION
#define WARDEN_THREAD_ANNOTATION(x)
#endif

// On a lock type: `class CAPABILITY("spinlock") SpinLock`.
#define CAPABILITY(name) WARDEN_THREAD_ANNOTATION(capability(name))
// On an RAII guard whose constructor acquires and destructor releases.
#define SCOPED_CAPABILITY WARDEN_THREAD_ANNOTATION(scoped_lockable)

// On data: read or written only with `lock` held.
#define GUARDED_BY(lock) WARDEN_THREAD_ANNOTATION(guarded_by(lock))
// On a pointer: what it points to is read or written only with `lock` held.
#define PT_GUARDED_BY(lock) WARDEN_THREAD_ANNOTATION(pt_guarded_by(lock))

// On a lock: the lock order (this one is taken before, or after, the ones named).
#define ACQUIRED_BEFORE(...) WARDEN_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) WARDEN_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))

// On functions: the caller holds the locks named (and still holds them on return).
#define REQUIRES(...) WARDEN_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// The function takes the locks (or, on a lock's own method, the lock itself).
#define ACQUIRE(...) WARDEN_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
// The function gives the locks back.
#define RELEASE(...) WARDEN_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// The function takes the lock when it returns `result` (try_lock: true).
#define TRY_ACQUIRE(...) WARDEN_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// The caller must not hold the locks named (the function takes them itself).
#define EXCLUDES(...) WARDEN_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function returns (a reference to) the lock named.
#define RETURN_CAPABILITY(lock) WARDEN_THREAD_ANNOTATION(lock_returned(lock))

// Turns the analysis off for one function. Only with a comment that says why the access is safe
// (the lock is held in a way the analysis cannot follow, or on purpose not held).
#define NO_THREAD_SAFETY_ANALYSIS WARDEN_THREAD_ANNOTATION(no_thread_safety_analysis)
