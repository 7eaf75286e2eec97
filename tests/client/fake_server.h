// A scripted TFTP server for client tests, stepped from the test thread: loopback sockets for the
// well-known port and for server TIDs, packet builders, and pumps that drive a ClientTransfer
// while waiting for the next datagram. Loopback only.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>

#include "client/client_transfer.h"
#include "io/address.h"
#include "io/clock.h"
#include "io/udp_socket.h"
#include "wire/packet.h"

namespace stampede::client::testing {

using namespace std::chrono_literals;

struct Datagram {
  std::vector<std::byte> bytes;
  io::Address from;
  wire::Packet Parsed() const {
    auto p = wire::Parse(bytes);
    EXPECT_TRUE(p.has_value());
    return p ? *p : wire::Packet{};
  }
};

inline io::UdpSocket OpenLoopback() {
  io::SocketOptions options;
  options.receive_buffer_bytes = 0;
  options.send_buffer_bytes = 0;
  auto s = io::UdpSocket::Open(io::Address::Ipv4Loopback(0), options);
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

// Client settings that keep tests quick: short timers, small budgets.
inline ClientConfig QuickConfig(const io::Address& server, std::string path) {
  ClientConfig c;
  c.server = server;
  c.remote_path = std::move(path);
  c.retransmit.rto_initial = 40ms;
  c.retransmit.rto_max = 200ms;
  c.retransmit.retries_max = 4;
  c.retransmit.receiver_idle_min = 300ms;
  c.retransmit.sender_idle_min = 300ms;
  c.retransmit.dally_min = 100ms;
  c.retransmit.dally_max = 200ms;
  return c;
}

// Drives `client` until `socket` has a datagram (returned) or `limit` passes (nullopt).
inline std::optional<Datagram> Await(ClientTransfer& client, const io::UdpSocket& socket,
                                     Duration limit = 2s) {
  const Instant end = io::Now() + limit;
  std::vector<std::byte> buf(70000);
  for (;;) {
    io::Address from;
    if (auto n = socket.ReceiveFrom(buf, &from)) {
      buf.resize(*n);
      return Datagram{buf, from};
    }
    const Instant now = io::Now();
    if (now >= end) return std::nullopt;
    pollfd fds[2] = {{socket.fd(), POLLIN, 0}, {client.fd(), POLLIN, 0}};
    const nfds_t count = client.finished() ? 1 : 2;
    poll(fds, count, 5);
    const Instant after = io::Now();
    if (!client.finished()) {
      if ((fds[1].revents & POLLIN) != 0) client.OnReadable(after);
      if (client.NextDeadline() <= after) client.OnTimer(after);
    }
  }
}

// Drives `client` until it is finished or `limit` passes; returns finished().
inline bool RunToEnd(ClientTransfer& client, Duration limit = 5s) {
  const Instant end = io::Now() + limit;
  while (!client.finished() && io::Now() < end) {
    pollfd fd{client.fd(), POLLIN, 0};
    poll(&fd, 1, 5);
    const Instant now = io::Now();
    if ((fd.revents & POLLIN) != 0) client.OnReadable(now);
    if (client.NextDeadline() <= now) client.OnTimer(now);
  }
  return client.finished();
}

inline void SendTo(const io::UdpSocket& socket, std::span<const std::byte> bytes,
                   const io::Address& to) {
  ASSERT_TRUE(socket.SendTo(bytes, to).has_value());
}

inline std::vector<std::byte> Oack(std::initializer_list<wire::Option> options) {
  std::vector<std::byte> out(600);
  out.resize(wire::WriteOack(out, std::vector<wire::Option>(options)));
  return out;
}

inline std::vector<std::byte> Data(std::uint16_t block, std::size_t size,
                                   std::uint8_t fill = 0x5a) {
  std::vector<std::byte> payload(size, std::byte{fill});
  std::vector<std::byte> out(size + 4);
  out.resize(wire::WriteData(out, block, payload));
  return out;
}

inline std::vector<std::byte> Ack(std::uint16_t block) {
  std::vector<std::byte> out(4);
  out.resize(wire::WriteAck(out, block));
  return out;
}

inline std::vector<std::byte> Error(wire::ErrorCode code, std::string_view message) {
  std::vector<std::byte> out(600);
  out.resize(wire::WriteError(out, code, message));
  return out;
}

inline bool IsAck(const Datagram& d, std::uint16_t block) {
  const auto p = wire::Parse(d.bytes);
  return p && std::holds_alternative<wire::Ack>(*p) && std::get<wire::Ack>(*p).block == block;
}

inline std::optional<wire::ErrorCode> ErrorCodeOf(const Datagram& d) {
  const auto p = wire::Parse(d.bytes);
  if (!p || !std::holds_alternative<wire::Error>(*p)) return std::nullopt;
  return std::get<wire::Error>(*p).code;
}

inline const wire::Request* AsRequest(const wire::Packet& p) {
  return std::get_if<wire::Request>(&p);
}

}  // namespace stampede::client::testing
