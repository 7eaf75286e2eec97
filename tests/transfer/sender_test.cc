// Sender driven by hand: exact packets in, exact packets out. Covers PROTOCOL E37, E38, E42-E45,
// E47, the retry budgets, damping of restarts, pacing of the effective window.
#include "transfer/sender.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pair_harness.h"
#include "transfer/stray.h"

namespace stampede::transfer {
namespace {

using testing::Bytes;

std::vector<std::byte> Ack(std::uint16_t block) {
  std::vector<std::byte> b(4);
  wire::WriteAck(b, block);
  return b;
}

std::vector<std::byte> Err(wire::ErrorCode code, std::string_view message) {
  std::vector<std::byte> b(600);
  b.resize(wire::WriteError(b, code, message));
  return b;
}

struct Out {
  std::uint16_t opcode = 0;
  std::uint16_t block = 0;
  std::size_t size = 0;
};

class SenderTest : public ::testing::Test {
 protected:
  Sender Make(std::size_t file_bytes, std::uint16_t window = 1, bool oack = false,
              bool adaptive = false) {
    file_ = Bytes(file_bytes);
    source_ = std::make_unique<MemoryBlockSource>(file_);
    SenderConfig c;
    c.role = Role::kServer;
    c.options.blksize = 512;
    c.options.windowsize = window;
    c.window.adaptive = adaptive;
    oack_options_ = {wire::Option{"blksize", "512"}};
    if (oack) c.oack = oack_options_;
    return Sender(c, *source_);
  }

  std::vector<Out> Drain(Sender& s) {
    std::vector<Out> out;
    std::vector<std::byte> buf(70000);
    while (auto n = s.PollTransmit(buf, now_)) {
      Out o;
      o.opcode = static_cast<std::uint16_t>(std::to_integer<unsigned>(buf[1]));
      o.block = static_cast<std::uint16_t>((std::to_integer<unsigned>(buf[2]) << 8) |
                                           std::to_integer<unsigned>(buf[3]));
      o.size = *n;
      out.push_back(o);
    }
    return out;
  }

  void Feed(Sender& s, const std::vector<std::byte>& packet) { s.OnPacket(packet, now_); }
  void Expire(Sender& s) {
    now_ = s.NextDeadline();
    s.OnTimer(now_);
  }

  std::vector<std::byte> file_;
  std::unique_ptr<MemoryBlockSource> source_;
  std::vector<wire::Option> oack_options_;
  Instant now_ = kInstantZero + 1s;
};

TEST_F(SenderTest, LockStepSendsOneBlockPerAck) {
  Sender s = Make(1000);
  auto out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 3);
  EXPECT_EQ(out[0].block, 1);
  EXPECT_EQ(out[0].size, 516u);
  Feed(s, Ack(1));
  out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].block, 2);
  EXPECT_EQ(out[0].size, 4u + 488u);
  Feed(s, Ack(2));
  EXPECT_EQ(s.status(), TransferStatus::kComplete);
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.stats().bytes_transferred, 1000u);
}

// The raw sample is exported for a server-wide scheduler (it reads queueing delay from it).
TEST_F(SenderTest, LatestRttSampleIsTheLastTimedBlock) {
  Sender s = Make(2000);
  EXPECT_EQ(s.stats().rtt_latest, Duration{0});
  Drain(s);
  now_ += 3ms;
  Feed(s, Ack(1));
  EXPECT_EQ(s.stats().rtt_samples, 1u);
  EXPECT_EQ(s.stats().rtt_latest, 3ms);
  Drain(s);
  now_ += 700us;
  Feed(s, Ack(2));
  EXPECT_EQ(s.stats().rtt_samples, 2u);
  EXPECT_EQ(s.stats().rtt_latest, 700us);
}

// Karn's rule holds from the timeout, before the repeated OACK is even polled: a transmit
// scheduler may hold the repeat, and an ACK 0 arriving meanwhile must not yield an RTT of one RTO.
TEST_F(SenderTest, AckZeroAfterOackTimeoutGivesNoSampleEvenBeforeTheRepeatLeaves) {
  Sender s = Make(2000, 1, /*oack=*/true);
  ASSERT_EQ(Drain(s).size(), 1u);  // the OACK
  Expire(s);                       // its timeout; the repeat is not polled yet
  now_ += 1ms;
  Feed(s, Ack(0));
  EXPECT_EQ(s.stats().rtt_samples, 0u);
  const auto out = Drain(s);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().opcode, 3);  // DATA 1 follows
}

