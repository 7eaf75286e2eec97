// Receiver driven by hand: exact packets in, exact packets out. Covers PROTOCOL F51-F53, F56,
// H67, H70-H72, H77 and the once-per-gap ACK of RFC 7440 §4.
#include "transfer/receiver.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pair_harness.h"

namespace stampede::transfer {
namespace {

using testing::Bytes;

std::vector<std::byte> Data(std::uint16_t block, std::size_t size, std::byte fill = std::byte{7}) {
  std::vector<std::byte> payload(size, fill);
  std::vector<std::byte> b(size + 4);
  b.resize(wire::WriteData(b, block, payload));
  return b;
}

std::vector<std::byte> Err(wire::ErrorCode code, std::string_view message) {
  std::vector<std::byte> b(600);
  b.resize(wire::WriteError(b, code, message));
  return b;
}

struct Out {
  std::uint16_t opcode = 0;
  std::uint16_t field = 0;  // block or error code
};

class ReceiverTest : public ::testing::Test {
 protected:
  Receiver MakeServer(std::uint16_t window = 1, std::optional<std::uint64_t> tsize = {},
                      std::uint64_t size_max = UINT64_MAX) {
    ReceiverConfig c;
    c.role = Role::kServer;
    c.options.blksize = 512;
    c.options.windowsize = window;
    c.options.tsize = tsize;
    c.size_max_bytes = size_max;
    return Receiver(c, sink_);
  }
  // An upload whose request carried options: the server answers with an OACK (windowsize 4).
  Receiver MakeServerWithOack() {
    ReceiverConfig c;
    c.role = Role::kServer;
    c.options.blksize = 512;
    c.options.windowsize = 4;
    c.oack = oack_;
    return Receiver(c, sink_);
  }
  Receiver MakeClient(std::optional<CleanDally> clean_dally = {}) {
    ReceiverConfig c;
    c.role = Role::kClient;
    c.request.filename = "pxelinux.0";
    c.clean_dally = clean_dally;
    return Receiver(c, sink_);
  }
  // A client get without options of `blocks` full blocks and a 100-byte final one, each DATA
  // answered 100 us after our ACK; returns the dally: from the final ACK to NextDeadline().
  Duration LockStepGetDally(Receiver& r, std::uint16_t blocks, bool duplicate_once) {
    Drain(r);  // the RRQ
    for (std::uint16_t b = 1; b <= blocks + 1; ++b) {
      now_ += 100us;
      Feed(r, Data(b, b <= blocks ? 512 : 100));
      if (duplicate_once && b == 2) Feed(r, Data(b, 512));
      Drain(r);
    }
    EXPECT_EQ(r.status(), TransferStatus::kComplete);
    return r.NextDeadline() - now_;
  }

  std::vector<Out> Drain(Receiver& r) {
    std::vector<Out> out;
    std::vector<std::byte> buf(600);
    while (auto n = r.PollTransmit(buf, now_)) {
      out.push_back(Out{static_cast<std::uint16_t>(std::to_integer<unsigned>(buf[1])),
                        static_cast<std::uint16_t>((std::to_integer<unsigned>(buf[2]) << 8) |
                                                   std::to_integer<unsigned>(buf[3]))});
    }
    return out;
  }
  void Feed(Receiver& r, const std::vector<std::byte>& p) { r.OnPacket(p, now_); }

  MemoryBlockSink sink_;
  std::vector<wire::Option> oack_ = {wire::Option{"windowsize", "4"}};
  Instant now_ = kInstantZero + 1s;
};

TEST_F(ReceiverTest, ServerAcksZeroThenEachBlock) {
  Receiver r = MakeServer();
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 4);
  EXPECT_EQ(out[0].field, 0);
  Feed(r, Data(1, 512));
  out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 1);
  Feed(r, Data(2, 0));  // zero-length final block (RFC 1350 §6, E48)
  EXPECT_EQ(r.status(), TransferStatus::kComplete);
  EXPECT_FALSE(r.finished());  // dallying
  EXPECT_TRUE(sink_.committed());
  EXPECT_EQ(sink_.bytes().size(), 512u);
}

