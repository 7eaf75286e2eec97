// The foreground run of `stampede serve` (serve_run.h): the order of start-up matters. Signals are
// blocked first (the engine takes them in its loop), sockets are bound or adopted while still
// privileged, privileges are dropped before anything is served, and READY=1 goes out last.
#include "cli/serve_run.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include "cli/serve_command.h"
#include "cli/serve_log.h"
#include "io/privileges.h"
#include "io/sandbox.h"
#include "io/systemd.h"
#include "server/config_check.h"
#include "server/descriptor_budget.h"
#include "server/server.h"

namespace stampede::cli {
namespace {

using server::LogLevel;

void BlockServeSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void Notify(ServeLog& log, const std::string& state) {
  if (auto sent = io::NotifyServiceManager(state); !sent) {
    log.Log(LogLevel::kWarning, "systemd notification failed: " + sent.error().ToString());
  }
}

std::string Addresses(const server::Server& server) {
  std::string out;
  for (const auto& address : server.local_addresses()) {
    if (!out.empty()) out += ", ";
    out += address.ToString();
  }
  return out;
}

tl::expected<std::unique_ptr<server::Server>, std::string> CreateServer(
    const server::ServerConfig& config, ServeLog& log) {
  auto sockets = io::TakeActivatedSockets();
  if (!sockets) return tl::unexpected("socket activation: " + sockets.error().ToString());
  if (sockets->empty()) return server::Server::Create(config, log);
  log.Log(LogLevel::kInfo, fmt::format("adopting {} socket(s) from the service manager; "
                                       "listen addresses in the configuration are not bound",
                                       sockets->size()));
  return server::Server::CreateWithSockets(config, std::move(*sockets), log);
}

// SIGHUP: the configuration as a fresh start would build it, or nullopt (logged) to keep the
// running one. Settings a reload cannot change are reported, not silently dropped.
std::optional<server::ServerConfig> ReloadConfig(const ServeArgs& args,
                                                 const server::ServerConfig& initial,
                                                 ServeLog& log) {
  Notify(log, "RELOADING=1");
  auto config = BuildServerConfig(args);
  if (!config) {
    log.Log(LogLevel::kError,
            "reload refused, keeping the running configuration: " + config.error());
    return std::nullopt;
  }
  const auto problems = server::CheckConfig(*config);
  for (const auto& problem : problems) {
    log.Log(LogLevel::kError, "reload refused, keeping the running configuration: " + problem);
  }
  if (!problems.empty()) return std::nullopt;
  if (config->listen != initial.listen || config->families != initial.families ||
      config->single_port != initial.single_port || config->user != initial.user ||
      config->seccomp != initial.seccomp) {
    log.Log(LogLevel::kWarning,
            "listen, families, single_port, user and seccomp changes take effect at the next "
            "start");
  }
  return std::move(*config);
}

}  // namespace

int RunServer(const ServeArgs& args, const server::ServerConfig& config) {
  ServeLog log(io::StderrIsJournal());
  BlockServeSignals();
  // Every transfer holds a socket and a file: room for sessions_max of them if the hard limit
  // allows (docs/security.md, limits.descriptors_reserved guards the rest).
  const std::size_t descriptors = server::RaiseDescriptorSoftLimit();
  if (descriptors < 2 * std::size_t{config.sessions_max}) {
    log.Log(LogLevel::kWarning,
            fmt::format("RLIMIT_NOFILE is {}: fewer than two descriptors per session allowed "
                        "(limits.sessions_max {}); new transfers are refused when they run out",
                        descriptors, config.sessions_max));
  }
  auto created = CreateServer(config, log);
  if (!created) {
    log.Log(LogLevel::kError, created.error());
    return kServeExitFailure;
  }
  server::Server& server = **created;
  if (config.user) {
    if (auto dropped = io::DropPrivileges(*config.user); !dropped) {
      log.Log(LogLevel::kError, "dropping privileges: " + dropped.error().ToString());
      return kServeExitFailure;
    }
  }
  // The sockets are bound: no capability is needed any more (docs/sandbox.md). Root without
  // --user keeps its own, which force the transfer sockets' buffers past the sysctl limits.
  if (config.user || ::geteuid() != 0) {
    if (auto dropped = io::DropCapabilities(); !dropped) {
      log.Log(LogLevel::kError, "dropping capabilities: " + dropped.error().ToString());
      return kServeExitFailure;
    }
  }
  if (config.seccomp) {
    if (auto applied = io::ApplySeccompFilter(); !applied) {
      log.Log(LogLevel::kError, "installing the seccomp filter: " + applied.error().ToString());
      return kServeExitFailure;
    }
  }
  const std::string addresses = Addresses(server);
  log.Log(LogLevel::kNotice, fmt::format("listening on {}, serving {}{}{}", addresses, config.root,
                                         config.uploads_enabled ? " (uploads enabled)" : "",
                                         config.user ? " as user " + *config.user : ""));

  server::RunOptions options;
  options.handle_signals = true;
  options.reload_config = [&args, &config, &log] { return ReloadConfig(args, config, log); };
  // The engine logs the stop and the reload outcome itself; these only tell systemd.
  options.on_stopping = [&log] { Notify(log, "STOPPING=1"); };
  options.on_reloaded = [&log](bool) { Notify(log, "READY=1"); };
  Notify(log, "READY=1\nSTATUS=serving " + config.root + " on " + addresses);
  auto ran = server.Run(options);
  if (!ran) {
    log.Log(LogLevel::kError, "server failed: " + ran.error());
    return kServeExitFailure;
  }
  const auto& m = server.metrics();
  log.Log(LogLevel::kNotice,
          fmt::format("stopped: {} transfers completed, {} failed, {} aborted by shutdown",
                      m.completed, m.failed, m.aborted_by_shutdown));
  // The abuse limits' counters (docs/security.md), one line, for operators and the tests.
  log.Log(LogLevel::kNotice,
          fmt::format("limits: requests={} started={} dropped_privileged_port={} "
                      "dropped_broadcast={} dropped_source_rate={} dropped_unverified_source={} "
                      "dropped_unverified_total={} refused_busy={} refused_descriptors={} "
                      "errors_sent={} errors_rate_limited={} strays={} ended_idle={} ended_slow={}",
                      m.requests, m.sessions_started, m.dropped_privileged_port,
                      m.dropped_broadcast, m.dropped_source_rate, m.dropped_unverified_source,
                      m.dropped_unverified_total, m.refused_busy, m.refused_descriptors,
                      m.errors_sent, m.errors_rate_limited, m.strays, m.ended_idle, m.ended_slow));
  return kServeExitOk;
}

}  // namespace stampede::cli
