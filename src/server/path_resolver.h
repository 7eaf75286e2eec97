// The server's read/write path policy: a request's file name → an open regular file beneath the
// served root (RRQ), or the parent directory and final name of an upload target (WRQ), or a typed
// refusal with the TFTP error to answer. Covers PROTOCOL D27-D36. Must not decide upload policy
// (create, overwrite: uploads.h) nor apply remap rules (remap.h runs first; its result comes here,
// so names are canonicalised after remapping as tftp-hpa 5.4 does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "server/beneath_open.h"
#include "server/refusal.h"
#include "server/request_path.h"
#include "server/unique_fd.h"

namespace stampede::server {

struct PathResolverOptions {
  bool map_backslashes = false;            // windows-compat, PROTOCOL D29
  bool absolute_is_root_relative = false;  // tftpd-hpa --secure; see RequestPathOptions
  // When the exact name does not exist, look each component up ASCII-case-insensitively in its
  // directory (Windows boot loaders ask for BOOT\BCD and mean Boot/BCD). Bounded: at most
  // kCaseFoldEntriesMax directory entries are read per request.
  bool fold_case = false;
  // Default follows in-root symlinks, as tftpd-hpa does (PXE trees commonly link
  // pxelinux.cfg/01-<mac> to a shared file); kRefuse is PROTOCOL D31's strict reading.
  SymlinkPolicy symlinks = SymlinkPolicy::kFollowBeneath;
  // tftpd-hpa without --permissive serves only world-readable files.
  bool require_world_readable = false;
  // Use the component walk even where openat2 exists (tests; forced anyway where it is missing).
  bool force_walk = false;
};

inline constexpr std::size_t kCaseFoldEntriesMax = 16384;

struct OpenedFile {
  UniqueFd fd;  // O_RDONLY, a regular file
  std::uint64_t size_bytes = 0;
  std::string path;  // canonical, relative to the root
};

struct WriteTarget {
  UniqueFd parent_fd;  // O_RDONLY | O_DIRECTORY, beneath the root
  std::string name;    // one component: no '/', no control byte, not "." or ".."
  std::string path;    // canonical, relative to the root
};

class PathResolver {
 public:
  // Opens the root once (O_PATH | O_DIRECTORY) and records its absolute spellings for D28. An
  // environment failure (missing root, not a directory) comes back as a message with context.
  static tl::expected<PathResolver, std::string> Open(std::string_view root_path,
                                                      PathResolverOptions options);

  // RRQ: the file to serve. Refusals: ERROR 1 for a missing file, ERROR 2 for everything the
  // policy refuses (D27-D33, D35, D36), ERROR 4 for a name over PATH_MAX (D34), ERROR 0 for other
  // environment failures. Never falls back to another file (D36).
  tl::expected<OpenedFile, Refusal> ResolveRead(std::string_view requested) const;

  // WRQ: the directory to create the upload in and the final name, with the same name rules. The
  // target itself may or may not exist; what to do about it is the caller's policy.
  tl::expected<WriteTarget, Refusal> ResolveWrite(std::string_view requested) const;

  int root_fd() const { return root_fd_.get(); }
  ResolveStrategy strategy() const { return strategy_; }

 private:
  PathResolver(UniqueFd root_fd, RequestPathOptions path_options, PathResolverOptions options,
               ResolveStrategy strategy);

  tl::expected<UniqueFd, int> OpenRelative(const std::string& path, int flags) const;
  // The canonical path with each missing component replaced by a case-insensitive match.
  tl::expected<std::string, int> FoldCase(const std::string& path, bool last_may_be_missing) const;
  tl::expected<std::string, Refusal> Canonical(std::string_view requested) const;

  UniqueFd root_fd_;
  RequestPathOptions path_options_;
  PathResolverOptions options_;
  ResolveStrategy strategy_;
};

// The one place where errno values of path resolution become TFTP errors (D31, D35, D36).
Refusal RefusalFromErrno(int error, std::string_view path, SymlinkPolicy symlinks);

}  // namespace stampede::server
