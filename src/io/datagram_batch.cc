// recvmmsg/sendmmsg banks with per-datagram error accounting and UDP GSO coalescing (see
// datagram_batch.h). sendmmsg(2) reports an error only when the first message fails; after a
// partial send the next call starts at the failed message, so its error is seen then.
#include "io/datagram_batch.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <netinet/in.h>
#include <netinet/udp.h>

#include "base/check.h"
#include "io/packet_info.h"

namespace stampede::io {
namespace {

// udp(7): at most UDP_MAX_SEGMENTS segments per GSO send (64 before Linux 6.9 raised it to 128),
// and the whole send is one IP datagram before segmentation: 65535 - 20 (IPv4) - 8 (UDP).
constexpr std::size_t kGsoMaxSegments = 64;
constexpr std::size_t kGsoMaxBytes = 65507;

// Errors with which the kernel refuses a GSO message as such (device without checksum offload:
// EIO; segment larger than the device MTU: EINVAL; pre-4.18 kernel: ENOPROTOOPT); the datagrams
// may still go out one by one.
bool IsGsoRefusal(int e) {
  return e == EIO || e == EINVAL || e == ENOPROTOOPT || e == EMSGSIZE;
}

constexpr int kRecvAttempts = 4;  // bounded retries after EINTR / stale ECONNREFUSED

// What RxBatch reads from a received message's control data, in one walk of it.
struct ReceivedControl {
  PacketInfo arrival;
  // udp(7) UDP_GRO: the segment size of a coalesced message; 0 when the message is one datagram.
  std::size_t coalesced_segment_bytes = 0;
};

// `drops` takes the SO_RXQ_OVFL counter when the message carries one (the kernel adds it only
// once the socket has dropped something).
ReceivedControl DecodeReceivedControl(msghdr& message, std::uint16_t local_port,
                                      std::uint32_t& drops) {
  ReceivedControl control;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (DecodePacketInfoMessage(*c, local_port, control.arrival)) continue;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
        c->cmsg_len >= CMSG_LEN(sizeof(std::uint32_t))) {
      std::memcpy(&drops, CMSG_DATA(c), sizeof(drops));
    } else if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
               c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof(size));
      control.coalesced_segment_bytes = size > 0 ? static_cast<std::size_t>(size) : 0;
    }
  }
  return control;
}

}  // namespace

RxBatch::RxBatch(std::size_t slots, std::size_t max_datagram_bytes)
    : slots_(slots),
      max_datagram_bytes_(max_datagram_bytes),
      buffer_(std::make_unique_for_overwrite<std::byte[]>(slots * max_datagram_bytes)),
      iovecs_(slots),
      messages_(slots),
      control_(slots),
      peers_(slots),
      datagrams_(slots) {
  STAMPEDE_CHECK(slots > 0 && max_datagram_bytes > 0);
  for (std::size_t i = 0; i < slots_; ++i) {
    iovecs_[i] = iovec{buffer_.get() + i * max_datagram_bytes_, max_datagram_bytes_};
    msghdr& h = messages_[i].msg_hdr;
    h.msg_name = peers_[i].mutable_sockaddr_ptr();
    h.msg_iov = &iovecs_[i];
    h.msg_iovlen = 1;
    h.msg_control = control_[i].bytes;
  }
}

RxBatch::~RxBatch() = default;

const RxDatagram& RxBatch::operator[](std::size_t i) const {
  STAMPEDE_CHECK(i < count_);
  return datagrams_[i];
}