// An opening's answer that arrives once the deadline has passed, before the timer was serviced, is
// no sample (Karn from the timeout on). With equal initial RTOs it is typically the peer's timer
// resend of a lost answer: a client's WRQ sent once, the server's OACK lost and resent after
// 200 ms, timed as a 0.2 s round trip on a sub-millisecond path, paced an upload at 10 % loss for
// 66 s. A window's ACK late by a descheduled process is still a sample.
TEST_F(SenderTest, OpeningAnswerAfterTheDeadlineIsNoSampleEvenBeforeTheTimerRuns) {
  Sender s = Make(2000, 1, /*oack=*/true);
  ASSERT_EQ(Drain(s).size(), 1u);  // the OACK
  now_ = s.NextDeadline();         // due, not yet serviced
  Feed(s, Ack(0));
  EXPECT_EQ(s.stats().rtt_samples, 0u);
  const auto out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].block, 1);
  now_ += 1ms;
  Feed(s, Ack(1));
  EXPECT_EQ(s.stats().rtt_samples, 1u);
}

TEST_F(SenderTest, DuplicateAcksNeverTriggerData) {  // E37, RFC 1123 §4.2.3.1
  Sender s = Make(5000);
  Drain(s);
  Feed(s, Ack(1));
  ASSERT_EQ(Drain(s).size(), 1u);
  for (int i = 0; i < 10; ++i) {
    Feed(s, Ack(1));
    EXPECT_TRUE(Drain(s).empty());
  }
  EXPECT_EQ(s.stats().duplicate_acks, 10u);
  EXPECT_EQ(s.stats().sends_caused_by_duplicate_ack, 0u);
  EXPECT_EQ(s.stats().data_sent, 2u);
}

TEST_F(SenderTest, AckOfNeverSentBlockAndAckZeroWithoutOackIgnored) {  // E38
  Sender s = Make(5000);
  Drain(s);
  Feed(s, Ack(0));
  Feed(s, Ack(6));
  EXPECT_TRUE(Drain(s).empty());
  EXPECT_EQ(s.stats().ignored_acks, 2u);
  Feed(s, Ack(1));
  EXPECT_EQ(Drain(s).size(), 1u);
}

TEST_F(SenderTest, OackThenAckZeroStartsData) {
  Sender s = Make(100, 1, true);
  auto out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 6);
  Feed(s, Ack(1));  // not ACK 0: ignored
  EXPECT_TRUE(Drain(s).empty());
  Feed(s, Ack(0));
  out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, 3);
  EXPECT_EQ(out[0].block, 1);
}

TEST_F(SenderTest, ErrorZeroOrEightAfterOackIsProbe) {  // E42
  for (auto code : {wire::ErrorCode::kNotDefined, wire::ErrorCode::kOptionRefused}) {
    Sender s = Make(100, 1, true);
    Drain(s);
    Feed(s, Err(code, "TFTP Aborted"));
    EXPECT_EQ(s.status(), TransferStatus::kProbe);
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(Drain(s).empty());  // never answer an ERROR
  }
}

TEST_F(SenderTest, PeerErrorFailsWithCodeAndTruncatedMessage) {  // E43, E44
  Sender s = Make(5000);
  Drain(s);
  Feed(s, Err(wire::ErrorCode::kDiskFull, std::string(200, 'x')));
  EXPECT_EQ(s.status(), TransferStatus::kFailed);
  EXPECT_EQ(s.stats().error.origin, TransferError::Origin::kPeer);
  EXPECT_EQ(s.stats().error.code, wire::ErrorCode::kDiskFull);
  EXPECT_EQ(s.stats().error.message().size(), 128u);
  EXPECT_TRUE(Drain(s).empty());
}

TEST_F(SenderTest, ErrorBodyTooShortIsHarmless) {  // E43
  Sender s = Make(5000);
  Drain(s);
  const std::vector<std::byte> stub{std::byte{0}, std::byte{5}};
  Feed(s, stub);
  EXPECT_TRUE(Drain(s).empty());
}

TEST_F(SenderTest, SpuriousTimerCallsAreHarmless) {
  Sender s = Make(5000);
  Drain(s);
  for (int i = 0; i < 5; ++i) s.OnTimer(now_);
  EXPECT_TRUE(Drain(s).empty());
  EXPECT_EQ(s.stats().timeouts, 0u);
}

