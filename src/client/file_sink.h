// Local files for the client: a download sink that never leaves a partial target (temporary file
// beside it, O_EXCL, 0600, renamed into place at commit, removed otherwise), a sink streaming to an
// already open descriptor (stdout), and a pread-based upload source. Both sinks coalesce blocks
// into large writes (write_buffer.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <sys/types.h>
#include <tl/expected.hpp>

#include "client/write_buffer.h"
#include "io/error.h"
#include "transfer/block_sink.h"
#include "transfer/block_source.h"

namespace stampede::client {

// Writes to "<dir>/.<name>.stampede-XXXXXX" (created O_EXCL with mode 0600) and renames it over
// `target_path` at Commit, after fchmod to 0666 & ~umask (the mode a plain create would give) and
// fsync. Destroying or calling Discard() before Commit removes the temporary; the target is never
// touched unless Commit succeeds. Blocks are buffered up to `buffer_bytes` between writes.
class AtomicFileSink final : public transfer::BlockSink {
 public:
  static tl::expected<AtomicFileSink, io::Error> Create(
      const std::string& target_path,
      std::size_t buffer_bytes = WriteBuffer::kDefaultCapacityBytes);
  AtomicFileSink(AtomicFileSink&& other) noexcept;
  AtomicFileSink& operator=(AtomicFileSink&&) = delete;
  AtomicFileSink(const AtomicFileSink&) = delete;
  AtomicFileSink& operator=(const AtomicFileSink&) = delete;
  ~AtomicFileSink() override;

  tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) override;
  tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override;

  // Removes the temporary (idempotent). Async-signal-safe use is not supported: call it from the
  // loop after a signal was noted.
  void Discard();
  bool committed() const { return committed_; }
  const std::string& temporary_path() const { return temporary_path_; }
  const std::string& target_path() const { return target_path_; }

 private:
  AtomicFileSink(int fd, std::string temporary_path, std::string target_path,
                 std::size_t buffer_bytes);

  int fd_ = -1;
  WriteBuffer buffer_;
  std::string temporary_path_;
  std::string target_path_;
  bool committed_ = false;
};

// Appends to `fd` (not owned), e.g. stdout for `-o -`. Nothing can be taken back: a failure after
// some blocks leaves a prefix there. Blocks are buffered up to `buffer_bytes`; Commit writes the
// rest.
class FdSink final : public transfer::BlockSink {
 public:
  explicit FdSink(int fd, std::size_t buffer_bytes = WriteBuffer::kDefaultCapacityBytes)
      : fd_(fd), buffer_(false, buffer_bytes) {}
  tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) override;
  tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override;

 private:
  int fd_;
  WriteBuffer buffer_;
};

// Reads a regular file with pread (the Sender re-reads blocks for retransmission).
class FileSource final : public transfer::BlockSource {
 public:
  static tl::expected<FileSource, io::Error> Open(const std::string& path);
  // Copies everything readable from `fd` (stdin, a pipe) to an unlinked temporary file in
  // `spool_dir` and reads from that: a stream cannot be re-read for retransmission, and its size
  // is known for tsize only at its end. The temporary has no name, so nothing is left behind
  // whatever happens; it is freed when the FileSource is destroyed. A read interrupted by a signal
  // handler (EINTR) fails, so SIGINT stops a spool that waits on a terminal.
  static tl::expected<FileSource, io::Error> Spool(int fd, const std::string& spool_dir);
  FileSource(FileSource&& other) noexcept;
  FileSource& operator=(FileSource&&) = delete;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override;

  tl::expected<std::size_t, transfer::StorageError> ReadAt(std::uint64_t offset,
                                                           std::span<std::byte> out) override;
  std::uint64_t size_bytes() const { return size_bytes_; }

 private:
  FileSource(int fd, std::uint64_t size_bytes) : fd_(fd), size_bytes_(size_bytes) {}
  int fd_ = -1;
  std::uint64_t size_bytes_ = 0;
};

}  // namespace stampede::client
