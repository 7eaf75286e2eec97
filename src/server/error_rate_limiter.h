// Per-source token bucket for the ERROR packets the server sends unprompted by a session: refusals
// on the listening port and ERROR 5 to strays (PROTOCOL §2 item 6: "rate-limit every ERROR reply
// and ERROR-5-to-stray reply per source"; a spoofed source must not turn the server into a
// reflector of ERRORs). A SourceRateLimiter that refuses a new source when its table is full:
// silence is always safe.
#pragma once

#include "server/source_rate_limiter.h"

namespace stampede::server {

using ErrorRateLimits = SourceRateLimits;
using ErrorRateLimiter = SourceRateLimiter;

}  // namespace stampede::server
