// In-memory and generated block sources and sinks (block_source.h, block_sink.h): the storage used
// by tests and the simulator. Must not touch files; real files live in server/ and client/.
#include <algorithm>
#include <cstring>

#include "transfer/block_sink.h"
#include "transfer/block_source.h"

namespace stampede::transfer {

tl::expected<std::size_t, StorageError> MemoryBlockSource::ReadAt(std::uint64_t offset,
                                                                  std::span<std::byte> out) {
  if (offset >= bytes_.size()) return 0;
  const std::size_t n = std::min<std::size_t>(out.size(), bytes_.size() - offset);
  std::memcpy(out.data(), bytes_.data() + offset, n);
  return n;
}

std::byte PatternBlockSource::PatternByte(std::uint64_t offset, std::uint64_t seed) {
  // A cheap mix of the 8-byte word index with the position inside it: neighbouring blocks and
  // different seeds differ, so a misplaced or repeated block is detected.
  std::uint64_t x = (offset >> 3) ^ (seed * 0x9E3779B97F4A7C15ULL);
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32;
  return static_cast<std::byte>((x >> ((offset & 7) * 8)) & 0xFF);
}

tl::expected<std::size_t, StorageError> PatternBlockSource::ReadAt(std::uint64_t offset,
                                                                   std::span<std::byte> out) {
  if (offset >= size_bytes_) return 0;
  const std::size_t n = static_cast<std::size_t>(
      std::min<std::uint64_t>(out.size(), size_bytes_ - offset));
  for (std::size_t i = 0; i < n; ++i) out[i] = PatternByte(offset + i, seed_);
  return n;
}

tl::expected<void, StorageError> MemoryBlockSink::WriteAt(std::uint64_t offset,
                                                          std::span<const std::byte> bytes) {
  if (offset > size_max_bytes_ || bytes.size() > size_max_bytes_ - offset) {
    return tl::unexpected(StorageError::kSizeCapExceeded);
  }
  const auto end = static_cast<std::size_t>(offset + bytes.size());
  if (bytes_.size() < end) bytes_.resize(end);
  std::copy(bytes.begin(), bytes.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
  ++writes_;
  return {};
}

tl::expected<void, StorageError> MemoryBlockSink::Commit(std::uint64_t total_bytes) {
  static_cast<void>(total_bytes);
  committed_ = true;
  return {};
}

tl::expected<void, StorageError> PatternVerifyingSink::WriteAt(std::uint64_t offset,
                                                               std::span<const std::byte> bytes) {
  if (offset != size_bytes_) in_order_ = false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != PatternBlockSource::PatternByte(offset + i, seed_)) ++mismatches_;
  }
  size_bytes_ = offset + bytes.size();
  return {};
}

tl::expected<void, StorageError> PatternVerifyingSink::Commit(std::uint64_t total_bytes) {
  if (total_bytes != size_bytes_) in_order_ = false;
  committed_ = true;
  return {};
}

}  // namespace stampede::transfer
