// BlockCache: readers of one file share chunks (the file is read once), blocks straddling chunks,
// the memory bound with LRU eviction and reads around a full cache, and the rule for files changed
// under a transfer: replaced by rename, the transfer keeps the old bytes; changed in place or
// truncated, the transfer fails rather than mix old and new bytes. Reads recycle the pool's chunks.
#include "server/block_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/file_source.h"
#include "server/temp_dir.h"
#include "server/unique_fd.h"

namespace stampede::server {
namespace {

using testing::TempDir;

std::string Pattern(std::size_t size, char salt) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(salt)) % 26);
  return s;
}

class BlockCacheTest : public ::testing::Test {
 protected:
  struct Opened {
    UniqueFd fd;
    FileIdentity id;
  };
  Opened Open(const std::string& name) {
    UniqueFd fd(::open((tmp_ / name).c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid());
    struct stat st {};
    EXPECT_EQ(::fstat(fd.get(), &st), 0);
    return {std::move(fd), FileIdentity::Of(st)};
  }
  // Reads the whole file through `reader` in blocks of `block` bytes.
  static tl::expected<std::string, transfer::StorageError> ReadAll(BlockCache::Reader& reader,
                                                                   std::size_t block) {
    std::string out;
    std::vector<std::byte> buf(block);
    for (std::uint64_t offset = 0;; offset += block) {
      auto n = reader.ReadAt(offset, buf);
      if (!n) return tl::unexpected(n.error());
      out.append(reinterpret_cast<const char*>(buf.data()), *n);
      if (*n < block) return out;
    }
  }
  // Rewrites `name` in place (same inode), keeping its size, with a timestamp that differs.
  void RewriteInPlace(const std::string& name, const std::string& content) {
    const int fd = ::open((tmp_ / name).c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, content.data(), content.size(), 0),
              static_cast<ssize_t>(content.size()));
    const timespec later[2] = {{0, UTIME_OMIT}, {2'000'000'000, 0}};
    ASSERT_EQ(::futimens(fd, later), 0);  // a coarse clock could leave mtime unchanged
    ::close(fd);
  }
  TempDir tmp_;
};

TEST_F(BlockCacheTest, ReadersOfOneFileReadItOnce) {
  const std::string content = Pattern(1000, 1);  // 63 chunks of 16 bytes, the last short
  tmp_.Write("initrd", content);
  BlockCache cache({/*capacity_bytes=*/4096, /*chunk_bytes=*/16});
  std::vector<Opened> files;
  std::vector<BlockCache::Reader> readers;
  for (int i = 0; i < 5; ++i) {
    files.push_back(Open("initrd"));
    readers.push_back(cache.Open(files.back().fd.get(), files.back().id));
  }
  EXPECT_EQ(cache.files(), 1u);
  for (auto& reader : readers) {
    auto got = ReadAll(reader, 10);  // blocks of 10 straddle the 16-byte chunks
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, content);
  }
  EXPECT_EQ(cache.stats().chunk_fills, 63u);
  EXPECT_GT(cache.stats().chunk_hits, 4u * 63u - 1);
  EXPECT_EQ(cache.stats().bypass_reads, 0u);
  readers.clear();
  // Kept after the last reader: a later client of the same file still hits.
  EXPECT_EQ(cache.files(), 1u);
  auto again = Open("initrd");
  BlockCache::Reader late = cache.Open(again.fd.get(), again.id);
  ASSERT_TRUE(ReadAll(late, 100));
  EXPECT_EQ(cache.stats().chunk_fills, 63u);
}

TEST_F(BlockCacheTest, StaysWithinItsBoundAndReadsAroundAFullCache) {
  const std::string content = Pattern(640, 2);  // 10 chunks of 64
  tmp_.Write("big", content);
  BlockCache cache({/*capacity_bytes=*/128, /*chunk_bytes=*/64});  // two chunks
  auto a = Open("big");
  BlockCache::Reader ra = cache.Open(a.fd.get(), a.id);
  auto got = ReadAll(ra, 48);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, content);
  EXPECT_LE(cache.stats().chunks_allocated, 2u);
  EXPECT_GE(cache.stats().evictions, 8u);

  // Three readers on three different chunks with room for two: one reads around the cache.
  auto b = Open("big");
  auto c = Open("big");
  BlockCache::Reader rb = cache.Open(b.fd.get(), b.id);
  BlockCache::Reader rc = cache.Open(c.fd.get(), c.id);
  std::array<std::byte, 8> block{};
  ASSERT_TRUE(ra.ReadAt(0, block));
  ASSERT_TRUE(rb.ReadAt(64, block));
  auto around = rc.ReadAt(200, block);
  ASSERT_TRUE(around);
  ASSERT_EQ(*around, 8u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(block.data()), 8), content.substr(200, 8));
  EXPECT_GE(cache.stats().bypass_reads, 1u);
  EXPECT_LE(cache.stats().chunks_allocated, 2u);
}

