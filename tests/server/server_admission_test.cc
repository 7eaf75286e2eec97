// --admission-queue (server_admission.cc): past --max-sessions a request waits for a free slot and
// starts when one frees, instead of being refused; when the queue is full the server refuses as
// before. Loopback only.
#include <gtest/gtest.h>

#include "server/server_test_harness.h"

namespace stampede::server::testing {
namespace {

TEST(ServerAdmissionTest, WaitingRequestStartsWhenASlotFrees) {
  TempDir root;
  const std::string content = Content(50000);
  root.Write("f", content);
  ServerConfig config = TestConfig(root.path());
  config.sessions_max = 1;
  config.admission_queue_max = 4;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient first;
  first.Send(Rrq("f"), h.address());
  ASSERT_TRUE(first.Receive());  // DATA 1; never acknowledged: the session gives up by itself
  // Held while the first session lives (its repeats of the request add nothing), then served.
  const ClientResult second = Fetch(h.address(), "f");
  EXPECT_EQ(second.status, transfer::TransferStatus::kComplete);
  EXPECT_EQ(second.content, content);
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().refused_busy, 0u);
  EXPECT_EQ(h.server().metrics().admission_started, 1u);
  EXPECT_EQ(h.server().metrics().admission_waiting, 0u);
}

TEST(ServerAdmissionTest, FullQueueRefusesWithServerBusy) {
  TempDir root;
  root.Write("f", Content(5000));
  ServerConfig config = TestConfig(root.path());
  config.sessions_max = 1;
  config.admission_queue_max = 1;
  ServerHarness h(config);
  ASSERT_TRUE(h.ok());
  RawClient first;
  first.Send(Rrq("f"), h.address());
  ASSERT_TRUE(first.Receive());
  RawClient waiting;
  waiting.Send(Rrq("f"), h.address());  // takes the one place in the queue, unanswered
  RawClient third;
  third.Send(Rrq("f"), h.address());
  EXPECT_TRUE(IsError(third.Receive(), 0));
  h.StopAndJoin();
  EXPECT_EQ(h.server().metrics().refused_busy, 1u);
}

}  // namespace
}  // namespace stampede::server::testing