TEST_F(SenderTest, FinalDataNeverAckedEndsCompleteUnconfirmed) {  // E45
  Sender s = Make(700);
  Drain(s);
  Feed(s, Ack(1));
  Drain(s);
  for (int i = 0; i < 20 && !s.finished(); ++i) {
    Expire(s);
    Drain(s);
  }
  EXPECT_EQ(s.status(), TransferStatus::kCompleteUnconfirmed);
  EXPECT_GE(s.stats().data_sent, 2u + RetransmitPolicy{}.retries_max);
  // Exponential backoff from the 5 ms floor reaches the 8 s idle minimum within ~11 timeouts.
  EXPECT_LE(s.stats().data_sent, 20u);
}

TEST_F(SenderTest, UnverifiedPeerGetsSmallRetryBudget) {  // PROTOCOL §2 item 2
  Sender s = Make(5000);
  Drain(s);
  for (int i = 0; i < 20 && !s.finished(); ++i) {
    Expire(s);
    Drain(s);
  }
  EXPECT_EQ(s.status(), TransferStatus::kFailed);
  EXPECT_EQ(s.stats().error.origin, TransferError::Origin::kTimeout);
  EXPECT_EQ(s.stats().data_sent, 1u + RetransmitPolicy{}.retries_unverified_max);
}

TEST_F(SenderTest, GivesUpAfterRetryBudgetWithoutProgress) {
  Sender s = Make(50000);
  Drain(s);
  Feed(s, Ack(1));
  Drain(s);
  const Instant start = now_;
  for (int i = 0; i < 50 && !s.finished(); ++i) {
    Expire(s);
    Drain(s);
  }
  EXPECT_EQ(s.status(), TransferStatus::kFailed);
  EXPECT_GE(s.stats().timeouts, RetransmitPolicy{}.retries_max + 1);
  EXPECT_LE(s.stats().timeouts, 20u);  // backoff reaches the idle minimum in a bounded count
  EXPECT_GE(now_ - start, RetransmitPolicy{}.sender_idle_min);
  EXPECT_LT(now_ - start, 30s);
}

TEST_F(SenderTest, FastPathDoesNotGiveUpBeforeTheIdleMinimum) {
  // A 100 us round trip puts the RTO at its 5 ms floor: seven timeouts in a row pass in well under
  // a second, which alone must not end a transfer whose peer was alive a moment ago.
  Sender s = Make(50000);
  Drain(s);
  now_ += 100us;
  Feed(s, Ack(1));
  Drain(s);
  const Instant start = now_;
  for (int i = 0; i < 200 && !s.finished(); ++i) {
    Expire(s);
    Drain(s);
    if (now_ - start < RetransmitPolicy{}.sender_idle_min) {
      ASSERT_NE(s.status(), TransferStatus::kFailed) << "gave up after " << ToSeconds(now_ - start)
                                                      << " s";
    }
  }
  EXPECT_EQ(s.status(), TransferStatus::kFailed);
  EXPECT_GE(now_ - start, RetransmitPolicy{}.sender_idle_min);
}

TEST_F(SenderTest, SlowButProgressingTransferLives) {
  Sender s = Make(512 * 100);
  Drain(s);
  for (std::uint16_t b = 1; b <= 100; ++b) {
    // ACK each block after one timeout has fired: always one retransmission, never a give-up.
    Expire(s);
    Drain(s);
    now_ += 1ms;
    Feed(s, Ack(b));
    Drain(s);
  }
  Feed(s, Ack(101));
  EXPECT_EQ(s.status(), TransferStatus::kComplete);
  EXPECT_GE(s.stats().timeouts, 100u);
}

TEST_F(SenderTest, WindowRestartsAfterPartialAck) {  // E47, RFC 7440 §4
  Sender s = Make(512 * 40, 4);
  auto out = Drain(s);
  ASSERT_EQ(out.size(), 4u);
  Feed(s, Ack(4));
  out = Drain(s);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].block, 5);
  Feed(s, Ack(5));  // 6..8 lost
  out = Drain(s);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].block, 6);
  EXPECT_EQ(out[3].block, 9);
  EXPECT_EQ(s.stats().window_restarts, 1u);
  EXPECT_EQ(s.stats().data_retransmitted, 3u);
}