RxReport RxBatch::Receive(const UdpSocket& socket, std::size_t budget) {
  RxReport report;
  count_ = 0;
  const std::size_t n = std::min(budget, slots_);
  if (n == 0) return report;
  for (std::size_t i = 0; i < n; ++i) {
    msghdr& h = messages_[i].msg_hdr;
    h.msg_namelen = Address::kStorageLength;
    h.msg_controllen = sizeof(ControlSpace::bytes);
    h.msg_flags = 0;
  }
  int r = -1;
  for (int attempt = 0; attempt < kRecvAttempts && r < 0; ++attempt) {
    r = recvmmsg(socket.fd(), messages_.data(), static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
    if (r >= 0) break;
    const int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      report.drained = true;
      return report;
    }
    // ECONNREFUSED: an ICMP port unreachable for an earlier send surfaced here; reading again
    // returns the queued datagrams. EINTR: a signal; read again.
    if (e != EINTR) report.errors.Add(e);
    if (e != EINTR && e != ECONNREFUSED) return report;
  }
  if (r < 0) return report;
  const auto messages = static_cast<std::size_t>(r);
  report.messages = messages;
  report.drained = messages < n;
  const std::uint16_t local_port = socket.local_address().port();
  for (std::size_t i = 0; i < messages; ++i) {
    msghdr& h = messages_[i].msg_hdr;
    const ReceivedControl control = DecodeReceivedControl(h, local_port, report.kernel_drops_total);
    const bool truncated = (h.msg_flags & MSG_TRUNC) != 0;
    const std::size_t length = std::min<std::size_t>(messages_[i].msg_len, max_datagram_bytes_);
    const std::byte* const start = buffer_.get() + i * max_datagram_bytes_;
    // ipv6(7): a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; callers see one form.
    if (peers_[i].IsV4Mapped()) peers_[i] = peers_[i].Unmapped();
    // A coalesced message is its datagrams back to back, each `segment` bytes but the last. Only
    // the piece the slot cut short (MSG_TRUNC) counts as truncated.
    const std::size_t segment = control.coalesced_segment_bytes;
    const std::size_t step = segment > 0 ? segment : std::max<std::size_t>(length, 1);
    std::size_t offset = 0;
    do {  // once for an empty datagram
      if (count_ == datagrams_.size()) datagrams_.emplace_back();
      RxDatagram& d = datagrams_[count_++];
      const std::size_t size = std::min(step, length - offset);
      d.payload = std::span<const std::byte>(start + offset, size);
      d.peer = &peers_[i];
      d.arrival = control.arrival;
      offset += size;
      d.truncated = truncated && offset == length;
      if (d.truncated) ++report.truncated;
    } while (offset < length);
  }
  report.received = count_;
  return report;
}

TxBatch::TxBatch(std::size_t slots, std::size_t max_datagram_bytes, bool use_gso)
    : slots_(slots),
      max_datagram_bytes_(max_datagram_bytes),
      use_gso_(use_gso),
      buffer_(slots * max_datagram_bytes),
      iovecs_(slots),
      peers_(slots),
      from_(slots),
      tags_(slots),
      outcomes_(slots, SendOutcome::kPending),
      errnos_(slots),
      messages_(slots),
      control_(slots),
      message_first_slot_(slots),
      message_slot_count_(slots) {
  STAMPEDE_CHECK(slots > 0 && max_datagram_bytes > 0);
  for (std::size_t i = 0; i < slots_; ++i) {
    iovecs_[i] = iovec{buffer_.data() + i * max_datagram_bytes_, 0};
  }
}

TxBatch::~TxBatch() = default;

std::span<std::byte> TxBatch::NextBuffer() {
  STAMPEDE_CHECK(count_ < slots_);
  return {buffer_.data() + count_ * max_datagram_bytes_, max_datagram_bytes_};
}

void TxBatch::Commit(std::size_t size_bytes, const Address& to, const PacketInfo* from,
                     std::uint64_t tag) {
  STAMPEDE_CHECK(count_ < slots_ && size_bytes <= max_datagram_bytes_);
  flushed_ = 0;
  iovecs_[count_].iov_len = size_bytes;
  peers_[count_] = to;
  from_[count_] = from != nullptr ? *from : PacketInfo{};
  tags_[count_] = tag;
  outcomes_[count_] = SendOutcome::kPending;
  errnos_[count_] = 0;
  ++count_;
}

void TxBatch::Add(std::span<const std::byte> payload, const Address& to, const PacketInfo* from,
                  std::uint64_t tag) {
  const std::span<std::byte> slot = NextBuffer();
  STAMPEDE_CHECK(payload.size() <= slot.size());
  if (!payload.empty()) std::memcpy(slot.data(), payload.data(), payload.size());
  Commit(payload.size(), to, from, tag);
}

void TxBatch::Clear() {
  count_ = 0;
  flushed_ = 0;
}

SendOutcome TxBatch::outcome(std::size_t i) const {
  STAMPEDE_CHECK(i < flushed_);
  return outcomes_[i];
}

int TxBatch::outcome_errno(std::size_t i) const {
  STAMPEDE_CHECK(i < flushed_);
  return errnos_[i];
}

std::uint64_t TxBatch::tag(std::size_t i) const {
  STAMPEDE_CHECK(i < flushed_ || i < count_);
  return tags_[i];
}

