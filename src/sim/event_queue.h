// The simulator's agenda: a binary min-heap of small plain events keyed by (time, sequence). The
// sequence number (insertion order) breaks ties, so equal-time events run in the order they were
// scheduled on every platform and the run is deterministic. No callbacks: an event is a kind and
// an index that the simulation dispatches with a switch (no allocation or indirection per event).
#pragma once

#include <cstdint>
#include <vector>

#include "base/time.h"

namespace stampede::sim {

enum class EventKind : std::uint8_t {
  kClientStart,  // target: client index
  kDeliver,      // target: datagram handle in the pool
  kTimer,        // target: endpoint index
  kScheduler,    // the server's transmit scheduler may send again; target unused
};

struct Event {
  Instant time;
  std::uint64_t sequence = 0;
  std::uint32_t target = 0;
  EventKind kind = EventKind::kTimer;
};

class EventQueue {
 public:
  void Push(Instant time, EventKind kind, std::uint32_t target);
  // The earliest event; the queue must not be empty.
  Event Pop();
  const Event& Top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  std::uint64_t pushed() const { return next_sequence_; }
  void Reserve(std::size_t events) { heap_.reserve(events); }

 private:
  static bool Before(const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
  void SiftUp(std::size_t i);
  void SiftDown(std::size_t i);

  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace stampede::sim
