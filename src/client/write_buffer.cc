// WriteBuffer (write_buffer.h): sequential blocks in, large writes out.
#include "client/write_buffer.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace stampede::client {

using transfer::StorageError;

StorageError StorageErrorFromErrno(int errno_value) {
  switch (errno_value) {
    case ENOSPC:
    case EDQUOT: return StorageError::kDiskFull;
    case EFBIG: return StorageError::kSizeCapExceeded;
    case EACCES:
    case EPERM: return StorageError::kAccessDenied;
    default: return StorageError::kIo;
  }
}

tl::expected<void, StorageError> WriteAll(int fd, std::span<const std::byte> bytes, bool positional,
                                          std::uint64_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto* data = bytes.data() + done;
    const std::size_t left = bytes.size() - done;
    const ssize_t n = positional ? pwrite(fd, data, left, static_cast<off_t>(offset + done))
                                 : write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(StorageErrorFromErrno(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

WriteBuffer::WriteBuffer(bool positional, std::size_t capacity_bytes)
    : positional_(positional), buffer_(capacity_bytes) {}

tl::expected<void, StorageError> WriteBuffer::Write(int fd, std::uint64_t offset,
                                                    std::span<const std::byte> bytes) {
  if (bytes.empty()) return {};
  if (used_ > 0 && offset != start_offset_ + used_) {
    if (auto flushed = Flush(fd); !flushed) return flushed;
  }
  if (used_ + bytes.size() > buffer_.size()) {
    if (auto flushed = Flush(fd); !flushed) return flushed;
  }
  if (bytes.size() >= buffer_.size()) {
    ++writes_;
    return WriteAll(fd, bytes, positional_, offset);
  }
  if (used_ == 0) start_offset_ = offset;
  std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
  used_ += bytes.size();
  return {};
}

tl::expected<void, StorageError> WriteBuffer::Flush(int fd) {
  if (used_ == 0) return {};
  const std::size_t n = used_;
  used_ = 0;
  ++writes_;
  return WriteAll(fd, std::span<const std::byte>(buffer_).first(n), positional_, start_offset_);
}

}  // namespace stampede::client
