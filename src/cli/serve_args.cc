// `stampede serve` flags and their layering over the config file (serve_args.h).
#include "cli/serve_args.h"

#include <chrono>
#include <string_view>
#include <utility>

#include "base/units.h"
#include "io/event_loop.h"
#include "server/config_check.h"
#include "server/config_file.h"

namespace stampede::cli {
namespace {

tl::unexpected<std::string> Fail(std::string message) {
  return tl::unexpected(std::move(message));
}

void AddPathAndUploadFlags(CLI::App& app, ServeArgs* a) {
  app.add_option("directory", a->directories, "Directory to serve (same as --root)")
      ->type_name("DIR");
  app.add_option("--root", a->root, "Directory to serve (default: the current directory)")
      ->type_name("DIR");
  app.add_flag("-s,--secure", a->secure,
               "Absolute request names are relative to the root (tftpd-hpa -s)");
  app.add_option("-m,--remap,--map-file", a->remap, "tftp-hpa style filename remapping rules")
      ->type_name("FILE");
  app.add_flag("--windows-compat", a->windows_compat, "Treat '\\' in names as '/'");
  app.add_flag("--fold-case", a->fold_case,
               "Match missing names ASCII-case-insensitively (BOOT\\BCD finds Boot/BCD)");
  app.add_flag("-p,--permissive", a->permissive,
               "No world-readable/-writable checks (the default; tftpd-hpa -p)");
  app.add_flag("--upload", a->upload, "Accept uploads (WRQ) replacing existing files");
  app.add_flag("-c,--create", a->create, "Accept uploads that create new files (implies --upload)");
  app.add_flag("--no-overwrite", a->no_overwrite, "Refuse uploads to existing files (ERROR 6)");
  app.add_option("--max-upload-size", a->upload_size_max,
                 "Largest upload accepted, e.g. 64MiB (default: unlimited)")
      ->type_name("SIZE");
  app.add_option("-U,--umask", a->umask, "umask for uploaded files, octal (default 022)")
      ->type_name("OCTAL");
}

void AddNetworkFlags(CLI::App& app, ServeArgs* a) {
  app.add_option("--listen,-a,--address", a->listen,
                 "Listen on ADDR:PORT, [V6ADDR]:PORT, ADDR or :PORT; repeatable "
                 "(default [::]:69). A bare --listen is tftpd-hpa's and ignored")
      ->type_name("ADDR[:PORT]")
      ->expected(0, 1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("-R,--port-range", a->port_range,
                 "Local ports for transfers, LO:HI (default: kernel's choice)")
      ->type_name("LO:HI");
  app.add_flag("--single-port", a->single_port,
               "Serve every transfer from the listening port (NAT, containers)");
  app.add_flag("-4,--ipv4", a->ipv4, "IPv4 only");
  app.add_flag("-6,--ipv6", a->ipv6, "IPv6 only");
  app.add_option("--max-sessions", a->sessions_max, "Concurrent transfers at most (10000)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--admission-queue", a->admission_queue_max,
                 "Requests past --max-sessions that wait for a free slot (default 0: refused)")
      ->check(CLI::Range(0u, 1'000'000u));
  app.add_option("--rate", a->rate,
                 "Cap on everything sent, bits/s with IPv4/UDP headers: 900M, 1G, 1gbit "
                 "(default 0: none)")
      ->type_name("BITS");
  app.add_option("--scheduler", a->scheduler,
                 "Server-wide fair, delay-paced transmission of downloads (default off)")
      ->check(CLI::IsMember({"on", "off"}))
      ->type_name("on|off");
  app.add_option("--busy-poll", a->busy_poll,
                 "After traffic, poll this long before sleeping: less latency per round trip for "
                 "CPU time, at most 100ms (default 0: off; docs/io.md)")
      ->type_name("DURATION");
}

void AddProtocolFlags(CLI::App& app, ServeArgs* a) {
  app.add_option("-B,--blksize-max,--blocksize", a->blksize_max,
                 "Largest blksize agreed (default 1468)")
      ->check(CLI::Range(8u, 65464u));
  app.add_option("--windowsize-max", a->windowsize_max, "Largest windowsize agreed (default 64)")
      ->check(CLI::Range(1u, 65535u));
  app.add_option("--timeout", a->timeout,
                 "Initial retransmission timeout before any RTT is measured, with a unit: "
                 "200ms, 1s (default 200ms)")
      ->type_name("DURATION");
  app.add_option("-T,--retransmit", a->retransmit_us, "The same in microseconds (tftpd-hpa -T)")
      ->check(CLI::Range(std::uint64_t{1000}, std::uint64_t{60'000'000}));
  app.add_option("-t", a->inetd_timeout_s,
                 "tftpd-hpa's inetd idle timeout: accepted and ignored (always standalone)")
      ->type_name("SECONDS");
  app.add_option("--retries", a->retries, "Timeouts in a row before giving up (default 6)")
      ->check(CLI::Range(1u, 1000u));
  app.add_flag("--honour-timeout-option,--honor-timeout-option", a->honour_timeout_option,
               "Obey the client's RFC 2349 timeout/utimeout (default: adaptive timer)");
  app.add_flag("--no-tsize", a->no_tsize, "Do not negotiate tsize");
  app.add_flag("--no-blksize", a->no_blksize, "Do not negotiate blksize");
  app.add_flag("--no-windowsize", a->no_windowsize, "Do not negotiate windowsize");
  app.add_flag("--no-rollover", a->no_rollover, "Do not negotiate rollover");
  app.add_option("-r,--refuse", a->refuse, "Do not negotiate OPTION (tftpd-hpa -r); repeatable")
      ->type_name("OPTION")
      ->check(CLI::IsMember({"blksize", "tsize", "windowsize", "rollover", "timeout", "utimeout"}));
}

void AddProcessFlags(CLI::App& app, ServeArgs* a) {
  app.add_option("-u,--user", a->user, "Drop root to USER after binding")->type_name("USER");
  app.add_flag("--seccomp", a->seccomp,
               "Once serving, allow only the system calls a server needs (docs/sandbox.md)");
  app.add_option("--config", a->config_file, "TOML config file (command-line flags win)")
      ->type_name("FILE");
  app.add_flag("--check-config", a->check_config,
               "Validate the configuration, print it, exit 0 (valid) or 1; binds nothing");
  app.add_flag("-v,--verbose", a->verbose_count, "More log detail; repeatable");
  app.add_option("--verbosity", a->verbosity, "Log detail level")->check(CLI::Range(0, 3));
  app.add_flag("-l,-L,--foreground", a->foreground,
               "Accepted for tftpd-hpa (-l listen, -L foreground): always both");
}

tl::expected<std::uint16_t, std::string> ParseUmask(const std::string& text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 4) return Fail("--umask: expected octal 000..777");
  for (const char ch : text) {
    if (ch < '0' || ch > '7') return Fail("--umask: expected octal 000..777");
    value = value * 8 + static_cast<unsigned>(ch - '0');
  }
  if (value > 0777) return Fail("--umask: expected octal 000..777");
  return static_cast<std::uint16_t>(value);
}

tl::expected<Duration, std::string> ParseTimeout(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string::npos) {
    return Fail(
        "--timeout: give a unit, e.g. 200ms or 1s (tftpd-hpa's -T takes "
        "microseconds; its -t idle seconds do not apply standalone)");
  }
  auto duration = base::ParseDuration(text);
  if (!duration) return Fail("--timeout: " + duration.error());
  if (*duration < std::chrono::milliseconds(1) || *duration > std::chrono::seconds(60)) {
    return Fail("--timeout: must lie in [1ms, 60s]");
  }
  return *duration;
}

// ":69" (tftpd-hpa's any-address form) → the wildcard of the enabled family.
std::string ListenAddress(const std::string& text, server::AddressFamilies families) {
  if (text.empty() || text.front() != ':') return text;
  return (families == server::AddressFamilies::kIpv4Only ? "0.0.0.0" : "[::]") + text;
}

void ApplyOptionFlags(const ServeArgs& a, server::ServerConfig* c) {
  if (a.blksize_max) c->options.blksize_max = static_cast<std::uint16_t>(*a.blksize_max);
  if (a.windowsize_max) c->options.windowsize_max = static_cast<std::uint16_t>(*a.windowsize_max);
  if (a.retransmit_us) c->retransmit.rto_initial = std::chrono::microseconds(*a.retransmit_us);
  if (a.retries) c->retransmit.retries_max = *a.retries;
  if (a.honour_timeout_option) {
    c->options.timeout_honoured = true;
    c->options.utimeout_honoured = true;
  }
  for (const auto& name : a.refuse) {
    if (name == "blksize") c->options.blksize_enabled = false;
    if (name == "tsize") c->options.tsize_enabled = false;
    if (name == "windowsize") c->options.windowsize_enabled = false;
    if (name == "rollover") c->options.rollover_enabled = false;
    if (name == "timeout") c->options.timeout_honoured = false;
    if (name == "utimeout") c->options.utimeout_honoured = false;
  }
  if (a.no_tsize) c->options.tsize_enabled = false;
  if (a.no_blksize) c->options.blksize_enabled = false;
  if (a.no_windowsize) c->options.windowsize_enabled = false;
  if (a.no_rollover) c->options.rollover_enabled = false;
}

void ApplyPathAndUploadFlags(const ServeArgs& a, server::ServerConfig* c) {
  if (a.root) c->root = *a.root;
  if (!a.directories.empty()) c->root = a.directories.front();
  if (a.remap) c->remap_file = *a.remap;
  if (a.secure) c->paths.absolute_is_root_relative = true;
  if (a.windows_compat) c->paths.map_backslashes = true;
  if (a.fold_case) c->paths.fold_case = true;
  if (a.permissive) {
    c->paths.require_world_readable = false;
    c->upload.require_world_writable = false;
  }
  if (a.upload || a.create) c->uploads_enabled = true;
  if (a.create) c->upload.create = true;
  if (a.no_overwrite) c->upload.overwrite = false;
  if (a.upload_size_max) c->upload.size_max_bytes = *base::ParseBytes(*a.upload_size_max);
  if (a.umask) c->upload.umask = *ParseUmask(*a.umask);
}

}  // namespace

