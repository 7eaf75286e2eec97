// WriteBuffer: in-order blocks become few large writes with the same bytes at the same offsets; a
// gap in offsets flushes first; a write error (disk full) surfaces as a StorageError.
#include "client/write_buffer.h"

#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

namespace stampede::client {
namespace {

class MemFile {
 public:
  MemFile() : fd_(memfd_create("write-buffer-test", MFD_CLOEXEC)) {}
  ~MemFile() { close(fd_); }
  int fd() const { return fd_; }
  std::string Contents() const {
    std::string out(static_cast<std::size_t>(lseek(fd_, 0, SEEK_END)), '\0');
    EXPECT_EQ(pread(fd_, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }

 private:
  int fd_;
};

std::vector<std::byte> Block(std::size_t size, char fill) {
  return std::vector<std::byte>(size, static_cast<std::byte>(fill));
}

TEST(WriteBufferTest, InOrderBlocksBecomeFewWrites) {
  MemFile file;
  WriteBuffer buffer(true, 1000);
  std::string want;
  std::uint64_t offset = 0;
  for (int i = 0; i < 10; ++i) {  // 10 x 300 bytes through a 1000-byte buffer
    const auto block = Block(300, static_cast<char>('a' + i));
    ASSERT_TRUE(buffer.Write(file.fd(), offset, block));
    offset += block.size();
    want += std::string(300, static_cast<char>('a' + i));
  }
  EXPECT_EQ(buffer.writes(), 3u);  // 900, 900, 900 written; 300 still queued
  EXPECT_EQ(buffer.queued_bytes(), 300u);
  ASSERT_TRUE(buffer.Write(file.fd(), offset, {}));  // a zero-length final block
  ASSERT_TRUE(buffer.Flush(file.fd()));
  EXPECT_EQ(buffer.writes(), 4u);
  EXPECT_EQ(file.Contents(), want);
}

TEST(WriteBufferTest, GapFlushesAndLargeRunGoesStraightThrough) {
  MemFile file;
  WriteBuffer buffer(true, 100);
  ASSERT_TRUE(buffer.Write(file.fd(), 0, Block(10, 'x')));
  ASSERT_TRUE(buffer.Write(file.fd(), 50, Block(10, 'y')));  // not contiguous: 'x' run flushed
  EXPECT_EQ(buffer.writes(), 1u);
  ASSERT_TRUE(buffer.Write(file.fd(), 60, Block(250, 'z')));  // flush 'y', then 250 direct
  EXPECT_EQ(buffer.writes(), 3u);
  EXPECT_EQ(buffer.queued_bytes(), 0u);
  const std::string got = file.Contents();
  EXPECT_EQ(got, std::string(10, 'x') + std::string(40, '\0') + std::string(10, 'y') +
                     std::string(250, 'z'));
}

TEST(WriteBufferTest, AppendModeWritesInOrder) {
  MemFile file;
  WriteBuffer buffer(false, 64);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(buffer.Write(file.fd(), 0, Block(30, 'k')));
  ASSERT_TRUE(buffer.Flush(file.fd()));
  EXPECT_EQ(file.Contents(), std::string(150, 'k'));
}

TEST(WriteBufferTest, DiskFullSurfacesAtTheFlushingWrite) {
  const int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  WriteBuffer buffer(false, 100);
  EXPECT_TRUE(buffer.Write(full, 0, Block(60, 'a')));  // queued, nothing written yet
  const auto second = buffer.Write(full, 60, Block(60, 'b'));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), transfer::StorageError::kDiskFull);
  close(full);
}

}  // namespace
}  // namespace stampede::client
