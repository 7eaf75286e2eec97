// Storage for datagrams in flight inside the simulator: fixed-size slots in one growing arena,
// recycled through a free list, so sending a packet never allocates once the pool has grown to the
// run's peak. A slot also records where the datagram goes. Must not know about links or endpoints'
// behaviour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace stampede::sim {

// Where a datagram travels: from a client to the server (its listener or its session) or from a
// server session (or the listener) to a client.
enum class Direction : std::uint8_t { kToServer, kToClient };

struct DatagramMeta {
  std::uint32_t client = 0;  // the client end of the exchange
  std::uint32_t size_bytes = 0;
  Direction direction = Direction::kToServer;
};

class DatagramPool {
 public:
  explicit DatagramPool(std::size_t slot_bytes) : slot_bytes_(slot_bytes) {}

  // A free slot (grows the arena when none is free). Its bytes are writable until Release.
  std::uint32_t Acquire();
  void Release(std::uint32_t handle);

  std::span<std::byte> Buffer(std::uint32_t handle) {
    return {arena_.data() + std::size_t{handle} * slot_bytes_, slot_bytes_};
  }
  std::span<const std::byte> Bytes(std::uint32_t handle) const {
    return {arena_.data() + std::size_t{handle} * slot_bytes_, meta_[handle].size_bytes};
  }
  DatagramMeta& Meta(std::uint32_t handle) { return meta_[handle]; }

  std::size_t slot_bytes() const { return slot_bytes_; }
  std::size_t in_use() const { return meta_.size() - free_.size(); }
  std::size_t capacity() const { return meta_.size(); }

 private:
  std::size_t slot_bytes_;
  std::vector<std::byte> arena_;
  std::vector<DatagramMeta> meta_;
  std::vector<std::uint32_t> free_;
};

}  // namespace stampede::sim