TEST_F(ReceiverTest, DuplicateDataReAckedAndWrittenOnce) {  // F52
  Receiver r = MakeServer();
  Drain(r);
  Feed(r, Data(1, 512));
  Drain(r);
  for (int i = 0; i < 3; ++i) {
    Feed(r, Data(1, 512));
    auto out = Drain(r);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].field, 1);
  }
  EXPECT_EQ(sink_.writes(), 1u);
  EXPECT_EQ(r.stats().duplicate_data, 3u);
}

TEST_F(ReceiverTest, BlockZeroAndBeyondWindowIgnored) {  // F53, H70
  Receiver r = MakeServer(4);
  Drain(r);
  Feed(r, Data(0, 512));
  Feed(r, Data(5, 512));
  Feed(r, Data(900, 512));
  EXPECT_TRUE(Drain(r).empty());
  EXPECT_EQ(r.stats().out_of_window_data, 3u);
  EXPECT_EQ(sink_.writes(), 0u);
}

TEST_F(ReceiverTest, GapAckedOncePerGap) {  // RFC 7440 §4
  Receiver r = MakeServer(8);
  Drain(r);
  Feed(r, Data(1, 512));
  Feed(r, Data(3, 512));
  Feed(r, Data(4, 512));
  Feed(r, Data(5, 512));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 1);
  EXPECT_EQ(r.stats().gap_acks_sent, 1u);
  Feed(r, Data(2, 512));  // resent window from 2: no ACK until the window ends
  EXPECT_TRUE(Drain(r).empty());
}

TEST_F(ReceiverTest, AcksAtEndOfEachFullWindow) {
  Receiver r = MakeServer(4);
  Drain(r);
  for (std::uint16_t b = 1; b <= 3; ++b) Feed(r, Data(b, 512));
  EXPECT_TRUE(Drain(r).empty());
  Feed(r, Data(4, 512));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 4);
}

TEST_F(ReceiverTest, ServerAbortsOnOversizeData) {  // F51
  Receiver r = MakeServer();
  Drain(r);
  Feed(r, Data(1, 600));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 5);
  EXPECT_EQ(out[0].field, 4);
  EXPECT_EQ(r.status(), TransferStatus::kFailed);
  EXPECT_EQ(sink_.writes(), 0u);
}

TEST_F(ReceiverTest, ClientDiscardsOversizeData) {  // H71, H67
  Receiver r = MakeClient();
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 1);  // RRQ
  Feed(r, Data(1, 1468));
  EXPECT_TRUE(Drain(r).empty());
  EXPECT_EQ(r.status(), TransferStatus::kActive);
  Feed(r, Data(1, 512));  // no OACK: blksize 512
  out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 1);
  Feed(r, Data(2, 1468));
  EXPECT_TRUE(Drain(r).empty());
  EXPECT_EQ(r.stats().oversize_data, 2u);
  EXPECT_EQ(sink_.bytes().size(), 512u);
}

TEST_F(ReceiverTest, DataBlockZeroAtStartIgnoredByClient) {  // H70
  Receiver r = MakeClient();
  Drain(r);
  Feed(r, Data(0, 10));
  EXPECT_TRUE(Drain(r).empty());
  EXPECT_EQ(sink_.writes(), 0u);
}

TEST_F(ReceiverTest, MoreThanTsizeFailsWithError3) {  // H72
  Receiver r = MakeServer(1, 600);
  Drain(r);
  Feed(r, Data(1, 512));
  Drain(r);
  Feed(r, Data(2, 512));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 5);
  EXPECT_EQ(out[0].field, 3);
  EXPECT_EQ(r.status(), TransferStatus::kFailed);
  EXPECT_EQ(sink_.bytes().size(), 512u);
}

TEST_F(ReceiverTest, FinalBlockShortOfTsizeFailsAndNeverCommits) {
  Receiver r = MakeServer(1, 1100);
  Drain(r);
  Feed(r, Data(1, 512));
  Drain(r);
  Feed(r, Data(2, 100));  // 612 bytes of an announced 1100
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 5);
  EXPECT_EQ(out[0].field, 0);
  EXPECT_EQ(r.status(), TransferStatus::kFailed);
  EXPECT_FALSE(sink_.committed());
}

