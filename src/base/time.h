// Time as values. The protocol layers never read a clock: callers pass `now` in, so the same code
// runs on the real monotonic clock (io/) and on the simulator's virtual clock (sim/).
#pragma once

#include <chrono>
#include <cstdint>

namespace stampede {

using Duration = std::chrono::nanoseconds;

// A point on a monotonic time line. Only differences are meaningful; the simulator starts at zero.
using Instant = std::chrono::time_point<std::chrono::steady_clock, Duration>;

constexpr Instant kInstantZero{};
constexpr Instant kInstantNever = Instant::max();

constexpr double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

constexpr Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace stampede
