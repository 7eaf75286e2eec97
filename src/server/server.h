// The server engine behind `stampede serve`: binds the listening sockets (or adopts systemd's),
// turns requests into transfers (policy: remap, path resolver, upload manager; negotiation; a
// transfer::Sender or Receiver per session), drives them on one io::EventLoop, logs one line per
// finished transfer, and stops or reloads on request. Must not parse flags or config files (the
// CLI hands a checked ServerConfig), drop privileges, or talk to systemd.
//
// Threading: Create, Run and the destructor belong to one thread. RequestStop, RequestAbort and
// RequestReload are async-signal-safe and thread-safe. Reload is thread-safe (the new policy is
// built on the caller's thread and swapped in on the loop's).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "io/address.h"
#include "server/log_sink.h"
#include "server/server_config.h"
#include "server/server_metrics.h"
#include "server/transfer_summary.h"

namespace stampede::server {

struct RunOptions {
  // Block SIGTERM/SIGINT/SIGHUP in the calling thread and handle them in the loop: SIGTERM/SIGINT
  // → RequestStop (a second one → RequestAbort), SIGHUP → RequestReload. Off: the embedder calls
  // the Request* methods itself (from its own signal handlers or threads).
  bool handle_signals = false;
  // Called on the loop thread for each RequestReload (SIGHUP): builds the new configuration (the
  // CLI re-reads its file). nullopt (the function logged why) keeps the current one. Unset: a
  // reload re-applies the current configuration (reopens the root, re-reads the remap file).
  std::function<std::optional<ServerConfig>()> reload_config;
  // Called on the loop thread when a stop begins (systemd STOPPING=1) and around reloads.
  std::function<void()> on_stopping;
  std::function<void(bool ok)> on_reloaded;
};

// Admission: past config.sessions_max a request is answered ERROR 0 "Server busy"; past
// sessions_per_client_max (per host) it is dropped silently, so a client's own retransmitted
// request is admitted once a session ends (PROTOCOL G59). A retransmitted request from a client
// address:port whose transfer lives is ignored (E40); a different request from it restarts the
// session (single-port mode: PROTOCOL "Single-port mode"). Log lines: one per finished transfer
// (FormatTransferLine), start-up warnings, reloads, stop; refusals at verbosity >= 1.
class Server {
 public:
  // Opens the root, loads the remap file, binds every listen address (IP_FREEBIND: an address not
  // up yet is not fatal), sweeps stale upload temporaries. Errors carry context ("bind
  // 127.0.0.1:69: Permission denied"). `log` must outlive the Server.
  static tl::expected<std::unique_ptr<Server>, std::string> Create(const ServerConfig& config,
                                                                   LogSink& log);
  // Socket activation: adopts already-bound UDP sockets (the Server closes them) instead of
  // binding config.listen. Each must be a datagram socket; it is set non-blocking and gets packet
  // info and the configured buffers.
  static tl::expected<std::unique_ptr<Server>, std::string> CreateWithSockets(
      const ServerConfig& config, std::vector<int> fds, LogSink& log);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until a stop completes: returns after RequestStop once every transfer finished or
  // config.shutdown_grace passed (the rest are aborted; upload temporaries removed), or at once
  // after RequestAbort. An error means the event loop itself failed.
  tl::expected<void, std::string> Run(const RunOptions& options = {});

  // Async-signal-safe: stop taking requests, let transfers finish within shutdown_grace.
  void RequestStop();
  // Async-signal-safe: abort every transfer now and return from Run.
  void RequestAbort();
  // Async-signal-safe: have Run call RunOptions::reload_config and Reload with the result.
  void RequestReload();

  // New sessions use `config` (root reopened, remap re-read, limits, options, upload policy);
  // transfers in flight keep what they started with. A bad config is refused with the reason and
  // the old one kept. Listen addresses, families and the socket layout (single_port) are not
  // changed by a reload. Thread-safe; also callable before or after Run.
  tl::expected<void, std::string> Reload(const ServerConfig& config);

  const ServerMetrics& metrics() const;
  // The bound (or adopted) listening addresses; port 0 in the config shows the real port.
  std::vector<io::Address> local_addresses() const;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stampede::server
