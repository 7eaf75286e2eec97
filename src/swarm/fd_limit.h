// The open-file limit for thousands of client sockets: raises RLIMIT_NOFILE's soft limit up to the
// hard limit when needed, and says clearly when even the hard limit is too low (instead of
// clients failing one by one with EMFILE).
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

namespace stampede::swarm {

// Ensures at least `needed` descriptors may be open. Returns the soft limit now in force, or a
// message naming the numbers and the fix (ulimit -n, or raising the hard limit as root).
tl::expected<std::uint64_t, std::string> EnsureFileLimit(std::uint64_t needed);

}  // namespace stampede::swarm
