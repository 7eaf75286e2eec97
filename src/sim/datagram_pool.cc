// The datagram slot pool (datagram_pool.h). Growth doubles the arena, so the number of allocations
// over a run is logarithmic in its peak number of datagrams in flight.
#include "sim/datagram_pool.h"

#include "base/check.h"

namespace stampede::sim {

std::uint32_t DatagramPool::Acquire() {
  if (free_.empty()) {
    const std::size_t old_slots = meta_.size();
    const std::size_t new_slots = old_slots == 0 ? 64 : old_slots * 2;
    STAMPEDE_CHECK(new_slots <= UINT32_MAX);
    arena_.resize(new_slots * slot_bytes_);
    meta_.resize(new_slots);
    free_.reserve(new_slots);
    for (std::size_t i = new_slots; i > old_slots; --i) {
      free_.push_back(static_cast<std::uint32_t>(i - 1));
    }
  }
  const std::uint32_t handle = free_.back();
  free_.pop_back();
  return handle;
}

void DatagramPool::Release(std::uint32_t handle) {
  STAMPEDE_CHECK(handle < meta_.size());
  free_.push_back(handle);
}

}  // namespace stampede::sim
