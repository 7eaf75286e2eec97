// Block numbers: the 16-bit number on the wire and the 64-bit index a transfer counts with.
//
// The wire number wraps (RFC 1350 never said how; after 65535 most peers use 0, some use 1, and the
// de-facto `rollover` option negotiates it). Inside Stampede every block is a BlockIndex that never
// wraps: block 1 is the first DATA, index 0 is the OACK/WRQ acknowledgement. These two functions are
// the only conversion between the two, so the rollover rule lives in one place.
#pragma once

#include <compare>
#include <cstdint>

namespace stampede::wire {

using WireBlock = std::uint16_t;

struct BlockIndex {
  std::uint64_t value = 0;
  friend constexpr auto operator<=>(BlockIndex, BlockIndex) = default;
};

// What follows block 65535 on the wire: 0 (default; GRUB, iPXE, curl, U-Boot, dnsmasq) or 1.
enum class Rollover : std::uint8_t { kToZero = 0, kToOne = 1 };

// Index → wire number. Indexes 0..65535 map to themselves; later ones wrap to 0 or 1 per `rollover`.
constexpr WireBlock ToWire(BlockIndex index, Rollover rollover) {
  if (index.value <= 0xFFFF) return static_cast<WireBlock>(index.value);
  if (rollover == Rollover::kToZero) return static_cast<WireBlock>(index.value & 0xFFFF);
  // Wrap to 1: after the first 65536 numbers (0..65535) the cycle is 1..65535, length 65535.
  return static_cast<WireBlock>(1 + (index.value - 0x10000) % 0xFFFF);
}

// Wire number → the index nearest to `reference` (the transfer's current position) that maps to
// `wire`; a tie goes to the later one. Under wrap-to-one, wire 0 always means index 0. Callers
// decide what a result far from `reference` means (normally: stale or bogus, ignore it).
BlockIndex FromWire(WireBlock wire, BlockIndex reference, Rollover rollover);

}  // namespace stampede::wire
