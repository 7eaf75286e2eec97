// AdmissionQueue (admission_queue.h).
#include "server/admission_queue.h"

#include <algorithm>
#include <utility>

namespace stampede::server {

bool AdmissionQueue::Hold(std::size_t listener, const io::Address& peer,
                          const io::PacketInfo& arrival, std::span<const std::byte> request,
                          Instant now) {
  // A linear scan: the queue is meant for bursts of hundreds, and a repeat must not add an entry.
  for (const Entry& entry : entries_) {
    if (entry.peer == peer && std::ranges::equal(entry.request, request)) return true;
  }
  if (entries_.size() >= capacity_) return false;
  entries_.push_back(Entry{.listener = listener,
                           .peer = peer,
                           .arrival = arrival,
                           .request = {request.begin(), request.end()},
                           .arrived = now});
  return true;
}

std::optional<AdmissionQueue::Entry> AdmissionQueue::PopOldest(Instant now) {
  while (!entries_.empty()) {
    Entry entry = std::move(entries_.front());
    entries_.pop_front();
    if (now - entry.arrived <= max_wait_) return entry;
    ++expired_;
  }
  return std::nullopt;
}

}  // namespace stampede::server
