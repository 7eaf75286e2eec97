// Windowed transfers under random loss in both directions, as the loss sweep measures them
// (tests/robust/test_loss_sweep.py: 4 MiB, blksize 1428, 10 % of all datagrams dropped each way)
// but on the in-memory link of pair_harness.h: 50 us each way, a seeded loss pattern, virtual time.
// Both roles of each machine: a get (server Sender, client Receiver) and a put (client Sender,
// server Receiver), each opened with an OACK.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "pair_harness.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"

namespace stampede::transfer {
namespace {

using testing::Adapt;
using testing::Bytes;
using testing::Decision;
using testing::Pair;
using testing::Sent;

struct Outcome {
  bool intact = false;
  Duration elapsed{0};
  Stats sender;
  Stats receiver;
};

// `trace`, when set, receives every datagram sent: who sent it, what, when, and whether it was
// dropped (for the probe below). `request_lost`: the client's first request was lost and its timer
// sent it again, so the client cannot time the opening (Karn) while the server, which only saw
// the repeat, can.
Outcome Transfer(bool put, std::uint16_t window, int loss_per_mille, std::uint32_t seed,
                 std::size_t size_bytes = 4 << 20, std::FILE* trace = nullptr,
                 bool request_lost = false) {
  const auto file = Bytes(size_bytes + seed, seed);
  MemoryBlockSource source(file);
  MemoryBlockSink sink;
  const std::string window_text = std::to_string(window);
  std::vector<wire::Option> options = {wire::Option{"blksize", "1428"}};
  if (window > 1) options.push_back(wire::Option{"windowsize", window_text});
  TransferOptions negotiated;
  negotiated.blksize = 1428;
  negotiated.windowsize = window;
  std::unique_ptr<Sender> sender;
  std::unique_ptr<Receiver> receiver;
  Instant start_time = kInstantZero + 1s;
  std::vector<std::byte> lost(1500);
  if (put) {
    SenderConfig sc;
    sc.role = Role::kClient;
    sc.request.filename = "upload";
    sc.request.options = options;
    sender = std::make_unique<Sender>(sc, source);
    if (request_lost) {
      while (sender->PollTransmit(lost, start_time)) {
      }
      start_time = sender->NextDeadline();
      sender->OnTimer(start_time);  // the repeat is sent by the pair below
    }
    ReceiverConfig rc;
    rc.role = Role::kServer;
    rc.options = negotiated;
    rc.oack = options;
    receiver = std::make_unique<Receiver>(rc, sink);
  } else {
    ReceiverConfig rc;
    rc.role = Role::kClient;
    rc.request.filename = "image";
    rc.request.options = options;
    rc.clean_dally = CleanDally{};
    receiver = std::make_unique<Receiver>(rc, sink);
    if (request_lost) {
      while (receiver->PollTransmit(lost, start_time)) {
      }
      start_time = receiver->NextDeadline();
      receiver->OnTimer(start_time);
    }
    SenderConfig sc;
    sc.role = Role::kServer;
    sc.options = negotiated;
    sc.oack = options;
    sender = std::make_unique<Sender>(sc, source);
  }
  // The server machine exists once the request arrived, so the request itself is not delivered.
  Pair pair(Adapt(*sender), Adapt(*receiver), 50us);
  pair.now = start_time;
  std::mt19937 rng(seed);
  pair.filter = [&](const Sent& s) {
    if (s.opcode == 1 || s.opcode == 2) return Decision{0, {}};
    std::uniform_int_distribution<int> per_mille(0, 999);
    const Decision d{per_mille(rng) < loss_per_mille ? 0 : 1, {}};
    if (trace) {
      const char* side = (s.from == 0) == put ? "client" : "server";
      std::fprintf(trace, "%.6f %s %s %u %s\n", ToSeconds(s.at - start_time), side,
                   s.opcode == 3 ? "DATA" : s.opcode == 4 ? "ACK" : "CTL", s.block,
                   d.copies == 0 ? "drop" : "ok");
    }
    return d;
  };
  const Instant start = pair.now;
  Outcome o;
  o.intact = pair.Run(20'000'000) && sink.bytes() == file && sink.committed();
  o.elapsed = pair.now - start;
  o.sender = sender->stats();
  o.receiver = receiver->stats();
  return o;
}

// The sweep's defect: windowsize 16 at 10 % loss was far slower than lock-step (a 4 MiB put did not
// finish in 240 s). Here the old machines took up to 316 s of virtual time (seed 1, get) where
// lock-step takes about 5 s: lost window tails and window ACKs were recovered by timers backed off
// to seconds, and a receiver's late re-ACK, read as a round trip, slowed the pacing to one block
// per 160 ms. Now a window is never slower than lock-step, in either direction.
TEST(LossPattern, WindowsAtTenPercentLossBothWaysBeatLockStep) {
  for (const bool put : {false, true}) {
    for (std::uint32_t seed = 1; seed <= 3; ++seed) {
      const Outcome lock_step = Transfer(put, 1, 100, seed);
      const Outcome windowed = Transfer(put, 16, 100, seed);
      const char* what = put ? "put" : "get";
      ASSERT_TRUE(lock_step.intact) << what << " seed " << seed;
      ASSERT_TRUE(windowed.intact) << what << " seed " << seed;
      EXPECT_LT(windowed.elapsed, lock_step.elapsed) << what << " seed " << seed;
      EXPECT_LT(windowed.elapsed, 5s) << what << " seed " << seed;
      EXPECT_EQ(windowed.sender.sends_caused_by_duplicate_ack, 0u);
      // Go-back-N under 10 % loss resends part of a window per loss, never a storm.
      EXPECT_LT(windowed.sender.data_sent, 2 * lock_step.sender.data_sent) << what << " " << seed;
    }
  }
}

// The heavy tail of windowed uploads at 10 % loss (bench/loss/results.md): when the client's first
// request is lost it cannot time the opening, and a Receiver's timer re-ACK of a lost window ACK,
// 0.2-0.4 s late, became the Sender's first sample: the pacing at one block per such round trip
// (the effective window was one block after a timeout) and an RTO near a second. These two seeds
// took 66.7 and 47.5 s of virtual time for 256 KiB; the median over 1,000 seeds is 1.1 s.
TEST(LossPattern, UploadAfterALostRequestIsNotPacedByAReAck) {
  for (const std::uint32_t seed : {705u, 709u}) {
    const Outcome o = Transfer(true, 16, 100, seed, 256 << 10, nullptr, /*request_lost=*/true);
    ASSERT_TRUE(o.intact) << "seed " << seed;
    EXPECT_LT(o.elapsed, 10s) << "seed " << seed;
    EXPECT_EQ(o.sender.sends_caused_by_duplicate_ack, 0u);
  }
}

// At 1 % loss too (the old machines passed this one).
TEST(LossPattern, WindowsAtOnePercentLossBeatLockStep) {
  for (const bool put : {false, true}) {
    const Outcome lock_step = Transfer(put, 1, 10, 7);
    const Outcome windowed = Transfer(put, 16, 10, 7);
    ASSERT_TRUE(lock_step.intact);
    ASSERT_TRUE(windowed.intact);
    EXPECT_LT(windowed.elapsed, lock_step.elapsed) << (put ? "put" : "get");
  }
}

// At 30 % loss each way (51 % of round trips fail) even lock-step is slow and heavy-tailed, as its
// timer backs off on every failed round trip: 4.5 to 101 s of virtual time for 256 KiB across
// seeds 1-5. Windowsize 16 took 5 to 172 s per transfer, 3.1 (put) and 3.5 (get) times lock-step's
// total: both machines' timers stayed backed off at seconds, the Sender's until a block first sent
// after its timeout was acknowledged (go-back-N rarely got that far before the next timeout), the
// Receiver's until a sample (a clean window), so a lost gap ACK cost the Receiver's 4 s re-ACK.
// Now the windowed total is about half of lock-step's (0.5 put, 0.75 get).
TEST(LossPattern, WindowsAtThirtyPercentLossBothWaysNoSlowerThanLockStep) {
  for (const bool put : {false, true}) {
    Duration lock_step_total{0};
    Duration windowed_total{0};
    for (std::uint32_t seed = 1; seed <= 5; ++seed) {
      const Outcome lock_step = Transfer(put, 1, 300, seed, 256 << 10);
      const Outcome windowed = Transfer(put, 16, 300, seed, 256 << 10);
      const char* what = put ? "put" : "get";
      ASSERT_TRUE(lock_step.intact) << what << " seed " << seed;
      ASSERT_TRUE(windowed.intact) << what << " seed " << seed;
      EXPECT_EQ(windowed.sender.sends_caused_by_duplicate_ack, 0u);
      lock_step_total += lock_step.elapsed;
      windowed_total += windowed.elapsed;
    }
    EXPECT_LT(windowed_total, lock_step_total) << (put ? "put" : "get");
  }
}

// Diagnostic, not run by default (--gtest_also_run_disabled_tests): virtual time, outcome and both
// ends' counters of 4 MiB and 256 KiB transfers at 30 % loss each way, windowsize 1 and 16,
// seeds 1-5. STAMPEDE_LOSS_TRACE=dir writes each run's datagrams to dir/<what>.trace;
// STAMPEDE_LOSS_PER_MILLE=n probes another loss rate.
TEST(LossPattern, DISABLED_ProbeThirtyPercent) {
  const char* trace_dir = std::getenv("STAMPEDE_LOSS_TRACE");
  const char* per_mille_text = std::getenv("STAMPEDE_LOSS_PER_MILLE");
  const int per_mille = per_mille_text ? std::atoi(per_mille_text) : 300;
  const auto print = [](const char* side, const Stats& s) {
    std::printf("    %s: data %llu retx %llu acks %llu (gap %llu) timeouts %llu restarts %llu "
                "dup-acks %llu dup-data %llu ooo %llu samples %llu rto %.4f srtt %.6f win %u %s\n",
                side, static_cast<unsigned long long>(s.data_sent),
                static_cast<unsigned long long>(s.data_retransmitted),
                static_cast<unsigned long long>(s.acks_sent),
                static_cast<unsigned long long>(s.gap_acks_sent),
                static_cast<unsigned long long>(s.timeouts),
                static_cast<unsigned long long>(s.window_restarts),
                static_cast<unsigned long long>(s.duplicate_acks),
                static_cast<unsigned long long>(s.duplicate_data),
                static_cast<unsigned long long>(s.out_of_order_data),
                static_cast<unsigned long long>(s.rtt_samples), ToSeconds(s.rto_current),
                ToSeconds(s.srtt), s.window_blocks, std::string(StatusName(s.status)).c_str());
  };
  for (const std::size_t size : {std::size_t{256} << 10, std::size_t{4} << 20}) {
    for (const bool put : {false, true}) {
      for (const std::uint16_t window : {std::uint16_t{1}, std::uint16_t{16}}) {
        for (std::uint32_t seed = 1; seed <= 5; ++seed) {
          const std::string what = std::string(put ? "put" : "get") + "-" +
                                   std::to_string(size >> 10) + "k-w" + std::to_string(window) +
                                   "-s" + std::to_string(seed);
          std::FILE* trace = nullptr;
          if (trace_dir) {
            trace = std::fopen((std::string(trace_dir) + "/" + what + ".trace").c_str(), "w");
          }
          const Outcome o = Transfer(put, window, per_mille, seed, size, trace);
          if (trace) std::fclose(trace);
          std::printf("%-20s %9.3f s %s\n", what.c_str(), ToSeconds(o.elapsed),
                      o.intact ? "intact" : "FAILED");
          print("sender  ", o.sender);
          print("receiver", o.receiver);
        }
      }
    }
  }
}


// Diagnostic, not run by default (--gtest_also_run_disabled_tests): the tail of one cell over many
// seeds, 256 KiB put (or get with STAMPEDE_LOSS_GET=1), windowsize 16, 100 per mille loss each
// way (STAMPEDE_LOSS_PER_MILLE), seeds 1 to STAMPEDE_LOSS_SEEDS (200): each seed's virtual time,
// then the median and the slowest.
TEST(LossPattern, DISABLED_ProbeTail) {
  const char* per_mille_text = std::getenv("STAMPEDE_LOSS_PER_MILLE");
  const char* seeds_text = std::getenv("STAMPEDE_LOSS_SEEDS");
  const int per_mille = per_mille_text ? std::atoi(per_mille_text) : 100;
  const int seeds = seeds_text ? std::atoi(seeds_text) : 200;
  const bool put = std::getenv("STAMPEDE_LOSS_GET") == nullptr;
  const bool request_lost = std::getenv("STAMPEDE_LOSS_REQUEST_LOST") != nullptr;
  const char* first_text = std::getenv("STAMPEDE_LOSS_SEED_FIRST");
  const char* trace_dir = std::getenv("STAMPEDE_LOSS_TRACE");
  const std::uint32_t first = first_text ? static_cast<std::uint32_t>(std::atoi(first_text)) : 1;
  std::vector<std::pair<double, std::uint32_t>> times;
  for (std::uint32_t seed = first; seed < first + static_cast<std::uint32_t>(seeds); ++seed) {
    std::FILE* trace = nullptr;
    if (trace_dir) {
      const std::string path = std::string(trace_dir) + "/seed-" + std::to_string(seed) + ".trace";
      trace = std::fopen(path.c_str(), "w");
    }
    const Outcome o = Transfer(put, 16, per_mille, seed, 256 << 10, trace, request_lost);
    if (trace) std::fclose(trace);
    times.emplace_back(ToSeconds(o.elapsed), seed);
    std::printf("seed %4u %9.3f s %s samples %llu srtt %.6f win %u\n", seed, ToSeconds(o.elapsed),
                o.intact ? "intact" : "FAILED",
                static_cast<unsigned long long>(o.sender.rtt_samples), ToSeconds(o.sender.srtt),
                o.sender.window_blocks);
  }
  std::sort(times.begin(), times.end());
  if (times.empty()) return;
  std::printf("median %.3f s, slowest %.3f s (seed %u)\n", times[times.size() / 2].first,
              times.back().first, times.back().second);
}

}  // namespace
}  // namespace stampede::transfer
