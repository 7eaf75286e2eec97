// Confining the server process once its sockets are bound: every capability dropped for good, and
// an optional seccomp allow-list of the system calls a running server makes. Both are one-way and
// apply to the calling thread; call them before any other thread exists (the server has none).
// What the allow-list contains and why is in docs/sandbox.md.
#pragma once

#include <tl/expected.hpp>

#include "io/error.h"

namespace stampede::io {

// Clears the ambient, inheritable, permitted and effective capability sets, and the bounding set
// when the process may still change it (CAP_SETPCAP), then checks that none is left. Binding a port
// below 1024 or forcing socket buffers beyond the sysctl limits is impossible afterwards; files
// stay accessible by user id as before. Also sets PR_SET_NO_NEW_PRIVS.
tl::expected<void, Error> DropCapabilities();

// Installs the seccomp filter: the system calls of a serving process (event loop, UDP sockets of
// the IPv4, IPv6 and Unix families, files beneath the root, uploads, logging, signals, memory) are
// allowed; any other call kills the process with SIGSYS, so an attacker who gained code execution
// can neither exec, fork, ptrace, mount nor open a raw or netlink socket. Sets PR_SET_NO_NEW_PRIVS
// (the kernel requires it of an unprivileged caller). Sanitizer builds allow a few more calls
// their runtime needs (LeakSanitizer's stop-the-world at exit).
tl::expected<void, Error> ApplySeccompFilter();

}  // namespace stampede::io
