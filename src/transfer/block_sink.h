// Where a Receiver's bytes go: a tiny sequential write interface, plus an in-memory implementation
// (with an optional size cap) and a verifying sink that checks a generated pattern without storing
// it. Must not open files; the server's file sink (temp file + rename) lives in server/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "transfer/storage_error.h"

namespace stampede::transfer {

class BlockSink {
 public:
  virtual ~BlockSink() = default;

  // Stores `bytes` at byte `offset` of the local (decoded) file. The Receiver calls it in order:
  // each offset equals the previous offset plus the previous size, so a sink may simply append.
  // Each block is written exactly once. An error fails the transfer with ToWireError(error)
  // (kDiskFull / kSizeCapExceeded → ERROR 3, PROTOCOL F56).
  virtual tl::expected<void, StorageError> WriteAt(std::uint64_t offset,
                                                   std::span<const std::byte> bytes) = 0;

  // Called once, after the final block was written and before the final ACK is sent, with the
  // total size. A sink that commits (rename into place) does it here; an error is sent to the peer
  // instead of the final ACK.
  virtual tl::expected<void, StorageError> Commit(std::uint64_t total_bytes) {
    static_cast<void>(total_bytes);
    return {};
  }
};

// Collects bytes in memory. Writes that would grow it past `size_max_bytes` fail with
// kSizeCapExceeded.
class MemoryBlockSink final : public BlockSink {
 public:
  explicit MemoryBlockSink(std::uint64_t size_max_bytes = UINT64_MAX)
      : size_max_bytes_(size_max_bytes) {}
  tl::expected<void, StorageError> WriteAt(std::uint64_t offset,
                                           std::span<const std::byte> bytes) override;
  tl::expected<void, StorageError> Commit(std::uint64_t total_bytes) override;

  const std::vector<std::byte>& bytes() const { return bytes_; }
  std::uint64_t writes() const { return writes_; }
  bool committed() const { return committed_; }

 private:
  std::vector<std::byte> bytes_;
  std::uint64_t size_max_bytes_;
  std::uint64_t writes_ = 0;
  bool committed_ = false;
};

// Checks incoming bytes against PatternBlockSource's pattern without storing them: counts bytes and
// the first mismatching offset. For transfers too large to keep (> 4 GiB tests, the simulator).
class PatternVerifyingSink final : public BlockSink {
 public:
  explicit PatternVerifyingSink(std::uint64_t seed) : seed_(seed) {}
  tl::expected<void, StorageError> WriteAt(std::uint64_t offset,
                                           std::span<const std::byte> bytes) override;
  tl::expected<void, StorageError> Commit(std::uint64_t total_bytes) override;

  std::uint64_t size_bytes() const { return size_bytes_; }
  bool matches() const { return mismatches_ == 0 && in_order_; }
  std::uint64_t mismatches() const { return mismatches_; }
  bool committed() const { return committed_; }

 private:
  std::uint64_t seed_;
  std::uint64_t size_bytes_ = 0;
  std::uint64_t mismatches_ = 0;
  bool in_order_ = true;
  bool committed_ = false;
};

}  // namespace stampede::transfer
