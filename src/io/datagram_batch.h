// Preallocated receive and send banks for recvmmsg/sendmmsg (Knot's per-thread RX/TX banks; NSD's
// recvmmsg -> process in place -> sendmmsg loop): N slots of a maximum datagram size with their
// iovecs, msghdrs, control space and peer addresses, allocated once, none per packet.
//
// Failures are per datagram and ordinary: they are counted by kind and returned (never logged), and
// a datagram that could not be sent is reported as lost so the transfer's retransmission recovers.
// EPERM from a local firewall drops only that datagram; the rest of the batch still goes out. The
// send bank coalesces runs of equal-size datagrams to one destination into one UDP GSO message
// (udp(7) UDP_SEGMENT) and falls back to plain datagrams where the kernel or device refuses. On a
// socket with receive coalescing on (UdpSocket::EnableReceiveCoalescing, udp(7) UDP_GRO) the
// receive bank splits each coalesced message back into its datagrams, so callers see datagrams
// either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <sys/socket.h>

#include "io/address.h"
#include "io/error_counts.h"
#include "io/packet_info.h"
#include "io/udp_socket.h"

namespace stampede::io {

// One message's control data, aligned for cmsghdr.
struct alignas(cmsghdr) ControlSpace {
  std::byte bytes[kReceiveControlBytes];
};

struct RxDatagram {
  std::span<const std::byte> payload;  // into the bank; valid until the next Receive
  const Address* peer = nullptr;       // canonical source (IPv4 peers in IPv4 form)
  PacketInfo arrival;                  // destination address and interface (when packet_info is on)
  bool truncated = false;  // longer than the slot: payload holds only its first max_datagram_bytes
};

// A slot that holds any coalesced message whole: the kernel builds one of at most 64 KiB (one IP
// datagram before segmentation, or the GRO limit of a device).
inline constexpr std::size_t kCoalescedMessageBytes = 65536;

struct RxReport {
  std::size_t received = 0;  // datagrams, a coalesced message counted by its segments
  std::size_t messages = 0;  // what recvmmsg returned: fewer than `received` when coalesced
  std::size_t truncated = 0;
  bool drained = false;  // the socket had fewer datagrams than asked for (nothing left right now)
  // socket(7) SO_RXQ_OVFL: the socket's cumulative count of datagrams dropped because its receive
  // buffer was full, as carried by the newest datagram of this batch; 0 when none carried it
  // (nothing dropped yet, or count_drops off). A rising value means SO_RCVBUF is too small.
  std::uint32_t kernel_drops_total = 0;
  IoErrorCounts errors;  // ECONNREFUSED here is a stale ICMP error: skipped, counted, harmless
};

class RxBatch {
 public:
  RxBatch(std::size_t slots, std::size_t max_datagram_bytes);
  ~RxBatch();
  RxBatch(const RxBatch&) = delete;
  RxBatch& operator=(const RxBatch&) = delete;

  // One recvmmsg of up to min(budget, slots) messages, without blocking. Replaces the previous
  // contents. A coalesced message (UDP_GRO) becomes its datagrams, so more than `budget`
  // datagrams may come back; for it to arrive whole, slots need kCoalescedMessageBytes.
  RxReport Receive(const UdpSocket& socket, std::size_t budget);

  std::size_t size() const { return count_; }
  std::size_t capacity() const { return slots_; }
  const RxDatagram& operator[](std::size_t i) const;
  std::span<const RxDatagram> datagrams() const { return {datagrams_.data(), count_}; }

