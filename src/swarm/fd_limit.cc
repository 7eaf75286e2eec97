// EnsureFileLimit (fd_limit.h).
#include "swarm/fd_limit.h"

#include <cerrno>
#include <cstring>

#include <fmt/core.h>
#include <sys/resource.h>

namespace stampede::swarm {

tl::expected<std::uint64_t, std::string> EnsureFileLimit(std::uint64_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return tl::unexpected(fmt::format("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno)));
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
      return tl::unexpected(
          fmt::format("{} open files needed but the hard limit is {} (raise it: ulimit -Hn, or "
                      "LimitNOFILE= under systemd; or use fewer clients)",
                      needed, static_cast<std::uint64_t>(limit.rlim_max)));
    }
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return tl::unexpected(fmt::format("setrlimit(RLIMIT_NOFILE, {}): {}",
                                        static_cast<std::uint64_t>(limit.rlim_cur),
                                        std::strerror(errno)));
    }
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace stampede::swarm
