// Option-list helpers: strict decimal values and the bounded OptionList.
// No allocation; values are interpreted by transfer/negotiation, not here.
#include "wire/options.h"

namespace stampede::wire {

std::optional<std::uint64_t> ParseDecimal(std::string_view text, std::uint64_t max) {
  // Bounded length first: 20 digits hold any uint64; longer strings are refused before any
  // arithmetic, so "99999999999999999999999" cannot wrap (PROTOCOL C16).
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    // value * 10 + digit > max, tested without overflow; `digit > max` first so that max - digit
    // cannot wrap (ParseDecimal("7", 5) must fail).
    if (digit > max || value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

bool OptionList::Add(std::string_view name, std::string_view value) {
  if (Find(name) != nullptr) {
    ++duplicates_;
    return false;
  }
  if (size_ == kCapacity) {
    ++dropped_;
    return false;
  }
  items_[size_++] = Option{name, value};
  return true;
}

const Option* OptionList::Find(std::string_view name) const {
  for (std::size_t i = 0; i < size_; ++i) {
    if (EqualsIgnoreCase(items_[i].name, name)) return &items_[i];
  }
  return nullptr;
}

}  // namespace stampede::wire
