// Requests past --max-sessions waiting for a slot (admission_queue.h) of Server::Impl
// (server_impl.h): held where the server would refuse them, started in arrival order after a
// wake-up that freed slots. A started request goes through HandleRequest again (counted again in
// `requests`), so every filter and limit still applies to it.
#include "server/server_impl.h"

namespace stampede::server {

bool Server::Impl::HoldForSlot(const Listener& listener, const io::RxDatagram& datagram,
                               Instant now) {
  std::size_t index = 0;
  while (index < listeners_.size() && listeners_[index].get() != &listener) ++index;
  if (index == listeners_.size()) return false;
  const bool held = admission_.Hold(index, *datagram.peer, datagram.arrival, datagram.payload, now);
  metrics_.admission_waiting = admission_.size();
  return held;
}

void Server::Impl::StartWaiting(Instant now) {
  while (sessions_.size() < policy_->config().sessions_max) {
    std::optional<AdmissionQueue::Entry> entry = admission_.PopOldest(now);
    if (!entry) break;
    const auto packet = wire::Parse(entry->request);
    const auto* request = packet ? std::get_if<wire::Request>(&*packet) : nullptr;
    if (request == nullptr) continue;  // it parsed as a request when it arrived
    const io::RxDatagram datagram{
        .payload = entry->request, .peer = &entry->peer, .arrival = entry->arrival};
    ++metrics_.admission_started;
    HandleRequest(*listeners_[entry->listener], datagram, *request, now);
  }
  metrics_.admission_waiting = admission_.size();
}

}  // namespace stampede::server
