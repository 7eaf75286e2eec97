// Whole-system simulation tests (sim/simulation.h): the real transfer engine over seeded virtual
// links. Fifty seeds of random scenarios (loss 0-30 %, duplication, reordering, small queues,
// windowsize 1/8/16): every run keeps its invariants (bytes verified, no DATA on a duplicate ACK,
// every end complete or an RFC error, nothing left running), stays within a wire-traffic bound
// derived from its fault rates, and replays bit-for-bit from its seed. A failure message carries
// the `stampede sim` command that replays it.
#include "sim/simulation.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/units.h"
#include "sim/random.h"
#include "sim/scenario.h"

namespace stampede::sim {
namespace {

using namespace std::chrono_literals;

std::string Describe(const SimConfig& config, const SimReport& report) {
  std::string text = fmt::format("replay: {}\n", ReplayCommand(config));
  for (const auto& v : report.violations) text += "  invariant: " + v + "\n";
  for (const auto& u : report.unfinished_notes) text += "  unfinished: " + u + "\n";
  for (const auto& f : report.failure_notes) text += "  failed: " + f + "\n";
  return text;
}

// Bound on DATA packets sent, from the fault rates. A block's exchange (DATA there, ACK back)
// fails with probability q = 1 - (1 - f)², where f is the chance a datagram is lost, arrives out
// of order (reordering looks like a gap to the receiver), or is duplicated (a late duplicate DATA
// draws a re-ACK, PROTOCOL F52, which a windowed sender reads like a gap ACK); queue drops are
// losses too, taken as observed. Every failed exchange costs at most one window of W resent
// blocks (a restart resends from the last ACK, RFC 7440 §4), and an exchange is retried until it
// succeeds (geometric: 1 / (1 - q) tries). Plus 2 windows per client of slack for start-up (the
// first RTO is a guess, RetransmitPolicy::rto_initial).
double DataBound(const SimConfig& config, const SimReport& report) {
  const double drops = report.downlink.offered == 0
                           ? 0
                           : static_cast<double>(report.downlink.queue_drops) /
                                 static_cast<double>(report.downlink.offered);
  const double f =
      std::min(0.95, config.loss + config.reorder + config.duplicate + drops);
  const double q = 1 - (1 - f) * (1 - f);
  const double w = config.windowsize;
  return static_cast<double>(report.data_min) * (1 + w * q) / (1 - q) + 2 * w * config.clients;
}

SimConfig RandomScenario(std::uint64_t seed) {
  Rng rng(seed, 99);
  const auto pick = [&rng](auto... options) {
    const double values[] = {static_cast<double>(options)...};
    return values[rng.UniformBelow(sizeof...(options))];
  };
  SimConfig c;
  c.seed = seed;
  c.clients = static_cast<std::uint32_t>(1 + rng.UniformBelow(4));
  c.blksize = static_cast<std::uint16_t>(pick(512, 1468));
  c.windowsize = static_cast<std::uint16_t>(pick(1, 1, 8, 16));
  switch (rng.UniformBelow(4)) {
    case 0:
      c.size_bytes = rng.UniformBelow(3);  // 0, 1 or 2 bytes: one short block
      break;
    case 1:
      c.size_bytes = std::uint64_t{c.blksize} * (1 + rng.UniformBelow(20));  // RFC 1350 §6, E48
      break;
    default:
      c.size_bytes = rng.UniformBelow(128 * 1024);
      break;
  }
  c.loss = pick(0, 0.01, 0.05, 0.1, 0.2, 0.3);
  c.duplicate = pick(0, 0, 0.02, 0.1);
  c.reorder = pick(0, 0, 0.05, 0.1);
  c.queue_bytes = static_cast<std::uint64_t>(pick(1 << 20, 16 * 1024, 4 * 1024));
  c.rate_bps = static_cast<std::uint64_t>(pick(1e9, 1e8, 1e7));
  c.delay = Duration{static_cast<Duration::rep>(pick(100'000, 1'000'000))};
  c.start_window = Duration{static_cast<Duration::rep>(pick(0, 0, 50'000'000))};
  return c;
}

class SeedSweep : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(SeedSweep, InvariantsHoldAndTrafficIsBounded) {
  const SimConfig config = RandomScenario(GetParam());
  const SimReport report = RunSimulation(config);
  const std::string why = Describe(config, report);
  ASSERT_TRUE(report.ok()) << why;
  EXPECT_FALSE(report.stopped_by_time_limit || report.stopped_by_event_limit) << why;
  EXPECT_EQ(report.completed + report.failed, config.clients) << why;
  for (const ClientResult& r : report.per_client) {
    if (r.client_status == transfer::TransferStatus::kFailed) {
      // Fails only after its retry budget, with an explicit error (a timeout or the peer's ERROR).
      EXPECT_NE(r.client_error.origin, transfer::TransferError::Origin::kNone) << why;
    }
  }
  if (config.loss <= 0.05) {
    EXPECT_EQ(report.completed, config.clients) << why;
  }
  EXPECT_LE(static_cast<double>(report.data_sent), DataBound(config, report)) << why;
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedSweep, ::testing::Range<std::uint64_t>(1, 51));

TEST(Simulation, LosslessLockStepIsExactlyMinimal) {
  SimConfig c;
  c.clients = 3;
  c.size_bytes = 100'000;
  const SimReport r = RunSimulation(c);
  ASSERT_TRUE(r.ok()) << Describe(c, r);
  EXPECT_EQ(r.completed, 3u);
  EXPECT_EQ(r.packets_sent, r.packets_min);
  EXPECT_EQ(r.data_sent, r.data_min);
  EXPECT_EQ(r.retransmits, 0u);
  EXPECT_GE(r.makespan, r.ideal);
  EXPECT_GT(r.jain, 0.99);
  // 69 lock-step round trips of 200 µs plus serialisation: well under 20 ms.
  EXPECT_LT(r.makespan, 20ms);
}

TEST(Simulation, SameSeedSameRunOtherSeedOtherRun) {
  SimConfig c;
  c.clients = 4;
  c.size_bytes = 40'000;
  c.windowsize = 8;
  c.loss = 0.05;
  c.duplicate = 0.05;
  c.reorder = 0.05;
  c.start_window = 10ms;
  const SimReport a = RunSimulation(c);
  const SimReport b = RunSimulation(c);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.packets_sent, b.packets_sent);
  EXPECT_EQ(a.makespan, b.makespan);
  c.seed = 2;
  EXPECT_NE(RunSimulation(c).trace_hash, a.trace_hash);
}

TEST(Simulation, HighLossEndsEveryTransferWithoutHanging) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SimConfig c;
    c.seed = seed;
    c.clients = 4;
    c.size_bytes = 64 * 1024;
    c.loss = 0.3;
    const SimReport r = RunSimulation(c);
    ASSERT_TRUE(r.ok()) << Describe(c, r);
    EXPECT_EQ(r.completed + r.failed, c.clients);
  }
}

// EDK2 storm (PROTOCOL §1 "dampen repeated restarts"): large windows with reordering make every
// out-of-order block look like a gap; restarting a window on each would multiply the traffic by
// about the window size. Damped, the DATA sent stays within 3× the minimum.
TEST(Simulation, LargeWindowsWithReorderingStayBounded) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    for (const std::uint16_t window : {std::uint16_t{16}, std::uint16_t{32}, std::uint16_t{64}}) {
      SimConfig c;
      c.seed = seed;
      c.clients = 4;
      c.size_bytes = 256 * 1024;
      c.windowsize = window;
      c.loss = 0.02;
      c.reorder = 0.2;
      const SimReport r = RunSimulation(c);
      ASSERT_TRUE(r.ok()) << Describe(c, r);
      EXPECT_EQ(r.completed, c.clients) << Describe(c, r);
      EXPECT_LE(r.data_sent, 3 * r.data_min) << Describe(c, r);
    }
  }
}

