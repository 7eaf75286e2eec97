// SessionTable (session_table.h).
#include "server/session_table.h"

#include <utility>

#include "base/check.h"

namespace stampede::server {

io::Address SessionTable::HostOf(const io::Address& client) {
  io::Address host = client.Unmapped();
  host.set_port(0);
  return host;
}

Session* SessionTable::Find(const io::Address& client) const {
  auto it = sessions_.find(client);
  return it == sessions_.end() ? nullptr : it->second.get();
}

Session& SessionTable::Insert(std::unique_ptr<Session> session) {
  const io::Address client = session->client();
  auto [it, inserted] = sessions_.emplace(client, std::move(session));
  STAMPEDE_CHECK(inserted);
  ++per_host_[HostOf(client)];
  return *it->second;
}

std::unique_ptr<Session> SessionTable::Remove(const io::Address& client) {
  auto it = sessions_.find(client);
  if (it == sessions_.end()) return nullptr;
  std::unique_ptr<Session> session = std::move(it->second);
  sessions_.erase(it);
  auto host = per_host_.find(HostOf(client));
  STAMPEDE_CHECK(host != per_host_.end() && host->second > 0);
  if (--host->second == 0) per_host_.erase(host);
  return session;
}

std::uint32_t SessionTable::CountForHost(const io::Address& client) const {
  auto it = per_host_.find(HostOf(client));
  return it == per_host_.end() ? 0 : it->second;
}

std::vector<Session*> SessionTable::All() const {
  std::vector<Session*> all;
  all.reserve(sessions_.size());
  for (const auto& [client, session] : sessions_) all.push_back(session.get());
  return all;
}

}  // namespace stampede::server
