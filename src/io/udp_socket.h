// A non-blocking, close-on-exec UDP socket configured for a TFTP server or client: packet info on
// (each datagram carries its local destination address and interface, G63/G64), path-MTU discovery
// off so DF is clear (PROTOCOL.md "Path-MTU"), large buffers with a report when the kernel capped
// them, IP_FREEBIND, `[::]` dual-stack with a fallback to 0.0.0.0 when IPv6 is unavailable, and
// binding to a free port of a range (per-transfer TIDs). Single-datagram send/receive for simple
// users; batches go through io/datagram_batch.h. It logs nothing and knows nothing about TFTP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <tl/expected.hpp>

#include "io/address.h"
#include "io/error.h"
#include "io/error_counts.h"
#include "io/packet_info.h"

namespace stampede::io {

struct SocketOptions {
  std::size_t receive_buffer_bytes = 4u << 20;  // 0 leaves the kernel default
  std::size_t send_buffer_bytes = 4u << 20;
  bool force_buffers =
      true;  // try SO_RCVBUFFORCE/SO_SNDBUFFORCE (CAP_NET_ADMIN) before the capped call
  bool packet_info = true;    // IP_PKTINFO and IPV6_RECVPKTINFO
  bool free_bind = true;      // IP_FREEBIND: an address that is not up yet is not fatal
  bool v6_only = false;       // IPV6_V6ONLY; off makes [::] accept IPv4 too (ipv6(7))
  bool broadcast = false;     // SO_BROADCAST, for a client that sends to a broadcast address
  bool count_drops = true;    // SO_RXQ_OVFL: datagrams carry the socket's overflow drop count
  bool ipv4_fallback = true;  // [::] becomes 0.0.0.0 when IPv6 is unavailable
};

// What the kernel granted. socket(7): the kernel doubles the requested value for bookkeeping and
// caps an unprivileged request at net.core.rmem_max / wmem_max; getsockopt reports the doubled
// value, halved here so it compares with the request.
struct BufferReport {
  std::size_t receive_requested_bytes = 0;
  std::size_t receive_granted_bytes = 0;
  std::size_t send_requested_bytes = 0;
  std::size_t send_granted_bytes = 0;
  bool receive_forced = false;  // SO_RCVBUFFORCE succeeded (past rmem_max)
  bool send_forced = false;

  bool receive_capped() const { return receive_granted_bytes < receive_requested_bytes; }
  bool send_capped() const { return send_granted_bytes < send_requested_bytes; }
  bool capped() const { return receive_capped() || send_capped(); }
};

// True for the errors that mean "this host has no IPv6" rather than "this address is wrong".
constexpr bool IsIpv6Unavailable(int errno_value) {
  return errno_value == EAFNOSUPPORT || errno_value == EADDRNOTAVAIL;
}

class UdpSocket {
 public:
  UdpSocket() = default;
  ~UdpSocket() { Close(); }
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Opens and binds to `local` (port 0 picks an ephemeral port). For `[::]` with ipv4_fallback,
  // an IPv6-less host gets a 0.0.0.0 socket instead (see FellBackToIpv4()).
  static tl::expected<UdpSocket, Error> Open(const Address& local,
                                             const SocketOptions& options = {});
  // `[::]:port` dual-stack, or 0.0.0.0:port where IPv6 is unavailable.
  static tl::expected<UdpSocket, Error> OpenAny(std::uint16_t port,
                                                const SocketOptions& options = {});
  // Binds `local`'s address to the first free port of [first_port, last_port], trying from
  // first_port + start_offset % range and wrapping, so concurrent transfers spread over the range.
  // Every port taken gives EADDRINUSE with the range in the context.
  static tl::expected<UdpSocket, Error> BindInRange(const Address& local, std::uint16_t first_port,
                                                    std::uint16_t last_port,
                                                    std::uint32_t start_offset,
                                                    const SocketOptions& options = {});

  // Takes ownership of `fd`, a UDP socket someone else created and bound (systemd's LISTEN_FDS),
  // and configures it like Open does: non-blocking, close-on-exec, `options` (buffers, packet
  // info, DF off, drop counting). What needs an unbound socket is left as it was: IPV6_V6ONLY
  // (the creator's choice) and IP_FREEBIND. Refused, with `fd` closed, unless it is an AF_INET or
  // AF_INET6 datagram socket of protocol UDP bound to a port (ENOTSOCK, EPROTOTYPE, EAFNOSUPPORT,
  // EPROTONOSUPPORT, EDESTADDRREQ with "adopt fd N" as the context).
  static tl::expected<UdpSocket, Error> Adopt(int fd, const SocketOptions& options = {});

  void Close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  sa_family_t family() const { return family_; }
  const Address& local_address() const { return local_; }
  const BufferReport& buffer_report() const { return buffers_; }
  bool FellBackToIpv4() const { return fell_back_to_ipv4_; }
  // The kernel knows UDP_SEGMENT (Linux 4.18). A device may still refuse a GSO send (EIO); the
  // batch sender then falls back (io/datagram_batch.h).
  bool gso_supported() const { return gso_supported_; }

  // udp(7) UDP_GRO: the kernel may hand this socket a run of equal-size datagrams from one sender
  // as one message with a UDP_GRO control message giving the segment size; RxBatch splits it
  // again. On loopback and veth a peer's UDP GSO send then arrives whole instead of being cut into
  // datagrams in the receive path, which is most of the per-datagram cost of a windowed download.
  // Only for sockets read through an RxBatch whose slots hold a whole coalesced message
  // (kCoalescedMessageBytes); a plain ReceiveFrom would take the run for one oversized datagram.
  // False when the kernel does not know the option (before Linux 5.0); nothing changes then.
  bool EnableReceiveCoalescing();
  bool receive_coalescing() const { return receive_coalescing_; }

  // `to` in the form this socket sends to: IPv4 becomes v4-mapped on an IPv6 socket.
  Address ForSending(const Address& to) const;

  // One datagram with sendmsg, from `from` when given (reply from the arrival address, G63).
  tl::expected<void, PacketError> SendTo(std::span<const std::byte> payload, const Address& to,
                                         const PacketInfo* from = nullptr) const;
  // One datagram with recvmsg. Returns its length (MSG_TRUNC: the full length, which may exceed
  // the buffer); EAGAIN when nothing is queued. `peer` gets the canonical (unmapped) source.
  tl::expected<std::size_t, PacketError> ReceiveFrom(std::span<std::byte> buffer, Address* peer,
                                                     PacketInfo* arrival = nullptr) const;

 private:
  static tl::expected<UdpSocket, Error> OpenUnbound(sa_family_t family,
                                                    const SocketOptions& options);
  // `adopted`: the socket is already bound; options that only apply before bind are skipped.
  tl::expected<void, Error> Configure(const SocketOptions& options, bool adopted = false);
  tl::expected<void, Error> ReadLocalAddress();

  int fd_ = -1;
  sa_family_t family_ = AF_UNSPEC;
  Address local_;
  BufferReport buffers_;
  bool fell_back_to_ipv4_ = false;
  bool gso_supported_ = false;
  bool receive_coalescing_ = false;
};

}  // namespace stampede::io
