// FileBlockSource: pread-based reads of a resolved regular file.
#include "server/file_source.h"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace stampede::server {

tl::expected<std::size_t, transfer::StorageError> FileBlockSource::ReadAt(
    std::uint64_t offset, std::span<std::byte> out) {
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