 private:
  std::size_t slots_;
  std::size_t max_datagram_bytes_;
  // Not zeroed: pages of slots the kernel never fills (most of a 64 KiB coalescing slot) are never
  // touched, so they cost address space, not memory.
  std::unique_ptr<std::byte[]> buffer_;
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> messages_;
  std::vector<ControlSpace> control_;
  std::vector<Address> peers_;
  // One entry per datagram: grows past `slots` only when coalesced messages arrive, and keeps its
  // largest size, so steady state allocates nothing.
  std::vector<RxDatagram> datagrams_;
  std::size_t count_ = 0;
};

enum class SendOutcome : std::uint8_t { kPending, kSent, kLost };

struct TxReport {
  std::size_t sent = 0;           // datagrams the kernel accepted
  std::size_t lost = 0;           // datagrams dropped; see `errors` for why
  std::size_t syscalls = 0;       // sendmmsg calls made
  std::size_t gso_messages = 0;   // messages that carried several datagrams as one GSO send
  std::size_t gso_fallbacks = 0;  // GSO messages refused by the kernel and resent as datagrams
  IoErrorCounts errors;           // per datagram
};

class TxBatch {
 public:
  // `use_gso` allows coalescing when the socket supports it.
  TxBatch(std::size_t slots, std::size_t max_datagram_bytes, bool use_gso = true);
  ~TxBatch();
  TxBatch(const TxBatch&) = delete;
  TxBatch& operator=(const TxBatch&) = delete;

  std::size_t size() const { return count_; }
  std::size_t capacity() const { return slots_; }
  bool full() const { return count_ == slots_; }
  bool empty() const { return count_ == 0; }

  // The buffer of the next slot (max_datagram_bytes long) to build a datagram in place. The batch
  // must not be full.
  std::span<std::byte> NextBuffer();
  // Queues the first `size_bytes` of NextBuffer() for `to`, leaving from `from` when given (reply
  // from the arrival address, G63). `tag` is the caller's, reported back with the outcome.
  void Commit(std::size_t size_bytes, const Address& to, const PacketInfo* from = nullptr,
              std::uint64_t tag = 0);
  // Copies `payload` into the next slot and commits it.
  void Add(std::span<const std::byte> payload, const Address& to, const PacketInfo* from = nullptr,
           std::uint64_t tag = 0);
  void Clear();

  // Sends every queued datagram without blocking and empties the batch. A partial sendmmsg resumes
  // from the first unsent datagram. EAGAIN/ENOBUFS (queue full) drop the rest of the batch, since
  // retrying at once would fail again; any other error drops only the datagram concerned.
  TxReport Flush(const UdpSocket& socket);

  // Outcome of datagram i of the last Flush (valid until the next Commit or Add).
  std::size_t flushed_count() const { return flushed_; }
  SendOutcome outcome(std::size_t i) const;
  int outcome_errno(std::size_t i) const;
  std::uint64_t tag(std::size_t i) const;

  // The kernel or a device refused GSO (EIO, ENOPROTOOPT); this batch no longer tries it.
  bool gso_refused() const { return gso_refused_; }

 private:
  // Groups slots [first_slot, count_) into messages; slots before `no_gso_before` are never
  // coalesced. Returns the number of messages built.
  std::size_t BuildMessages(const UdpSocket& socket, std::size_t first_slot,
                            std::size_t no_gso_before);
  std::size_t RunLength(std::size_t first_slot, bool gso) const;
  void MarkSlots(std::size_t message, SendOutcome outcome, int errno_value, TxReport& report);

  std::size_t slots_;
  std::size_t max_datagram_bytes_;
  bool use_gso_;
  bool gso_refused_ = false;
  std::vector<std::byte> buffer_;
  std::vector<iovec> iovecs_;        // per slot
  std::vector<Address> peers_;       // per slot
  std::vector<PacketInfo> from_;     // per slot; empty local means "any source"
  std::vector<std::uint64_t> tags_;  // per slot
  std::vector<SendOutcome> outcomes_;
  std::vector<int> errnos_;
  std::vector<mmsghdr> messages_;  // per message (at most one per slot)
  std::vector<ControlSpace> control_;
  std::vector<std::size_t> message_first_slot_;
  std::vector<std::size_t> message_slot_count_;
  std::size_t count_ = 0;
  std::size_t flushed_ = 0;
};

}  // namespace stampede::io
