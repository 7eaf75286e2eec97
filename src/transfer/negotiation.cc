// Option negotiation: request options + policy -> options in force and the OACK (server side), and
// the client's check of an OACK against what it asked for. Pure functions: no I/O, no allocation,
// no clock. Must not answer an unknown or malformed option with an ERROR (RFC 2347) and must not
// keep pointers into the request datagram (OackContents copies names and values).
#include "transfer/negotiation.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/check.h"

namespace stampede::transfer {
namespace {

using wire::ErrorCode;
using wire::Option;
using wire::OptionList;

constexpr std::string_view kBlksize = "blksize";
constexpr std::string_view kTimeout = "timeout";
constexpr std::string_view kUtimeout = "utimeout";
constexpr std::string_view kTsize = "tsize";
constexpr std::string_view kWindowsize = "windowsize";
constexpr std::string_view kRollover = "rollover";

// RFC 2348 §2: blksize 8..65464. RFC 2349 §2: timeout 1..255 s. RFC 7440 §3: windowsize 1..65535.
constexpr std::uint64_t kBlksizeMin = 8;
constexpr std::uint64_t kBlksizeMax = 65464;
constexpr std::uint64_t kTimeoutMaxSeconds = 255;
constexpr std::uint64_t kWindowsizeMax = 65535;
// tftp-hpa accepts utimeout from 10 ms; the upper bound matches the largest `timeout`.
constexpr std::uint64_t kUtimeoutMinUs = 10'000;
constexpr std::uint64_t kUtimeoutMaxUs = 255'000'000;

bool Is(const Option& option, std::string_view name) {
  return wire::EqualsIgnoreCase(option.name, name);
}

// A strictly decimal value (C17: no sign, space, prefix or exponent) read without ever wrapping
// (C16). Leading zeros are ignored, so "0000000000000000000000512" is 512, not "too long"; a value
// too large for uint64 is `saturated` and compares above every bound.
struct Decimal {
  std::uint64_t value = 0;
  bool saturated = false;
};

constexpr std::size_t kUint64Digits = 20;

std::optional<Decimal> ReadDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;  // C17: "-1", "+512", "0x200", " 512", "5e2"
  }
  const std::size_t first = std::min(text.find_first_not_of('0'), text.size());
  const std::string_view digits = text.substr(first);
  if (digits.empty()) return Decimal{};
  if (digits.size() > kUint64Digits) return Decimal{UINT64_MAX, true};
  if (const auto value = wire::ParseDecimal(digits, UINT64_MAX)) return Decimal{*value, false};
  return Decimal{UINT64_MAX, true};  // 20 digits above 18446744073709551615
}

// The value when it is decimal and within [min, max]; nullopt otherwise.
std::optional<std::uint64_t> DecimalIn(std::string_view text, std::uint64_t min,
                                       std::uint64_t max) {
  const auto decimal = ReadDecimal(text);
  if (!decimal || decimal->saturated || decimal->value < min || decimal->value > max) {
    return std::nullopt;
  }
  return decimal->value;
}

// One requested option against the policy. Each method returns the value to echo, or nullopt to
// leave the option out of the OACK (RFC 2347: never an ERROR for an option we do not take).
struct ServerChoice {
  const wire::Request& request;
  const OptionPolicy& policy;
  std::optional<std::uint64_t> file_size;
  TransferOptions& out;
  bool& upload_too_large;

  std::optional<std::uint64_t> Blksize(std::string_view text) const {
    if (!policy.blksize_enabled) return std::nullopt;
    const std::uint64_t limit = std::min<std::uint64_t>(policy.blksize_max, kBlksizeMax);
    if (limit < kBlksizeMin) return std::nullopt;  // a policy that admits no RFC 2348 size
    const auto requested = ReadDecimal(text);
    if (!requested || requested->value < kBlksizeMin) return std::nullopt;  // C16: 0..7 omitted
    // C16 (as tftp-hpa): 65465 and 10^20 clamp to our maximum; a saturated value never wraps.
    // RFC 2348 §2: the OACK value is at most the requested one.
    const std::uint64_t chosen = std::min(requested->value, limit);
    out.blksize = static_cast<std::uint16_t>(chosen);
    return chosen;
  }

