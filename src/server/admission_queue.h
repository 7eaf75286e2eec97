// Requests that arrived while the server was at --max-sessions, waiting in arrival order for a
// free slot instead of being refused (docs/scheduler.md, "Admission"). Bounded: when full, the
// server refuses as before. A client's retransmission of a request already waiting adds nothing;
// a different request from an address:port that is waiting replaces its request in place (the
// client restarted, as a live session would be restarted). One entry per address:port, found
// through a hash map, so a flood against a large queue costs O(1) per datagram.
// An entry older than `max_wait` is dropped unanswered when it reaches the front: its client has
// given up or sent a new request by then. Plain data, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/time.h"
#include "io/address.h"
#include "io/packet_info.h"

namespace stampede::server {

class AdmissionQueue {
 public:
  struct Entry {
    std::size_t listener = 0;  // index of the listening socket it arrived on
    io::Address peer;
    io::PacketInfo arrival;
    std::vector<std::byte> request;  // the request datagram, replayed when a slot frees
    Instant arrived{};
  };

  AdmissionQueue(std::size_t capacity, Duration max_wait)
      : capacity_(capacity), max_wait_(max_wait) {}

  // True when the request waits (now or already): the caller neither answers nor refuses it.
  // False when the queue is full or disabled (capacity 0).
  bool Hold(std::size_t listener, const io::Address& peer, const io::PacketInfo& arrival,
            std::span<const std::byte> request, Instant now);
  // The oldest entry that has not waited longer than max_wait (older ones are dropped).
  std::optional<Entry> PopOldest(Instant now);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t expired() const { return expired_; }

 private:
  std::size_t capacity_;
  Duration max_wait_;
  std::deque<Entry> entries_;  // references stay valid under push_back and pop_front
  std::unordered_map<io::Address, Entry*> waiting_;
  std::uint64_t expired_ = 0;
};

}  // namespace stampede::server