// Karn: an ACK of a block first sent after the timeout answers data sent once, so the backoff
// ends. Under loss the timed window end rarely survives a restart, and a backoff kept until its
// sample only grew (seconds for each lost first block of a window, whose gap ACK is a duplicate).
TEST_F(SenderTest, AckOfBlockSentAfterTheTimeoutEndsTheBackoff) {
  Sender s = Make(512 * 40, 4);
  Drain(s);  // 1..4
  now_ += 1ms;
  Feed(s, Ack(4));  // a sample: RTO at the floor
  const Duration base = s.stats().rto_current;
  Drain(s);  // 5..8
  Expire(s);
  Drain(s);  // 5..8 again
  Expire(s);
  ASSERT_EQ(s.stats().timeouts, 2u);
  Drain(s);  // and again
  Feed(s, Ack(8));  // answers blocks that were resent: ambiguous, the backoff stays
  EXPECT_EQ(s.stats().rto_current, 4 * base);
  Drain(s);  // 9..12, sent once
  Feed(s, Ack(10));  // a gap report: no sample (12 is timed), but 10 was sent once
  EXPECT_EQ(s.stats().rto_current, base);
}

// A window's ACK arriving later than twice the RTO in force can only do so while the timer is
// backed off, and is then likely the receiver's re-ACK of a lost ACK: the sample is limited.
TEST_F(SenderTest, LateWindowAckIsALimitedSample) {
  Sender s = Make(512 * 40, 4);
  Drain(s);  // 1..4
  now_ += 1ms;
  Feed(s, Ack(4));
  const Duration base = s.stats().rto_current;  // 5 ms, the floor
  Drain(s);  // 5..8
  Expire(s);
  Drain(s);
  Expire(s);
  Drain(s);
  Feed(s, Ack(8));  // the backoff stays (4 x base)
  Drain(s);  // 9..12; 12 is timed
  now_ += 3 * base;
  Feed(s, Ack(12));
  EXPECT_EQ(s.stats().rtt_latest, 2 * base);
  EXPECT_LT(s.stats().srtt, base);
}

// The heavy tail of windowed uploads at 10 % loss (bench/loss/results.md): with no sample yet (the
// request was repeated, so the opening is not timed) and the timer backed off, the Receiver's
// timer re-ACK of a lost window ACK arrived 0.32 s after the window's last block and became the
// first sample: SRTT 0.32 s on a sub-millisecond path, and with the effective window cut to one
// block by the timeout, one block paced every 0.32 s for most of the transfer. Before any sample
// the RTO is a guess, so an ACK later than it (possible only while backed off) is no sample.
TEST_F(SenderTest, LateWindowAckBeforeAnySampleIsNoSampleAndDoesNotSlowThePacing) {
  Sender s = Make(512 * 100, 16, false, true);
  std::size_t sent = Drain(s).size();
  while (sent < 16) {  // 1..16, paced at rto_min / 4: no sample yet
    Expire(s);
    sent += Drain(s).size();
  }
  Expire(s);  // the window's ACK was lost: W = 1, the RTO backs off from rto_initial
  ASSERT_EQ(s.stats().timeouts, 1u);
  ASSERT_EQ(s.stats().window_blocks, 1);
  const Duration initial = RetransmitPolicy{}.rto_initial;
  ASSERT_EQ(s.stats().rto_current, 2 * initial);
  ASSERT_EQ(Drain(s).size(), 1u);  // block 1 probes the receiver
  now_ += 1ms;
  Feed(s, Ack(16));  // it held the whole window: no sample (the restart cancelled the timing)
  ASSERT_EQ(s.stats().rtt_samples, 0u);
  sent = Drain(s).size();
  while (sent < 16) {  // 17..32, one block per rto_min; 32 is timed
    Expire(s);
    sent += Drain(s).size();
  }
  ASSERT_EQ(s.stats().timeouts, 1u);
  now_ += 320ms;     // before the backed-off timer (400 ms), after the unmeasured RTO (200 ms):
  Feed(s, Ack(32));  // the Receiver's re-ACK of its lost window ACK
  EXPECT_EQ(s.stats().rtt_samples, 0u);
  EXPECT_EQ(s.stats().rto_current, initial);  // the backoff ends (32 was sent once), nothing more
  const auto out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].block, 33);
  // The next block is paced by the stand-in round trip (rto_min), not 0.32 s.
  const Instant first = now_;
  Expire(s);
  ASSERT_EQ(Drain(s).size(), 1u);
  EXPECT_LE(now_ - first, RetransmitPolicy{}.rto_min);
  EXPECT_EQ(s.stats().timeouts, 1u);
}

