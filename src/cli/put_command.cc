// `stampede put` (put_command.h): target parsing, the file source, and the run.
#include "cli/put_command.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <unistd.h>

#include "cli/client_common.h"
#include "cli/client_run.h"
#include "cli/url_target.h"
#include "client/file_sink.h"

namespace stampede::cli {
namespace {

constexpr const char* kCommand = "stampede put";

constexpr const char* kFooter = R"(
Forms:
  stampede put FILE tftp://HOST[:PORT]/PATH   a PATH ending in '/' gets FILE's base name
  stampede put FILE HOST[:PORT] [PATH]        tftp-hpa style; PATH defaults to FILE's base name
  FILE '-' reads standard input: it is spooled to an unnamed file in $TMPDIR (default /tmp)
  first, then sent with its size; the remote PATH must then be given.

The size is announced with tsize (octet mode), so a server with a size limit refuses at once.
Success means the server acknowledged the last block.

Exit codes: 0 ok; 1 other (server broke the protocol); 2 usage; 3 network/timeout (also: last
  block never acknowledged); 4 TFTP error from the server; 5 local file error;
  130/143 interrupted by SIGINT/SIGTERM.

Examples:
  stampede put startup-config tftp://10.0.0.5/backups/
  stampede put --blksize 1428 firmware.bin 10.0.0.5 incoming/firmware.bin
  tar c /etc | stampede put - tftp://10.0.0.5/backups/etc.tar
)";

struct PutTarget {
  RemoteTarget remote;
  std::string label;
};

tl::expected<PutTarget, std::string> ParseTarget(const std::vector<std::string>& words) {
  if (words.size() < 2 || words.size() > 3) {
    return tl::unexpected(std::string("expected FILE URL, or FILE HOST [PATH]"));
  }
  const bool from_stdin = words[0] == "-";
  const std::string base = from_stdin ? std::string() : BaseName(words[0]);
  if (LooksLikeUrl(words[1])) {
    if (words.size() != 2) return tl::unexpected(std::string("a URL takes no separate PATH"));
    const bool directory = !words[1].empty() && words[1].back() == '/';
    if (directory && from_stdin) {
      return tl::unexpected(
          std::string("standard input has no name: end the URL with a file name"));
    }
    auto remote = ParseUrl(directory ? words[1] + base : words[1]);
    if (!remote) return tl::unexpected(remote.error());
    return PutTarget{std::move(*remote), words[1]};
  }
  auto remote = ParseHostPort(words[1]);
  if (!remote) return tl::unexpected(remote.error());
  remote->path = words.size() == 3 ? words[2] : base;
  if (remote->path.empty()) {
    return tl::unexpected(std::string(from_stdin ? "standard input has no name: give a remote PATH"
                                                 : "no remote path"));
  }
  std::string label = fmt::format("{}:{}", words[1], remote->path);
  return PutTarget{std::move(*remote), std::move(label)};
}

int RunPut(const std::vector<std::string>& argv) {
  CLI::App app{"Upload a file to a TFTP server", kCommand};
  app.footer(kFooter);
  ClientArgs args;
  app.add_option("words", args.positionals, "FILE then a tftp:// URL, or FILE HOST [PATH]")
      ->required();
  AddClientOptions(app, args);
  if (auto code = ParseCommandLine(app, argv)) return *code;
  const InterruptGuard interrupts;  // before any temporary file exists
  auto base = BaseConfig(args);
  auto target = ParseTarget(args.positionals);
  if (!base || !target) {
    fmt::print(stderr, "{}: {}\nRun '{} --help' for usage.\n", kCommand,
               !base ? base.error() : target.error(), kCommand);
    return kExitUsage;
  }
  auto server = ResolveHost(target->remote.host,
                            target->remote.port.value_or(static_cast<std::uint16_t>(args.port)),
                            AddressFamily(args));
  if (!server) {
    fmt::print(stderr, "{}: {}: {}\n", kCommand, target->label, server.error());
    return kExitNetwork;
  }
  // '-': stdin is spooled first (a stream cannot be re-read for retransmission), which also gives
  // its size for tsize. The spool has no name, so an interrupted put leaves nothing behind.
  const char* tmpdir = getenv("TMPDIR");
  auto source = args.positionals[0] == "-"
                    ? client::FileSource::Spool(
                          STDIN_FILENO, tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp")
                    : client::FileSource::Open(args.positionals[0]);
  if (!source) {
    if (interrupts.signal_number() != 0) return ExitCodeFor(client::Outcome::kInterrupted);
    fmt::print(stderr, "{}: {}\n", kCommand, source.error().ToString());
    return kExitLocalFile;
  }
  client::ClientConfig config = *base;
  config.direction = client::Direction::kPut;
  config.server = *server;
  config.remote_path = target->remote.path;
  config.upload_size_bytes = source->size_bytes();
  if (!client::RequestFits(config)) {
    fmt::print(stderr, "{}: {}: the request would exceed 512 bytes (RFC 2347); nothing sent\n",
               kCommand, target->label);
    return kExitUsage;
  }
  std::vector<PlannedTransfer> planned;
  planned.push_back({target->label, std::make_unique<client::ClientTransfer>(config, *source)});
  const int code = RunPlanned(planned, args, kCommand, interrupts);
  planned.clear();
  return code;
}

}  // namespace

void RegisterPutCommand(CLI::App& app) {
  RegisterRawCommand(app, "put", "Upload a file to a TFTP server (see 'stampede put --help')",
                     &RunPut);
}

}  // namespace stampede::cli