  std::optional<std::uint64_t> Timeout(std::string_view text) const {
    // Default: decline. The adaptive timer recovers a lost packet in a few RTTs; curl asks for
    // `timeout` 1..5 and a server that obeys waits whole seconds per loss.
    if (!policy.timeout_honoured) return std::nullopt;
    // RFC 2349 §2 and C19: 1..255 s, so 0 and 256 are omitted; then the operator's own bounds.
    const auto value = DecimalIn(text, 1, kTimeoutMaxSeconds);
    if (!value || *value < policy.timeout_min_s || *value > policy.timeout_max_s) {
      return std::nullopt;
    }
    out.fixed_timeout = std::chrono::seconds(*value);
    return *value;  // RFC 2349 §2: the OACK carries the requested value
  }

  std::optional<std::uint64_t> Utimeout(std::string_view text) const {
    // C20: tftp-hpa's extension (CVE-2011-2199 came from its handling) is off unless both the
    // RFC 2349 timeout and utimeout are honoured. Its bounds are fixed: 10 ms (tftp-hpa's floor)
    // to 255 s (the largest `timeout`); timeout_min_s/max_s apply to `timeout` only.
    if (!policy.timeout_honoured || !policy.utimeout_honoured) return std::nullopt;
    const auto value = DecimalIn(text, kUtimeoutMinUs, kUtimeoutMaxUs);
    if (!value) return std::nullopt;
    out.fixed_timeout = std::chrono::microseconds(*value);
    return *value;
  }

  std::optional<std::uint64_t> Tsize(std::string_view text) const {
    if (!policy.tsize_enabled) return std::nullopt;
    // RFC 2349 §3 and C24 (tftp-hpa, dnsmasq): a netascii transfer's size on the wire is unknown
    // in advance, so the option is left out.
    if (request.mode == wire::Mode::kNetascii) return std::nullopt;
    const auto value = ReadDecimal(text);
    if (!value) return std::nullopt;  // malformed: omitted, as tftp-hpa's strtoumax check does
    if (request.opcode == wire::Opcode::kRrq) {
      if (!file_size) return std::nullopt;  // a generated file: nothing honest to announce
      out.tsize = *file_size;  // C24: whatever the client sent, answer the real size (E50: 64-bit)
      return *file_size;
    }
    // WRQ, RFC 2349 §3: echo the announced size, or ERROR 3 when it exceeds the cap (C25). A size
    // beyond 2^64 exceeds every cap.
    if (value->saturated || value->value > policy.upload_size_max) {
      upload_too_large = true;
      return std::nullopt;
    }
    out.tsize = value->value;
    return value->value;
  }

  std::optional<std::uint64_t> Windowsize(std::string_view text) const {
    if (!policy.windowsize_enabled) return std::nullopt;
    // C23 policy, as dnsmasq: netascii conversion state cannot rewind to an arbitrary block of a
    // window, so netascii keeps the RFC 1350 lock-step.
    if (request.mode == wire::Mode::kNetascii) return std::nullopt;
    const auto value = DecimalIn(text, 1, kWindowsizeMax);  // C23: 0 and 65536 omitted
    if (!value) return std::nullopt;
    const std::uint64_t limit = std::max<std::uint16_t>(policy.windowsize_max, 1);
    const std::uint64_t chosen = std::min(*value, limit);  // C23: 65535 clamped to our max
    out.windowsize = static_cast<std::uint16_t>(chosen);   // RFC 7440 §3: at most the request
    return chosen;
  }

