// UnverifiedSessions (unverified_sessions.h).
#include "server/unverified_sessions.h"

#include <algorithm>

namespace stampede::server {

io::Address UnverifiedSessions::HostOf(const io::Address& client) {
  io::Address host = client.Unmapped();
  host.set_port(0);
  return host;
}

void UnverifiedSessions::PruneHost(std::vector<io::Address>& clients,
                                   const StillUnverified& still_unverified) {
  const auto removed = std::erase_if(
      clients, [&](const io::Address& client) { return !still_unverified(client); });
  total_ -= removed;
}

void UnverifiedSessions::Sweep(const StillUnverified& still_unverified) {
  for (auto it = by_host_.begin(); it != by_host_.end();) {
    PruneHost(it->second, still_unverified);
    it = it->second.empty() ? by_host_.erase(it) : std::next(it);
  }
}

UnverifiedSessions::Verdict UnverifiedSessions::Check(const io::Address& client, Instant now,
                                                      const StillUnverified& still_unverified) {
  const io::Address host = HostOf(client);
  if (auto it = by_host_.find(host); it != by_host_.end()) {
    PruneHost(it->second, still_unverified);
    if (it->second.size() >= per_source_max_) return Verdict::kSourceFull;
    if (it->second.empty()) by_host_.erase(it);
  }
  if (total_ >= total_max_ && (!swept_once_ || now - swept_at_ >= kSweepInterval)) {
    Sweep(still_unverified);
    swept_at_ = now;
    swept_once_ = true;
  }
  if (total_ >= total_max_) return Verdict::kTotalFull;
  return Verdict::kAdmit;
}

void UnverifiedSessions::OnAdmitted(const io::Address& client) {
  by_host_[HostOf(client)].push_back(client);
  ++total_;
}

}  // namespace stampede::server
