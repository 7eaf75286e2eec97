// `stampede get` (get_command.h): target parsing (URLs or HOST PATH...), output naming, sinks, and
// the run. Protocol behaviour lives in client/; output and exit codes in client_run.cc.
#include "cli/get_command.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client_common.h"
#include "cli/client_run.h"
#include "cli/url_target.h"
#include "client/file_sink.h"

namespace stampede::cli {
namespace {

constexpr const char* kCommand = "stampede get";

constexpr const char* kFooter = R"(
Targets:
  tftp://HOST[:PORT]/PATH ...   one or more URLs; IPv6 literals in brackets, %XX decoded
  HOST[:PORT] PATH ...          tftp-hpa style: a host, then one or more remote paths
  The first word decides: if it starts with tftp:// every target must be a URL.

Output: -o FILE (single target only; '-' = stdout), else each file is saved under its base name
in --output-dir (default: the current directory). A download goes to a temporary file beside the
target and is renamed into place only when complete; on any failure or Ctrl-C the target is
untouched. With -o - a failure may leave a prefix on stdout: trust the exit code.

Exit codes: 0 ok; 1 other (server broke the protocol); 2 usage; 3 network/timeout;
  4 TFTP error from the server; 5 local file error; 6 integrity (size differs from tsize,
  more than tsize or --max-size); 130/143 interrupted by SIGINT/SIGTERM.

Examples:
  stampede get tftp://10.0.0.5/pxelinux.0
  stampede get -o - tftp://[fe80::1%eth0]:6969/boot.cfg | less
  stampede get --windowsize 16 --max-size 200MiB 10.0.0.5 vmlinuz initrd.img
  stampede get --no-options --retries 3 tftp://router/startup-config -o backup.cfg
)";

struct GetTarget {
  RemoteTarget remote;
  std::string label;
};

tl::expected<std::vector<GetTarget>, std::string> ParseTargets(
    const std::vector<std::string>& words) {
  std::vector<GetTarget> targets;
  if (words.empty()) return tl::unexpected(std::string("no target given"));
  if (LooksLikeUrl(words.front())) {
    for (const auto& word : words) {
      auto remote = ParseUrl(word);
      if (!remote) return tl::unexpected(remote.error());
      targets.push_back({std::move(*remote), word});
    }
    return targets;
  }
  if (words.size() < 2) return tl::unexpected(std::string("expected HOST PATH... or tftp:// URLs"));
  auto host = ParseHostPort(words.front());
  if (!host) return tl::unexpected(host.error());
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (LooksLikeUrl(words[i]) || words[i].empty()) {
      return tl::unexpected(
          fmt::format("'{}' is not a remote path (mixing HOST PATH and URLs?)", words[i]));
    }
    RemoteTarget remote = *host;
    remote.path = words[i];
    targets.push_back({std::move(remote), fmt::format("{}:{}", words.front(), words[i])});
  }
  return targets;
}

// Where each download goes; "-" is stdout.
tl::expected<std::vector<std::string>, std::string> OutputPaths(
    const std::vector<GetTarget>& targets, const ClientArgs& args) {
  if (!args.output.empty()) {
    if (targets.size() != 1)
      return tl::unexpected(std::string("-o takes a single target; use --output-dir"));
    struct stat st {};
    if (args.output != "-" && stat(args.output.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return tl::unexpected(fmt::format("-o {} is a directory; use --output-dir", args.output));
    }
    return std::vector<std::string>{args.output};
  }
  std::vector<std::string> paths;
  std::set<std::string> seen;
  for (const auto& t : targets) {
    const std::string base = BaseName(t.remote.path);
    if (base.empty())
      return tl::unexpected(fmt::format("{}: no file name to save under; use -o", t.label));
    std::string path = args.output_dir.empty() ? base : args.output_dir + "/" + base;
    if (!seen.insert(path).second)
      return tl::unexpected(fmt::format("two targets would both be saved as {}", path));
    paths.push_back(std::move(path));
  }
  return paths;
}

// One config per target; on failure the message is printed and the exit code returned.
tl::expected<std::vector<client::ClientConfig>, int> MakeConfigs(
    const std::vector<GetTarget>& targets, const client::ClientConfig& base,
    const ClientArgs& args) {
  std::vector<client::ClientConfig> configs;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    auto server =
        ResolveHost(t.remote.host, t.remote.port.value_or(static_cast<std::uint16_t>(args.port)),
                    AddressFamily(args));
    if (!server) {
      fmt::print(stderr, "{}: {}: {}\n", kCommand, t.label, server.error());
      return tl::unexpected(kExitNetwork);
    }
    client::ClientConfig config = base;
    config.direction = client::Direction::kGet;
    config.server = *server;
    config.remote_path = t.remote.path;
    config.port_start_offset = static_cast<std::uint32_t>(i);
    if (!client::RequestFits(config)) {
      fmt::print(stderr, "{}: {}: the request would exceed 512 bytes (RFC 2347); nothing sent\n",
                 kCommand, t.label);
      return tl::unexpected(kExitUsage);
    }
    configs.push_back(std::move(config));
  }
  return configs;
}

int RunGet(const std::vector<std::string>& argv) {
  CLI::App app{"Download files from a TFTP server", kCommand};
  app.footer(kFooter);
  ClientArgs args;
  app.add_option("targets", args.positionals, "tftp:// URLs, or HOST followed by paths")
      ->required();
  app.add_option("-o,--output", args.output, "Save to FILE ('-' for stdout); single target only");
  app.add_option("--output-dir", args.output_dir,
                 "Directory for downloads saved under their base names");
  AddClientOptions(app, args);
  if (auto code = ParseCommandLine(app, argv)) return *code;
  const InterruptGuard interrupts;  // before any temporary file exists
  auto base = BaseConfig(args);
  auto targets = ParseTargets(args.positionals);
  tl::expected<std::vector<std::string>, std::string> outputs =
      targets ? OutputPaths(*targets, args) : tl::unexpected(targets.error());
  if (!base || !outputs) {
    fmt::print(stderr, "{}: {}\nRun '{} --help' for usage.\n", kCommand,
               !base ? base.error() : outputs.error(), kCommand);
    return kExitUsage;
  }
  auto configs = MakeConfigs(*targets, *base, args);
  if (!configs) return configs.error();
  // Sinks are declared before the transfers that use them, so they outlive them; an uncommitted
  // AtomicFileSink removes its temporary when destroyed.
  std::vector<std::unique_ptr<transfer::BlockSink>> sinks;
  std::vector<PlannedTransfer> planned;
  for (std::size_t i = 0; i < configs->size(); ++i) {
    const std::string& out = (*outputs)[i];
    if (out == "-") {
      sinks.push_back(std::make_unique<client::FdSink>(STDOUT_FILENO));
    } else {
      auto sink = client::AtomicFileSink::Create(out);
      if (!sink) {
        fmt::print(stderr, "{}: {}\n", kCommand, sink.error().ToString());
        return kExitLocalFile;
      }
      sinks.push_back(std::make_unique<client::AtomicFileSink>(std::move(*sink)));
    }
    planned.push_back({(*targets)[i].label,
                       std::make_unique<client::ClientTransfer>((*configs)[i], *sinks.back())});
  }
  const int code = RunPlanned(planned, args, kCommand, interrupts);
  planned.clear();
  return code;
}

}  // namespace

void RegisterGetCommand(CLI::App& app) {
  RegisterRawCommand(app, "get", "Download files from a TFTP server (see 'stampede get --help')",
                     &RunGet);
}

}  // namespace stampede::cli