void AddServeFlags(CLI::App& app, ServeArgs* args) {
  AddPathAndUploadFlags(app, args);
  AddNetworkFlags(app, args);
  AddProtocolFlags(app, args);
  AddProcessFlags(app, args);
  AddLimitFlags(app, &args->limits);
}

tl::expected<void, std::string> ValidateServeArgs(const ServeArgs& a) {
  if (a.directories.size() > 1) {
    return Fail("serve one directory: got " + std::to_string(a.directories.size()));
  }
  if (a.root && !a.directories.empty()) {
    return Fail("give the directory once: either DIR or --root");
  }
  if (a.ipv4 && a.ipv6) return Fail("--ipv4 and --ipv6 exclude each other");
  if (a.port_range) {
    if (auto range = server::ParsePortRange(*a.port_range); !range) {
      return Fail("--port-range: " + range.error());
    }
  }
  if (a.upload_size_max) {
    if (auto bytes = base::ParseBytes(*a.upload_size_max); !bytes) {
      return Fail("--max-upload-size: " + bytes.error());
    }
  }
  if (a.rate) {
    if (auto rate = base::ParseBitRate(*a.rate); !rate) return tl::unexpected(rate.error());
  }
  if (a.umask) {
    if (auto mask = ParseUmask(*a.umask); !mask) return tl::unexpected(mask.error());
  }
  if (a.timeout) {
    if (auto timeout = ParseTimeout(*a.timeout); !timeout) return tl::unexpected(timeout.error());
  }
  if (a.busy_poll) {
    if (auto spin = io::ParseBusyPoll(*a.busy_poll); !spin) {
      return Fail("--busy-poll: " + spin.error());
    }
  }
  if (a.timeout && a.retransmit_us) {
    return Fail("--timeout and -T/--retransmit set the same timer; give one");
  }
  return {};
}

