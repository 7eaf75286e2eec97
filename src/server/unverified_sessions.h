// Counts the sessions whose peer has not proven its address yet (PROTOCOL §2 items 2-3): per source
// host and in total, so a spoofed flood holds at most unverified_per_source_max sessions per host
// and unverified_max in all, each of which sends at most 1 + retries_unverified_max packets.
//
// It learns of a session when it is admitted and asks the caller, through `still_unverified`, whether
// an admitted session is still live and unverified; entries that are not are forgotten. A host's
// entries are checked when that host asks again (at most unverified_per_source_max of them); the
// whole table is checked when the total cap is reached, at most once per kSweepInterval. Memory is
// bounded by unverified_max entries. Must not do I/O or read a clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "base/time.h"
#include "io/address.h"

namespace stampede::server {

class UnverifiedSessions {
 public:
  using StillUnverified = std::function<bool(const io::Address& client)>;
  enum class Verdict : std::uint8_t { kAdmit, kSourceFull, kTotalFull };
  static constexpr Duration kSweepInterval = std::chrono::milliseconds(50);

  UnverifiedSessions(std::uint32_t per_source_max, std::uint32_t total_max)
      : per_source_max_(per_source_max), total_max_(total_max) {}

  void SetLimits(std::uint32_t per_source_max, std::uint32_t total_max) {
    per_source_max_ = per_source_max;
    total_max_ = total_max;
  }
  // Whether a new session from `client` (address:port) fits under both caps.
  Verdict Check(const io::Address& client, Instant now, const StillUnverified& still_unverified);
  // A session from `client` was started.
  void OnAdmitted(const io::Address& client);

  std::size_t total() const { return total_; }

 private:
  static io::Address HostOf(const io::Address& client);
  void PruneHost(std::vector<io::Address>& clients, const StillUnverified& still_unverified);
  void Sweep(const StillUnverified& still_unverified);

  std::uint32_t per_source_max_;
  std::uint32_t total_max_;
  std::unordered_map<io::Address, std::vector<io::Address>> by_host_;
  std::size_t total_ = 0;
  Instant swept_at_ = kInstantZero;
  bool swept_once_ = false;
};

}  // namespace stampede::server
