// Option negotiation: request options + policy -> options in force and the OACK (server side), and
// the client's check of an OACK against what it asked for. Pure functions; no I/O.
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

// Strict decimal digits, saturating at UINT64_MAX instead of failing: a value too large for uint64
// is as "large" as any other, so blksize 999...9 clamps rather than being refused (C16).
std::optional<std::uint64_t> SaturatingDecimal(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;  // C17: "-1", "+512", "0x200", " 512", "5e2"
  }
  return wire::ParseDecimal(text, UINT64_MAX).value_or(UINT64_MAX);
}

// One requested option against the policy. Returns the value to echo, or nullopt to leave the
// option out of the OACK (RFC 2347: never an ERROR for an option we do not take).
struct ServerChoice {
  const wire::Request& request;
  const OptionPolicy& policy;
  std::optional<std::uint64_t> file_size;
  TransferOptions& out;

  std::optional<std::uint64_t> Blksize(std::string_view text) const {
    if (!policy.blksize_enabled) return std::nullopt;
    const auto value = SaturatingDecimal(text);
    if (!value) return std::nullopt;
    const std::uint64_t requested = *value;
    if (requested < kBlksizeMin) return std::nullopt;  // C16: 0..7 omitted
    const std::uint64_t limit = std::min<std::uint64_t>(policy.blksize_max, kBlksizeMax);
    const std::uint64_t chosen = std::min(requested, limit);  // C16: clamp, never wrap
    out.blksize = static_cast<std::uint16_t>(chosen);
    return chosen;
  }

  std::optional<std::uint64_t> Timeout(std::string_view text) const {
    // Default: decline. The adaptive timer recovers a lost packet in a few RTTs; curl asks for
    // `timeout` 1..5 and a server that obeys waits whole seconds per loss.
    if (!policy.timeout_honoured) return std::nullopt;
    const auto value = wire::ParseDecimal(text, kTimeoutMaxSeconds);
    if (!value || *value < 1) return std::nullopt;  // C19: 0 and 256 omitted
    if (*value < policy.timeout_min_s || *value > policy.timeout_max_s) return std::nullopt;
    out.fixed_timeout = std::chrono::seconds(*value);
    return *value;  // RFC 2349: the OACK echoes the requested value
  }

  std::optional<std::uint64_t> Utimeout(std::string_view text) const {
    if (!policy.timeout_honoured || !policy.utimeout_honoured) return std::nullopt;  // C20
    const auto value = wire::ParseDecimal(text, kUtimeoutMaxUs);
    if (!value || *value < kUtimeoutMinUs) return std::nullopt;
    out.fixed_timeout = std::chrono::microseconds(*value);
    return *value;
  }

  std::optional<std::uint64_t> Tsize(std::string_view text) const {
    if (!policy.tsize_enabled) return std::nullopt;
    // RFC 2349 and C24: a netascii transfer's size on the wire is unknown in advance.
    if (request.mode == wire::Mode::kNetascii) return std::nullopt;
    const auto value = wire::ParseDecimal(text, UINT64_MAX);
    if (!value) return std::nullopt;
    if (request.opcode == wire::Opcode::kRrq) {
      if (!file_size) return std::nullopt;
      out.tsize = *file_size;  // C24: whatever the client sent, answer the real size (E50: 64-bit)
      return *file_size;
    }
    out.tsize = *value;  // WRQ: echo the announced size; the cap is checked by the caller
    return *value;
  }

  std::optional<std::uint64_t> Windowsize(std::string_view text) const {
    if (!policy.windowsize_enabled) return std::nullopt;
    if (request.mode == wire::Mode::kNetascii) return std::nullopt;  // C23 policy, as dnsmasq
    const auto value = wire::ParseDecimal(text, kWindowsizeMax);
    if (!value || *value < 1) return std::nullopt;  // C23: 0 and 65536 omitted
    const std::uint64_t chosen = std::min<std::uint64_t>(*value, std::max<std::uint16_t>(
                                                                     policy.windowsize_max, 1));
    out.windowsize = static_cast<std::uint16_t>(chosen);  // C23: 65535 clamped to our max
    return chosen;
  }

