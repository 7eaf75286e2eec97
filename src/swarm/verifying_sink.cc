// VerifyingSink (verifying_sink.h).
#include "swarm/verifying_sink.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace stampede::swarm {

tl::expected<void, transfer::StorageError> VerifyingSink::WriteAt(
    std::uint64_t offset, std::span<const std::byte> bytes) {
  if (mismatch_) return tl::unexpected(transfer::StorageError::kIo);
  if (offset != size_bytes_) {  // the Receiver writes in order; anything else is our bug
    mismatch_ = fmt::format("write at byte {} after {} bytes", offset, size_bytes_);
    return tl::unexpected(transfer::StorageError::kIo);
  }
  if (reference_ != nullptr) {
    const auto expected = reference_->bytes();
    if (offset + bytes.size() > expected.size()) {
      mismatch_ = fmt::format("more than the reference's {} bytes", expected.size());
      return tl::unexpected(transfer::StorageError::kSizeCapExceeded);
    }
    const auto want = expected.subspan(offset, bytes.size());
    if (std::memcmp(want.data(), bytes.data(), bytes.size()) != 0) {
      const auto at = std::mismatch(want.begin(), want.end(), bytes.begin()).first;
      mismatch_ = fmt::format("content differs at byte {}",
                              offset + static_cast<std::uint64_t>(at - want.begin()));
      return tl::unexpected(transfer::StorageError::kIo);
    }
  }
  size_bytes_ += bytes.size();
  return {};
}

tl::expected<void, transfer::StorageError> VerifyingSink::Commit(std::uint64_t total_bytes) {
  if (total_bytes != size_bytes_) {
    mismatch_ = fmt::format("committed {} bytes but received {}", total_bytes, size_bytes_);
    return tl::unexpected(transfer::StorageError::kIo);
  }
  if (reference_ != nullptr && size_bytes_ != reference_->bytes().size()) {
    mismatch_ =
        fmt::format("{} bytes, the reference has {}", size_bytes_, reference_->bytes().size());
    return tl::unexpected(transfer::StorageError::kIo);
  }
  committed_ = true;
  return {};
}

}  // namespace stampede::swarm