TEST_F(BlockCacheTest, ReplacedByRenameTheTransferKeepsTheOldBytes) {
  const std::string old_content = Pattern(300, 3);
  const std::string new_content = Pattern(300, 4);
  tmp_.Write("kernel", old_content);
  BlockCache cache({4096, 32});
  auto before = Open("kernel");
  BlockCache::Reader old_reader = cache.Open(before.fd.get(), before.id);
  std::array<std::byte, 10> block{};
  ASSERT_TRUE(old_reader.ReadAt(0, block));
  tmp_.Write("kernel.new", new_content);
  ASSERT_EQ(std::rename((tmp_ / "kernel.new").c_str(), (tmp_ / "kernel").c_str()), 0);
  auto after = Open("kernel");
  EXPECT_FALSE(after.id == before.id);
  BlockCache::Reader new_reader = cache.Open(after.fd.get(), after.id);
  EXPECT_EQ(cache.files(), 2u);
  auto old_bytes = ReadAll(old_reader, 10);
  auto new_bytes = ReadAll(new_reader, 10);
  ASSERT_TRUE(old_bytes);
  ASSERT_TRUE(new_bytes);
  EXPECT_EQ(*old_bytes, old_content);
  EXPECT_EQ(*new_bytes, new_content);
}

TEST_F(BlockCacheTest, ChangedInPlaceTheTransferFailsInsteadOfMixing) {
  const std::string content = Pattern(256, 5);
  tmp_.Write("pxelinux.0", content);
  BlockCache cache({4096, 64});
  auto f = Open("pxelinux.0");
  BlockCache::Reader reader = cache.Open(f.fd.get(), f.id);
  std::array<std::byte, 64> block{};
  ASSERT_TRUE(reader.ReadAt(0, block));  // chunk 0 holds the old bytes
  RewriteInPlace("pxelinux.0", Pattern(256, 6));
  auto old_chunk = reader.ReadAt(0, block);  // already cached: still the old, consistent bytes
  ASSERT_TRUE(old_chunk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(block.data()), 64), content.substr(0, 64));
  auto next = reader.ReadAt(64, block);  // would be new bytes: refused
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), transfer::StorageError::kIo);
  EXPECT_EQ(cache.stats().changed_files, 1u);
  // A transfer that starts now sees the new file whole.
  auto g = Open("pxelinux.0");
  BlockCache::Reader fresh = cache.Open(g.fd.get(), g.id);
  auto whole = ReadAll(fresh, 64);
  ASSERT_TRUE(whole);
  EXPECT_EQ(*whole, Pattern(256, 6));
}

TEST_F(BlockCacheTest, TruncatedUnderATransferIsAnErrorNotACrash) {
  tmp_.Write("initrd", Pattern(4096, 7));
  BlockCache cache({1 << 16, 1024});
  auto f = Open("initrd");
  BlockCache::Reader reader = cache.Open(f.fd.get(), f.id);
  std::array<std::byte, 512> block{};
  ASSERT_TRUE(reader.ReadAt(0, block));
  ASSERT_EQ(::truncate((tmp_ / "initrd").c_str(), 100), 0);
  auto r = reader.ReadAt(2048, block);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), transfer::StorageError::kIo);
}

TEST_F(BlockCacheTest, FileSourceReadsThroughTheCache) {
  const std::string content = Pattern(5000, 8);
  tmp_.Write("f", content);
  BlockCache cache({1 << 16, 1024});
  auto f = Open("f");
  FileBlockSource source(std::move(f.fd), content.size(), cache);
  EXPECT_TRUE(source.cached());
  std::array<std::byte, 1468> block{};
  auto n = source.ReadAt(1468, block);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(block.data()), *n), content.substr(1468, 1468));
  EXPECT_EQ(cache.stats().chunk_fills, 2u);  // bytes 1468..2935 span chunks 1 and 2
  // A size that no longer matches the file: not cached, the plain rules apply.
  auto g = Open("f");
  FileBlockSource stale(std::move(g.fd), content.size() + 1, cache);
  EXPECT_FALSE(stale.cached());
}

TEST_F(BlockCacheTest, EvictionRecyclesThePool) {
  const std::string content = Pattern(64 * 1024, 9);
  tmp_.Write("f", content);
  BlockCache cache({8 * 1024, 4 * 1024});  // two chunks for a file of 16: evicts all the time
  auto f = Open("f");
  BlockCache::Reader reader = cache.Open(f.fd.get(), f.id);
  for (int round = 0; round < 20; ++round) {
    auto got = ReadAll(reader, 1468);
    ASSERT_TRUE(got);
    ASSERT_EQ(*got, content);
  }
  EXPECT_EQ(cache.stats().chunks_allocated, 2u);
  EXPECT_GE(cache.stats().evictions, 20u * 16u - 2u);
}

}  // namespace
}  // namespace stampede::server
