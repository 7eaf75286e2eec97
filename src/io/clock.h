// The real monotonic clock (CLOCK_MONOTONIC), the only clock read in the project: everything above
// io/ receives `now` as a parameter (base/time.h), so the simulator can substitute virtual time.
// Must not be used for wall-clock timestamps in logs.
#pragma once

#include <ctime>

#include "base/time.h"

namespace stampede::io {

// CLOCK_MONOTONIC as a stampede::Instant. clock_gettime(2): served from the vDSO, ~20 ns.
inline Instant Now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant{Duration{static_cast<Duration::rep>(ts.tv_sec) * 1'000'000'000 +
                          static_cast<Duration::rep>(ts.tv_nsec)}};
}

}  // namespace stampede::io