TEST_F(ReceiverTest, FinalBlockMatchingTsizeCompletes) {
  Receiver r = MakeServer(1, 612);
  Drain(r);
  Feed(r, Data(1, 512));
  Drain(r);
  Feed(r, Data(2, 100));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 4);
  EXPECT_EQ(r.status(), TransferStatus::kComplete);
  EXPECT_TRUE(sink_.committed());
}

TEST_F(ReceiverTest, MoreThanConfiguredMaximumFailsWithError3) {  // F56
  Receiver r = MakeServer(1, {}, 1000);
  Drain(r);
  Feed(r, Data(1, 512));
  Drain(r);
  Feed(r, Data(2, 512));
  auto out = Drain(r);
  ASSERT_EQ(out.back().opcode, 5);
  EXPECT_EQ(out.back().field, 3);
}

TEST_F(ReceiverTest, SinkFullFailsWithError3) {  // F56
  MemoryBlockSink small(100);
  ReceiverConfig c;
  c.role = Role::kServer;
  Receiver r(c, small);
  Drain(r);
  Feed(r, Data(1, 512));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 5);
  EXPECT_EQ(out[0].field, 3);
}

TEST_F(ReceiverTest, DallyReAcksRepeatedFinalDataThenFinishes) {  // E77, RFC 1350 §6
  Receiver r = MakeServer();
  Drain(r);
  Feed(r, Data(1, 100));
  ASSERT_EQ(Drain(r).size(), 1u);
  for (int i = 0; i < 3; ++i) {
    now_ += 1ms;
    Feed(r, Data(1, 100));
    auto out = Drain(r);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].field, 1);
  }
  EXPECT_EQ(sink_.writes(), 1u);
  const Instant end = r.NextDeadline();
  EXPECT_LE(end - now_, RetransmitPolicy{}.dally_max);
  now_ = end;
  r.OnTimer(now_);
  EXPECT_TRUE(r.finished());
  EXPECT_EQ(r.status(), TransferStatus::kComplete);
}

// A client get without any loss dallies briefly (4 x RTO within [20 ms, 500 ms], docs/client.md),
// and still re-ACKs a repeated final DATA during that dally (E77).
TEST_F(ReceiverTest, CleanClientGetDalliesBriefly) {
  Receiver r = MakeClient(CleanDally{});
  const Duration dally = LockStepGetDally(r, 5, false);
  EXPECT_EQ(dally, std::max(CleanDally{}.min, 4 * r.stats().rto_current));
  EXPECT_LE(dally, CleanDally{}.max);
  EXPECT_LT(dally, RetransmitPolicy{}.dally_min);
  now_ += dally / 2;
  Feed(r, Data(6, 100));
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 6);
  EXPECT_FALSE(r.finished());
  now_ = r.NextDeadline();
  r.OnTimer(now_);
  EXPECT_TRUE(r.finished());
  EXPECT_EQ(sink_.bytes().size(), 5u * 512 + 100);
}

// One duplicate DATA is evidence of loss on the path: the full dally (at least dally_min) applies.
TEST_F(ReceiverTest, ClientGetWithLossDalliesFully) {
  Receiver r = MakeClient(CleanDally{});
  EXPECT_GE(LockStepGetDally(r, 5, true), RetransmitPolicy{}.dally_min);
}

// A long get with one timeout in 2000 blocks (the server was late) keeps the short dally: one
// sign of loss per 1000 blocks is allowed.
TEST_F(ReceiverTest, OneTimeoutInALongGetKeepsTheShortDally) {
  Receiver r = MakeClient(CleanDally{});
  Drain(r);
  for (std::uint16_t b = 1; b <= 2001; ++b) {
    now_ += 100us;
    if (b == 1000) {
      now_ = r.NextDeadline();
      r.OnTimer(now_);  // our re-ACK of 999: the server was only late
      ASSERT_EQ(Drain(r).size(), 1u);
    }
    Feed(r, Data(b, b <= 2000 ? 512 : 100));
    Drain(r);
  }
  ASSERT_EQ(r.status(), TransferStatus::kComplete);
  EXPECT_EQ(r.stats().timeouts, 1u);
  EXPECT_LT(r.NextDeadline() - now_, RetransmitPolicy{}.dally_min);
}