TEST(Simulation, AWrongByteFailsTheRun) {
  SimConfig c;
  c.clients = 2;
  c.size_bytes = 50'000;
  c.corrupt_every_nth_data = 7;
  const SimReport r = RunSimulation(c);
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.violations.empty());
  EXPECT_NE(r.violations.front().find("wrong or misplaced byte"), std::string::npos);
  EXPECT_NE(ReplayCommand(c).find("--seed 1"), std::string::npos);
}

TEST(Simulation, TimeLimitReportsWhatDidNotFinish) {
  SimConfig c;
  c.clients = 3;
  c.size_bytes = 1 << 20;
  c.time_limit = 5ms;
  const SimReport r = RunSimulation(c);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.stopped_by_time_limit);
  EXPECT_EQ(r.unfinished, 3u);
  EXPECT_FALSE(r.unfinished_notes.empty());
  EXPECT_LE(r.virtual_time, 5ms);
}

TEST(Simulation, EventLimitStopsTheRun) {
  SimConfig c;
  c.clients = 2;
  c.size_bytes = 1 << 20;
  c.max_events = 100;
  const SimReport r = RunSimulation(c);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.stopped_by_event_limit);
  EXPECT_EQ(r.events, 100u);
}

TEST(Simulation, DuplicatedRequestsStartOneSession) {
  SimConfig c;
  c.clients = 3;
  c.size_bytes = 10'000;
  c.duplicate = 1.0;  // every datagram arrives twice, the RRQ included (PROTOCOL E40)
  const SimReport r = RunSimulation(c);
  ASSERT_TRUE(r.ok()) << Describe(c, r);
  EXPECT_EQ(r.completed, 3u);
  EXPECT_EQ(r.duplicate_requests, 3u);
  EXPECT_EQ(r.retransmits, 0u);  // duplicate ACKs never cause a resend (E37)
}

