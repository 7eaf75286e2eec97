// A local copy of a file the swarm fetches, mapped read-only and shared by every client: received
// bytes are compared with it as they arrive (verifying_sink.h), so every byte is checked without a
// per-client copy or hash. Must not be written through.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include <tl/expected.hpp>

namespace stampede::swarm {

class ReferenceFile {
 public:
  // Maps `path` (a regular file). Errors are one-line explanations naming the path.
  static tl::expected<ReferenceFile, std::string> Open(const std::string& path);
  // In-memory content (tests): the caller keeps `bytes` alive.
  static ReferenceFile FromBytes(std::span<const std::byte> bytes);

  ReferenceFile(ReferenceFile&& other) noexcept;
  ReferenceFile& operator=(ReferenceFile&& other) noexcept;
  ReferenceFile(const ReferenceFile&) = delete;
  ReferenceFile& operator=(const ReferenceFile&) = delete;
  ~ReferenceFile();

  std::span<const std::byte> bytes() const { return bytes_; }

 private:
  ReferenceFile() = default;
  void Unmap();

  std::span<const std::byte> bytes_;
  void* mapping_ = nullptr;  // null for empty files and FromBytes
  std::size_t mapping_size_ = 0;
};

}  // namespace stampede::swarm