// Without clean_dally (a server taking an upload) the dally is the policy's even without loss.
TEST_F(ReceiverTest, DallyWithoutCleanDallyIsThePolicys) {
  Receiver r = MakeClient();
  EXPECT_GE(LockStepGetDally(r, 5, false), RetransmitPolicy{}.dally_min);
}

// Without options the request and DATA 1 are the first round trip (Karn: sent once), so even a
// one-block file ends on a measured RTO rather than the initial 200 ms.
TEST_F(ReceiverTest, RequestAnsweredByDataOneIsAnRttSample) {
  Receiver r = MakeClient(CleanDally{});
  const Duration dally = LockStepGetDally(r, 0, false);
  EXPECT_EQ(r.stats().rtt_samples, 1u);
  EXPECT_LT(r.stats().rto_current, RetransmitPolicy{}.rto_initial);
  EXPECT_EQ(dally, CleanDally{}.min);
}

// An upload's Receiver used to keep rto_initial (200 ms) until a whole window and its ACK got
// through unharmed: under loss every lost window tail then cost 200 ms or more. Its opening (OACK or
// ACK 0, sent once) and DATA 1 are a round trip, as a get's ACK 0 and DATA 1 are.
TEST_F(ReceiverTest, ServerOpeningAnsweredByDataOneIsAnRttSample) {
  for (const bool oack : {true, false}) {
    const std::vector<wire::Option> options = {wire::Option{"windowsize", "4"}};
    ReceiverConfig c;
    c.role = Role::kServer;
    c.options.blksize = 512;
    c.options.windowsize = 4;
    if (oack) c.oack = options;
    Receiver r(c, sink_);
    ASSERT_EQ(Drain(r).size(), 1u);  // the OACK or ACK 0
    now_ += 100us;
    Feed(r, Data(1, 512));
    EXPECT_EQ(r.stats().rtt_samples, 1u) << oack;
    EXPECT_EQ(r.stats().rto_current, RetransmitPolicy{}.rto_min) << oack;
  }
}

// The OACK was lost once and then DATA 1: DATA 2 (answered with gap ACK 0) still proves the
// client got our OACK, so the upload keeps the verified peer's retry budget instead of failing
// after the unverified one (PROTOCOL §2 item 2 limits what an unverified peer is sent; an upload
// sends it only ACKs and OACKs). It still ends with a clear error if the client goes silent.
TEST_F(ReceiverTest, OutOfOrderDataVerifiesAnUploadingPeer) {
  Receiver r = MakeServerWithOack();
  ASSERT_EQ(Drain(r).size(), 1u);  // the OACK
  now_ += 1ms;
  Feed(r, Data(2, 512));
  ASSERT_EQ(Drain(r).size(), 1u);  // gap ACK 0
  const std::uint32_t unverified = RetransmitPolicy{}.retries_unverified_max;
  for (std::uint32_t i = 0; i <= unverified; ++i) {
    now_ = r.NextDeadline();
    r.OnTimer(now_);
    Drain(r);
  }
  EXPECT_EQ(r.status(), TransferStatus::kActive);
  Feed(r, Data(1, 512));  // the client's resend of DATA 1 finds the session alive
  Feed(r, Data(2, 512));
  Feed(r, Data(3, 512));
  Feed(r, Data(4, 512));
  Drain(r);  // ACK 4 opens the next window
  Feed(r, Data(5, 100));
  EXPECT_EQ(r.status(), TransferStatus::kComplete);
  EXPECT_EQ(sink_.bytes().size(), 4u * 512u + 100u);
}

TEST_F(ReceiverTest, SilentPeerAfterOutOfOrderDataStillTimesOut) {
  Receiver r = MakeServerWithOack();
  Drain(r);
  Feed(r, Data(3, 512));
  Drain(r);
  for (int i = 0; i < 100 && r.status() == TransferStatus::kActive; ++i) {
    now_ = r.NextDeadline();
    r.OnTimer(now_);
    Drain(r);
  }
  EXPECT_EQ(r.status(), TransferStatus::kFailed);
  EXPECT_FALSE(sink_.committed());
}

