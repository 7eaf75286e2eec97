// The server engine applying the file policy it is given: remap rules before resolution (with
// the client address expansion), an `a` rule's own ERROR message, and the upload rules on WRQ
// (C25 declared size, F54 no overwrite, F58 one writer per target).
#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

TEST(ServerPolicyTest, RemapRulesRunBeforeTheResolver) {
  TempDir root;
  root.Write("pxe/7F000001.cfg", "for 127.0.0.1");
  root.Write("rules", "r ^cfg$ pxe/\\x.cfg\na ^secret Not\\ for\\ you\n");
  ServerConfig config = TestConfig(root.path());
  config.remap_file = root / "rules";
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Fetch(h.address(), "cfg").content, "for 127.0.0.1");
  RawClient raw;
  raw.Send(Rrq("secret.txt"), h.address());
  auto refused = raw.Receive();
  ASSERT_TRUE(IsError(refused, 2));
  EXPECT_EQ(Text(std::span(refused->bytes).subspan(4)), std::string("Not for you\0", 12));
}

TEST(ServerPolicyTest, BadRemapFileFailsCreateWithLine) {
  TempDir root;
  root.Write("rules", "r ^a\n");
  ServerConfig config = TestConfig(root.path());
  config.remap_file = root / "rules";
  CapturingLog log;
  auto server = Server::Create(config, log);
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().find(":1:"), std::string::npos) << server.error();
}

class ServerUploadPolicyTest : public ::testing::Test {
 protected:
  void Start(bool overwrite) {
    root_.Write("existing", "keep me");
    ServerConfig config = TestConfig(root_.path());
    config.uploads_enabled = true;
    config.upload.create = true;
    config.upload.overwrite = overwrite;
    config.upload.size_max_bytes = 1000;
    harness_ = std::make_unique<ServerHarness>(config);
    ASSERT_TRUE(harness_->ok());
  }
  std::optional<Received> Ask(const std::string& datagram, RawClient& raw) {
    raw.Send(datagram, harness_->address());
    return raw.Receive(500ms);
  }
  TempDir root_;
  std::unique_ptr<ServerHarness> harness_;
};

TEST_F(ServerUploadPolicyTest, DeclaredSizeAboveCapIsError3BeforeAnyAck) {  // C25
  Start(true);
  RawClient raw;
  EXPECT_TRUE(IsError(Ask(Wrq("big", Opt("tsize", "99999999999")), raw), 3));
  EXPECT_FALSE(std::filesystem::exists(root_ / "big"));
}

TEST_F(ServerUploadPolicyTest, GrowingPastCapFailsAndKeepsTarget) {  // F56
  Start(true);
  const ClientResult r = Put(harness_->address(), "existing", Content(5000));
  EXPECT_EQ(r.status, transfer::TransferStatus::kFailed);
  EXPECT_EQ(r.stats.error.code, wire::ErrorCode::kDiskFull);
  EXPECT_EQ(ReadFile(root_ / "existing"), "keep me");
}

TEST_F(ServerUploadPolicyTest, NoOverwriteIsError6) {  // F54
  Start(false);
  RawClient raw;
  EXPECT_TRUE(IsError(Ask(Wrq("existing"), raw), 6));
  EXPECT_EQ(ReadFile(root_ / "existing"), "keep me");
}

TEST_F(ServerUploadPolicyTest, SecondWriterToSameTargetIsRefused) {  // F58
  Start(true);
  RawClient first;
  auto ack0 = Ask(Wrq("existing"), first);
  ASSERT_TRUE(ack0);
  EXPECT_EQ(Opcode(*ack0), 4);
  RawClient second;
  EXPECT_TRUE(IsError(Ask(Wrq("existing"), second), 2));
}

}  // namespace
}  // namespace stampede::server::testing
