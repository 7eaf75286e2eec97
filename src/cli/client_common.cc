// Shared pieces of `stampede get` and `stampede put` (client_common.h).
#include "cli/client_common.h"

#include <cstdio>
#include <variant>

#include <fmt/core.h>
#include <signal.h>

#include "base/units.h"
#include "io/event_loop.h"
#include "wire/escape.h"
#include "wire/options.h"
#include "wire/packet.h"

namespace stampede::cli {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};

void OnInterrupt(int signal_number) {
  g_signal.store(signal_number);
  g_interrupted.store(true);
}

std::string Escaped(std::string_view bytes) {
  return wire::EscapeBytes(bytes, 256);
}

tl::expected<std::pair<std::uint16_t, std::uint16_t>, std::string> ParsePortRange(
    const std::string& text) {
  const auto dash = text.find('-');
  const auto first = wire::ParseDecimal(text.substr(0, dash), 65535);
  const auto last =
      dash == std::string::npos ? first : wire::ParseDecimal(text.substr(dash + 1), 65535);
  if (!first || !last || *first == 0 || *last < *first) {
    return tl::unexpected(
        fmt::format("--local-port: expected N or N-M (1..65535), got '{}'", text));
  }
  return std::pair{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)};
}

}  // namespace

void AddClientOptions(CLI::App& app, ClientArgs& a) {
  app.add_option("--blksize", a.blksize,
                 "Block size to request, 8..65464 (default 1468 on IPv4, 1448 on IPv6: one "
                 "Ethernet frame)")
      ->check(CLI::Range(8, 65464));
  app.add_option("--windowsize", a.windowsize,
                 "Blocks per window to request, RFC 7440 (default: not sent)")
      ->check(CLI::Range(1, 65535));
  auto* tsize = app.add_flag("--tsize", a.tsize,
                             "Send the tsize option (the default in octet mode): the size is "
                             "known up front and checked at the end");
  app.add_flag("--no-tsize", a.no_tsize,
               "Do not send the tsize option (sent by default in octet mode)")
      ->excludes(tsize);
  app.add_option("--timeout", a.timeout_s,
                 "Request the RFC 2349 timeout option, 1..255 s (default: adaptive timer)")
      ->check(CLI::Range(1, 255));
  app.add_option("--rollover", a.rollover, "Request block-number rollover to 0 or 1")
      ->check(CLI::Range(0, 1));
  app.add_option("--retries", a.retries,
                 "Give up after this many timeouts in a row without progress (default 6)")
      ->check(CLI::Range(0, 1000));
  app.add_option("--idle", a.idle_s,
                 "...and only after this many seconds without progress (default 8)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--mode", a.mode, "Transfer mode: octet (default) or netascii")
      ->check(CLI::IsMember({"octet", "netascii"}, CLI::ignore_case));
  app.add_option("--max-size", a.max_size,
                 "Get: refuse files larger than this (ERROR 3 to the server); 10MiB, 1G, ...");
  app.add_flag("--no-options", a.no_options, "Send a plain RFC 1350 request without any option");
  app.add_flag("--no-fallback", a.no_fallback,
               "Do not retry without options when the server refuses them");
  app.add_option("--port", a.port, "Server port when the target gives none (default 69)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--local-port", a.local_port, "Local port or range N-M (default: ephemeral)");
  app.add_option("--local-address", a.local_address, "Local address to bind (numeric)");
  app.add_option("--busy-poll", a.busy_poll,
                 "After a datagram, poll this long before sleeping: less latency per round trip "
                 "for CPU time, at most 100ms (default 0: off)")
      ->type_name("DURATION");
  app.add_flag("-4,--ipv4", a.ipv4, "Resolve host names to IPv4 only");
  app.add_flag("-6,--ipv6", a.ipv6, "Resolve host names to IPv6 only");
  app.add_flag("-v,--verbose", a.verbose, "Trace every packet on stderr");
  app.add_flag("-q,--quiet", a.quiet, "No progress bar and no summary; errors are still printed");
}

int AddressFamily(const ClientArgs& a) {
  if (a.ipv4) return AF_INET;
  if (a.ipv6) return AF_INET6;
  return AF_UNSPEC;
}

tl::expected<client::ClientConfig, std::string> BaseConfig(const ClientArgs& a) {
  if (a.ipv4 && a.ipv6) return tl::unexpected(std::string("-4 and -6 exclude each other"));
  client::ClientConfig c;
  c.mode = wire::EqualsIgnoreCase(a.mode, "netascii") ? wire::Mode::kNetascii : wire::Mode::kOctet;
  c.send_options = !a.no_options;
  if (a.blksize != 0) c.blksize = static_cast<std::uint16_t>(a.blksize);
  if (a.windowsize != 0) c.windowsize = static_cast<std::uint16_t>(a.windowsize);
  c.tsize = !a.no_tsize;
  if (a.timeout_s != 0) c.timeout_s = static_cast<std::uint8_t>(a.timeout_s);
  if (a.rollover >= 0)
    c.rollover = a.rollover == 1 ? wire::Rollover::kToOne : wire::Rollover::kToZero;
  c.retry_without_options = !a.no_fallback;
  c.retransmit.retries_max = a.retries;
  c.retransmit.receiver_idle_min = FromSeconds(a.idle_s);
  c.retransmit.sender_idle_min = FromSeconds(a.idle_s);
  if (!a.max_size.empty()) {
    auto bytes = base::ParseBytes(a.max_size);
    if (!bytes) return tl::unexpected("--max-size: " + bytes.error());
    c.size_max_bytes = *bytes;
  }
  if (!a.local_port.empty()) {
    auto range = ParsePortRange(a.local_port);
    if (!range) return tl::unexpected(range.error());
    c.local_port_first = range->first;
    c.local_port_last = range->second;
  }
  if (!a.local_address.empty()) {
    auto local = io::Address::Parse(a.local_address, 0);
    if (!local) return tl::unexpected("--local-address: " + local.error().ToString());
    c.local = *local;
  }
  if (!a.busy_poll.empty()) {
    if (auto spin = io::ParseBusyPoll(a.busy_poll); !spin) {
      return tl::unexpected("--busy-poll: " + spin.error());
    }
  }
  return c;
}

