// ParseBitRate and FormatBitRate (bit_rate.h).
#include "server/bit_rate.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace stampede::server {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

}  // namespace

tl::expected<std::uint64_t, std::string> ParseBitRate(std::string_view text) {
  const auto bad = [&] {
    return tl::unexpected("rate '" + std::string(text) +
                          "': expected bits per second, e.g. 8000000, 900M, 1G, 1gbit");
  };
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return bad();
  const std::string number(text.substr(0, digits));
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value)) return bad();
  std::string_view suffix = text.substr(digits);
  double factor = 1;
  if (!suffix.empty()) {
    switch (std::tolower(static_cast<unsigned char>(suffix.front()))) {
      case 'k': factor = 1e3; break;
      case 'm': factor = 1e6; break;
      case 'g': factor = 1e9; break;
      case 't': factor = 1e12; break;
      default: factor = 0;
    }
    if (factor != 0) suffix.remove_prefix(1);
    if (factor == 0) factor = 1;
  }
  if (!suffix.empty() && !EqualsIgnoringCase(suffix, "bit") && !EqualsIgnoringCase(suffix, "bps")) {
    return bad();
  }
  const double bits = value * factor;
  if (bits > 1e15 || bits != std::floor(bits)) return bad();
  return static_cast<std::uint64_t>(bits);
}

std::string FormatBitRate(std::uint64_t bits_per_second) {
  if (bits_per_second == 0) return "0";
  static constexpr struct {
    std::uint64_t factor;
    const char* suffix;
  } kUnits[] = {{1'000'000'000'000, "T"}, {1'000'000'000, "G"}, {1'000'000, "M"}, {1'000, "k"}};
  for (const auto& unit : kUnits) {
    if (bits_per_second % unit.factor == 0) {
      return std::to_string(bits_per_second / unit.factor) + unit.suffix;
    }
  }
  return std::to_string(bits_per_second);
}

}  // namespace stampede::server
