// UploadFile: the temporary file of one upload, its commit by rename, its removal on abort.
#include "server/upload_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/statvfs.h>

#include "base/check.h"
#include "wire/escape.h"
#include "server/request_path.h"
#include "server/upload_manager.h"

namespace stampede::server {

using wire::EscapeBytes;
namespace {

using transfer::StorageError;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

StorageError FromWriteErrno(int error) {
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return StorageError::kDiskFull;
    case EFBIG:
      return StorageError::kSizeCapExceeded;
    default:
      return StorageError::kIo;
  }
}

}  // namespace

std::string TemporaryUploadName(std::string_view target, std::string_view suffix) {
  const std::size_t fixed = 1 + kTemporaryUploadMarker.size() + suffix.size();
  const std::size_t target_max =
      kRequestComponentMaxBytes > fixed ? kRequestComponentMaxBytes - fixed : 0;
  std::string name = ".";
  name += target.substr(0, target_max);
  name += kTemporaryUploadMarker;
  name += suffix;
  return name;
}

bool IsTemporaryUploadName(std::string_view name) {
  const std::size_t tail = kTemporaryUploadMarker.size() + kTemporaryUploadSuffixBytes;
  if (name.size() < 1 + tail || name.front() != '.') return false;
  const std::string_view end = name.substr(name.size() - tail);
  if (end.substr(0, kTemporaryUploadMarker.size()) != kTemporaryUploadMarker) return false;
  const std::string_view suffix = end.substr(kTemporaryUploadMarker.size());
  return std::all_of(suffix.begin(), suffix.end(), IsAlnum);
}

UploadFile::UploadFile(UploadManager* owner, std::uint64_t registry_id, UniqueFd parent_fd,
                       std::string target_name, std::string temporary_name,
                       UniqueFd temporary_fd, Settings settings)
    : owner_(owner),
      registry_id_(registry_id),
      parent_fd_(std::move(parent_fd)),
      target_name_(std::move(target_name)),
      temporary_name_(std::move(temporary_name)),
      temporary_fd_(std::move(temporary_fd)),
      settings_(settings) {}

UploadFile::~UploadFile() { Abort(); }

void UploadFile::Finish() {
  if (finished_) return;
  finished_ = true;
  temporary_fd_.Reset();
  owner_->Release(registry_id_);
}

void UploadFile::Abort() {
  if (finished_) return;
  // unlinkat(2) of our own temporary; failing here leaves a file the start-up sweep removes.
  if (::unlinkat(parent_fd_.get(), temporary_name_.c_str(), 0) != 0 && error_detail_.empty()) {
    error_detail_ = "cannot remove " + EscapeBytes(temporary_name_) + ": " + std::strerror(errno);
  }
  Finish();
}

tl::expected<void, StorageError> UploadFile::Fail(StorageError error, std::string_view what,
                                                  int error_number) {
  failure_ = error;
  error_detail_ = std::string(what) + " " + EscapeBytes(temporary_name_) + ": " +
                  (error_number != 0 ? std::strerror(error_number) : "limit reached");
  Abort();
  return tl::unexpected(error);
}

tl::expected<void, StorageError> UploadFile::CheckDeclaredSize(std::uint64_t size_bytes) const {
  if (size_bytes > settings_.size_max_bytes) return tl::unexpected(StorageError::kSizeCapExceeded);
  struct statvfs fs {};
  if (!finished_ && ::fstatvfs(temporary_fd_.get(), &fs) == 0) {
    const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (size_bytes > free_bytes) return tl::unexpected(StorageError::kDiskFull);
  }
  return {};
}

tl::expected<void, StorageError> UploadFile::WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) {
  if (failure_) return tl::unexpected(*failure_);
  STAMPEDE_CHECK(!finished_);
  if (offset > settings_.size_max_bytes || bytes.size() > settings_.size_max_bytes - offset) {
    return Fail(StorageError::kSizeCapExceeded, "size cap reached writing", 0);
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::pwrite(temporary_fd_.get(), bytes.data() + done, bytes.size() - done,
                                   static_cast<off_t>(offset + done));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      return Fail(FromWriteErrno(error), "cannot write", error);
    }
    done += static_cast<std::size_t>(wrote);
  }
  return {};
}

tl::expected<void, StorageError> UploadFile::RenameIntoPlace() {
  const int dir = parent_fd_.get();
  if (settings_.replace_existing) {
    if (::renameat(dir, temporary_name_.c_str(), dir, target_name_.c_str()) != 0) {
      return Fail(StorageError::kIo, "cannot rename", errno);
    }
    return {};
  }
  if (::renameat2(dir, temporary_name_.c_str(), dir, target_name_.c_str(), RENAME_NOREPLACE) ==
      0) {
    return {};
  }
  int error = errno;
  if (error == EINVAL || error == ENOSYS) {
    // File systems without RENAME_NOREPLACE: link(2) refuses an existing name just the same.
    if (::linkat(dir, temporary_name_.c_str(), dir, target_name_.c_str(), 0) == 0) {
      static_cast<void>(::unlinkat(dir, temporary_name_.c_str(), 0));
      return {};
    }
    error = errno;
  }
  return Fail(error == EEXIST ? StorageError::kAccessDenied : StorageError::kIo,
              "cannot rename without replacing", error);
}

tl::expected<void, StorageError> UploadFile::Commit(std::uint64_t total_bytes) {
  if (failure_) return tl::unexpected(*failure_);
  STAMPEDE_CHECK(!finished_);
  if (total_bytes > settings_.size_max_bytes) {
    return Fail(StorageError::kSizeCapExceeded, "size cap reached committing", 0);
  }
  const int fd = temporary_fd_.get();
  if (::ftruncate(fd, static_cast<off_t>(total_bytes)) != 0) {
    return Fail(FromWriteErrno(errno), "cannot size", errno);
  }
  if (::fsync(fd) != 0) return Fail(FromWriteErrno(errno), "cannot fsync", errno);
  if (::fchmod(fd, settings_.final_mode) != 0) return Fail(StorageError::kIo, "cannot chmod", errno);
  auto renamed = RenameIntoPlace();
  if (!renamed) return renamed;
  committed_ = true;
  // rename(2) is durable only once the directory is synced; the data itself already is.
  if (::fsync(parent_fd_.get()) != 0) {
    error_detail_ = std::string("directory fsync after commit: ") + std::strerror(errno);
  }
  Finish();
  return {};
}

}  // namespace stampede::server