  std::optional<std::uint64_t> Rollover(std::string_view text) const {
    // De-facto `rollover` (PROTOCOL §1, block number wrap): 0 or 1 name the block after 65535.
    if (!policy.rollover_enabled) return std::nullopt;
    const auto value = DecimalIn(text, 0, 1);
    if (!value) return std::nullopt;
    out.rollover = (*value == 1) ? wire::Rollover::kToOne : wire::Rollover::kToZero;
    return *value;
  }
};

// Writes `value` in decimal into `buffer`; returns the length.
std::size_t FormatDecimal(std::uint64_t value, std::array<char, 24>& buffer) {
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return static_cast<std::size_t>(result.ptr - buffer.data());
}

}  // namespace

void OackContents::Add(std::string_view name, std::uint64_t value) {
  STAMPEDE_CHECK(size_ < kCapacity);
  STAMPEDE_CHECK(name.size() <= kNameMaxBytes);
  std::memcpy(names_[size_].data(), name.data(), name.size());
  name_sizes_[size_] = static_cast<std::uint8_t>(name.size());
  value_sizes_[size_] = static_cast<std::uint8_t>(FormatDecimal(value, values_[size_]));
  ++size_;
  RebindViews();
}

OackContents::OackContents(const OackContents& other)
    : names_(other.names_),
      name_sizes_(other.name_sizes_),
      values_(other.values_),
      value_sizes_(other.value_sizes_),
      size_(other.size_) {
  RebindViews();
}

OackContents& OackContents::operator=(const OackContents& other) {
  if (this != &other) {
    names_ = other.names_;
    name_sizes_ = other.name_sizes_;
    values_ = other.values_;
    value_sizes_ = other.value_sizes_;
    size_ = other.size_;
    RebindViews();
  }
  return *this;
}

void OackContents::RebindViews() {
  for (std::size_t i = 0; i < size_; ++i) {
    options_[i] = wire::Option{std::string_view(names_[i].data(), name_sizes_[i]),
                               std::string_view(values_[i].data(), value_sizes_[i])};
  }
}

tl::expected<Negotiated, ErrorCode> Negotiate(const wire::Request& request,
                                              const OptionPolicy& policy,
                                              std::optional<std::uint64_t> file_size) {
  Negotiated result;
  bool upload_too_large = false;
  const ServerChoice choice{request, policy, file_size, result.options, upload_too_large};
  bool timeout_agreed = false;
  // The OACK lists accepted options in the client's order (RFC 2347 leaves order free) and in the
  // client's own spelling: RFC 2347 makes names case-insensitive, but a client that compares with
  // strcmp still finds its own spelling. Names are matched whole: C21 `blksizeX` is unknown.
  for (const Option& option : request.options.items()) {
    if (option.name.size() > OackContents::kNameMaxBytes) continue;  // no known name is that long
    std::optional<std::uint64_t> echo;
    if (Is(option, kBlksize)) {
      echo = choice.Blksize(option.value);
    } else if (Is(option, kTimeout) || Is(option, kUtimeout)) {
      // One fixed timer per transfer: the first of timeout/utimeout we accept wins.
      if (!timeout_agreed) {
        echo = Is(option, kTimeout) ? choice.Timeout(option.value) : choice.Utimeout(option.value);
      }
      timeout_agreed = timeout_agreed || echo.has_value();
    } else if (Is(option, kTsize)) {
      echo = choice.Tsize(option.value);
    } else if (Is(option, kWindowsize)) {
      echo = choice.Windowsize(option.value);
    } else if (Is(option, kRollover)) {
      echo = choice.Rollover(option.value);
    }
    // Anything else (multicast, foo, blksizeX, xblksize) is left out, never an error: C20-C21.
    if (echo) result.oack.Add(option.name, *echo);
  }
  // C25, RFC 2349 §3: refuse an oversized upload with ERROR 3 before any ACK or OACK.
  if (upload_too_large) return tl::unexpected(ErrorCode::kDiskFull);
  return result;
}

