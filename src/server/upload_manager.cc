// UploadManager: WRQ target checks, temporary creation and the in-progress registry.
#include "server/upload_manager.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/check.h"
#include "wire/escape.h"

namespace stampede::server {

using wire::EscapeBytes;
namespace {

using wire::ErrorCode;

constexpr int kTemporaryAttemptsMax = 16;

tl::unexpected<Refusal> Refuse(ErrorCode code, RefusalKind kind, std::string_view what,
                               std::string_view path) {
  return tl::unexpected(Refusal{code, kind, std::string(what) + ": " + EscapeBytes(path)});
}

// Six characters of [A-Za-z0-9]: getrandom(2) where it works, else a mix of the counter and pid
// (O_EXCL makes any collision a retry, never a clash).
std::string TemporarySuffix(std::uint64_t counter) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::array<unsigned char, kTemporaryUploadSuffixBytes> random{};
  if (::getrandom(random.data(), random.size(), GRND_NONBLOCK) !=
      static_cast<ssize_t>(random.size())) {
    const auto pid = static_cast<std::uint32_t>(::getpid());
    std::uint64_t mix = (counter * std::uint64_t{0x9E3779B97F4A7C15}) ^ pid;
    for (auto& byte : random) {
      byte = static_cast<unsigned char>(mix);
      mix = (mix >> 8) | (mix << 56);
    }
  }
  std::string suffix;
  for (const unsigned char byte : random) suffix += kAlphabet[byte % (sizeof(kAlphabet) - 1)];
  return suffix;
}

}  // namespace

UploadManager::~UploadManager() { STAMPEDE_CHECK(registry_.empty()); }

void UploadManager::Release(std::uint64_t id) {
  const auto it = std::find_if(registry_.begin(), registry_.end(),
                               [id](const Entry& entry) { return entry.id == id; });
  STAMPEDE_CHECK(it != registry_.end());
  registry_.erase(it);
}

tl::expected<UploadFile::Settings, Refusal> UploadManager::SettingsFor(
    const WriteTarget& target) const {
  UploadFile::Settings settings;
  settings.size_max_bytes = policy_.size_max_bytes;
  struct stat st {};
  if (::fstatat(target.parent_fd.get(), target.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) {
      return tl::unexpected(RefusalFromErrno(errno, target.path, SymlinkPolicy::kRefuse));
    }
    if (!policy_.create) {
      return Refuse(ErrorCode::kFileNotFound, RefusalKind::kNotFound,
                    "no such file and creation disabled", target.path);
    }
    settings.final_mode = policy_.create_mode & ~policy_.umask & 0777;
    settings.replace_existing = policy_.overwrite;
    return settings;
  }
  // A symlink target is refused rather than replaced by a regular file (D31 spirit, D35).
  if (!S_ISREG(st.st_mode)) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile,
                  "upload target is not a regular file", target.path);
  }
  if (!policy_.overwrite) {
    return Refuse(ErrorCode::kFileExists, RefusalKind::kFileExists,
                  "file exists and overwrite disabled", target.path);
  }
  if (policy_.require_world_writable && (st.st_mode & S_IWOTH) == 0) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kAccessDenied,
                  "upload target not world-writable", target.path);
  }
  if (::faccessat(target.parent_fd.get(), target.name.c_str(), W_OK, AT_EACCESS) != 0) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kAccessDenied,
                  "upload target not writable", target.path);
  }
  settings.final_mode = st.st_mode & 07777;
  settings.replace_existing = true;
  return settings;
}

tl::expected<std::unique_ptr<UploadFile>, Refusal> UploadManager::Begin(WriteTarget target) {
  struct stat dir {};
  if (::fstat(target.parent_fd.get(), &dir) != 0) {
    return tl::unexpected(RefusalFromErrno(errno, target.path, SymlinkPolicy::kRefuse));
  }
  const bool busy = std::any_of(registry_.begin(), registry_.end(), [&](const Entry& entry) {
    return entry.device == dir.st_dev && entry.inode == dir.st_ino && entry.name == target.name;
  });
  if (busy) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kUploadInProgress,
                  "another upload to this file is in progress", target.path);
  }
  if (registry_.size() >= policy_.in_progress_max) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kUploadInProgress,
                  "too many uploads in progress", target.path);
  }
  auto settings = SettingsFor(target);
  if (!settings) return tl::unexpected(std::move(settings.error()));

  for (int attempt = 0; attempt < kTemporaryAttemptsMax; ++attempt) {
    const std::uint64_t salt = next_id_ + static_cast<std::uint64_t>(attempt);
    std::string temporary = TemporaryUploadName(target.name, TemporarySuffix(salt));
    UniqueFd fd(::openat(target.parent_fd.get(), temporary.c_str(),
                         O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      const int error = errno;
      if (error == EEXIST) continue;
      if (error == ENOSPC || error == EDQUOT) {
        return Refuse(ErrorCode::kDiskFull, RefusalKind::kTooLarge,
                      "no space for the upload", target.path);
      }
      return tl::unexpected(RefusalFromErrno(error, target.path, SymlinkPolicy::kRefuse));
    }
    const std::uint64_t id = next_id_++;
    registry_.push_back(Entry{id, dir.st_dev, dir.st_ino, target.name});
    return std::unique_ptr<UploadFile>(new UploadFile(this, id, std::move(target.parent_fd),
                                                      std::move(target.name), std::move(temporary),
                                                      std::move(fd), *settings));
  }
  return Refuse(ErrorCode::kNotDefined, RefusalKind::kIo, "cannot pick a temporary name",
                target.path);
}

}  // namespace stampede::server
