// FileBlockSource: reads of a resolved regular file, through the block cache or with pread.
#include "server/file_source.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace stampede::server {

FileBlockSource::FileBlockSource(UniqueFd fd, std::uint64_t size_bytes, BlockCache& cache)
    : fd_(std::move(fd)), size_bytes_(size_bytes) {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return;
  const FileIdentity id = FileIdentity::Of(st);
  if (id.size_bytes != size_bytes_) return;
  reader_ = cache.Open(fd_.get(), id);
}

tl::expected<std::size_t, transfer::StorageError> FileBlockSource::ReadAt(
    std::uint64_t offset, std::span<std::byte> out) {
  if (reader_.valid()) return reader_.ReadAt(offset, out);
  if (offset >= size_bytes_) return 0;
  const auto wanted =
      static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_bytes_ - offset));
  std::size_t done = 0;
  while (done < wanted) {
    const ssize_t got = ::pread(fd_.get(), out.data() + done, wanted - done,
                                static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(transfer::StorageError::kIo);
    }
    if (got == 0) return tl::unexpected(transfer::StorageError::kIo);  // shrank under us
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace stampede::server