  std::optional<std::uint64_t> Rollover(std::string_view text) const {
    if (!policy.rollover_enabled) return std::nullopt;
    const auto value = wire::ParseDecimal(text, 1);
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
  ServerChoice choice{request, policy, file_size, result.options};
  bool timeout_agreed = false;
  // The OACK lists accepted options in the client's order and spelling (RFC 2347: order is free;
  // echoing the client's own spelling is what every firmware we know compares against).
  for (const Option& option : request.options.items()) {
    if (option.name.size() > OackContents::kNameMaxBytes) continue;  // no known name is that long
    std::optional<std::uint64_t> echo;
    if (Is(option, kBlksize)) {
      echo = choice.Blksize(option.value);
    } else if (Is(option, kTimeout)) {
      if (!timeout_agreed) echo = choice.Timeout(option.value);
      timeout_agreed = timeout_agreed || echo.has_value();
    } else if (Is(option, kUtimeout)) {
      if (!timeout_agreed) echo = choice.Utimeout(option.value);
      timeout_agreed = timeout_agreed || echo.has_value();
    } else if (Is(option, kTsize)) {
      echo = choice.Tsize(option.value);
    } else if (Is(option, kWindowsize)) {
      echo = choice.Windowsize(option.value);
    } else if (Is(option, kRollover)) {
      echo = choice.Rollover(option.value);
    }
    // Anything else (multicast, foo, blksizeX, xblksize) is left out: C20-C21.
    if (echo) result.oack.Add(option.name, *echo);
  }
  if (request.opcode == wire::Opcode::kWrq && result.options.tsize &&
      *result.options.tsize > policy.upload_size_max) {
    return tl::unexpected(ErrorCode::kDiskFull);  // RFC 2349, C25: refuse before any ACK/OACK
  }
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
    const auto asked_value = SaturatingDecimal(asked->value);
    if (Is(option, kBlksize)) {
      const auto value = wire::ParseDecimal(option.value, kBlksizeMax);
      // H65: larger than asked is refused (curl, U-Boot); smaller but valid is taken.
      if (!value || *value < kBlksizeMin || !asked_value || *value > *asked_value) return refuse;
      out.blksize = static_cast<std::uint16_t>(*value);
    } else if (Is(option, kWindowsize)) {
      const auto value = wire::ParseDecimal(option.value, kWindowsizeMax);
      if (!value || *value < 1 || !asked_value || *value > *asked_value) return refuse;
      out.windowsize = static_cast<std::uint16_t>(*value);
    } else if (Is(option, kTimeout) || Is(option, kUtimeout)) {
      const auto value = wire::ParseDecimal(option.value, UINT64_MAX);
      if (!value || !asked_value || *value != *asked_value) return refuse;  // RFC 2349: equal
      if (Is(option, kTimeout)) {
        out.fixed_timeout = std::chrono::seconds(*value);
      } else {
        out.fixed_timeout = std::chrono::microseconds(*value);
      }
    } else if (Is(option, kTsize)) {
      const auto value = wire::ParseDecimal(option.value, UINT64_MAX);
      if (!value) return refuse;                                      // H68: "-5", "abc"
      if (*value > download_size_max) return tl::unexpected(ErrorCode::kDiskFull);  // H68
      out.tsize = *value;
    } else if (Is(option, kRollover)) {
      const auto value = wire::ParseDecimal(option.value, 1);
      if (!value) return refuse;
      out.rollover = (*value == 1) ? wire::Rollover::kToOne : wire::Rollover::kToZero;
    } else {
      return refuse;  // we requested something we cannot interpret: never happens for our client
    }
  }
  // H67: no blksize in the OACK although we asked -> 512, which `out` already holds.
  return out;
}

}  // namespace stampede::transfer
