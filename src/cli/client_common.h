// What `stampede get` and `stampede put` share: the client options and their validation into a
// client::ClientConfig, the exit code table, failure messages (peer text escaped, PROTOCOL H76),
// SIGINT/SIGTERM handling, the `-v` packet trace, and the CLI11 plumbing that turns every usage
// error into exit code 2. See docs/client.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <tl/expected.hpp>

#include "base/time.h"
#include "client/client_config.h"
#include "client/client_transfer.h"

namespace stampede::cli {

// Exit codes (docs/client.md). Interrupted runs exit 128 + the signal number, as shells do.
inline constexpr int kExitOk = 0;
inline constexpr int kExitOther = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNetwork = 3;
inline constexpr int kExitServerError = 4;
inline constexpr int kExitLocalFile = 5;
inline constexpr int kExitIntegrity = 6;

struct ClientArgs {
  std::vector<std::string> positionals;
  std::string output;            // get -o
  std::string output_dir;        // get --output-dir
  std::uint32_t blksize = 0;     // 0: the default request (1468 IPv4, 1448 IPv6)
  std::uint32_t windowsize = 0;  // 0: not requested
  bool no_tsize = false;
  bool tsize = false;  // --tsize: the default made explicit (tftp-hpa and curl users type it)
  std::uint32_t timeout_s = 0;  // 0: not requested
  std::int32_t rollover = -1;   // -1: not requested
  std::uint32_t retries = 6;
  double idle_s = 8;
  std::string mode = "octet";
  std::string max_size;
  bool no_options = false;
  bool no_fallback = false;
  std::uint32_t port = 69;
  std::string local_port;  // "N" or "N-M"
  std::string local_address;
  bool ipv4 = false;
  bool ipv6 = false;
  bool verbose = false;
  bool quiet = false;
  std::string busy_poll;  // --busy-poll DURATION; empty: off
};

// Adds the shared options to `app` (a command's private parser).
void AddClientOptions(CLI::App& app, ClientArgs& args);

// The config without direction, server and path. Errors are usage errors (exit 2).
tl::expected<client::ClientConfig, std::string> BaseConfig(const ClientArgs& args);

// --busy-poll for the transfer loop (client::LoopOptions::busy_poll); BaseConfig has checked it.
Duration BusyPollOf(const ClientArgs& args);
// AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6).
int AddressFamily(const ClientArgs& args);

int ExitCodeFor(client::Outcome outcome);
// "server error 1: File not found" with the peer's text escaped, "timed out after 7 attempts", ...
std::string DescribeFailure(const client::ClientResult& result);

// Parses `argv` (the words after the subcommand) with `app`. Returns nullopt to go on, or the exit
// code: 0 after --help, 2 after a usage error (message on stderr).
std::optional<int> ParseCommandLine(CLI::App& app, const std::vector<std::string>& argv);

// Declares `name` on `parent` as a command whose words go unparsed to `run` (which returns the exit
// code), so that usage errors exit 2 instead of CLI11's codes.
void RegisterRawCommand(CLI::App& parent, const std::string& name, const std::string& description,
                        int (*run)(const std::vector<std::string>& argv));

// SIGINT/SIGTERM set a flag the loop polls; temporaries are removed by the sinks afterwards.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  const std::atomic<bool>* flag() const;
  int signal_number() const;  // 0 when none arrived
};

// Prints every datagram to stderr: direction, peer, opcode and fields, names escaped.
class PacketTracer final : public client::PacketObserver {
 public:
  void OnDatagram(bool sent, const io::Address& peer, std::span<const std::byte> bytes) override;
};

}  // namespace stampede::cli
