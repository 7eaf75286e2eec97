// ProgressWatch (progress_watch.h).
#include "server/progress_watch.h"

namespace stampede::server {

ProgressWatch::Verdict ProgressWatch::Observe(std::uint64_t session, std::uint64_t progress_bytes,
                                              Instant now) {
  auto [it, inserted] = entries_.try_emplace(session);
  Entry& e = it->second;
  if (inserted || progress_bytes < e.last_bytes) {  // new, or a reused identity
    e = Entry{progress_bytes, now, progress_bytes, now, generation_};
    return Verdict::kOk;
  }
  e.generation = generation_;
  if (progress_bytes > e.last_bytes) {
    e.last_bytes = progress_bytes;
    e.last_progress_at = now;
  }
  if (limits_.idle_max > Duration{0} && now - e.last_progress_at >= limits_.idle_max) {
    return Verdict::kIdle;
  }
  if (limits_.min_bytes_per_s > 0 && limits_.window > Duration{0} &&
      now - e.window_start_at >= limits_.window) {
    const double needed = limits_.min_bytes_per_s * ToSeconds(now - e.window_start_at);
    if (static_cast<double>(progress_bytes - e.window_start_bytes) < needed) {
      return Verdict::kTooSlow;
    }
    e.window_start_bytes = progress_bytes;
    e.window_start_at = now;
  }
  return Verdict::kOk;
}

void ProgressWatch::EndSweep() {
  std::erase_if(entries_, [&](const auto& item) { return item.second.generation != generation_; });
}

}  // namespace stampede::server