tl::expected<server::ServerConfig, std::string> BuildServerConfig(const ServeArgs& a) {
  if (auto valid = ValidateServeArgs(a); !valid) return tl::unexpected(valid.error());
  server::ServerConfig c;
  if (a.config_file) {
    if (auto applied = server::ApplyConfigFile(*a.config_file, &c); !applied) {
      return tl::unexpected(applied.error());
    }
  }
  ApplyPathAndUploadFlags(a, &c);
  ApplyOptionFlags(a, &c);
  if (a.timeout) c.retransmit.rto_initial = *ParseTimeout(*a.timeout);
  if (a.ipv4) c.families = server::AddressFamilies::kIpv4Only;
  if (a.ipv6) c.families = server::AddressFamilies::kIpv6Only;
  std::vector<std::string> listen;
  for (const auto& text : a.listen) {
    if (!text.empty()) listen.push_back(ListenAddress(text, c.families));
  }
  if (!listen.empty()) c.listen = std::move(listen);
  if (a.port_range) c.port_range = *server::ParsePortRange(*a.port_range);
  if (a.single_port) c.single_port = true;
  if (a.sessions_max) c.sessions_max = *a.sessions_max;
  ApplyLimitFlags(a.limits, &c);
  if (a.admission_queue_max) c.admission_queue_max = *a.admission_queue_max;
  if (a.rate) c.rate_bps = *base::ParseBitRate(*a.rate);
  if (a.scheduler) c.scheduler = *a.scheduler == "on";
  if (a.busy_poll) c.busy_poll = *io::ParseBusyPoll(*a.busy_poll);
  if (a.user) c.user = *a.user;
  if (a.seccomp) c.seccomp = true;
  if (a.verbosity) c.verbosity = *a.verbosity;
  if (a.verbose_count > 0) c.verbosity = static_cast<int>(a.verbose_count);
  server::FinalizeConfig(&c);
  return c;
}

}  // namespace stampede::cli
