// Binary heap of the simulator's events (event_queue.h). Hand-written sift operations move the hole
// instead of swapping, the usual way to halve the copies of std::push_heap/pop_heap.
#include "sim/event_queue.h"

#include <utility>

#include "base/check.h"

namespace stampede::sim {

void EventQueue::Push(Instant time, EventKind kind, std::uint32_t target) {
  heap_.push_back(Event{time, next_sequence_++, target, kind});
  SiftUp(heap_.size() - 1);
}

Event EventQueue::Pop() {
  STAMPEDE_CHECK(!heap_.empty());
  Event top = heap_.front();
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0);
  return top;
}

void EventQueue::SiftUp(std::size_t i) {
  const Event moving = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!Before(moving, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = moving;
}

void EventQueue::SiftDown(std::size_t i) {
  const Event moving = heap_[i];
  const std::size_t n = heap_.size();
  while (true) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], moving)) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = moving;
}

}  // namespace stampede::sim
