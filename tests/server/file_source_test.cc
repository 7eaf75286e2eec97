// FileBlockSource: reads at offsets, the end of file, growth and shrinkage under a transfer.
#include "server/file_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "server/temp_dir.h"

namespace stampede::server {
namespace {

using testing::TempDir;

std::string AsString(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

class FileSourceTest : public ::testing::Test {
 protected:
  FileBlockSource Open(const std::string& content) {
    tmp_.Write("f", content);
    UniqueFd fd(::open((tmp_ / "f").c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid());
    return FileBlockSource(std::move(fd), content.size());
  }
  TempDir tmp_;
};

TEST_F(FileSourceTest, ReadsBlocksAtOffsets) {
  FileBlockSource source = Open("0123456789");
  std::array<std::byte, 4> block{};
  auto first = source.ReadAt(0, block);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 4u);
  EXPECT_EQ(AsString(block), "0123");
  auto last = source.ReadAt(8, block);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 2u);
  EXPECT_EQ(AsString(std::span(block).first(2)), "89");
  // Re-reading an earlier block (a retransmission) gives the same bytes.
  auto again = source.ReadAt(4, block);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(AsString(block), "4567");
}

TEST_F(FileSourceTest, EndOfFileIsAShortOrEmptyRead) {
  FileBlockSource source = Open("abcd");
  std::array<std::byte, 4> block{};
  // E48: a size that is a multiple of the block size ends with an empty read.
  EXPECT_EQ(source.ReadAt(4, block).value(), 0u);
  EXPECT_EQ(source.ReadAt(1000, block).value(), 0u);
  FileBlockSource empty = Open("");
  EXPECT_EQ(empty.ReadAt(0, block).value(), 0u);
}

TEST_F(FileSourceTest, GrowthAfterOpenIsNotServed) {
  FileBlockSource source = Open("abcd");
  tmp_.Write("f", "abcdefgh");
  std::array<std::byte, 8> block{};
  EXPECT_EQ(source.ReadAt(0, block).value(), 4u);
}

TEST_F(FileSourceTest, ShrinkageUnderATransferIsAnError) {
  FileBlockSource source = Open("abcdefgh");
  ASSERT_EQ(::truncate((tmp_ / "f").c_str(), 2), 0);
  std::array<std::byte, 4> block{};
  auto result = source.ReadAt(0, block);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), transfer::StorageError::kIo);
}

TEST_F(FileSourceTest, UnreadableDescriptorIsAnError) {
  tmp_.Write("w", "abc");
  UniqueFd fd(::open((tmp_ / "w").c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  FileBlockSource source(std::move(fd), 3);
  std::array<std::byte, 4> block{};
  EXPECT_EQ(source.ReadAt(0, block).error(), transfer::StorageError::kIo);
}

}  // namespace
}  // namespace stampede::server
