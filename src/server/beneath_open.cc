// OpenBeneath: openat2 RESOLVE_BENEATH, and the O_NOFOLLOW component walk used without openat2.
#include "server/beneath_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <string_view>
#include <vector>

namespace stampede::server {
namespace {

// openat2(2): "EAGAIN ... a rename or mount raced with resolution"; the caller may retry.
constexpr int kOpenat2RetriesMax = 8;
// path_resolution(7): Linux follows at most 40 symlinks in one resolution.
constexpr int kSymlinksMax = 40;

long Openat2(int dir_fd, const char* path, int flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(static_cast<unsigned>(flags | O_CLOEXEC));
  how.resolve = resolve;
  return ::syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
}

tl::expected<UniqueFd, int> OpenWithOpenat2(int dir_fd, const std::string& path, int flags,
                                            SymlinkPolicy symlinks) {
  std::uint64_t resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  if (symlinks == SymlinkPolicy::kRefuse) resolve |= RESOLVE_NO_SYMLINKS;
  const char* name = path.empty() ? "." : path.c_str();
  for (int attempt = 0;; ++attempt) {
    const long fd = Openat2(dir_fd, name, flags, resolve);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    const int error = errno;
    if ((error == EAGAIN || error == EINTR) && attempt < kOpenat2RetriesMax) continue;
    return tl::unexpected(error);
  }
}

void SplitInto(std::string_view path, std::deque<std::string>& out, bool at_front) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (at_front) {
    out.insert(out.begin(), parts.begin(), parts.end());
  } else {
    out.insert(out.end(), parts.begin(), parts.end());
  }
}

// The fallback: every component is opened with O_PATH | O_NOFOLLOW relative to the directory
// before it, so the kernel never follows a link on our behalf. Symlink targets are spliced into
// the remaining components; ".." pops a directory we opened ourselves, and popping past the start
// is an escape, as an absolute target is (both EXDEV, like RESOLVE_BENEATH).
class Walk {
 public:
  Walk(int dir_fd, SymlinkPolicy symlinks) : dir_fd_(dir_fd), symlinks_(symlinks) {}

  tl::expected<UniqueFd, int> Open(const std::string& path, int flags) {
    std::deque<std::string> pending;
    SplitInto(path, pending, false);
    int followed = 0;
    while (!pending.empty()) {
      const std::string component = std::move(pending.front());
      pending.pop_front();
      if (component == ".") continue;
      if (component == "..") {
        if (stack_.empty()) return tl::unexpected(EXDEV);
        stack_.pop_back();
        continue;
      }
      UniqueFd fd(::openat(current(), component.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) return tl::unexpected(errno);
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) return tl::unexpected(errno);
      if (S_ISLNK(st.st_mode)) {
        if (symlinks_ == SymlinkPolicy::kRefuse || ++followed > kSymlinksMax) {
          return tl::unexpected(ELOOP);
        }
        auto target = ReadLink(component);
        if (!target) return tl::unexpected(target.error());
        if (target->empty() || target->front() == '/') return tl::unexpected(EXDEV);
        SplitInto(*target, pending, true);
        continue;
      }
      if (pending.empty()) return OpenFinal(component, flags, st);
      if (!S_ISDIR(st.st_mode)) return tl::unexpected(ENOTDIR);
      stack_.push_back(std::move(fd));
    }
    UniqueFd self(::openat(current(), ".", flags | O_CLOEXEC));
    if (!self.valid()) return tl::unexpected(errno);
    return self;
  }

 private:
  int current() const { return stack_.empty() ? dir_fd_ : stack_.back().get(); }

  tl::expected<std::string, int> ReadLink(const std::string& component) const {
    std::string target(4096, '\0');
    const ssize_t length = ::readlinkat(current(), component.c_str(), target.data(), target.size());
    if (length < 0) return tl::unexpected(errno);
    if (static_cast<std::size_t>(length) >= target.size()) return tl::unexpected(ENAMETOOLONG);
    target.resize(static_cast<std::size_t>(length));
    return target;
  }

  // The last component is no symlink (checked just before); O_NOFOLLOW turns a symlink swapped in
  // since then into ELOOP instead of following it.
  tl::expected<UniqueFd, int> OpenFinal(const std::string& component, int flags,
                                        const struct stat& st) const {
    if ((flags & O_DIRECTORY) != 0 && !S_ISDIR(st.st_mode)) return tl::unexpected(ENOTDIR);
    UniqueFd fd(::openat(current(), component.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return tl::unexpected(errno);
    return fd;
  }

  int dir_fd_;
  SymlinkPolicy symlinks_;
  std::vector<UniqueFd> stack_;
};

}  // namespace

bool Openat2Available(int dir_fd) {
  const long fd = Openat2(dir_fd, ".", O_PATH, RESOLVE_BENEATH);
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return true;
  }
  return errno != ENOSYS && errno != EPERM;
}

tl::expected<UniqueFd, int> OpenBeneath(int dir_fd, const std::string& path, int flags,
                                        SymlinkPolicy symlinks, ResolveStrategy strategy) {
  switch (strategy) {
    case ResolveStrategy::kOpenat2:
      return OpenWithOpenat2(dir_fd, path, flags, symlinks);
    case ResolveStrategy::kWalk:
      return Walk(dir_fd, symlinks).Open(path, flags);
  }
  return tl::unexpected(EINVAL);
}

}  // namespace stampede::server
