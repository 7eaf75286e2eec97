// RemoveStaleUploads: a bounded, symlink-free walk that removes leftover upload temporaries.
#include "server/stale_uploads.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "server/unique_fd.h"
#include "server/upload_file.h"

namespace stampede::server {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

class Sweep {
 public:
  explicit Sweep(const StaleSweepLimits& limits) : limits_(limits) {}

  // Sweeps the directory open as `dir_fd` (consumed). Subdirectories are collected first and
  // visited after the listing is closed, so at most depth_max listings are open at once.
  void Directory(UniqueFd dir_fd, std::size_t depth) {
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dir_fd.get()));
    if (!dir) return;
    const int fd = dir_fd.Release();
    std::vector<std::string> subdirectories;
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      if (++report_.entries_seen > limits_.entries_max) {
        report_.truncated = true;
        return;
      }
      struct stat st {};
      if (::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISREG(st.st_mode) && IsTemporaryUploadName(name)) {
        if (::unlinkat(fd, entry->d_name, 0) == 0) {
          ++report_.removed;
        } else {
          ++report_.failures;
        }
      } else if (S_ISDIR(st.st_mode)) {
        subdirectories.emplace_back(name);
      }
    }
    for (const std::string& name : subdirectories) {
      if (depth + 1 > limits_.depth_max) {
        report_.truncated = true;
        return;
      }
      UniqueFd child(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child.valid()) Directory(std::move(child), depth + 1);
      if (report_.truncated) return;
    }
  }

  const StaleSweepReport& report() const { return report_; }

 private:
  StaleSweepLimits limits_;
  StaleSweepReport report_;
};

}  // namespace

tl::expected<StaleSweepReport, std::string> RemoveStaleUploads(int root_fd,
                                                              const StaleSweepLimits& limits) {
  UniqueFd root(::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    return tl::unexpected(std::string("cannot list the served root: ") + std::strerror(errno));
  }
  Sweep sweep(limits);
  sweep.Directory(std::move(root), 0);
  return sweep.report();
}

}  // namespace stampede::server
