// The transfer engine's block source for a regular file opened by the path resolver: reads through
// the server's shared BlockCache (server/block_cache.h), or with pread at the offsets the Sender
// asks for when there is no cache. Must not open files or decide what may be served; it
// serves exactly the size seen at open time (the size announced in tsize, RFC 2349).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <tl/expected.hpp>

#include "server/block_cache.h"
#include "server/unique_fd.h"
#include "transfer/block_source.h"

namespace stampede::server {

class FileBlockSource final : public transfer::BlockSource {
 public:
  // `fd` is a readable regular file; `size_bytes` its size when it was resolved.
  FileBlockSource(UniqueFd fd, std::uint64_t size_bytes)
      : fd_(std::move(fd)), size_bytes_(size_bytes) {}
  // Reads through `cache` (which must outlive the source). If the file's fstat no longer shows
  // `size_bytes` it is already changing: it is read around the cache, as without one.
  FileBlockSource(UniqueFd fd, std::uint64_t size_bytes, BlockCache& cache);

  // Bytes past `size_bytes` are never served, even if the file grew. A file that shrank under a
  // running transfer is an error (kIo): the BlockSource contract forbids a short read before the
  // end, and silently ending early would deliver a truncated file as complete. Through the cache,
  // any change of the file seen while filling a chunk is an error too (no mixed content).
  tl::expected<std::size_t, transfer::StorageError> ReadAt(std::uint64_t offset,
                                                           std::span<std::byte> out) override;

  std::uint64_t size_bytes() const { return size_bytes_; }
  bool cached() const { return reader_.valid(); }

 private:
  UniqueFd fd_;  // before reader_, which reads from it
  std::uint64_t size_bytes_;
  BlockCache::Reader reader_;
};

}  // namespace stampede::server
