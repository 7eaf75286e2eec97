// RunTransfers (client_loop.h): poll(2) over the transfers' sockets and their deadlines.
#include "client/client_loop.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include <poll.h>

#include "io/clock.h"

namespace stampede::client {
namespace {

int PollTimeoutMs(Instant deadline, Instant now, Duration cap) {
  Duration wait = cap;
  if (deadline != kInstantNever) wait = std::min(wait, std::max(Duration{0}, deadline - now));
  // Round up so a deadline 0.3 ms away does not become a busy loop of 0 ms polls.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(ms);
}

// Polls without sleeping until a socket is ready, `until` passes or `deadline` (the earliest
// transfer's) is due; returns poll's result, 0 when the spin ends empty.
int BusyPoll(std::vector<pollfd>& fds, Instant until, Instant deadline) {
  const Instant end = std::min(until, deadline);
  int ready = 0;
  do {
    ready = poll(fds.data(), fds.size(), 0);
  } while (ready == 0 && io::Now() < end);
  return ready;
}

}  // namespace

bool RunTransfers(std::span<ClientTransfer* const> transfers, const LoopOptions& options) {
  std::vector<pollfd> fds;
  std::vector<ClientTransfer*> active;
  bool busy_poll_armed = false;  // the last wake-up found a datagram
  for (;;) {
    const Instant now = io::Now();
    if (options.stop != nullptr && options.stop->load()) {
      for (ClientTransfer* t : transfers) t->Abort("Interrupted");
      if (options.ticker != nullptr) options.ticker->OnTick(now);
      return false;
    }
    fds.clear();
    active.clear();
    Instant deadline = kInstantNever;
    for (ClientTransfer* t : transfers) {
      if (t->finished()) continue;
      active.push_back(t);
      fds.push_back(pollfd{t->fd(), POLLIN, 0});
      deadline = std::min(deadline, t->NextDeadline());
    }
    if (options.ticker != nullptr) options.ticker->OnTick(now);
    if (active.empty()) return true;
    int ready = 0;
    const bool spin = busy_poll_armed && options.busy_poll > Duration::zero();
    if (spin) {
      ready = BusyPoll(fds, now + options.busy_poll, deadline);
      if (ready > 0 && options.busy_poll_hits != nullptr) ++*options.busy_poll_hits;
    }
    if (ready == 0) {
      // Only a spin moved the clock since `now`: no extra clock read per wake-up otherwise.
      const Instant before_sleep = spin ? io::Now() : now;
      ready = poll(fds.data(), fds.size(),
                   PollTimeoutMs(deadline, before_sleep, options.tick_interval));
    }
    if (ready < 0 && errno != EINTR) continue;  // EINTR: a signal; the stop flag is checked above
    busy_poll_armed = ready > 0;
    const Instant after = io::Now();
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (ready > 0 && (fds[i].revents & (POLLIN | POLLERR)) != 0) active[i]->OnReadable(after);
      if (!active[i]->finished() && active[i]->NextDeadline() <= after) active[i]->OnTimer(after);
    }
  }
}

}  // namespace stampede::client
