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

}  // namespace

bool RunTransfers(std::span<ClientTransfer* const> transfers, const LoopOptions& options) {
  std::vector<pollfd> fds;
  std::vector<ClientTransfer*> active;
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
    const int ready =
        poll(fds.data(), fds.size(), PollTimeoutMs(deadline, now, options.tick_interval));
    if (ready < 0 && errno != EINTR) continue;  // EINTR: a signal; the stop flag is checked above
    const Instant after = io::Now();
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (ready > 0 && (fds[i].revents & (POLLIN | POLLERR)) != 0) active[i]->OnReadable(after);
      if (!active[i]->finished() && active[i]->NextDeadline() <= after) active[i]->OnTimer(after);
    }
  }
}

}  // namespace stampede::client