TEST(Simulation, StartWindowSpreadsStarts) {
  SimConfig c;
  c.clients = 20;
  c.size_bytes = 5'000;
  c.start_window = 1s;
  const SimReport r = RunSimulation(c);
  ASSERT_TRUE(r.ok()) << Describe(c, r);
  Instant first = kInstantNever;
  Instant last = kInstantZero;
  for (const ClientResult& cr : r.per_client) {
    first = std::min(first, cr.start);
    last = std::max(last, cr.start);
  }
  EXPECT_LE(last, kInstantZero + 1s);
  EXPECT_GT(last - first, 500ms);
  EXPECT_LT(r.p99, 100ms);  // each transfer is short even though the storm lasts a second
}

TEST(Simulation, ReplayCommandNamesEverySetting) {
  SimConfig c;
  c.loss = 0.01;
  c.reorder = 0.05;
  c.start_window = 250us;
  c.seed = 1234;
  const std::string command = ReplayCommand(c);
  EXPECT_NE(command.find("--loss 0.01"), std::string::npos) << command;
  EXPECT_NE(command.find("--reorder 0.05"), std::string::npos) << command;
  EXPECT_NE(command.find("--start-window 250us"), std::string::npos) << command;
  EXPECT_NE(command.find("--seed 1234"), std::string::npos) << command;
}

// The text after `option` in a replay command; nullopt when the command leaves the option out.
std::optional<std::string> OptionValue(const std::string& command, const std::string& option) {
  const std::string key = " " + option + " ";
  const std::size_t at = command.find(key);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t start = at + key.size();
  return command.substr(start, command.find(' ', start) - start);
}

// The value of `option` as `parse` reads it, or `absent` when the command leaves it out. A refusal
// fails the test with the parser's message.
template <typename T, typename Parse>
T ReadBack(const std::string& command, const char* option, Parse parse, T absent) {
  const std::optional<std::string> text = OptionValue(command, option);
  if (!text) return absent;
  const auto value = parse(*text);
  if (!value) {
    ADD_FAILURE() << option << ": " << value.error();
    return absent;
  }
  return *value;
}

// `stampede sim` reads every value of a replay command back to the config's own, through the
// parsers its options use (cli/sim_command.cc); an option left out has the default. Fractions are
// the case in point: the shortest general form of 0.00001 is "1e-05", which ParseFraction refuses.
TEST(Simulation, ReplayCommandReadsBackExactly) {
  const SimConfig defaults;
  for (const double p : {0.0, 1.0, 1e-5, 1e-9, 2.5e-7, 0.01, 1.0 / 3, 0.3,
                         std::numeric_limits<double>::denorm_min()}) {
    SimConfig c;
    c.loss = c.duplicate = c.reorder = p;
    c.rate_bps = 123'456'789;
    c.queue_bytes = 65'537;
    c.delay = Duration{1'234'567};
    c.reorder_delay = 3ms;
    c.jitter = 250us;
    c.uplink_rate_bps = 10'000'000;
    c.uplink_queue_bytes = 4'096;
    c.uplink_delay = 7ms;
    c.start_window = 1500ms;
    c.time_limit = 90s;
    const std::string command = ReplayCommand(c);
    SCOPED_TRACE(command);
    const auto fraction = [&](const char* option, double absent) {
      return ReadBack(command, option, base::ParseFraction, absent);
    };
    const auto ns = [&](const char* option, Duration absent) {
      return ReadBack(command, option, base::ParseDuration, absent).count();
    };
    const auto rate = [&](const char* option, std::uint64_t absent) {
      return ReadBack(command, option, base::ParseBitRate, absent);
    };
    const auto bytes = [&](const char* option, std::uint64_t absent) {
      return ReadBack(command, option, base::ParseBytes, absent);
    };
    ASSERT_TRUE(OptionValue(command, "--loss"));
    EXPECT_EQ(fraction("--loss", defaults.loss), p);
    EXPECT_EQ(fraction("--dup", defaults.duplicate), p);
    EXPECT_EQ(fraction("--reorder", defaults.reorder), p);
    EXPECT_EQ(rate("--rate", defaults.rate_bps), c.rate_bps);
    EXPECT_EQ(bytes("--queue", defaults.queue_bytes), c.queue_bytes);
    EXPECT_EQ(ns("--delay", defaults.delay), c.delay.count());
    EXPECT_EQ(ns("--reorder-delay", defaults.reorder_delay), c.reorder_delay.count());
    EXPECT_EQ(ns("--jitter", defaults.jitter), c.jitter.count());
    EXPECT_EQ(rate("--uplink-rate", defaults.uplink_rate_bps), c.uplink_rate_bps);
    EXPECT_EQ(bytes("--uplink-queue", defaults.uplink_queue_bytes), c.uplink_queue_bytes);
    EXPECT_EQ(ns("--uplink-delay", defaults.uplink_delay), c.uplink_delay.count());
    EXPECT_EQ(ns("--start-window", defaults.start_window), c.start_window.count());
    EXPECT_EQ(ns("--time-limit", defaults.time_limit), c.time_limit.count());
  }
}

}  // namespace
}  // namespace stampede::sim
