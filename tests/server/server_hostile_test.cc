// Hostile input on the running server's listening port: framing (PROTOCOL A1-A6), request syntax
// (B7-B15), paths through the policy's resolver (D27, D28, D32, D35, D36), privileged source
// ports (G61). Each gets the right ERROR or silence, and the server keeps serving.
#include <string>

#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

class ServerHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.Write("vmlinux", Content(700));
    root_.Write("boot/pxelinux.0", Content(100));
    root_.MakeDir("dir");
    harness_ = std::make_unique<ServerHarness>(TestConfig(root_.path()));
    ASSERT_TRUE(harness_->ok());
  }
  // Sends `datagram` from a fresh port and returns the first reply, if any.
  std::optional<Received> Ask(const std::string& datagram, Duration wait = 300ms) {
    RawClient raw;
    raw.Send(datagram, harness_->address());
    return raw.Receive(wait);
  }
  // The server still serves a plain download afterwards.
  void ExpectStillServing() {
    auto reply = Ask(Rrq("vmlinux"), 2s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(Opcode(*reply), 3);
  }

  TempDir root_;
  std::unique_ptr<ServerHarness> harness_;
};

TEST_F(ServerHostileTest, FramingA1ToA6) {
  EXPECT_FALSE(Ask(""));                                                  // A1
  EXPECT_FALSE(Ask(std::string("\1", 1)));                                // A2
  EXPECT_FALSE(Ask(std::string("\0\1", 2)));                              // A2
  EXPECT_FALSE(Ask(std::string("\0\1\2", 3)));                            // A2
  EXPECT_TRUE(IsError(Ask(std::string("\0\7foo.txt\0octet\0", 16)), 4));  // A3
  EXPECT_TRUE(IsError(Ask(std::string("\0\0foo.txt\0octet\0", 16)), 4));  // A3
  EXPECT_FALSE(Ask(Ack(1)));                                              // A4
  EXPECT_FALSE(Ask(DataPacket(1, "abc")));                                // A4
  EXPECT_FALSE(
      Ask(std::string("\0\6blksize\0"
                      "512\0",
                      14)));                         // A4
  EXPECT_FALSE(Ask(std::string("\0\5\0\0x\0", 6)));  // A5
  std::string big = Rrq("vmlinux", Opt("x", std::string(600, 'a')));
  EXPECT_TRUE(IsError(Ask(big), 4));  // A6
  ExpectStillServing();
  harness_->StopAndJoin();
  const ServerMetrics& m = harness_->server().metrics();
  EXPECT_GE(m.dropped_malformed, 4u);
  EXPECT_GE(m.dropped_no_session, 4u);
}

TEST_F(ServerHostileTest, RequestSyntaxB7ToB15) {
  EXPECT_TRUE(IsError(Ask(std::string("\0\1foo", 5)), 4));          // B7
  EXPECT_TRUE(IsError(Ask(std::string("\0\1foo\0", 6)), 4));        // B8
  EXPECT_TRUE(IsError(Ask(std::string("\0\1foo\0octet", 11)), 4));  // B9
  EXPECT_TRUE(IsError(Ask(Rrq("")), 4));                            // B10
  auto netascii = Ask(Rrq("vmlinux", "", "NetAscii"));              // B11
  ASSERT_TRUE(netascii);
  EXPECT_EQ(Opcode(*netascii), 3);
  auto octet = Ask(Rrq("vmlinux", "", "OCTET"));
  ASSERT_TRUE(octet);
  EXPECT_EQ(Opcode(*octet), 3);
  for (const char* mode : {"mail", "binary", "ascii", "en_US.UTF-8", "netascXX"}) {
    EXPECT_TRUE(IsError(Ask(Rrq("vmlinux", "", mode)), 4)) << mode;  // B12
  }
  std::string padded = Rrq("vmlinux");  // B13: fixed 516-byte request with junk
  while (padded.size() < 516) padded.push_back(static_cast<char>(0xA5));
  auto served = Ask(padded);
  ASSERT_TRUE(served);
  EXPECT_EQ(Opcode(*served), 3);
  auto lone_name = Ask(Rrq("vmlinux", std::string("blksize\0", 8)));  // B14
  ASSERT_TRUE(lone_name);
  EXPECT_EQ(Opcode(*lone_name), 3);
  EXPECT_EQ(lone_name->bytes.size(), 516u);  // defaults: 512-byte blocks, no OACK
  auto no_nul = Ask(Rrq("vmlinux", std::string("blksize\0"
                                               "1428",
                                               12)));  // B15
  ASSERT_TRUE(no_nul);
  EXPECT_EQ(Opcode(*no_nul), 3);
  EXPECT_EQ(no_nul->bytes.size(), 516u);
  ExpectStillServing();
}

TEST_F(ServerHostileTest, PathsThroughResolver) {
  EXPECT_TRUE(IsError(Ask(Rrq("../etc/passwd")), 2));         // D27
  EXPECT_TRUE(IsError(Ask(Rrq("boot/../../x")), 2));          // D27
  EXPECT_TRUE(IsError(Ask(Rrq("/etc/passwd")), 2));           // D28
  auto inside = Ask(Rrq(root_.path() + "/boot/pxelinux.0"));  // D28: absolute inside the root
  ASSERT_TRUE(inside);
  EXPECT_EQ(Opcode(*inside), 3);
  EXPECT_TRUE(IsError(Ask(Rrq("a\x01"
                              "b")),
                      2));                         // D32
  EXPECT_TRUE(IsError(Ask(Rrq("a\x1b[31m")), 2));  // D32
  EXPECT_TRUE(IsError(Ask(Rrq("%n%n%s%x")), 1));   // D33: literal, missing
  EXPECT_TRUE(IsError(Ask(Rrq("dir")), 2));        // D35
  EXPECT_TRUE(IsError(Ask(Rrq("missing")), 1));    // D36
  ExpectStillServing();
}

TEST_F(ServerHostileTest, WriteRefusedWithoutUploads) {
  EXPECT_TRUE(IsError(Ask(Wrq("new.bin")), 2));
}

TEST_F(ServerHostileTest, PrivilegedSourcePortDropped) {
  RawClient privileged(io::Address::Ipv4Loopback(1019));
  if (!privileged.ok()) GTEST_SKIP() << "binding port 1019 needs CAP_NET_BIND_SERVICE";
  privileged.Send(Rrq("vmlinux"), harness_->address());  // G61
  EXPECT_FALSE(privileged.Receive(300ms));
  harness_->StopAndJoin();
  EXPECT_EQ(harness_->server().metrics().dropped_privileged_port, 1u);
}

TEST_F(ServerHostileTest, ErrorRepliesAreRateLimitedPerSource) {
  RawClient raw;
  for (int i = 0; i < 100; ++i) raw.Send(Rrq("missing"), harness_->address());
  std::size_t errors = 0;
  while (auto r = raw.Receive(200ms)) errors += Opcode(*r) == 5 ? 1u : 0u;
  EXPECT_GE(errors, 1u);
  EXPECT_LT(errors, 100u);
  harness_->StopAndJoin();
  EXPECT_GT(harness_->server().metrics().errors_rate_limited, 0u);
}

}  // namespace
}  // namespace stampede::server::testing
