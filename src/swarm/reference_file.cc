// ReferenceFile (reference_file.h): open, fstat, mmap; an empty file needs no mapping.
#include "swarm/reference_file.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stampede::swarm {

tl::expected<ReferenceFile, std::string> ReferenceFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int error = errno;
    ::close(fd);
    return tl::unexpected(fmt::format(
        "{}: {}", path, S_ISREG(st.st_mode) ? std::strerror(error) : "not a regular file"));
  }
  ReferenceFile file;
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > 0) {
    void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      return tl::unexpected(fmt::format("{}: mmap: {}", path, std::strerror(error)));
    }
    file.mapping_ = mapping;
    file.mapping_size_ = size;
    file.bytes_ = {static_cast<const std::byte*>(mapping), size};
  }
  ::close(fd);
  return file;
}

ReferenceFile ReferenceFile::FromBytes(std::span<const std::byte> bytes) {
  ReferenceFile file;
  file.bytes_ = bytes;
  return file;
}

ReferenceFile::ReferenceFile(ReferenceFile&& other) noexcept
    : bytes_(std::exchange(other.bytes_, {})),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_size_(std::exchange(other.mapping_size_, 0)) {}

ReferenceFile& ReferenceFile::operator=(ReferenceFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    bytes_ = std::exchange(other.bytes_, {});
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_size_ = std::exchange(other.mapping_size_, 0);
  }
  return *this;
}

ReferenceFile::~ReferenceFile() {
  Unmap();
}

void ReferenceFile::Unmap() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
  mapping_ = nullptr;
  mapping_size_ = 0;
  bytes_ = {};
}

}  // namespace stampede::swarm
