// Test helper for the server engine tests: a Server on 127.0.0.1 port 0 running in a thread over a
// temporary root, a log sink that captures lines and transfer summaries, a raw UDP test client,
// and client-side transfers (transfer::Receiver / Sender) driven over real loopback sockets.
// Loopback only. Test-only; not part of any library.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>

#include "io/clock.h"
#include "io/udp_socket.h"
#include "server/server.h"
#include "server/temp_dir.h"
#include "transfer/block_sink.h"
#include "transfer/block_source.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "wire/packet.h"

namespace stampede::server::testing {

using namespace std::chrono_literals;

inline std::vector<std::byte> Bytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

inline std::string Text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Deterministic file content of `size` bytes.
inline std::string Content(std::size_t size, unsigned seed = 1) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

class CapturingLog final : public LogSink {
 public:
  void Log(LogLevel, std::string_view line) override {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.emplace_back(line);
  }
  void OnTransferFinished(const TransferSummary& summary) override {
    std::lock_guard<std::mutex> lock(mutex_);
    summaries_.push_back(summary);
    changed_.notify_all();
  }
  // Waits until at least `n` transfers finished; false on timeout.
  bool WaitForSummaries(std::size_t n, Duration timeout = 10s) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return summaries_.size() >= n; });
  }
  std::vector<TransferSummary> summaries() {
    std::lock_guard<std::mutex> lock(mutex_);
    return summaries_;
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::vector<TransferSummary> summaries_;
};

// A config for tests: loopback, port 0, short timers so failures show within a second.
inline ServerConfig TestConfig(const std::string& root) {
  ServerConfig config;
  config.root = root;
  config.listen = {"127.0.0.1:0"};
  config.socket_buffer_bytes = 1 << 20;
  config.retransmit.rto_initial = 50ms;
  // Above the scheduling jitter of a loaded 2-core machine running ASan builds, so a slow test
  // client does not see a stream of spurious retransmissions.
  config.retransmit.rto_min = 20ms;
  config.retransmit.rto_max = 100ms;
  config.retransmit.retries_max = 4;
  config.retransmit.dally_min = 50ms;
  config.retransmit.dally_max = 100ms;
  config.retransmit.receiver_idle_min = 300ms;
  config.retransmit.sender_idle_min = 300ms;
  config.shutdown_grace = 2s;
  return config;
}

class ServerHarness {
 public:
  explicit ServerHarness(ServerConfig config) : config_(std::move(config)) {
    auto server = Server::Create(config_, log_);
    if (!server) {
      ADD_FAILURE() << "Server::Create: " << server.error();
      return;
    }
    server_ = std::move(*server);
    address_ = server_->local_addresses().front();
    thread_ = std::thread([this] { run_result_ = server_->Run(); });
  }
  ~ServerHarness() {
    if (server_ && thread_.joinable()) {
      server_->RequestAbort();
      thread_.join();
    }
  }
  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;

  bool ok() const { return server_ != nullptr; }
  Server& server() { return *server_; }
  const io::Address& address() const { return address_; }
  CapturingLog& log() { return log_; }
  // Stops (grace) and waits for Run to return; metrics are then safe to read.
  void StopAndJoin() {
    server_->RequestStop();
    if (thread_.joinable()) thread_.join();
  }
  bool running() const { return thread_.joinable(); }
  const tl::expected<void, std::string>& run_result() const { return run_result_; }

 private:
  ServerConfig config_;
  CapturingLog log_;
  std::unique_ptr<Server> server_;
  io::Address address_;
  std::thread thread_;
  tl::expected<void, std::string> run_result_;
};

struct Received {
  io::Address from;
  std::vector<std::byte> bytes;
};

// A plain UDP socket on 127.0.0.1 for hand-made packets.
class RawClient {
 public:
  explicit RawClient(io::Address local = io::Address::Ipv4Loopback(0)) {
    auto socket = io::UdpSocket::Open(local);
    if (socket) socket_ = std::move(*socket);
  }
  bool ok() const { return socket_.is_open(); }
  const io::Address& local() const { return socket_.local_address(); }
  void Send(std::span<const std::byte> bytes, const io::Address& to) const {
    static_cast<void>(socket_.SendTo(bytes, to));
  }
  void Send(std::string_view bytes, const io::Address& to) const { Send(Bytes(bytes), to); }
  std::optional<Received> Receive(Duration timeout = 2s) const {
    pollfd p{socket_.fd(), POLLIN, 0};
    const int ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
    if (poll(&p, 1, ms) != 1) return std::nullopt;
    Received r;
    r.bytes.resize(65536);
    auto n = socket_.ReceiveFrom(r.bytes, &r.from);
    if (!n) return std::nullopt;
    r.bytes.resize(*n);
    return r;
  }
  const io::UdpSocket& socket() const { return socket_; }

 private:
  io::UdpSocket socket_;
};

