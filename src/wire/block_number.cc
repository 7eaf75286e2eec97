// FromWire: the one place a 16-bit wire block number becomes a 64-bit index (see block_number.h).
#include "wire/block_number.h"

namespace stampede::wire {

BlockIndex FromWire(WireBlock wire, BlockIndex reference, Rollover rollover) {
  // The candidate indexes that map to `wire` form an arithmetic sequence with period 65536 (wrap to
  // 0) or 65535 (wrap to 1, after the first cycle). Take the one closest to `reference`, preferring
  // the later one on a tie, so a window straddling the wrap resolves forward.
  const std::uint64_t ref = reference.value;
  const std::uint64_t period = (rollover == Rollover::kToZero) ? 0x10000 : 0xFFFF;
  // Under wrap-to-one, 0 occurs only once: the very first index (the OACK/WRQ acknowledgement).
  if (rollover == Rollover::kToOne && wire == 0) return BlockIndex{0};
  // The lowest index that maps to `wire` is `wire` itself in both schemes.
  const std::uint64_t first = wire;
  if (ref <= first) return BlockIndex{first};
  // Largest candidate ≤ ref, then compare it with the next one.
  const std::uint64_t below = first + ((ref - first) / period) * period;
  // Near the top of the 64-bit range the next candidate does not exist; `below` is then the answer.
  if (below > UINT64_MAX - period) return BlockIndex{below};
  const std::uint64_t above = below + period;
  return BlockIndex{(ref - below) < (above - ref) ? below : above};
}

}  // namespace stampede::wire