// The delay signal (WindowPolicy::queue_delay_target_min): a window sample more than the target
// (0.5 ms, or the path's smallest sample if larger) above the smallest sample is treated like an
// ECN mark: the effective window drops by a quarter, without a retransmission.
class SenderDelaySignalTest : public SenderTest {
 protected:
  // Sends the next receiver window of 4 and acknowledges it `rtt` later.
  void Window(Sender& s, Duration rtt) {
    ASSERT_EQ(Drain(s).size(), 4u);
    now_ += rtt;
    Feed(s, Ack(static_cast<std::uint16_t>(s.stats().blocks_transferred + 4)));
  }
};

TEST_F(SenderDelaySignalTest, DelayBelowTheTargetKeepsTheWindow) {
  Sender s = Make(512 * 40, 4, false, true);
  Window(s, 100us);  // the unloaded path: 100 us
  Window(s, 550us);  // 450 us of queue: under the 0.5 ms target
  Window(s, 300us);
  EXPECT_EQ(s.stats().window_blocks, 4);
  EXPECT_EQ(s.stats().timeouts, 0u);
}

TEST_F(SenderDelaySignalTest, DelayAboveTheTargetCutsTheWindowByAQuarter) {
  Sender s = Make(512 * 40, 4, false, true);
  Window(s, 100us);
  ASSERT_EQ(s.stats().window_blocks, 4);
  ASSERT_EQ(Drain(s).size(), 4u);
  now_ += 2ms;  // 1.9 ms above the smallest sample
  Feed(s, Ack(8));
  EXPECT_EQ(s.stats().window_blocks, 3);
  EXPECT_EQ(s.stats().timeouts, 0u);
  EXPECT_EQ(s.stats().data_retransmitted, 0u);
}

TEST_F(SenderDelaySignalTest, DelaySignalIsOffWithTheFixedWindow) {
  Sender s = Make(512 * 40, 4, false, false);
  Window(s, 100us);
  Window(s, 2ms);
  Window(s, 2ms);
  EXPECT_EQ(s.stats().window_blocks, 4);
}

TEST_F(SenderTest, StaleGapAckAfterRestartDoesNotRestartAgain) {  // EDK2 storm damping
  Sender s = Make(512 * 40, 8);
  Drain(s);             // 1..8
  Feed(s, Ack(2));      // gap at 3: restart 3..10
  auto out = Drain(s);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out[0].block, 3);
  Feed(s, Ack(3));      // an older gap report (reordering): progress only
  EXPECT_TRUE(Drain(s).size() <= 1u);  // at most the one new block the window allows
  EXPECT_EQ(s.stats().window_restarts, 1u);
}

TEST_F(SenderTest, AdaptiveWindowPacesTheReceiverWindowWithoutTimeouts) {
  Sender s = Make(512 * 100, 16, false, true);
  EXPECT_EQ(Drain(s).size(), 1u);  // paced: one block, then one per release
  EXPECT_EQ(s.stats().window_blocks, 4);
  // No sample yet: rto_min stands in for the round trip, 4 blocks per round trip.
  const Duration interval = RetransmitPolicy{}.rto_min / 4;
  for (int block = 2; block <= 16; ++block) {
    const Instant before = now_;
    Expire(s);
    EXPECT_EQ(now_ - before, interval) << block;
    const auto out = Drain(s);
    ASSERT_EQ(out.size(), 1u) << block;
    EXPECT_EQ(out[0].block, block);
  }
  EXPECT_EQ(s.stats().timeouts, 0u);
  // The receiver window is out: now the retransmission timer runs, from the last send.
  EXPECT_EQ(s.NextDeadline(), now_ + s.stats().rto_current);
}