TEST_F(ReceiverTest, RepeatedServerOpeningIsNotTimed) {  // Karn
  for (const bool oack : {true, false}) {
    const std::vector<wire::Option> options = {wire::Option{"windowsize", "4"}};
    ReceiverConfig c;
    c.role = Role::kServer;
    c.options.windowsize = 4;
    if (oack) c.oack = options;
    Receiver r(c, sink_);
    Drain(r);
    now_ = r.NextDeadline();
    r.OnTimer(now_);
    ASSERT_EQ(Drain(r).size(), 1u);  // the OACK or ACK 0 again
    now_ += 100us;
    Feed(r, Data(1, 512));
    EXPECT_EQ(r.stats().rtt_samples, 0u) << oack;
  }
}

// Backoff is for silence. Kept after progress it only grew (the samples that reset it are rare under
// loss), and a re-ACK timer of seconds stalled every window whose tail was lost.
// The re-ACK timer's backoff outlives plain progress (only a sample resets it): cleared on every
// in-order block, it fired between the blocks a storm's scheduler holds back (bench/loss).
TEST_F(ReceiverTest, InOrderDataKeepsTheReAckBackoffUntilASample) {
  Receiver r = MakeServer();
  Drain(r);  // ACK 0
  now_ += 100us;
  Feed(r, Data(1, 512));  // a sample: RTO at the floor
  ASSERT_EQ(Drain(r).size(), 1u);
  const Duration base = r.stats().rto_current;
  for (int i = 0; i < 3; ++i) {
    now_ = r.NextDeadline();
    r.OnTimer(now_);
    ASSERT_EQ(Drain(r).size(), 1u);  // ACK 1 again
  }
  EXPECT_EQ(r.stats().rto_current, 8 * base);
  now_ += 100us;
  Feed(r, Data(2, 512));  // answers a re-sent ACK: no sample (Karn)
  EXPECT_EQ(r.stats().rto_current, 8 * base);
  Drain(r);
  EXPECT_EQ(r.NextDeadline() - now_, 8 * base);
}

// A window's ACK is re-sent after twice the RTO: if it was lost, the Sender's retransmission timer
// should win, so the Sender never takes our timer for its round trip (sender.cc, Karn).
TEST_F(ReceiverTest, LostWindowAckIsResentAfterTwiceTheRto) {
  Receiver r = MakeServer(4);
  Drain(r);  // ACK 0
  for (std::uint16_t b = 1; b <= 4; ++b) {
    now_ += 100us;
    Feed(r, Data(b, 512));
  }
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 4);
  const Duration rto = r.stats().rto_current;
  EXPECT_EQ(r.NextDeadline() - now_, 2 * rto);
  now_ = r.NextDeadline();
  r.OnTimer(now_);
  out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 4);
  EXPECT_EQ(r.NextDeadline() - now_, 2 * rto);  // then plain backoff
}

// When our window ACK is lost, the Sender's timeout resend of the next block looks like the
// answer to it: the sample (the Sender's RTO) is limited to twice ours, so the two ends' timers
// cannot inflate each other through such samples.
TEST_F(ReceiverTest, LateFirstBlockOfTheNextWindowIsALimitedSample) {
  Receiver r = MakeServer(4);
  Drain(r);  // ACK 0
  for (std::uint16_t b = 1; b <= 4; ++b) {
    now_ += 100us;
    Feed(r, Data(b, 512));
  }
  ASSERT_EQ(Drain(r).size(), 1u);  // ACK 4
  const Duration base = r.stats().rto_current;
  ASSERT_EQ(base, RetransmitPolicy{}.rto_min);
  now_ += 30 * base;
  Feed(r, Data(5, 512));
  EXPECT_EQ(r.stats().rtt_samples, 2u);  // ACK 0 → DATA 1, ACK 4 → DATA 5
  EXPECT_LT(r.stats().rto_current, 3 * base);
}

