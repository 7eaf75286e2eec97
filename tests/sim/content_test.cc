// Generated content and its verifying sink (sim/content.h): any offset and length agree with the
// byte function, and the sink catches a wrong, missing, repeated or extra byte.
#include "sim/content.h"

#include <vector>

#include <gtest/gtest.h>

namespace stampede::sim {
namespace {

TEST(Content, FillAgreesWithByteAtAnyAlignment) {
  for (std::uint64_t offset : {0u, 1u, 7u, 8u, 13u, 1000u}) {
    for (std::size_t len : {0u, 1u, 5u, 8u, 9u, 64u, 1468u}) {
      std::vector<std::byte> buf(len);
      FillContent(99, offset, buf);
      for (std::size_t i = 0; i < len; ++i) {
        ASSERT_EQ(buf[i], ContentByte(99, offset + i)) << offset << "+" << i;
      }
    }
  }
}

TEST(Content, SeedsDiffer) {
  std::vector<std::byte> a(64);
  std::vector<std::byte> b(64);
  FillContent(1, 0, a);
  FillContent(2, 0, b);
  EXPECT_NE(a, b);
}

TEST(GeneratedSource, ShortReadAtTheEnd) {
  GeneratedSource source(5, 1000);
  std::vector<std::byte> buf(512);
  EXPECT_EQ(source.ReadAt(0, buf).value(), 512u);
  EXPECT_EQ(source.ReadAt(512, buf).value(), 488u);
  EXPECT_EQ(source.ReadAt(1000, buf).value(), 0u);
}

std::vector<std::byte> Block(std::uint64_t seed, std::uint64_t offset, std::size_t len) {
  std::vector<std::byte> buf(len);
  FillContent(seed, offset, buf);
  return buf;
}

TEST(VerifyingSink, AcceptsTheRightBytesInOrder) {
  VerifyingSink sink(5, 1000);
  ASSERT_TRUE(sink.WriteAt(0, Block(5, 0, 512)));
  ASSERT_TRUE(sink.WriteAt(512, Block(5, 512, 488)));
  ASSERT_TRUE(sink.Commit(1000));
  EXPECT_TRUE(sink.complete_and_correct());
}

TEST(VerifyingSink, CatchesAFlippedByte) {
  VerifyingSink sink(5, 1000);
  auto block = Block(5, 512, 488);
  block[100] ^= std::byte{1};
  sink.WriteAt(0, Block(5, 0, 512));
  sink.WriteAt(512, block);
  EXPECT_FALSE(sink.ok());
  EXPECT_EQ(sink.first_bad_offset(), 612u);
}

TEST(VerifyingSink, CatchesAGapARepeatAndExtraBytes) {
  VerifyingSink gap(5, 1000);
  gap.WriteAt(512, Block(5, 512, 488));
  EXPECT_FALSE(gap.ok());

  VerifyingSink repeat(5, 1000);
  repeat.WriteAt(0, Block(5, 0, 512));
  repeat.WriteAt(0, Block(5, 0, 512));
  EXPECT_FALSE(repeat.ok());

  VerifyingSink extra(5, 1000);
  extra.WriteAt(0, Block(5, 0, 1001));
  EXPECT_FALSE(extra.ok());

  VerifyingSink short_file(5, 1000);
  short_file.WriteAt(0, Block(5, 0, 512));
  short_file.Commit(512);
  EXPECT_FALSE(short_file.complete_and_correct());
}

TEST(VerifyingSink, WrongSeedIsCaught) {
  VerifyingSink sink(6, 512);
  sink.WriteAt(0, Block(5, 0, 512));
  EXPECT_FALSE(sink.ok());
}

}  // namespace
}  // namespace stampede::sim