Duration BusyPollOf(const ClientArgs& a) {
  if (a.busy_poll.empty()) return Duration::zero();
  return io::ParseBusyPoll(a.busy_poll).value_or(Duration::zero());
}

int ExitCodeFor(client::Outcome outcome) {
  using client::Outcome;
  switch (outcome) {
    case Outcome::kOk: return kExitOk;
    case Outcome::kTimeout:
    case Outcome::kNetwork:
    case Outcome::kUnconfirmed: return kExitNetwork;
    case Outcome::kServerError: return kExitServerError;
    case Outcome::kLocalFile: return kExitLocalFile;
    case Outcome::kIntegrity: return kExitIntegrity;
    case Outcome::kRequestTooLong: return kExitUsage;
    case Outcome::kInterrupted: return 128 + (g_signal.load() != 0 ? g_signal.load() : SIGINT);
    case Outcome::kProtocol:
    case Outcome::kActive: return kExitOther;
  }
  return kExitOther;
}

std::string DescribeFailure(const client::ClientResult& r) {
  using client::Outcome;
  const auto code = static_cast<unsigned>(r.error.code);
  switch (r.outcome) {
    case Outcome::kServerError:
      return fmt::format("server error {} ({}): \"{}\"", code, wire::StandardMessage(r.error.code),
                         Escaped(r.error.message()));
    case Outcome::kTimeout:
      if (r.peer.empty()) return "timed out: no answer from the server";
      return fmt::format("timed out: {} stopped answering", r.peer.ToString());
    case Outcome::kProtocol:
      return fmt::format("refused the server's reply: {} (sent ERROR {})",
                         Escaped(r.error.message()), code);
    case Outcome::kIntegrity:
      if (!r.detail.empty())
        return "integrity: " + r.detail + fmt::format(" (sent ERROR {})", code);
      return fmt::format("integrity: larger than tsize or --max-size ({}; sent ERROR {})",
                         Escaped(r.error.message()), code);
    case Outcome::kLocalFile:
      return fmt::format("local file: {} (sent ERROR {})", Escaped(r.error.message()), code);
    case Outcome::kInterrupted: return "interrupted";
    case Outcome::kRequestTooLong:
    case Outcome::kNetwork:
    case Outcome::kUnconfirmed: return r.detail;
    case Outcome::kOk:
    case Outcome::kActive: break;
  }
  return std::string(client::OutcomeName(r.outcome));
}

std::optional<int> ParseCommandLine(CLI::App& app, const std::vector<std::string>& argv) {
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app.help());
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "{}: {}\nRun '{} --help' for usage.\n", app.get_name(), e.what(),
               app.get_name());
    return kExitUsage;
  }
  return std::nullopt;
}

void RegisterRawCommand(CLI::App& parent, const std::string& name, const std::string& description,
                        int (*run)(const std::vector<std::string>& argv)) {
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->set_help_flag();
  sub->allow_extras();
  sub->prefix_command();
  sub->callback([sub, run] {
    const int code = run(sub->remaining());
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

InterruptGuard::InterruptGuard() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll(2) returns EINTR and the loop sees the flag
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

InterruptGuard::~InterruptGuard() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const std::atomic<bool>* InterruptGuard::flag() const {
  return &g_interrupted;
}
int InterruptGuard::signal_number() const {
  return g_signal.load();
}

void PacketTracer::OnDatagram(bool sent, const io::Address& peer,
                              std::span<const std::byte> bytes) {
  const std::string where = fmt::format("{} {}", sent ? "->" : "<-", peer.ToString());
  const auto packet = wire::Parse(bytes);
  if (!packet) {
    fmt::print(stderr, "{} malformed ({} bytes): {}\n", where, bytes.size(), packet.error().reason);
    return;
  }
  std::string text;
  auto options_text = [](const wire::OptionList& options) {
    std::string out;
    for (const auto& o : options.items())
      out += fmt::format(" {}={}", Escaped(o.name), Escaped(o.value));
    return out;
  };
  if (const auto* q = std::get_if<wire::Request>(&*packet)) {
    text = fmt::format("{} \"{}\" {}{}", wire::OpcodeName(q->opcode), Escaped(q->filename),
                       wire::ModeName(q->mode), options_text(q->options));
  } else if (const auto* d = std::get_if<wire::Data>(&*packet)) {
    text = fmt::format("DATA {} ({} bytes)", d->block, d->payload.size());
  } else if (const auto* k = std::get_if<wire::Ack>(&*packet)) {
    text = fmt::format("ACK {}", k->block);
  } else if (const auto* e = std::get_if<wire::Error>(&*packet)) {
    text = fmt::format("ERROR {} \"{}\"", static_cast<unsigned>(e->code), Escaped(e->message));
  } else if (const auto* o = std::get_if<wire::Oack>(&*packet)) {
    text = "OACK" + options_text(o->options);
  }
  fmt::print(stderr, "{} {}\n", where, text);
}

}  // namespace stampede::cli
