// AdmissionQueue (admission_queue.h).
#include "server/admission_queue.h"

#include <algorithm>
#include <utility>

namespace stampede::server {

bool AdmissionQueue::Hold(std::size_t listener, const io::Address& peer,
                          const io::PacketInfo& arrival, std::span<const std::byte> request,
                          Instant now) {
  if (const auto found = waiting_.find(peer); found != waiting_.end()) {
    Entry& entry = *found->second;
    if (!std::ranges::equal(entry.request, request)) {
      entry.listener = listener;
      entry.arrival = arrival;
      entry.request.assign(request.begin(), request.end());
    }
    return true;
  }
  if (entries_.size() >= capacity_) return false;
  entries_.push_back(Entry{.listener = listener,
                           .peer = peer,
                           .arrival = arrival,
                           .request = {request.begin(), request.end()},
                           .arrived = now});
  waiting_.emplace(peer, &entries_.back());
  return true;
}

std::optional<AdmissionQueue::Entry> AdmissionQueue::PopOldest(Instant now) {
  while (!entries_.empty()) {
    waiting_.erase(entries_.front().peer);
    Entry entry = std::move(entries_.front());
    entries_.pop_front();
    if (now - entry.arrived <= max_wait_) return entry;
    ++expired_;
  }
  return std::nullopt;
}

}  // namespace stampede::server
