// Per-packet send/receive failures, counted by kind. A busy server sees these by the thousand
// (socket buffer full, a local firewall dropping one peer), so they are tallied and returned with
// each batch, never logged per packet (NSD handle_udp, Knot udp-handler). Deciding what a count
// means (warn, raise a metric) is the caller's job.
#pragma once

#include <cerrno>
#include <cstdint>

namespace stampede::io {

enum class IoErrorKind : std::uint8_t {
  kWouldBlock,         // EAGAIN/EWOULDBLOCK: socket buffer full
  kNoBuffers,          // ENOBUFS: device or qdisc queue full
  kPermission,         // EPERM/EACCES: a local nftables/iptables rule dropped it
  kConnectionRefused,  // ECONNREFUSED: an ICMP port unreachable from an earlier datagram
  kOther,              // anything else (EMSGSIZE, EHOSTUNREACH, EINVAL, ...)
};

constexpr IoErrorKind ClassifyErrno(int errno_value) {
  switch (errno_value) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      return IoErrorKind::kWouldBlock;
    case ENOBUFS: return IoErrorKind::kNoBuffers;
    case EPERM:
    case EACCES: return IoErrorKind::kPermission;
    case ECONNREFUSED: return IoErrorKind::kConnectionRefused;
    default: return IoErrorKind::kOther;
  }
}

// One datagram's send or receive failure, as returned by the single-datagram calls. Carries no
// text, so failing costs no allocation.
struct PacketError {
  int errno_value = 0;
  IoErrorKind kind() const { return ClassifyErrno(errno_value); }
};

struct IoErrorCounts {
  std::uint64_t would_block = 0;
  std::uint64_t no_buffers = 0;
  std::uint64_t permission = 0;
  std::uint64_t connection_refused = 0;
  std::uint64_t other = 0;
  int last_other_errno = 0;  // the most recent errno counted under `other`, for a diagnostic

  void Add(int errno_value, std::uint64_t n = 1) {
    switch (ClassifyErrno(errno_value)) {
      case IoErrorKind::kWouldBlock: would_block += n; return;
      case IoErrorKind::kNoBuffers: no_buffers += n; return;
      case IoErrorKind::kPermission: permission += n; return;
      case IoErrorKind::kConnectionRefused: connection_refused += n; return;
      case IoErrorKind::kOther:
        other += n;
        last_other_errno = errno_value;
        return;
    }
  }

  std::uint64_t total() const {
    return would_block + no_buffers + permission + connection_refused + other;
  }

  IoErrorCounts& operator+=(const IoErrorCounts& o) {
    would_block += o.would_block;
    no_buffers += o.no_buffers;
    permission += o.permission;
    connection_refused += o.connection_refused;
    other += o.other;
    if (o.other != 0) last_other_errno = o.last_other_errno;
    return *this;
  }
};

}  // namespace stampede::io
