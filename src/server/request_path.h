// The pure string half of path policy: turns a file name from a request into a canonical path
// relative to the served root, or refuses it. Must not touch the file system (the resolver opens
// the result beneath the root; this part is what the resolve_path fuzz target exercises).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "server/refusal.h"

namespace stampede::server {

// Linux limits (limits.h): PATH_MAX counts the terminating NUL, NAME_MAX does not.
inline constexpr std::size_t kRequestPathMaxBytes = 4096 - 1;
inline constexpr std::size_t kRequestComponentMaxBytes = 255;

struct RequestPathOptions {
  // Absolute spellings of the served root (no trailing slash; "/" for the file system root). An
  // absolute request is accepted when one of them is a prefix of it at a component boundary.
  std::vector<std::string> root_paths;
  // windows-compat: `\` is a separator (PROTOCOL D29, Windows bootmgr and PXE ROMs).
  bool map_backslashes = false;
  // tftpd-hpa --secure semantics (it chroots into the root): an absolute name that is not under
  // the root is taken relative to the root, so "/pxelinux.0" is served. Off by default, which gives
  // PROTOCOL D28: an absolute path outside the root is an access violation.
  bool absolute_is_root_relative = false;
};

// Rules, in this order:
//  - longer than kRequestPathMaxBytes → ERROR 4 (D34, FreeBSD rrq_path_max: such a name only
//    arrives in a datagram above the RFC 2347 512-byte request limit, so the request is illegal);
//  - a NUL, a byte below 0x20 or 0x7f → ERROR 2 (D32, the tftp-hpa 5.4 rule); bytes ≥ 0x80 pass
//    (UTF-8 names);
//  - `\` becomes `/` when map_backslashes (D29), before any other check;
//  - empty components and `.` are dropped, so `//a`, `./a` and `a/` all become `a` (D30);
//  - a `..` component anywhere → ERROR 2 (D27), even where it would stay inside the root;
//  - a component longer than kRequestComponentMaxBytes → ERROR 2 (D34: the name is a legal request
//    but cannot name a file the server will hand out);
//  - absolute names: see RequestPathOptions (D28).
// The result joins the remaining components with single `/`; it is empty when the name denotes
// the root itself. `%` and other printable bytes are plain text (D33).
tl::expected<std::string, Refusal> CanonicalizeRequestPath(std::string_view requested,
                                                           const RequestPathOptions& options);

}  // namespace stampede::server
