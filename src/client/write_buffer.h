// Coalesces a download's in-order blocks into large writes: one write(2) per buffer-full instead
// of one per block (a 100 MiB get at blksize 1468 is 71,429 blocks). The Receiver hands blocks over
// in order (transfer/block_sink.h), so the buffer holds one contiguous run. A write error surfaces
// at the call that flushes, which fails the transfer the same way (ERROR 3 or 0 to the server).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <tl/expected.hpp>

#include "transfer/storage_error.h"

namespace stampede::client {

// Whole-buffer write, retried on EINTR and short writes; pwrite at `offset` when positional,
// otherwise write (pipes, terminals).
tl::expected<void, transfer::StorageError> WriteAll(int fd, std::span<const std::byte> bytes,
                                                    bool positional, std::uint64_t offset);

transfer::StorageError StorageErrorFromErrno(int errno_value);

class WriteBuffer {
 public:
  // 256 KiB: a few hundred writes for 100 MiB, small enough for a handful of concurrent gets.
  static constexpr std::size_t kDefaultCapacityBytes = 256u << 10;

  // `positional`: the fd is a file written with pwrite at the blocks' offsets (else appended).
  // The storage is allocated here, once.
  explicit WriteBuffer(bool positional, std::size_t capacity_bytes = kDefaultCapacityBytes);

  // Queues `bytes`, which belong at `offset`; writes the buffer to `fd` when it would overflow. A
  // non-contiguous offset first flushes what is queued; a run larger than the buffer goes straight
  // through.
  tl::expected<void, transfer::StorageError> Write(int fd, std::uint64_t offset,
                                                   std::span<const std::byte> bytes);
  // Writes whatever is queued.
  tl::expected<void, transfer::StorageError> Flush(int fd);
  // Forgets what is queued (the download failed; nothing more goes to the file).
  void Drop() { used_ = 0; }
  std::size_t queued_bytes() const { return used_; }
  std::uint64_t writes() const { return writes_; }

 private:
  bool positional_;
  std::vector<std::byte> buffer_;
  std::size_t used_ = 0;
  std::uint64_t start_offset_ = 0;  // file offset of buffer_[0]
  std::uint64_t writes_ = 0;        // flushes that reached the fd (for tests)
};

}  // namespace stampede::client
