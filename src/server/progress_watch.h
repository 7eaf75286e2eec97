// Decides which sessions stop making progress (PROTOCOL E46 slow drip; "Give-up rule": lack of
// progress, not total duration). Each sweep the server reports every live session's progress
// counter (bytes acknowledged or received); a session is judged
//   kIdle    when the counter has not moved for `idle_max`,
//   kTooSlow when over a whole `window` it moved fewer than min_bytes_per_s × window bytes.
// The transfer machines already give up on silence; this catches the peer that answers just often
// enough to keep its timer alive. Sessions not reported in a sweep are forgotten, so memory follows
// the session table. Keyed by a session identity that is not reused while the session lives. Must not do I/O or read a clock.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "base/time.h"

namespace stampede::server {

struct ProgressLimits {
  Duration idle_max{0};  // 0: off
  std::uint32_t min_bytes_per_s = 0;  // 0: off
  Duration window{0};
};

class ProgressWatch {
 public:
  enum class Verdict : std::uint8_t { kOk, kIdle, kTooSlow };

  explicit ProgressWatch(ProgressLimits limits = {}) : limits_(limits) {}
  void SetLimits(const ProgressLimits& limits) { limits_ = limits; }
  bool enabled() const {
    return limits_.idle_max > Duration{0} ||
           (limits_.min_bytes_per_s > 0 && limits_.window > Duration{0});
  }

  // One sweep: BeginSweep, Observe for each live session, EndSweep (forgets the unreported).
  void BeginSweep() { ++generation_; }
  Verdict Observe(std::uint64_t session, std::uint64_t progress_bytes, Instant now);
  void EndSweep();

  std::size_t tracked() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t last_bytes = 0;
    Instant last_progress_at{};
    std::uint64_t window_start_bytes = 0;
    Instant window_start_at{};
    std::uint64_t generation = 0;
  };

  ProgressLimits limits_;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::uint64_t generation_ = 0;
};

}  // namespace stampede::server
