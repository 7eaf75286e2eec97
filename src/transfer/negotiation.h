// Option negotiation (RFC 2347, 2348, 2349, 7440 and the de-facto `rollover` and `utimeout`) as pure
// functions: what was requested plus the local policy give the options in force, the OACK to send
// (or none), or the error to answer. The server calls Negotiate(); the client calls AcceptOack().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <tl/expected.hpp>

#include "base/time.h"
#include "wire/block_number.h"
#include "wire/error_code.h"
#include "wire/options.h"
#include "wire/packet.h"

namespace stampede::transfer {

// What the server is willing to agree to. Every option can be switched off; a switched-off option
// is simply left out of the OACK (RFC 2347: never an ERROR for an unsupported option).
struct OptionPolicy {
  bool blksize_enabled = true;
  std::uint16_t blksize_max = 1468;  // keeps datagrams under a 1500-byte MTU: no fragments for ROMs
  bool windowsize_enabled = true;
  std::uint16_t windowsize_max = 64;
  bool tsize_enabled = true;
  // RFC 2349 `timeout`. Off by default: the server keeps its measured, adaptive timer and leaves the
  // option out of the OACK. When honoured, the value must lie in [timeout_min_s, timeout_max_s].
  bool timeout_honoured = false;
  std::uint8_t timeout_min_s = 1;
  std::uint8_t timeout_max_s = 255;
  // tftp-hpa's `utimeout` (microseconds, ≥ 10 ms there). Only considered when timeout_honoured.
  bool utimeout_honoured = false;
  bool rollover_enabled = true;
  // WRQ: a declared tsize above this is refused with ERROR 3 before anything is acknowledged.
  std::uint64_t upload_size_max = UINT64_MAX;
};

// The options in force for one transfer, whatever was or was not negotiated.
struct TransferOptions {
  std::uint16_t blksize = 512;
  std::uint16_t windowsize = 1;
  std::optional<Duration> fixed_timeout;  // set only when a timeout/utimeout was agreed
  std::optional<std::uint64_t> tsize;      // RRQ: the file size sent; WRQ: the size announced
  wire::Rollover rollover = wire::Rollover::kToZero;
};

// The OACK to send. Names and values are copied into this object, so it never points into the
// request datagram and copies stay valid on their own.
class OackContents {
 public:
  static constexpr std::size_t kCapacity = 8;
  static constexpr std::size_t kNameMaxBytes = 16;  // the longest known option name is 10

  // Adds a pair. A name longer than kNameMaxBytes or a full list is a programming error.
  void Add(std::string_view name, std::uint64_t value);
  std::span<const wire::Option> options() const { return {options_.data(), size_}; }
  bool empty() const { return size_ == 0; }

  OackContents() = default;
  // Copies rebind the views to the copy's own storage. There is no move: a move is a copy, since
  // moving fixed arrays would leave the views pointing into the source.
  OackContents(const OackContents& other);
  OackContents& operator=(const OackContents& other);
  ~OackContents() = default;

 private:
  void RebindViews();

  std::array<std::array<char, kNameMaxBytes>, kCapacity> names_{};
  std::array<std::uint8_t, kCapacity> name_sizes_{};
  std::array<std::array<char, 24>, kCapacity> values_{};
  std::array<std::uint8_t, kCapacity> value_sizes_{};
  std::array<wire::Option, kCapacity> options_{};
  std::size_t size_ = 0;
};

struct Negotiated {
  TransferOptions options;
  OackContents oack;  // empty: no OACK, start the transfer the RFC 1350 way
};

// Server side. `file_size` is the size of the file an RRQ reads (nullopt when unknown, e.g. a
// generated file); ignored for WRQ. Fails only with ERROR 3 (WRQ tsize above upload_size_max, or
// beyond 2^64). The OACK lists accepted options in the request's order and the client's spelling;
// of `timeout` and `utimeout`, only the first one accepted is echoed.
tl::expected<Negotiated, wire::ErrorCode> Negotiate(const wire::Request& request,
                                                    const OptionPolicy& policy,
                                                    std::optional<std::uint64_t> file_size);

// Client side: checks an OACK against what we requested (PROTOCOL H65-69). An option we did not ask
// for, a blksize or windowsize above what we asked, a timeout that differs, or a malformed value of
// a requested option is refused with ERROR 8; a tsize above `download_size_max` with ERROR 3.
tl::expected<TransferOptions, wire::ErrorCode> AcceptOack(const wire::OptionList& requested,
                                                          const wire::OptionList& oack,
                                                          std::uint64_t download_size_max);
// The same for a whole OACK, which also judges what followed its last complete pair (H69): junk
// or padding is ignored, but a pair cut short that names a requested option is refused with
// ERROR 8, since its lost value may not be the default.
tl::expected<TransferOptions, wire::ErrorCode> AcceptOack(const wire::OptionList& requested,
                                                          const wire::Oack& oack,
                                                          std::uint64_t download_size_max);

}  // namespace stampede::transfer