tl::expected<TransferOptions, ErrorCode> AcceptOack(const OptionList& requested,
                                                    const OptionList& oack,
                                                    std::uint64_t download_size_max) {
  TransferOptions out;
  const auto refuse = tl::unexpected(ErrorCode::kOptionRefused);
  for (const Option& option : oack.items()) {
    const Option* asked = requested.Find(option.name);
    if (asked == nullptr) return refuse;  // RFC 2347, H66: an option we did not request
    const auto asked_value = ReadDecimal(asked->value);
    if (!asked_value) return refuse;  // we never ask with a malformed value
    if (Is(option, kBlksize)) {
      // H65 (curl, U-Boot): larger than asked is refused; smaller but >= 8 is taken (RFC 2348).
      const auto value = DecimalIn(option.value, kBlksizeMin, kBlksizeMax);
      if (!value || *value > asked_value->value) return refuse;
      out.blksize = static_cast<std::uint16_t>(*value);
    } else if (Is(option, kWindowsize)) {
      // RFC 7440 §3: 1..65535 and at most what we asked.
      const auto value = DecimalIn(option.value, 1, kWindowsizeMax);
      if (!value || *value > asked_value->value) return refuse;
      out.windowsize = static_cast<std::uint16_t>(*value);
    } else if (Is(option, kTimeout) || Is(option, kUtimeout)) {
      // RFC 2349 §2: the server must echo the timeout we asked for, nothing else.
      const auto value = ReadDecimal(option.value);
      if (!value || value->saturated || value->value != asked_value->value) return refuse;
      if (Is(option, kTimeout)) {
        out.fixed_timeout = std::chrono::seconds(value->value);
      } else {
        out.fixed_timeout = std::chrono::microseconds(value->value);
      }
    } else if (Is(option, kTsize)) {
      const auto value = ReadDecimal(option.value);
      if (!value) return refuse;  // H68 (GRUB c2cae77ab): "-5", "abc"
      if (value->saturated || value->value > download_size_max) {
        return tl::unexpected(ErrorCode::kDiskFull);  // H68: more than we are willing to store
      }
      out.tsize = value->value;
    } else if (Is(option, kRollover)) {
      const auto value = DecimalIn(option.value, 0, 1);
      if (!value) return refuse;
      out.rollover = (*value == 1) ? wire::Rollover::kToOne : wire::Rollover::kToZero;
    } else {
      return refuse;  // we requested something we cannot interpret: never happens for our client
    }
  }
  // H67 (curl CVE-2019-5482): no blksize in the OACK although we asked -> 512, which `out` holds.
  return out;
}

namespace {

// H69: the OACK's incomplete last pair names (or, cut inside the name, may name) an option we
// requested. Its value is lost, and the defaults could differ from what the server uses: a server
// that kept blksize 1468 takes our first 512-byte block as the last one.
bool TailCutsARequestedOption(const OptionList& requested, std::string_view tail) {
  const std::size_t nul = tail.find('\0');
  const std::string_view name = tail.substr(0, nul);
  if (name.empty()) return false;  // padding or nothing: the complete pairs are the OACK
  for (const Option& asked : requested.items()) {
    if (wire::EqualsIgnoreCase(asked.name, name)) return true;
    const bool cut_in_name = nul == std::string_view::npos && name.size() < asked.name.size();
    if (cut_in_name && wire::EqualsIgnoreCase(asked.name.substr(0, name.size()), name)) return true;
  }
  return false;  // junk after the pairs (IBM Tivoli): ignored
}

}  // namespace

tl::expected<TransferOptions, ErrorCode> AcceptOack(const OptionList& requested,
                                                    const wire::Oack& oack,
                                                    std::uint64_t download_size_max) {
  if (TailCutsARequestedOption(requested, oack.tail)) {
    return tl::unexpected(ErrorCode::kOptionRefused);
  }
  return AcceptOack(requested, oack.options, download_size_max);
}

}  // namespace stampede::transfer
