// Synthetic file content for the simulator: byte o of file `seed` is a pure function of (seed, o),
// so a server can serve 1,000 × 10 MiB and the clients can check every byte without anyone storing
// a file. GeneratedSource is the server's BlockSource; VerifyingSink is the client's BlockSink and
// records (never hides) the first wrong or misplaced byte. Word-at-a-time, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tl/expected.hpp>

#include "transfer/block_sink.h"
#include "transfer/block_source.h"

namespace stampede::sim {

// The content byte at `offset` of file `seed`.
std::byte ContentByte(std::uint64_t seed, std::uint64_t offset);
// Fills `out` with the content starting at `offset`.
void FillContent(std::uint64_t seed, std::uint64_t offset, std::span<std::byte> out);

class GeneratedSource final : public transfer::BlockSource {
 public:
  GeneratedSource(std::uint64_t seed, std::uint64_t size_bytes)
      : seed_(seed), size_bytes_(size_bytes) {}
  tl::expected<std::size_t, transfer::StorageError> ReadAt(std::uint64_t offset,
                                                           std::span<std::byte> out) override;
  std::uint64_t size_bytes() const { return size_bytes_; }
  std::uint64_t reads() const { return reads_; }

 private:
  std::uint64_t seed_;
  std::uint64_t size_bytes_;
  std::uint64_t reads_ = 0;
};

class VerifyingSink final : public transfer::BlockSink {
 public:
  static constexpr std::uint64_t kNoMismatch = UINT64_MAX;

  VerifyingSink(std::uint64_t seed, std::uint64_t expected_bytes)
      : seed_(seed), expected_bytes_(expected_bytes) {}
  tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) override;
  tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override;

  // True when nothing wrong was seen so far (it says nothing about completeness).
  bool ok() const { return first_bad_offset_ == kNoMismatch; }
  // True when all expected bytes arrived, right and in order, and were committed with that size.
  bool complete_and_correct() const {
    return ok() && committed_ && received_bytes_ == expected_bytes_;
  }
  std::uint64_t first_bad_offset() const { return first_bad_offset_; }
  std::uint64_t received_bytes() const { return received_bytes_; }
  bool committed() const { return committed_; }

 private:
  void RecordBad(std::uint64_t offset);

  std::uint64_t seed_;
  std::uint64_t expected_bytes_;
  std::uint64_t received_bytes_ = 0;
  std::uint64_t first_bad_offset_ = kNoMismatch;
  bool committed_ = false;
};

}  // namespace stampede::sim
