// PathResolver: canonical name → descriptor beneath the root, with case folding and the RRQ checks.
#include "server/path_resolver.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "wire/escape.h"

namespace stampede::server {

using wire::EscapeBytes;
namespace {

using wire::ErrorCode;

constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY;

tl::unexpected<Refusal> Refuse(ErrorCode code, RefusalKind kind, std::string_view what,
                               std::string_view path) {
  return tl::unexpected(Refusal{code, kind, std::string(what) + ": " + EscapeBytes(path)});
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

// The byte-wise smallest entry of `dir_fd` equal to `name` ignoring ASCII case (smallest, so the
// choice does not depend on readdir order). Consumes `dir_fd`. Reads at most `*budget` entries.
std::optional<std::string> FindFolded(UniqueFd dir_fd, std::string_view name,
                                      std::size_t* budget) {
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dir_fd.get()));
  if (!dir) return std::nullopt;
  static_cast<void>(dir_fd.Release());
  std::optional<std::string> best;
  while (*budget > 0) {
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) break;
    --*budget;
    const std::string_view entry_name(entry->d_name);
    if (EqualsIgnoringAsciiCase(entry_name, name) && (!best || entry_name < *best)) {
      best = std::string(entry_name);
    }
  }
  return best;
}

std::string AbsoluteSpelling(std::string_view root_path) {
  if (!root_path.empty() && root_path.front() == '/') return std::string(root_path);
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return std::string(root_path);
  return std::string(cwd) + "/" + std::string(root_path);
}

}  // namespace

Refusal RefusalFromErrno(int error, std::string_view path, SymlinkPolicy symlinks) {
  const std::string escaped = EscapeBytes(path);
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return {ErrorCode::kFileNotFound, RefusalKind::kNotFound, "no such file: " + escaped};
    case EACCES:
    case EPERM:
      return {ErrorCode::kAccessViolation, RefusalKind::kAccessDenied,
              "permission denied: " + escaped};
    case EXDEV:
      return {ErrorCode::kAccessViolation, RefusalKind::kSymlinkEscape,
              "resolution leaves the root: " + escaped};
    case ELOOP:
      return {ErrorCode::kAccessViolation, RefusalKind::kSymlinkRefused,
              std::string(symlinks == SymlinkPolicy::kRefuse ? "symlinks refused: "
                                                             : "too many symlinks: ") +
                  escaped};
    case ENXIO:
    case ENODEV:
    case EISDIR:
      return {ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile,
              "not a regular file: " + escaped};
    case ENAMETOOLONG:
      return {ErrorCode::kAccessViolation, RefusalKind::kComponentTooLong,
              "name too long: " + escaped};
    default:
      return {ErrorCode::kNotDefined, RefusalKind::kIo,
              std::string(std::strerror(error)) + ": " + escaped};
  }
}

tl::expected<PathResolver, std::string> PathResolver::Open(std::string_view root_path,
                                                           PathResolverOptions options) {
  const std::string root(root_path);
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return tl::unexpected("cannot open served root '" + EscapeBytes(root) +
                          "': " + std::strerror(errno));
  }
  RequestPathOptions path_options;
  path_options.map_backslashes = options.map_backslashes;
  path_options.absolute_is_root_relative = options.absolute_is_root_relative;
  path_options.root_paths.push_back(AbsoluteSpelling(root));
  if (char* real = ::realpath(root.c_str(), nullptr)) {
    if (path_options.root_paths.front() != real) path_options.root_paths.emplace_back(real);
    std::free(real);
  }
  const ResolveStrategy strategy = (options.force_walk || !Openat2Available(fd.get()))
                                       ? ResolveStrategy::kWalk
                                       : ResolveStrategy::kOpenat2;
  return PathResolver(std::move(fd), std::move(path_options), options, strategy);
}

PathResolver::PathResolver(UniqueFd root_fd, RequestPathOptions path_options,
                           PathResolverOptions options, ResolveStrategy strategy)
    : root_fd_(std::move(root_fd)),
      path_options_(std::move(path_options)),
      options_(options),
      strategy_(strategy) {}

tl::expected<UniqueFd, int> PathResolver::OpenRelative(const std::string& path, int flags) const {
  return OpenBeneath(root_fd_.get(), path, flags, options_.symlinks, strategy_);
}

