// Test harness: two transfer state machines wired through an in-memory link with a manual clock.
// Scripted faults (drop, duplicate, delay) per packet through a filter; a bounded stepping loop
// that reports failure instead of hanging. Test-only; not part of any library.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "base/time.h"
#include "wire/packet.h"

namespace stampede::transfer::testing {

using namespace std::chrono_literals;

// One side of the pair, adapted from a Sender or Receiver.
struct Endpoint {
  std::function<void(std::span<const std::byte>, Instant)> on_packet;
  std::function<void(Instant)> on_timer;
  std::function<std::optional<std::size_t>(std::span<std::byte>, Instant)> poll;
  std::function<Instant()> next_deadline;
  std::function<bool()> finished;
};

template <class Machine>
Endpoint Adapt(Machine& m) {
  return Endpoint{
      [&m](std::span<const std::byte> d, Instant now) { m.OnPacket(d, now); },
      [&m](Instant now) { m.OnTimer(now); },
      [&m](std::span<std::byte> b, Instant now) { return m.PollTransmit(b, now); },
      [&m] { return m.NextDeadline(); },
      [&m] { return m.finished(); },
  };
}

// What the filter sees of each sent datagram.
struct Sent {
  int from = 0;  // 0 or 1
  std::uint16_t opcode = 0;
  std::uint16_t block = 0;      // DATA/ACK only
  std::size_t size_bytes = 0;
  std::uint64_t nth_of_kind = 0;        // 1-based count of (from, opcode)
  std::uint64_t nth_of_block = 0;       // 1-based count of (from, opcode, block)
  Instant at;
};

struct Decision {
  int copies = 1;             // 0: drop, 2: duplicate
  Duration extra_delay{0};    // delays this datagram (reordering)
};

class Pair {
 public:
  Pair(Endpoint a, Endpoint b, Duration one_way_delay = 1ms)
      : sides_{std::move(a), std::move(b)}, delay_(one_way_delay) {}

  std::function<Decision(const Sent&)> filter;
  std::function<void(const Sent&, std::span<const std::byte>)> observer;
  Instant now = kInstantZero + 1s;
  std::vector<Sent> log;
  bool keep_log = false;
  std::map<std::pair<int, std::uint16_t>, std::uint64_t> sent_by_kind;  // (from, opcode) → count

  std::uint64_t Count(int from, wire::Opcode opcode) const {
    const auto it = sent_by_kind.find({from, static_cast<std::uint16_t>(opcode)});
    return it == sent_by_kind.end() ? 0 : it->second;
  }

  // Runs until both sides are finished and the link is empty; false if max_steps ran out or
  // nothing was left to happen while a side was unfinished.
  bool Run(std::uint64_t max_steps = 5'000'000) {
    for (std::uint64_t step = 0; step < max_steps; ++step) {
      Drain(0);
      Drain(1);
      if (sides_[0].finished() && sides_[1].finished() && flight_.empty()) return true;
      Instant next = kInstantNever;
      for (const auto& side : sides_) next = std::min(next, side.next_deadline());
      if (!flight_.empty()) next = std::min(next, flight_.front().deliver_at);
      if (next == kInstantNever) return false;  // stuck: nobody will ever act again
      now = std::max(now, next);
      if (!flight_.empty() && flight_.front().deliver_at <= now) {
        std::pop_heap(flight_.begin(), flight_.end(), Later);
        InFlight p = std::move(flight_.back());
        flight_.pop_back();
        auto& side = sides_[p.to];
        if (!side.finished()) side.on_packet(p.bytes, now);
        continue;
      }
      for (auto& side : sides_) {
        if (!side.finished() && side.next_deadline() <= now) side.on_timer(now);
      }
    }
    return false;
  }

 private:
  struct InFlight {
    Instant deliver_at;
    std::uint64_t seq = 0;
    int to = 0;
    std::vector<std::byte> bytes;
  };
  static bool Later(const InFlight& a, const InFlight& b) {
    return a.deliver_at != b.deliver_at ? a.deliver_at > b.deliver_at : a.seq > b.seq;
  }

  void Drain(int from) {
    auto& side = sides_[from];
    for (int guard = 0; guard < 100'000; ++guard) {
      const auto n = side.poll(buffer_, now);
      if (!n) return;
      Emit(from, std::span<const std::byte>(buffer_.data(), *n));
    }
    ADD_FAILURE() << "PollTransmit never ran dry";
  }

  void Emit(int from, std::span<const std::byte> bytes) {
    Sent s;
    s.from = from;
    s.size_bytes = bytes.size();
    s.at = now;
    if (bytes.size() >= 2) s.opcode = static_cast<std::uint16_t>(
        (std::to_integer<unsigned>(bytes[0]) << 8) | std::to_integer<unsigned>(bytes[1]));
    if (bytes.size() >= 4 && (s.opcode == 3 || s.opcode == 4)) {
      s.block = static_cast<std::uint16_t>((std::to_integer<unsigned>(bytes[2]) << 8) |
                                           std::to_integer<unsigned>(bytes[3]));
    }
    s.nth_of_kind = ++sent_by_kind[{from, s.opcode}];
    s.nth_of_block = ++by_block_[{from, s.opcode, s.block}];
    if (keep_log) log.push_back(s);
    if (observer) observer(s, bytes);
    const Decision d = filter ? filter(s) : Decision{};
    for (int i = 0; i < d.copies; ++i) {
      flight_.push_back(InFlight{now + delay_ + d.extra_delay, ++seq_, 1 - from,
                                 std::vector<std::byte>(bytes.begin(), bytes.end())});
      std::push_heap(flight_.begin(), flight_.end(), Later);
    }
  }

  Endpoint sides_[2];
  Duration delay_;
  std::vector<InFlight> flight_;
  std::uint64_t seq_ = 0;
  std::map<std::tuple<int, std::uint16_t, std::uint16_t>, std::uint64_t> by_block_;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(65536 + 8);
};

inline std::vector<std::byte> Bytes(std::size_t n, std::uint32_t seed = 1) {
  std::vector<std::byte> v(n);
  std::uint32_t x = seed * 2654435761U + 1;
  for (auto& b : v) {
    x = x * 1664525U + 1013904223U;
    b = static_cast<std::byte>(x >> 24);
  }
  return v;
}

}  // namespace stampede::transfer::testing