// A pace finer than a wake-up (here 16 us / 4 blocks = 4 us) is sent as bursts: the blocks due
// within the pacing quantum (250 us) leave together, so 63 blocks (0, 4, ..., 248 us) go at once,
// and the next wake-up is the next block's own release, 252 us on: the average rate is the pace's.
TEST_F(SenderTest, PacingFinerThanAWakeUpLeavesInQuantumBursts) {
  file_ = Bytes(512 * 300);
  source_ = std::make_unique<MemoryBlockSource>(file_);
  SenderConfig c;
  c.role = Role::kServer;
  c.options.blksize = 512;
  c.options.windowsize = 100;
  c.window.adaptive = true;
  c.retransmit.rto_min = 16us;  // no sample yet: the pacing round trip starts at rto_min
  Sender s(c, *source_);
  const Instant start = now_;
  const auto burst = Drain(s);
  ASSERT_EQ(burst.size(), 63u);
  EXPECT_EQ(burst.back().block, 63);
  EXPECT_EQ(s.NextDeadline() - start, 252us);
  now_ = s.NextDeadline();
  EXPECT_EQ(Drain(s).size(), 37u);  // the rest of the receiver window of 100
  EXPECT_EQ(s.stats().timeouts, 0u);
}

TEST_F(SenderTest, PacingReleaseDueWithTheTimeoutIsNotATimeout) {
  // The old defect: sub-bursts spaced rto_min apart while every send re-armed now + RTO (also
  // rto_min), so the timer fired at each release and restarted the window.
  Sender s = Make(512 * 100, 16, true, true);
  Drain(s);                      // OACK
  now_ += 200us;
  Feed(s, Ack(0));               // opening sample: RTO falls to the rto_min floor
  EXPECT_EQ(s.stats().rto_current, RetransmitPolicy{}.rto_min);
  std::size_t sent = Drain(s).size();
  while (sent < 16) {
    Expire(s);
    sent += Drain(s).size();
  }
  EXPECT_EQ(s.stats().timeouts, 0u);
  EXPECT_EQ(s.stats().data_retransmitted, 0u);
  now_ += 200us;
  Feed(s, Ack(16));
  EXPECT_EQ(s.stats().window_blocks, 8);  // a clean window grows it (slow start)
}

TEST_F(SenderTest, TimeoutRestartsWithOneBlockThatProbesTheReceiver) {  // RFC 5681 §3.1
  Sender s = Make(512 * 100, 16, false, true);
  std::size_t sent = Drain(s).size();
  while (sent < 16) {
    Expire(s);
    sent += Drain(s).size();
  }
  Expire(s);  // the window's ACK never came
  EXPECT_EQ(s.stats().timeouts, 1u);
  EXPECT_EQ(s.stats().window_blocks, 1);
  const auto out = Drain(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].block, 1);
  // The receiver held 1..15 and re-ACKs the duplicate: only block 16 goes again.
  Feed(s, Ack(15));
  const auto resent = Drain(s);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].block, 16);
  EXPECT_EQ(s.stats().data_retransmitted, 2u);
}

TEST_F(SenderTest, GapAckAnsweringTheRestartedStreamRestartsAgain) {  // EDK2 damping, bounded
  Sender s = Make(512 * 40, 8);
  Drain(s);             // 1..8
  Feed(s, Ack(2));      // gap at 3: restart 3..10
  EXPECT_EQ(Drain(s).size(), 8u);
  now_ += 1s;           // long after the restart: block 5 was lost again
  Feed(s, Ack(4));
  const auto out = Drain(s);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].block, 5);
  EXPECT_EQ(s.stats().window_restarts, 2u);
}

TEST_F(SenderTest, RequestTooLongFailsLocallyWithoutSending) {  // H78
  MemoryBlockSource src({});
  SenderConfig c;
  c.role = Role::kClient;
  const std::string name(600, 'a');
  c.request.filename = name;
  Sender s(c, src);
  EXPECT_EQ(s.status(), TransferStatus::kFailed);
  EXPECT_TRUE(Drain(s).empty());
  EXPECT_EQ(s.NextDeadline(), kInstantNever);
}

TEST(Stray, AnswersAnythingButErrorWithError5) {  // E39, H73-74
  std::vector<std::byte> buf(600);
  const std::size_t n = WriteStrayReply(buf);
  ASSERT_GT(n, 4u);
  EXPECT_EQ(std::to_integer<int>(buf[1]), 5);
  EXPECT_EQ(std::to_integer<int>(buf[3]), 5);
  EXPECT_TRUE(ShouldAnswerStray(Ack(1)));
  EXPECT_FALSE(ShouldAnswerStray(Err(wire::ErrorCode::kNotDefined, "x")));
  EXPECT_FALSE(ShouldAnswerStray(std::vector<std::byte>{std::byte{0}}));
}

}  // namespace
}  // namespace stampede::transfer