tl::expected<std::string, Refusal> PathResolver::Canonical(std::string_view requested) const {
  auto canonical = CanonicalizeRequestPath(requested, path_options_);
  if (canonical && canonical->empty()) {
    // The root directory itself (e.g. "/", "." or "./"): D35.
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile,
                  "names the root directory", requested);
  }
  return canonical;
}

tl::expected<std::string, int> PathResolver::FoldCase(const std::string& path,
                                                      bool last_may_be_missing) const {
  std::string resolved;
  std::size_t budget = kCaseFoldEntriesMax;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string component = path.substr(start, end - start);
    const bool last = end == path.size();
    start = end + 1;
    const std::string exact = resolved.empty() ? component : resolved + "/" + component;
    auto probe = OpenRelative(exact, O_PATH);
    if (probe) {
      resolved = exact;
      continue;
    }
    if (probe.error() != ENOENT) return tl::unexpected(probe.error());
    auto dir = OpenRelative(resolved, O_RDONLY | O_DIRECTORY);
    if (!dir) return tl::unexpected(dir.error());
    std::optional<std::string> match = FindFolded(std::move(*dir), component, &budget);
    if (!match) {
      if (!(last && last_may_be_missing)) return tl::unexpected(ENOENT);
      match = component;
    }
    resolved = resolved.empty() ? *match : resolved + "/" + *match;
  }
  return resolved;
}

tl::expected<OpenedFile, Refusal> PathResolver::ResolveRead(std::string_view requested) const {
  auto canonical = Canonical(requested);
  if (!canonical) return tl::unexpected(std::move(canonical.error()));
  std::string path = std::move(*canonical);

  // D35: look before opening, so a FIFO or device is never opened at all; O_PATH opens nothing.
  auto located = OpenRelative(path, O_PATH);
  if (!located && located.error() == ENOENT && options_.fold_case) {
    auto folded = FoldCase(path, false);
    if (!folded) return tl::unexpected(RefusalFromErrno(folded.error(), path, options_.symlinks));
    path = std::move(*folded);
    located = OpenRelative(path, O_PATH);
  }
  if (!located) return tl::unexpected(RefusalFromErrno(located.error(), path, options_.symlinks));
  struct stat first {};
  if (::fstat(located->get(), &first) != 0) {
    return tl::unexpected(RefusalFromErrno(errno, path, options_.symlinks));
  }
  if (!S_ISREG(first.st_mode)) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile,
                  "not a regular file", path);
  }
  if (options_.require_world_readable && (first.st_mode & S_IROTH) == 0) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kAccessDenied,
                  "not world-readable", path);
  }

  // D35: O_NONBLOCK so even a file swapped for a FIFO since the look cannot block the loop.
  auto opened = OpenRelative(path, kReadFlags);
  if (!opened) return tl::unexpected(RefusalFromErrno(opened.error(), path, options_.symlinks));
  struct stat second {};
  if (::fstat(opened->get(), &second) != 0) {
    return tl::unexpected(RefusalFromErrno(errno, path, options_.symlinks));
  }
  if (!S_ISREG(second.st_mode) || second.st_dev != first.st_dev ||
      second.st_ino != first.st_ino) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile,
                  "file changed during resolution", path);
  }
  return OpenedFile{std::move(*opened), static_cast<std::uint64_t>(second.st_size),
                    std::move(path)};
}

tl::expected<WriteTarget, Refusal> PathResolver::ResolveWrite(std::string_view requested) const {
  auto canonical = Canonical(requested);
  if (!canonical) return tl::unexpected(std::move(canonical.error()));
  std::string path = std::move(*canonical);
  if (options_.fold_case) {
    auto folded = FoldCase(path, true);
    if (!folded) return tl::unexpected(RefusalFromErrno(folded.error(), path, options_.symlinks));
    path = std::move(*folded);
  }
  const std::size_t slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? std::string() : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto parent_fd = OpenRelative(parent, O_RDONLY | O_DIRECTORY);
  if (!parent_fd) {
    return tl::unexpected(RefusalFromErrno(parent_fd.error(), path, options_.symlinks));
  }
  return WriteTarget{std::move(*parent_fd), std::move(name), std::move(path)};
}

}  // namespace stampede::server
