// Upload policy for WRQs and the registry of uploads in progress: whether a target may be
// created or replaced (PROTOCOL F54), one writer per target at a time (F58), and the size cap
// (F56). Hands out UploadFile writers. Must not resolve names (path_resolver.h gives the target)
// nor run transfers.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "server/path_resolver.h"
#include "server/refusal.h"
#include "server/upload_file.h"

namespace stampede::server {

struct UploadPolicy {
  // tftpd-hpa --create: new files may be created. Without it a missing target → ERROR 1 (F54,
  // FreeBSD wrq_nonexistent; tftpd-hpa answers the same).
  bool create = false;
  // Existing files may be replaced. false → ERROR 6 "File already exists" (F54), and a created
  // file is renamed with RENAME_NOREPLACE so a racing creator is not clobbered either.
  bool overwrite = true;
  // tftpd-hpa without --permissive: only world-writable existing files may be replaced, else
  // ERROR 2 (F54, FreeBSD wrq_eaccess_world_readable).
  bool require_world_writable = false;
  std::uint64_t size_max_bytes = UINT64_MAX;
  mode_t create_mode = 0644;  // for new files, before `umask`
  mode_t umask = 022;
  std::size_t in_progress_max = 256;
};

class UploadManager {
 public:
  explicit UploadManager(UploadPolicy policy) : policy_(policy) {}
  UploadManager(const UploadManager&) = delete;
  UploadManager& operator=(const UploadManager&) = delete;
  // Every UploadFile it handed out must be gone first (programmer error otherwise).
  ~UploadManager();

  // Starts an upload to `target`. Refusals: ERROR 2 for a second upload to the same file while
  // one runs (F58: one writer per path; the name is the directory's device/inode plus the entry
  // name, so different spellings of one file collide), for a target that is not a regular file
  // or not writable, and past in_progress_max; ERROR 6 or 1 per UploadPolicy (F54); ERROR 3 when
  // the temporary cannot be created for lack of space.
  tl::expected<std::unique_ptr<UploadFile>, Refusal> Begin(WriteTarget target);

  std::size_t in_progress() const { return registry_.size(); }
  const UploadPolicy& policy() const { return policy_; }

 private:
  friend class UploadFile;
  struct Entry {
    std::uint64_t id;
    dev_t device;
    ino_t inode;
    std::string name;
  };

  // Checks the existing target (if any) against the policy and gives the writer's settings.
  tl::expected<UploadFile::Settings, Refusal> SettingsFor(const WriteTarget& target) const;
  void Release(std::uint64_t id);

  UploadPolicy policy_;
  std::vector<Entry> registry_;
  std::uint64_t next_id_ = 1;
};

}  // namespace stampede::server
