// The transfer engine's block source for a regular file opened by the path resolver: reads with
// pread at the offsets the Sender asks for. Must not open files or decide what may be served; it
// serves exactly the size seen at open time (the size announced in tsize, RFC 2349).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <tl/expected.hpp>

#include "server/unique_fd.h"
#include "transfer/block_source.h"

namespace stampede::server {

class FileBlockSource final : public transfer::BlockSource {
 public:
  // `fd` is a readable regular file; `size_bytes` its size when it was resolved.
  FileBlockSource(UniqueFd fd, std::uint64_t size_bytes)
      : fd_(std::move(fd)), size_bytes_(size_bytes) {}

  // Bytes past `size_bytes` are never served, even if the file grew. A file that shrank under a
  // running transfer is an error (kIo): the BlockSource contract forbids a short read before the
  // end, and silently ending early would deliver a truncated file as complete.
  tl::expected<std::size_t, transfer::StorageError> ReadAt(std::uint64_t offset,
                                                           std::span<std::byte> out) override;

  std::uint64_t size_bytes() const { return size_bytes_; }

 private:
  UniqueFd fd_;
  std::uint64_t size_bytes_;
};

}  // namespace stampede::server
