// ASCII case folding for protocol words and operator-typed units: locale-independent, no
// allocation (std::tolower depends on the C locale and takes an int).
#pragma once

#include <cstddef>
#include <string_view>

namespace stampede::base {

constexpr char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// True when `a` and `b` are equal ignoring ASCII case.
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

}  // namespace stampede::base
