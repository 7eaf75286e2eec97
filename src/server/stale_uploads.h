// The start-up sweep for upload temporaries left by a server that was killed mid-upload: walks
// the served tree (bounded) and removes regular files named like UploadFile's temporaries. Must
// not remove anything else, follow symlinks or leave the tree; run it before serving starts, when
// no upload of this server can be in progress.
#pragma once

#include <cstddef>
#include <string>

#include <tl/expected.hpp>

namespace stampede::server {

struct StaleSweepLimits {
  std::size_t depth_max = 16;         // directory levels below the root
  std::size_t entries_max = 100000;   // directory entries looked at, in total
};

struct StaleSweepReport {
  std::size_t removed = 0;
  std::size_t entries_seen = 0;
  bool truncated = false;  // a bound stopped the walk early; some temporaries may remain
  std::size_t failures = 0;  // temporaries found but not removable (permissions)
};

// `root_fd` may be an O_PATH descriptor. An unreadable root is an environment error; unreadable
// subdirectories are skipped silently (they cannot hold our temporaries: we could not write there
// either).
tl::expected<StaleSweepReport, std::string> RemoveStaleUploads(int root_fd,
                                                              const StaleSweepLimits& limits = {});

}  // namespace stampede::server
