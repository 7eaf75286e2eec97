// The live sessions keyed by client address:port (PROTOCOL E40/E41: one transfer per client TID;
// a new port from the same host is a new session), with a per-host count for
// sessions_per_client_max. Owns the sessions. Must not do I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "io/address.h"
#include "server/session.h"

namespace stampede::server {

class SessionTable {
 public:
  Session* Find(const io::Address& client) const;
  // The client must not have a session already.
  Session& Insert(std::unique_ptr<Session> session);
  // Takes the session out of the table and hands it back (the caller destroys it when safe).
  std::unique_ptr<Session> Remove(const io::Address& client);

  std::size_t size() const { return sessions_.size(); }
  bool empty() const { return sessions_.empty(); }
  std::uint32_t CountForHost(const io::Address& client) const;
  // Every session, for shutdown.
  std::vector<Session*> All() const;

 private:
  static io::Address HostOf(const io::Address& client);

  std::unordered_map<io::Address, std::unique_ptr<Session>> sessions_;
  std::unordered_map<io::Address, std::uint32_t> per_host_;
};

}  // namespace stampede::server
