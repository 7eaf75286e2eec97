// Where a Sender's bytes come from: a tiny random-access read interface, plus in-memory and
// generated implementations for tests and the simulator. Must not open files or allocate per read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tl/expected.hpp>

#include "transfer/storage_error.h"

namespace stampede::transfer {

class BlockSource {
 public:
  virtual ~BlockSource() = default;

  // Copies up to out.size() bytes starting at byte `offset` into `out` and returns how many were
  // copied. Contract: fewer than out.size() bytes (possibly 0) means the end of the data was
  // reached; a short read anywhere else is a programmer bug of the source. Called by the Sender from
  // PollTransmit, once per DATA sent (again for a retransmission in octet mode).
  virtual tl::expected<std::size_t, StorageError> ReadAt(std::uint64_t offset,
                                                         std::span<std::byte> out) = 0;
};

// Reads from a caller-owned byte span, which must outlive the source.
class MemoryBlockSource final : public BlockSource {
 public:
  explicit MemoryBlockSource(std::span<const std::byte> bytes) : bytes_(bytes) {}
  tl::expected<std::size_t, StorageError> ReadAt(std::uint64_t offset,
                                                 std::span<std::byte> out) override;

 private:
  std::span<const std::byte> bytes_;
};

// A synthetic file of `size_bytes` whose byte at offset o is PatternByte(o, seed): lets tests and
// the simulator move gigabytes (past 4 GiB) without a buffer of that size.
class PatternBlockSource final : public BlockSource {
 public:
  PatternBlockSource(std::uint64_t size_bytes, std::uint64_t seed)
      : size_bytes_(size_bytes), seed_(seed) {}
  tl::expected<std::size_t, StorageError> ReadAt(std::uint64_t offset,
                                                 std::span<std::byte> out) override;

  // The byte at `offset` of the pattern with `seed`. Cheap; pure.
  static std::byte PatternByte(std::uint64_t offset, std::uint64_t seed);

 private:
  std::uint64_t size_bytes_;
  std::uint64_t seed_;
};

// A source that fails every read with `error`, for error-path tests.
class FailingBlockSource final : public BlockSource {
 public:
  explicit FailingBlockSource(StorageError error) : error_(error) {}
  tl::expected<std::size_t, StorageError> ReadAt(std::uint64_t, std::span<std::byte>) override {
    return tl::unexpected(error_);
  }

 private:
  StorageError error_;
};

}  // namespace stampede::transfer
