// AtomicFileSink, FdSink and FileSource (file_sink.h): the client's only file system code.
#include "client/file_sink.h"

#include <cerrno>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

namespace stampede::client {
namespace {

using transfer::StorageError;

std::pair<std::string, std::string> SplitPath(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

mode_t CurrentUmask() {
  const mode_t mask = umask(0);  // read it the only way POSIX offers, then put it back
  umask(mask);
  return mask;
}

}  // namespace

tl::expected<AtomicFileSink, io::Error> AtomicFileSink::Create(const std::string& target_path,
                                                               std::size_t buffer_bytes) {
  const auto [dir, name] = SplitPath(target_path);
  if (name.empty()) return tl::unexpected(io::MakeError(EISDIR, "output " + target_path));
  std::random_device device;
  std::uniform_int_distribution<std::uint32_t> digits(0, 0xFFFFFF);
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string temp = fmt::format("{}/.{}.stampede-{:06x}", dir, name, digits(device));
    const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return AtomicFileSink(fd, std::move(temp), target_path, buffer_bytes);
    if (errno != EEXIST) return tl::unexpected(io::MakeError(errno, "create " + temp));
  }
  return tl::unexpected(io::MakeError(EEXIST, "create a temporary file in " + dir));
}

AtomicFileSink::AtomicFileSink(int fd, std::string temporary_path, std::string target_path,
                               std::size_t buffer_bytes)
    : fd_(fd),
      buffer_(true, buffer_bytes),
      temporary_path_(std::move(temporary_path)),
      target_path_(std::move(target_path)) {}

AtomicFileSink::AtomicFileSink(AtomicFileSink&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      temporary_path_(std::move(other.temporary_path_)),
      target_path_(std::move(other.target_path_)),
      committed_(std::exchange(other.committed_, true)) {}

AtomicFileSink::~AtomicFileSink() {
  Discard();
}

void AtomicFileSink::Discard() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!committed_ && !temporary_path_.empty()) {
    unlink(temporary_path_.c_str());
    temporary_path_.clear();
  }
}

tl::expected<void, StorageError> AtomicFileSink::WriteAt(std::uint64_t offset,
                                                         std::span<const std::byte> bytes) {
  if (fd_ < 0) return tl::unexpected(StorageError::kIo);
  return buffer_.Write(fd_, offset, bytes);
}

tl::expected<void, StorageError> AtomicFileSink::Commit(std::uint64_t total_bytes) {
  if (fd_ < 0) return tl::unexpected(StorageError::kIo);
  if (auto flushed = buffer_.Flush(fd_); !flushed) return flushed;
  if (ftruncate(fd_, static_cast<off_t>(total_bytes)) != 0 ||
      fchmod(fd_, static_cast<mode_t>(0666U & ~CurrentUmask())) != 0 || fsync(fd_) != 0) {
    return tl::unexpected(StorageErrorFromErrno(errno));
  }
  if (close(std::exchange(fd_, -1)) != 0) return tl::unexpected(StorageErrorFromErrno(errno));
  if (rename(temporary_path_.c_str(), target_path_.c_str()) != 0) {
    return tl::unexpected(StorageErrorFromErrno(errno));
  }
  committed_ = true;
  return {};
}

tl::expected<void, StorageError> FdSink::WriteAt(std::uint64_t offset,
                                                 std::span<const std::byte> bytes) {
  return buffer_.Write(fd_, offset, bytes);  // in order (block_sink.h): appended
}

tl::expected<void, StorageError> FdSink::Commit(std::uint64_t total_bytes) {
  static_cast<void>(total_bytes);
  return buffer_.Flush(fd_);
}

tl::expected<FileSource, io::Error> FileSource::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tl::unexpected(io::MakeError(errno, "open " + path));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    return tl::unexpected(io::MakeError(e, "stat " + path));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return tl::unexpected(io::MakeError(EINVAL, path + " is not a regular file"));
  }
  return FileSource(fd, static_cast<std::uint64_t>(st.st_size));
}

namespace {

// An unnamed file in `dir`: O_TMPFILE where the file system has it, else mkstemp and unlink.
tl::expected<int, io::Error> OpenUnnamed(const std::string& dir) {
  const int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return tl::unexpected(io::MakeError(errno, "create a spool file in " + dir));
  }
  std::string name = dir + "/.stampede-spool-XXXXXX";
  const int named = mkostemp(name.data(), O_CLOEXEC);
  if (named < 0) return tl::unexpected(io::MakeError(errno, "create a spool file in " + dir));
  unlink(name.c_str());
  return named;
}

}  // namespace

tl::expected<FileSource, io::Error> FileSource::Spool(int fd, const std::string& spool_dir) {
  auto spool = OpenUnnamed(spool_dir);
  if (!spool) return tl::unexpected(spool.error());
  FileSource source(*spool, 0);  // owns the descriptor from here on, on every path
  std::vector<std::byte> chunk(WriteBuffer::kDefaultCapacityBytes);
  for (;;) {
    const ssize_t n = read(fd, chunk.data(), chunk.size());
    // EINTR is not retried: only a handler the caller installed (SIGINT, SIGTERM) interrupts a
    // read, and it means stop.
    if (n < 0) return tl::unexpected(io::MakeError(errno, "read the upload"));
    if (n == 0) break;
    const auto bytes = std::span<const std::byte>(chunk).first(static_cast<std::size_t>(n));
    if (!WriteAll(source.fd_, bytes, true, source.size_bytes_)) {
      return tl::unexpected(io::MakeError(errno, "spool the upload in " + spool_dir));
    }
    source.size_bytes_ += static_cast<std::uint64_t>(n);
  }
  return source;
}

FileSource::FileSource(FileSource&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_bytes_(other.size_bytes_) {}

FileSource::~FileSource() {
  if (fd_ >= 0) close(fd_);
}

tl::expected<std::size_t, StorageError> FileSource::ReadAt(std::uint64_t offset,
                                                           std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(StorageErrorFromErrno(errno));
    }
    if (n == 0) break;  // end of file: the short read the BlockSource contract expects
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace stampede::client
