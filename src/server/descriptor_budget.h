// Keeps file descriptors free: before a new session the server asks whether at least
// `reserved` descriptors plus one session's worth would remain under RLIMIT_NOFILE, and refuses
// the session with ERROR 0 "Server busy" if not, rather than failing half-way (an accept of the
// session with no descriptor left for its file, a reload that cannot reopen the root, an upload
// that cannot be renamed).
//
// Counting open descriptors exactly means listing /proc/self/fd, which costs O(open) and is done
// at most once per kRecountInterval; in between each admitted session is charged
// kDescriptorsPerSession (its socket, its file, an upload's directory). The count and the limit
// come from a DescriptorCensus so tests can fake them. Must not open sessions itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/time.h"

namespace stampede::server {

class DescriptorCensus {
 public:
  virtual ~DescriptorCensus() = default;
  virtual std::size_t OpenCount() = 0;  // descriptors open in this process now
  virtual std::size_t Limit() = 0;      // the soft RLIMIT_NOFILE
};

// The real process: /proc/self/fd and getrlimit.
std::unique_ptr<DescriptorCensus> MakeProcessDescriptorCensus();

// Raises the soft RLIMIT_NOFILE to the hard limit (the soft default of 1024 is for programs that
// use select(); the server uses epoll) and returns the soft limit in force afterwards.
std::size_t RaiseDescriptorSoftLimit();

class DescriptorBudget {
 public:
  static constexpr std::size_t kDescriptorsPerSession = 3;
  static constexpr Duration kRecountInterval = std::chrono::milliseconds(100);

  DescriptorBudget(std::unique_ptr<DescriptorCensus> census, std::uint32_t reserved)
      : census_(std::move(census)), reserved_(reserved) {}

  void set_reserved(std::uint32_t reserved) { reserved_ = reserved; }
  // True when a new session leaves at least `reserved` descriptors free.
  bool HasRoom(Instant now);
  // A session was started: charge it until the next count.
  void OnAdmitted() { ++admitted_since_count_; }

 private:
  std::unique_ptr<DescriptorCensus> census_;
  std::uint32_t reserved_;
  std::size_t open_at_count_ = 0;
  std::size_t limit_ = 0;
  std::size_t admitted_since_count_ = 0;
  Instant counted_at_ = kInstantZero;
  bool counted_ = false;
};

}  // namespace stampede::server
