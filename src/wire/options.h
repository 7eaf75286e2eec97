// Option lists of RFC 2347: pairs of NUL-terminated name and value strings after a request's mode,
// or in an OACK. Names compare case-insensitively and order is free. The list holds views into the
// datagram (or into caller-owned storage when building), so parsing allocates nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/ascii.h"

namespace stampede::wire {

struct Option {
  std::string_view name;
  std::string_view value;
};

// Option names and modes compare ignoring ASCII case (RFC 1350/2347).
using base::EqualsIgnoreCase;

// Parses a strictly decimal value ("0".."max") with no sign, space, prefix or exponent; nullopt for
// anything else or a value above `max` (PROTOCOL C16-17: "-1", "+512", "0x200", " 512", "5e2").
std::optional<std::uint64_t> ParseDecimal(std::string_view text, std::uint64_t max);

// A bounded list of options. A request fits 512 bytes, and the smallest pair takes 4, so pairs
// beyond kCapacity are counted in dropped() rather than stored. A repeated name (any case) keeps the
// first value (PROTOCOL C22) and counts in duplicates().
class OptionList {
 public:
  static constexpr std::size_t kCapacity = 32;

  // Adds a pair. Returns false (and counts it) when the name is already present or the list is full.
  bool Add(std::string_view name, std::string_view value);

  // The pair whose name equals `name` ignoring case, or nullptr.
  const Option* Find(std::string_view name) const;

  std::span<const Option> items() const { return {items_.data(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t duplicates() const { return duplicates_; }
  std::size_t dropped() const { return dropped_; }

 private:
  std::array<Option, kCapacity> items_{};
  std::size_t size_ = 0;
  std::size_t duplicates_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace stampede::wire
