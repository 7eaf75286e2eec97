// Timers for thousands of transfers: a binary min-heap of deadlines with stable handles, so a
// transfer creates one timer and re-arms it (O(log n)) each time its deadline moves, and cancels it
// by handle. Timers with equal deadlines fire in the order they were armed. Allocation happens only
// when the number of timers grows past what was reserved, never per Arm. Not thread-safe: it
// belongs to one event loop. It never reads the clock: `now` is passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.h"

namespace stampede::io {

struct TimerId {
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  std::uint32_t slot = kNoSlot;
  std::uint32_t generation = 0;  // a destroyed and reused slot gets a new generation

  bool valid() const { return slot != kNoSlot; }
  friend bool operator==(TimerId a, TimerId b) = default;
};

class TimerHandler {
 public:
  virtual ~TimerHandler() = default;
  // Called once per expiry; the timer is already disarmed, so the handler may re-arm or destroy
  // it (or any other timer).
  virtual void OnTimer(TimerId id, Instant now) = 0;
};

class TimerQueue {
 public:
  explicit TimerQueue(std::size_t reserve_timers = 0);

  // A new, disarmed timer that will call `handler` (which must outlive it or be destroyed first).
  TimerId Create(TimerHandler* handler);
  // Disarms and frees the timer; later calls with this id are ignored (return false).
  bool Destroy(TimerId id);
  // Arms the timer at `deadline`, or moves it there if already armed. False for a stale id.
  bool Arm(TimerId id, Instant deadline);
  bool Disarm(TimerId id);

  bool IsArmed(TimerId id) const;
  // The armed deadline, or kInstantNever when disarmed or stale.
  Instant deadline(TimerId id) const;
  // The earliest armed deadline, or kInstantNever.
  Instant NextDeadline() const;

  // Fires, in deadline order, up to `max_timers` timers whose deadline is <= now. Timers armed by
  // handlers during this call for a deadline <= now also fire if the budget allows. Returns the
  // number fired.
  std::size_t RunExpired(Instant now, std::size_t max_timers);

  std::size_t armed_count() const { return heap_.size(); }
  std::size_t timer_count() const { return live_count_; }

 private:
  static constexpr std::uint32_t kNotInHeap = UINT32_MAX;

  struct Slot {
    TimerHandler* handler = nullptr;
    Instant deadline = kInstantNever;
    std::uint64_t sequence = 0;  // arm order, breaks ties between equal deadlines
    std::uint32_t heap_index = kNotInHeap;
    std::uint32_t generation = 1;
    std::uint32_t next_free = TimerId::kNoSlot;
    bool live = false;
  };

  Slot* Lookup(TimerId id);
  const Slot* Lookup(TimerId id) const;
  bool Before(std::uint32_t a, std::uint32_t b) const;
  void Place(std::uint32_t heap_index, std::uint32_t slot);
  void SiftUp(std::uint32_t heap_index);
  void SiftDown(std::uint32_t heap_index);
  void RemoveFromHeap(std::uint32_t slot);

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> heap_;  // slot indices
  std::uint32_t free_head_ = TimerId::kNoSlot;
  std::uint64_t next_sequence_ = 0;
  std::size_t live_count_ = 0;
};

}  // namespace stampede::io
