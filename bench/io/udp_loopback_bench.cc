// Datagrams per second through loopback for three send strategies, each sending 32 datagrams of
// 1468 bytes per iteration to one destination: sendto per datagram, one sendmmsg of 32, and one
// UDP GSO send of 32 segments. The receiver drains with recvmmsg (RxBatch) in the same thread after
// every batch, so both ends' costs are in the figure and the receive buffer never overflows.
// Loopback only (127.0.0.1). Also the cost of re-arming one timer among many (TimerQueue), the
// per-ACK operation of a server with thousands of transfers.
#include <cstddef>
#include <cstdlib>
#include <vector>

#include <benchmark/benchmark.h>

#include "io/datagram_batch.h"
#include "io/timer_queue.h"
#include "io/udp_socket.h"

namespace stampede::io {
namespace {

constexpr std::size_t kPayloadBytes = 1468;
constexpr std::size_t kBatch = 32;

struct Pair {
  Pair() {
    auto a = UdpSocket::Open(Address::Ipv4Loopback(0));
    auto b = UdpSocket::Open(Address::Ipv4Loopback(0));
    if (!a || !b) std::abort();
    sender = std::move(*a);
    receiver = std::move(*b);
  }
  UdpSocket sender;
  UdpSocket receiver;
};

// Drains until `expected` datagrams arrived (or the socket is empty twice in a row: a loss).
std::size_t Drain(const UdpSocket& receiver, RxBatch& rx, std::size_t expected) {
  std::size_t got = 0;
  int empty_reads = 0;
  while (got < expected && empty_reads < 2) {
    const RxReport r = rx.Receive(receiver, rx.capacity());
    got += r.received;
    empty_reads = r.received == 0 ? empty_reads + 1 : 0;
  }
  return got;
}

void Finish(benchmark::State& state, std::size_t sent, std::size_t received) {
  state.SetItemsProcessed(static_cast<std::int64_t>(received));
  state.SetBytesProcessed(static_cast<std::int64_t>(received * kPayloadBytes));
  state.counters["lost"] = static_cast<double>(sent - received);
}

void BM_SendtoPerDatagram(benchmark::State& state) {
  Pair p;
  RxBatch rx(64, 2048);
  const std::vector<std::byte> payload(kPayloadBytes, std::byte{0x5a});
  std::size_t sent = 0, received = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      if (p.sender.SendTo(payload, p.receiver.local_address())) ++sent;
    }
    received += Drain(p.receiver, rx, kBatch);
  }
  Finish(state, sent, received);
}

void SendBatches(benchmark::State& state, bool use_gso) {
  Pair p;
  if (use_gso && !p.sender.gso_supported()) {
    state.SkipWithError("kernel without UDP_SEGMENT");
    return;
  }
  RxBatch rx(64, 2048);
  TxBatch tx(kBatch, kPayloadBytes, use_gso);
  const std::vector<std::byte> payload(kPayloadBytes, std::byte{0x5a});
  std::size_t sent = 0, received = 0, gso_messages = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) tx.Add(payload, p.receiver.local_address());
    const TxReport r = tx.Flush(p.sender);
    sent += r.sent;
    gso_messages += r.gso_messages;
    received += Drain(p.receiver, rx, kBatch);
  }
  if (use_gso && gso_messages == 0) state.SkipWithError("GSO refused; measured plain sendmmsg");
  Finish(state, sent, received);
}

void BM_Sendmmsg32(benchmark::State& state) {
  SendBatches(state, false);
}
void BM_Gso32(benchmark::State& state) {
  SendBatches(state, true);
}

class NoopTimer final : public TimerHandler {
 public:
  void OnTimer(TimerId, Instant) override {}
};

void BM_TimerRearm(benchmark::State& state) {
  const auto timers = static_cast<std::size_t>(state.range(0));
  TimerQueue q(timers);
  NoopTimer handler;
  std::vector<TimerId> ids;
  for (std::size_t i = 0; i < timers; ++i) {
    ids.push_back(q.Create(&handler));
    q.Arm(ids.back(), kInstantZero + std::chrono::microseconds(i * 7919 % 1000000));
  }
  std::uint64_t x = 88172645463325252ull;  // xorshift: cheap, fixed sequence
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const TimerId id = ids[x % timers];
    q.Arm(id, kInstantZero + std::chrono::microseconds(x % 1000000));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK(BM_TimerRearm)->Arg(1000)->Arg(100000);
BENCHMARK(BM_SendtoPerDatagram);
BENCHMARK(BM_Sendmmsg32);
BENCHMARK(BM_Gso32);

}  // namespace
}  // namespace stampede::io