// Builders for hand-made packets.
inline std::string Rrq(std::string_view name, std::string_view options = "",
                       std::string_view mode = "octet") {
  std::string out("\0\1", 2);
  out.append(name).push_back('\0');
  out.append(mode).push_back('\0');
  out.append(options);
  return out;
}
inline std::string Wrq(std::string_view name, std::string_view options = "") {
  std::string out = Rrq(name, options);
  out[1] = '\2';
  return out;
}
inline std::string Opt(std::string_view name, std::string_view value) {
  std::string out(name);
  out.push_back('\0');
  out.append(value).push_back('\0');
  return out;
}
inline std::string Ack(std::uint16_t block) {
  std::string out("\0\4", 2);
  out.push_back(static_cast<char>(block >> 8));
  out.push_back(static_cast<char>(block & 0xff));
  return out;
}
inline std::string DataPacket(std::uint16_t block, std::string_view payload) {
  std::string out("\0\3", 2);
  out.push_back(static_cast<char>(block >> 8));
  out.push_back(static_cast<char>(block & 0xff));
  out.append(payload);
  return out;
}
inline std::uint16_t Opcode(const Received& r) {
  if (r.bytes.size() < 2) return 0;
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(r.bytes[0]) << 8) |
                                    std::to_integer<unsigned>(r.bytes[1]));
}
inline std::uint16_t Field(const Received& r) {  // block number or error code
  if (r.bytes.size() < 4) return 0xffff;
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(r.bytes[2]) << 8) |
                                    std::to_integer<unsigned>(r.bytes[3]));
}
inline bool IsError(const std::optional<Received>& r, std::uint16_t code) {
  return r && Opcode(*r) == 5 && Field(*r) == code;
}

// Client timers to match TestConfig: a short dally so each download ends quickly.
inline transfer::RetransmitPolicy ClientRetransmit() {
  transfer::RetransmitPolicy policy;
  policy.rto_initial = 50ms;
  policy.rto_max = 200ms;
  policy.dally_min = 20ms;
  policy.dally_max = 50ms;
  policy.receiver_idle_min = 1s;
  policy.sender_idle_min = 1s;
  return policy;
}

struct ClientResult {
  transfer::TransferStatus status = transfer::TransferStatus::kActive;
  transfer::Stats stats;
  transfer::TransferOptions options;
  io::Address server_tid;  // where the server's replies came from
  std::string content;     // downloads
};

// Drives a client machine over a real socket: the first datagram goes to `server`, later ones to
// the TID that answered. Bounded by `limit`.
template <class Machine>
void Drive(Machine& machine, const RawClient& client, const io::Address& server,
           ClientResult& result, Duration limit = 20s) {
  std::vector<std::byte> buffer(65536);
  io::Address peer = server;
  bool locked = false;
  const Instant give_up = io::Now() + limit;
  while (!machine.finished() && io::Now() < give_up) {
    Instant now = io::Now();
    while (auto n = machine.PollTransmit(buffer, now)) client.Send({buffer.data(), *n}, peer);
    const Instant deadline = std::min(machine.NextDeadline(), give_up);
    const Duration wait = std::max(Duration{0}, deadline - io::Now());
    if (auto r = client.Receive(std::min<Duration>(wait, 1s))) {
      if (!locked) {
        peer = r->from;
        locked = true;
      }
      if (r->from == peer) machine.OnPacket(r->bytes, io::Now());
    }
    if (io::Now() >= machine.NextDeadline()) machine.OnTimer(io::Now());
  }
  result.status = machine.status();
  result.stats = machine.stats();
  result.options = machine.options();
  result.server_tid = peer;
}

inline ClientResult Fetch(const io::Address& server, std::string_view name,
                          std::vector<wire::Option> options = {},
                          wire::Mode mode = wire::Mode::kOctet) {
  RawClient client;
  transfer::MemoryBlockSink sink;
  transfer::ReceiverConfig config;
  config.role = transfer::Role::kClient;
  config.mode = mode;
  config.request.filename = name;
  config.request.options = options;
  config.retransmit = ClientRetransmit();
  transfer::Receiver receiver(config, sink);
  ClientResult result;
  Drive(receiver, client, server, result);
  result.content = Text(sink.bytes());
  return result;
}

inline ClientResult Put(const io::Address& server, std::string_view name, std::string_view content,
                        std::vector<wire::Option> options = {}) {
  RawClient client;
  const std::vector<std::byte> bytes = Bytes(content);
  transfer::MemoryBlockSource source(bytes);
  transfer::SenderConfig config;
  config.role = transfer::Role::kClient;
  config.request.filename = name;
  config.request.options = options;
  config.retransmit = ClientRetransmit();
  transfer::Sender sender(config, source);
  ClientResult result;
  Drive(sender, client, server, result);
  return result;
}

}  // namespace stampede::server::testing
