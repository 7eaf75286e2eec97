// VerifyingSink and ReferenceFile: every byte compared with the reference, sizes checked at
// commit, and clear reasons for each failure.
#include "swarm/verifying_sink.h"

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "swarm/reference_file.h"

namespace stampede::swarm {
namespace {

std::vector<std::byte> Bytes(const std::string& text) {
  std::vector<std::byte> out;
  for (const char c : text) out.push_back(static_cast<std::byte>(c));
  return out;
}

TEST(VerifyingSinkTest, MatchingContentCommits) {
  const auto ref_bytes = Bytes("hello world");
  const auto reference = ReferenceFile::FromBytes(ref_bytes);
  VerifyingSink sink(&reference);
  ASSERT_TRUE(sink.WriteAt(0, Bytes("hello ")));
  ASSERT_TRUE(sink.WriteAt(6, Bytes("world")));
  ASSERT_TRUE(sink.Commit(11));
  EXPECT_TRUE(sink.committed());
  EXPECT_EQ(sink.size_bytes(), 11u);
  EXPECT_FALSE(sink.mismatch());
}

TEST(VerifyingSinkTest, DifferentByteFailsWithItsOffset) {
  const auto ref_bytes = Bytes("hello world");
  const auto reference = ReferenceFile::FromBytes(ref_bytes);
  VerifyingSink sink(&reference);
  ASSERT_TRUE(sink.WriteAt(0, Bytes("hello ")));
  EXPECT_FALSE(sink.WriteAt(6, Bytes("wOrld")));
  ASSERT_TRUE(sink.mismatch());
  EXPECT_EQ(*sink.mismatch(), "content differs at byte 7");
  EXPECT_FALSE(sink.WriteAt(11, Bytes("x")));  // stays failed
}

TEST(VerifyingSinkTest, LongerOrShorterThanReferenceFails) {
  const auto ref_bytes = Bytes("abc");
  const auto reference = ReferenceFile::FromBytes(ref_bytes);
  VerifyingSink longer(&reference);
  EXPECT_FALSE(longer.WriteAt(0, Bytes("abcd")));
  EXPECT_EQ(*longer.mismatch(), "more than the reference's 3 bytes");
  VerifyingSink shorter(&reference);
  ASSERT_TRUE(shorter.WriteAt(0, Bytes("ab")));
  EXPECT_FALSE(shorter.Commit(2));
  EXPECT_EQ(*shorter.mismatch(), "2 bytes, the reference has 3");
}

TEST(VerifyingSinkTest, WithoutReferenceCountsOnly) {
  VerifyingSink sink(nullptr);
  ASSERT_TRUE(sink.WriteAt(0, Bytes("anything")));
  ASSERT_TRUE(sink.Commit(8));
  EXPECT_EQ(sink.size_bytes(), 8u);
}

TEST(ReferenceFileTest, MapsFileAndRefusesMissingOrDirectory) {
  char path[] = "/tmp/stampede_reference_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "0123456789", 10), 10);
  close(fd);
  auto file = ReferenceFile::Open(path);
  ASSERT_TRUE(file) << file.error();
  ASSERT_EQ(file->bytes().size(), 10u);
  EXPECT_EQ(static_cast<char>(file->bytes()[9]), '9');
  ReferenceFile moved = std::move(*file);
  EXPECT_EQ(moved.bytes().size(), 10u);
  unlink(path);

  auto missing = ReferenceFile::Open("/nonexistent/stampede/file");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
  auto directory = ReferenceFile::Open("/tmp");
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace stampede::swarm
