// Binary-heap timer queue with stable, generation-checked handles (see timer_queue.h). Each slot
// records its heap position so cancel and re-arm are O(log n) without searching.
#include "io/timer_queue.h"

#include "base/check.h"

namespace stampede::io {

TimerQueue::TimerQueue(std::size_t reserve_timers) {
  slots_.reserve(reserve_timers);
  heap_.reserve(reserve_timers);
}

TimerId TimerQueue::Create(TimerHandler* handler) {
  STAMPEDE_CHECK(handler != nullptr);
  std::uint32_t index;
  if (free_head_ != TimerId::kNoSlot) {
    index = free_head_;
    free_head_ = slots_[index].next_free;
  } else {
    STAMPEDE_CHECK(slots_.size() < TimerId::kNoSlot);
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[index];
  s.handler = handler;
  s.deadline = kInstantNever;
  s.heap_index = kNotInHeap;
  s.next_free = TimerId::kNoSlot;
  s.live = true;
  ++live_count_;
  return TimerId{index, s.generation};
}

bool TimerQueue::Destroy(TimerId id) {
  Slot* s = Lookup(id);
  if (s == nullptr) return false;
  if (s->heap_index != kNotInHeap) RemoveFromHeap(id.slot);
  s->live = false;
  s->handler = nullptr;
  ++s->generation;
  if (s->generation == 0) s->generation = 1;  // 0 never names a live timer
  s->next_free = free_head_;
  free_head_ = id.slot;
  --live_count_;
  return true;
}

bool TimerQueue::Arm(TimerId id, Instant deadline) {
  Slot* s = Lookup(id);
  if (s == nullptr) return false;
  s->deadline = deadline;
  s->sequence = next_sequence_++;
  if (s->heap_index == kNotInHeap) {
    heap_.push_back(id.slot);
    s->heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
    SiftUp(s->heap_index);
  } else {
    // The new key may be earlier or later; one of the two sifts is a no-op.
    SiftUp(s->heap_index);
    SiftDown(s->heap_index);
  }
  return true;
}

bool TimerQueue::Disarm(TimerId id) {
  Slot* s = Lookup(id);
  if (s == nullptr) return false;
  if (s->heap_index != kNotInHeap) RemoveFromHeap(id.slot);
  s->deadline = kInstantNever;
  return true;
}

bool TimerQueue::IsArmed(TimerId id) const {
  const Slot* s = Lookup(id);
  return s != nullptr && s->heap_index != kNotInHeap;
}

Instant TimerQueue::deadline(TimerId id) const {
  const Slot* s = Lookup(id);
  return (s != nullptr && s->heap_index != kNotInHeap) ? s->deadline : kInstantNever;
}

Instant TimerQueue::NextDeadline() const {
  return heap_.empty() ? kInstantNever : slots_[heap_.front()].deadline;
}

std::size_t TimerQueue::RunExpired(Instant now, std::size_t max_timers) {
  std::size_t fired = 0;
  while (fired < max_timers && !heap_.empty()) {
    const std::uint32_t index = heap_.front();
    Slot& s = slots_[index];
    if (s.deadline > now) break;
    RemoveFromHeap(index);
    s.deadline = kInstantNever;
    ++fired;
    // The handler may create timers (growing slots_), so `s` must not be used after this call.
    s.handler->OnTimer(TimerId{index, s.generation}, now);
  }
  return fired;
}

TimerQueue::Slot* TimerQueue::Lookup(TimerId id) {
  if (id.slot >= slots_.size()) return nullptr;
  Slot& s = slots_[id.slot];
  return (s.live && s.generation == id.generation) ? &s : nullptr;
}

const TimerQueue::Slot* TimerQueue::Lookup(TimerId id) const {
  if (id.slot >= slots_.size()) return nullptr;
  const Slot& s = slots_[id.slot];
  return (s.live && s.generation == id.generation) ? &s : nullptr;
}

bool TimerQueue::Before(std::uint32_t a, std::uint32_t b) const {
  const Slot& x = slots_[a];
  const Slot& y = slots_[b];
  if (x.deadline != y.deadline) return x.deadline < y.deadline;
  return x.sequence < y.sequence;
}

void TimerQueue::Place(std::uint32_t heap_index, std::uint32_t slot) {
  heap_[heap_index] = slot;
  slots_[slot].heap_index = heap_index;
}

void TimerQueue::SiftUp(std::uint32_t heap_index) {
  const std::uint32_t slot = heap_[heap_index];
  while (heap_index > 0) {
    const std::uint32_t parent = (heap_index - 1) / 2;
    if (!Before(slot, heap_[parent])) break;
    Place(heap_index, heap_[parent]);
    heap_index = parent;
  }
  Place(heap_index, slot);
}

void TimerQueue::SiftDown(std::uint32_t heap_index) {
  const std::uint32_t slot = heap_[heap_index];
  const auto size = static_cast<std::uint32_t>(heap_.size());
  while (true) {
    std::uint32_t child = 2 * heap_index + 1;
    if (child >= size) break;
    if (child + 1 < size && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], slot)) break;
    Place(heap_index, heap_[child]);
    heap_index = child;
  }
  Place(heap_index, slot);
}

void TimerQueue::RemoveFromHeap(std::uint32_t slot) {
  const std::uint32_t at = slots_[slot].heap_index;
  STAMPEDE_CHECK(at < heap_.size() && heap_[at] == slot);
  const std::uint32_t last = heap_.back();
  heap_.pop_back();
  slots_[slot].heap_index = kNotInHeap;
  if (at < heap_.size()) {
    Place(at, last);
    SiftUp(at);
    SiftDown(slots_[last].heap_index);
  }
}

}  // namespace stampede::io