// After our timer ACKed part of a window, the next block's gap is the Sender's pace (it was not
// waiting for that ACK): the in-window timer then waits twice that, instead of firing before every
// paced block and ACKing each one.
TEST_F(ReceiverTest, GapAfterATimerAckInsideAWindowSetsTheInWindowTimer) {
  Receiver r = MakeServer(4);
  Drain(r);  // ACK 0
  now_ += 100us;
  Feed(r, Data(1, 512));
  now_ += 100us;
  Feed(r, Data(2, 512));
  EXPECT_TRUE(Drain(r).empty());
  now_ = r.NextDeadline();  // the Sender paces slower than our timer
  r.OnTimer(now_);
  auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 2);
  const Instant data_2_at = now_ - RetransmitPolicy{}.rto_min;
  now_ = data_2_at + 8ms;
  Feed(r, Data(3, 512));
  EXPECT_TRUE(Drain(r).empty());
  EXPECT_EQ(r.NextDeadline() - now_, 16ms);  // twice the 8 ms pace, not the 5 ms RTO
}

TEST_F(ReceiverTest, RepeatedRequestIsNotTimed) {  // Karn
  Receiver r = MakeClient(CleanDally{});
  Drain(r);
  now_ = r.NextDeadline();
  r.OnTimer(now_);
  ASSERT_EQ(Drain(r).size(), 1u);  // the RRQ again
  now_ += 100us;
  Feed(r, Data(1, 100));
  Drain(r);
  EXPECT_EQ(r.stats().rtt_samples, 0u);
}

TEST_F(ReceiverTest, PeerErrorFailsAndIsNotAnswered) {  // H76
  Receiver r = MakeClient();
  Drain(r);
  Feed(r, Err(wire::ErrorCode::kFileNotFound, "File not found"));
  EXPECT_TRUE(Drain(r).empty());
  EXPECT_EQ(r.status(), TransferStatus::kFailed);
  EXPECT_EQ(r.stats().error.code, wire::ErrorCode::kFileNotFound);
  EXPECT_EQ(r.stats().error.message(), "File not found");
}

TEST_F(ReceiverTest, RequestRetransmittedOnTimeoutThenGivesUp) {
  Receiver r = MakeClient();
  std::size_t rrqs = Drain(r).size();
  for (int i = 0; i < 20 && !r.finished(); ++i) {
    now_ = r.NextDeadline();
    r.OnTimer(now_);
    rrqs += Drain(r).size();
  }
  EXPECT_EQ(rrqs, 1u + RetransmitPolicy{}.retries_max);
  EXPECT_EQ(r.stats().error.origin, TransferError::Origin::kTimeout);
}

// RFC 7440 §4: the timeout ACK is for a window that stopped arriving. A sender pacing its window
// with gaps longer than our RTO must not draw a partial-window ACK (the sender would restart, and
// a lost partial ACK would shift our window boundary away from the sender's).
TEST_F(ReceiverTest, PacedWindowDrawsNoPartialWindowAck) {
  Receiver r = MakeServer(4);
  EXPECT_EQ(Drain(r).size(), 1u);              // ACK 0
  const Duration rto = r.stats().rto_current;  // no sample yet: rto_initial
  Feed(r, Data(1, 512));
  EXPECT_TRUE(Drain(r).empty());
  now_ += rto * 3 / 4;
  Feed(r, Data(2, 512));  // the gap is now known: 3/4 RTO
  EXPECT_TRUE(Drain(r).empty());
  for (std::uint16_t block = 3; block <= 4; ++block) {
    // 5/4 RTO of silence: the timer (2 x the last gap) has not fired, as a sender still pacing.
    const Instant arrival = now_ + rto * 5 / 4;
    EXPECT_GT(r.NextDeadline(), arrival) << block;
    now_ = arrival;
    r.OnTimer(now_);
    Feed(r, Data(block, 512));
    const auto out = Drain(r);
    if (block < 4) {
      EXPECT_TRUE(out.empty()) << block;
    } else {
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].field, 4);  // one ACK, at the window's end
    }
  }
  EXPECT_EQ(r.stats().timeouts, 0u);
  // A window that stops is still re-ACKed, within 2 x the last gap.
  Feed(r, Data(5, 512));
  EXPECT_LE(r.NextDeadline() - now_, 2 * (rto * 5 / 4));
  now_ = r.NextDeadline();
  r.OnTimer(now_);
  const auto out = Drain(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].field, 5);
}

}  // namespace
}  // namespace stampede::transfer
