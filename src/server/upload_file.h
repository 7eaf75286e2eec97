// One upload in progress (WRQ): a temporary file beside the target, written at offsets, renamed
// onto the target at commit, removed on abort or destruction. It is the transfer engine's block
// sink for the server side. Must not decide whether the upload is allowed (upload_manager.h does)
// and must never modify the target before Commit (PROTOCOL F55-F57).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "server/unique_fd.h"
#include "transfer/block_sink.h"

namespace stampede::server {

class UploadManager;

// Temporary names are `.<target>.stampede-upload.XXXXXX` (X in [A-Za-z0-9]); the target part is
// cut so the whole name fits NAME_MAX. Both the writer and the start-up sweep use these.
inline constexpr std::string_view kTemporaryUploadMarker = ".stampede-upload.";
inline constexpr std::size_t kTemporaryUploadSuffixBytes = 6;
std::string TemporaryUploadName(std::string_view target, std::string_view suffix);
bool IsTemporaryUploadName(std::string_view name);

class UploadFile final : public transfer::BlockSink {
 public:
  struct Settings {
    std::uint64_t size_max_bytes = UINT64_MAX;
    mode_t final_mode = 0644;
    // false: the target did not exist and must not exist at commit (renameat2 RENAME_NOREPLACE).
    bool replace_existing = true;
  };

  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;
  // Aborts unless committed: the temporary is unlinked and the target left untouched (F55).
  ~UploadFile() override;

  // RFC 2349 / PROTOCOL C25: a WRQ's tsize above the cap or the free space → ERROR 3 before any
  // ACK. kSizeCapExceeded or kDiskFull; no state changes.
  tl::expected<void, transfer::StorageError> CheckDeclaredSize(std::uint64_t size_bytes) const;

  // pwrite at `offset`. Past the size cap → kSizeCapExceeded; ENOSPC/EDQUOT → kDiskFull (F56);
  // anything else kIo. Any failure aborts the upload at once (the temporary's space is freed) and
  // every later call fails with the same error.
  tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) override;

  // Sizes the temporary to `total_bytes`, fsyncs it, sets the final mode, renames it onto the
  // target and fsyncs the directory. Only now does the target change (F57: a 0-byte upload
  // truncates the target here, not at WRQ time). A target that appeared meanwhile when it had to
  // stay absent → kAccessDenied (renameat2 RENAME_NOREPLACE). A failed directory fsync after the
  // rename is not reported as a failure (the new content is already in place); see
  // error_detail().
  tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override;

  // Unlinks the temporary; the target is untouched. Idempotent; no effect after Commit.
  void Abort();

  const std::string& target_name() const { return target_name_; }
  const std::string& temporary_name() const { return temporary_name_; }
  bool committed() const { return committed_; }
  // What the last failure was, with errno text, for the log.
  const std::string& error_detail() const { return error_detail_; }

 private:
  friend class UploadManager;
  UploadFile(UploadManager* owner, std::uint64_t registry_id, UniqueFd parent_fd,
             std::string target_name, std::string temporary_name, UniqueFd temporary_fd,
             Settings settings);

  tl::expected<void, transfer::StorageError> Fail(transfer::StorageError error,
                                                  std::string_view what, int error_number);
  tl::expected<void, transfer::StorageError> RenameIntoPlace();
  void Finish();

  UploadManager* owner_;
  std::uint64_t registry_id_;
  UniqueFd parent_fd_;
  std::string target_name_;
  std::string temporary_name_;
  UniqueFd temporary_fd_;
  Settings settings_;
  bool committed_ = false;
  bool finished_ = false;
  std::optional<transfer::StorageError> failure_;
  std::string error_detail_;
};

}  // namespace stampede::server
