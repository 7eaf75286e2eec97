// What one client transfer asks for: direction, server, remote path, mode, the options to request,
// retransmission and size limits, and the local socket. Plain data filled by the CLI (or the load
// generator); ClientTransfer reads it once at construction. See docs/client.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/time.h"
#include "io/address.h"
#include "transfer/receiver.h"
#include "transfer/rtt_estimator.h"
#include "wire/block_number.h"
#include "wire/packet.h"

namespace stampede::client {

enum class Direction : std::uint8_t {
  kGet,  // RRQ: the server sends, we receive
  kPut,  // WRQ: we send
};

// The largest blksize whose DATA fits a 1500-byte Ethernet frame without IP fragments (PROTOCOL §1,
// RFC 2348: MTU − 32 for IPv4, MTU − 52 for IPv6). The default request, unless the user asks.
constexpr std::uint16_t kBlksizeDefaultV4 = 1468;
constexpr std::uint16_t kBlksizeDefaultV6 = 1448;

struct ClientConfig {
  Direction direction = Direction::kGet;
  io::Address server;  // numeric address and port (69 normally)
  std::string remote_path;
  wire::Mode mode = wire::Mode::kOctet;

  // Options (RFC 2347). With send_options false the request carries none (plain RFC 1350).
  bool send_options = true;
  std::optional<std::uint16_t> blksize;     // nullopt: kBlksizeDefaultV4/V6 for the family
  std::optional<std::uint16_t> windowsize;  // nullopt: not requested (RFC 7440 default 1)
  bool tsize = true;                        // octet only: netascii sizes differ on the wire
  std::optional<std::uint8_t> timeout_s;    // RFC 2349 `timeout`, 1..255
  std::optional<wire::Rollover> rollover;   // de-facto `rollover`
  // A server answering our options with ERROR 0, 4, 8 or an undefined code gets one new request
  // without options (RFC 2347 allows the retry; see docs/client.md for why those codes).
  bool retry_without_options = true;

  transfer::RetransmitPolicy retransmit;
  // Get: the dally after the final ACK when the transfer saw (almost) no loss (transfer/receiver.h
  // CleanDally: 4 × RTO within 20-500 ms); nullopt: always retransmit's dally (at least 500 ms).
  std::optional<transfer::CleanDally> clean_dally = transfer::CleanDally{};
  // Get: more payload than this is refused with ERROR 3 (H72), and so is a larger OACK tsize (H68).
  std::uint64_t size_max_bytes = UINT64_MAX;
  // Put: the size announced with tsize (octet); nullopt: tsize not sent.
  std::optional<std::uint64_t> upload_size_bytes;

  // Local socket: address to bind (empty: the wildcard of the server's family) and a port range
  // ([0, 0]: an ephemeral port).
  io::Address local;
  std::uint16_t local_port_first = 0;
  std::uint16_t local_port_last = 0;
  std::uint32_t port_start_offset = 0;  // spreads concurrent transfers over the range

  // H73/H74: a datagram from a foreign TID is ignored; answer it with ERROR 5 at most
  // stray_replies_per_second times and never to a port below 1024 (PROTOCOL §2 item 6: every
  // stray reply is rate-limited; Loop DoS).
  bool answer_strays = true;
  std::uint32_t stray_replies_per_second = 10;

  // A windowed get asks the kernel for coalesced receives (udp(7) UDP_GRO; io/udp_socket.h): a
  // server's GSO run of DATA then arrives as one message instead of being cut into datagrams on
  // the way in. Costs address space for 64 KiB receive slots (one per window block, at most 16),
  // of which only what the kernel fills becomes resident.
  bool receive_coalescing = true;
};

}  // namespace stampede::client
