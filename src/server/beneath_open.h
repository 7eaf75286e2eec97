// Opening a canonical relative path strictly beneath a directory descriptor: openat2 with
// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, or, where the kernel lacks openat2, an equivalent walk
// one component at a time with O_NOFOLLOW. Must not interpret request names (request_path does
// that) nor decide what may be served (path_resolver does that).
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "server/unique_fd.h"

namespace stampede::server {

enum class SymlinkPolicy : std::uint8_t {
  // Symlinks are followed while resolution stays beneath the root (tftpd-hpa follows symlinks;
  // PROTOCOL D31 requires that one leaving the root is refused).
  kFollowBeneath,
  // Every symlink met during resolution is refused (RESOLVE_NO_SYMLINKS).
  kRefuse,
};

enum class ResolveStrategy : std::uint8_t {
  kOpenat2,  // openat2(2), Linux ≥ 5.6
  kWalk,     // the component walk; also selectable to test it on kernels that have openat2
};

// Whether openat2 works here: false on kernels before 5.6 (ENOSYS) and under seccomp profiles
// that refuse unknown system calls with EPERM (older Docker defaults).
bool Openat2Available(int dir_fd);

// Opens `path` (components separated by '/', no "." or ".."; empty means `dir_fd` itself) beneath
// `dir_fd` with open(2) `flags` (O_CLOEXEC is added). On failure the errno: EXDEV when resolution
// would leave `dir_fd` (a symlink that is absolute or climbs above it), ELOOP for a refused symlink
// or more than 40 of them, otherwise what open(2) reports.
tl::expected<UniqueFd, int> OpenBeneath(int dir_fd, const std::string& path, int flags,
                                        SymlinkPolicy symlinks, ResolveStrategy strategy);

}  // namespace stampede::server