std::size_t TxBatch::RunLength(std::size_t first_slot, bool gso) const {
  if (!gso) return 1;
  const std::size_t segment = iovecs_[first_slot].iov_len;
  if (segment == 0 || segment > UINT16_MAX) return 1;
  std::size_t n = 1;
  std::size_t bytes = segment;
  // All segments but the last must be exactly `segment` long; the last may be shorter (udp(7)).
  for (std::size_t j = first_slot + 1; j < count_ && n < kGsoMaxSegments; ++j) {
    const std::size_t length = iovecs_[j].iov_len;
    if (length == 0 || length > segment || bytes + length > kGsoMaxBytes) break;
    if (!(peers_[j] == peers_[first_slot]) || !(from_[j] == from_[first_slot])) break;
    ++n;
    bytes += length;
    if (length < segment) break;
  }
  return n;
}

std::size_t TxBatch::BuildMessages(const UdpSocket& socket, std::size_t first_slot,
                                   std::size_t no_gso_before) {
  const bool gso = use_gso_ && !gso_refused_ && socket.gso_supported();
  std::size_t m = 0;
  for (std::size_t slot = first_slot; slot < count_; ++m) {
    const std::size_t n = RunLength(slot, gso && slot >= no_gso_before);
    msghdr& h = messages_[m].msg_hdr;
    h = msghdr{};
    h.msg_name = peers_[slot].mutable_sockaddr_ptr();
    h.msg_namelen = peers_[slot].sockaddr_length();
    h.msg_iov = &iovecs_[slot];
    h.msg_iovlen = n;
    std::byte* control = control_[m].bytes;
    std::size_t used = EncodePacketInfo(from_[slot], peers_[slot],
                                        std::span<std::byte>(control, kSendControlBytes));
    if (n > 1) {
      auto* c = reinterpret_cast<cmsghdr*>(control + used);
      c->cmsg_level = IPPROTO_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
      const auto segment = static_cast<std::uint16_t>(iovecs_[slot].iov_len);
      std::memcpy(CMSG_DATA(c), &segment, sizeof(segment));
      used += CMSG_SPACE(sizeof(std::uint16_t));
    }
    if (used > 0) {
      h.msg_control = control;
      h.msg_controllen = used;
    }
    message_first_slot_[m] = slot;
    message_slot_count_[m] = n;
    slot += n;
  }
  return m;
}

void TxBatch::MarkSlots(std::size_t message, SendOutcome outcome, int errno_value,
                        TxReport& report) {
  const std::size_t first = message_first_slot_[message];
  const std::size_t n = message_slot_count_[message];
  for (std::size_t i = first; i < first + n; ++i) {
    outcomes_[i] = outcome;
    errnos_[i] = errno_value;
  }
  if (outcome == SendOutcome::kSent) {
    report.sent += n;
    if (n > 1) ++report.gso_messages;
  } else {
    report.lost += n;
    report.errors.Add(errno_value, n);
  }
}

TxReport TxBatch::Flush(const UdpSocket& socket) {
  TxReport report;
  flushed_ = count_;
  if (count_ == 0) return report;
  for (std::size_t i = 0; i < count_; ++i) peers_[i] = socket.ForSending(peers_[i]);
  std::size_t m = BuildMessages(socket, 0, 0);
  std::size_t pos = 0;
  while (pos < m) {
    const int r =
        sendmmsg(socket.fd(), &messages_[pos], static_cast<unsigned>(m - pos), MSG_DONTWAIT);
    ++report.syscalls;
    if (r > 0) {
      for (std::size_t k = pos; k < pos + static_cast<std::size_t>(r); ++k) {
        MarkSlots(k, SendOutcome::kSent, 0, report);
      }
      pos += static_cast<std::size_t>(r);
      continue;
    }
    const int e = r < 0 ? errno : EIO;
    if (e == EINTR) continue;
    if (message_slot_count_[pos] > 1 && IsGsoRefusal(e)) {
      // Resend this run as single datagrams; a device that cannot do GSO at all is not asked again.
      ++report.gso_fallbacks;
      if (e == EIO || e == ENOPROTOOPT) gso_refused_ = true;
      const std::size_t first = message_first_slot_[pos];
      m = BuildMessages(socket, first, first + message_slot_count_[pos]);
      pos = 0;
      continue;
    }
    const IoErrorKind kind = ClassifyErrno(e);
    if (kind == IoErrorKind::kWouldBlock || kind == IoErrorKind::kNoBuffers) {
      for (std::size_t k = pos; k < m; ++k) MarkSlots(k, SendOutcome::kLost, e, report);
      break;
    }
    MarkSlots(pos, SendOutcome::kLost, e, report);  // EPERM and the like: skip it, keep going
    ++pos;
  }
  count_ = 0;
  return report;
}

}  // namespace stampede::io
