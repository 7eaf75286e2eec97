// Files that change while the server sends them (docs/io.md, "The block cache"): a file replaced
// by rename is finished with its old bytes; a file rewritten in place ends the transfer with an
// ERROR instead of delivering old and new bytes mixed; transfers that start afterwards get the
// new file whole.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

constexpr std::size_t kBlock = 1024;
constexpr std::size_t kSize = 600 * 1024;  // three 256 KiB chunks of the block cache

// Lock-step download by hand of `name` at blksize 1024, calling `midway` after the first DATA.
// Returns the bytes received and whether an ERROR ended it.
struct HandFetch {
  std::string bytes;
  bool error = false;
  bool complete = false;
};

template <typename Midway>
HandFetch FetchWithPause(const io::Address& server, const std::string& name, Midway midway) {
  HandFetch out;
  RawClient raw;
  raw.Send(Rrq(name, Opt("blksize", std::to_string(kBlock))), server);
  auto oack = raw.Receive();
  if (!oack || Opcode(*oack) != 6) return out;
  const io::Address tid = oack->from;
  raw.Send(Ack(0), tid);
  std::uint16_t expected = 1;
  while (auto r = raw.Receive()) {
    if (Opcode(*r) == 5) {
      out.error = true;
      return out;
    }
    if (Opcode(*r) != 3 || Field(*r) != expected) continue;
    out.bytes.append(Text(r->bytes).substr(4));
    raw.Send(Ack(expected), tid);
    if (expected == 1) midway();
    if (r->bytes.size() < kBlock + 4) {
      out.complete = true;
      return out;
    }
    ++expected;
  }
  return out;
}

TEST(ServerChangedFileTest, RewrittenInPlaceEndsTheTransferWithAnError) {
  TempDir root;
  const std::string old_content = Content(kSize, 1);
  const std::string new_content = Content(kSize, 2);
  root.Write("initrd", old_content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  const HandFetch got = FetchWithPause(h.address(), "initrd", [&] {
    const int fd = ::open((root / "initrd").c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, new_content.data(), new_content.size(), 0),
              static_cast<ssize_t>(new_content.size()));
    const timespec later[2] = {{0, UTIME_OMIT}, {4'000'000'000, 0}};  // whatever the clock's grain
    ASSERT_EQ(::futimens(fd, later), 0);
    ::close(fd);
  });
  EXPECT_TRUE(got.error);
  EXPECT_FALSE(got.complete);
  EXPECT_LT(got.bytes.size(), kSize);
  EXPECT_TRUE(got.bytes == old_content.substr(0, got.bytes.size()));  // never a new byte
  // A transfer that starts now gets the new file whole.
  const ClientResult again = Fetch(h.address(), "initrd");
  EXPECT_EQ(again.status, transfer::TransferStatus::kComplete);
  EXPECT_TRUE(again.content == new_content);
}

TEST(ServerChangedFileTest, ReplacedByRenameIsFinishedWithTheOldBytes) {
  TempDir root;
  const std::string old_content = Content(kSize, 3);
  const std::string new_content = Content(kSize, 4);
  root.Write("initrd", old_content);
  ServerHarness h(TestConfig(root.path()));
  ASSERT_TRUE(h.ok());
  const HandFetch got = FetchWithPause(h.address(), "initrd", [&] {
    root.Write("initrd.new", new_content);
    ASSERT_EQ(std::rename((root / "initrd.new").c_str(), (root / "initrd").c_str()), 0);
  });
  EXPECT_FALSE(got.error);
  EXPECT_TRUE(got.complete);
  EXPECT_EQ(got.bytes.size(), old_content.size());
  EXPECT_TRUE(got.bytes == old_content);
  const ClientResult again = Fetch(h.address(), "initrd");
  EXPECT_TRUE(again.content == new_content);
}

}  // namespace
}  // namespace stampede::server::testing
