// Unit-suffix parsing (units.h). Numbers are read by hand (digits, one optional '.', digits) so the
// result does not depend on the C locale, and "1e3", "0x10", "-1" or " 5" are refused.
#include "sim/units.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <optional>

#include <fmt/format.h>

#include "wire/options.h"

namespace stampede::sim {
namespace {

struct Number {
  double value = 0;
  std::string_view suffix;
};

// Splits "12.5Mbit" into 12.5 and "Mbit": digits with at most one '.', read by std::from_chars so
// the value round-trips exactly with fmt's shortest formatting (replay commands depend on it).
std::optional<Number> SplitNumber(std::string_view text) {
  std::size_t i = 0;
  std::size_t digits = 0;
  bool dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits == 0) return std::nullopt;
  Number number;
  const auto result = std::from_chars(text.data(), text.data() + i, number.value);
  if (result.ec != std::errc{} || result.ptr != text.data() + i) return std::nullopt;
  number.suffix = text.substr(i);
  return number;
}

struct Unit {
  std::string_view name;
  double factor;
};

template <std::size_t N>
std::optional<double> FindFactor(std::string_view suffix, const Unit (&units)[N],
                                 bool case_sensitive) {
  for (const Unit& unit : units) {
    if (case_sensitive ? suffix == unit.name : wire::EqualsIgnoreCase(suffix, unit.name)) {
      return unit.factor;
    }
  }
  return std::nullopt;
}

tl::expected<double, std::string> Scaled(std::string_view text, std::string_view what,
                                          std::optional<double> (*factor)(std::string_view),
                                          std::string_view accepted) {
  const auto number = SplitNumber(text);
  if (!number) {
    return tl::unexpected(fmt::format("invalid {} '{}': expected a number, e.g. {}", what, text,
                                      accepted));
  }
  const auto scale = factor(number->suffix);
  if (!scale) {
    return tl::unexpected(fmt::format("invalid {} '{}': unknown unit '{}' (accepted: {})", what,
                                      text, number->suffix, accepted));
  }
  return number->value * *scale;
}

std::optional<double> RateFactor(std::string_view suffix) {
  static constexpr Unit kUnits[] = {
      {"", 1},       {"bit", 1},     {"bps", 1},     {"kbit", 1e3},  {"kbps", 1e3},
      {"mbit", 1e6}, {"mbps", 1e6},  {"gbit", 1e9},  {"gbps", 1e9},  {"tbit", 1e12},
      {"tbps", 1e12}};
  return FindFactor(suffix, kUnits, false);
}

std::optional<double> ByteFactor(std::string_view suffix) {
  // Case matters for bytes: "MB" vs "Mb" would be a factor 8 apart in common usage, so only the
  // usual spellings are accepted.
  static constexpr Unit kUnits[] = {
      {"", 1},         {"B", 1},          {"k", 1e3},        {"K", 1e3},
      {"kB", 1e3},     {"KB", 1e3},       {"M", 1e6},        {"MB", 1e6},
      {"G", 1e9},      {"GB", 1e9},       {"KiB", 1024.0},   {"MiB", 1048576.0},
      {"GiB", 1073741824.0}};
  return FindFactor(suffix, kUnits, true);
}

std::optional<double> SecondsFactor(std::string_view suffix) {
  static constexpr Unit kUnits[] = {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
  return FindFactor(suffix, kUnits, false);
}

std::optional<double> FractionFactor(std::string_view suffix) {
  static constexpr Unit kUnits[] = {{"", 1}, {"%", 0.01}};
  return FindFactor(suffix, kUnits, true);
}

tl::expected<std::uint64_t, std::string> ToWhole(double value, std::string_view text,
                                                 std::string_view what) {
  if (!(value < 1.8e19)) return tl::unexpected(fmt::format("{} '{}' is too large", what, text));
  return static_cast<std::uint64_t>(std::llround(value));
}

}  // namespace

tl::expected<std::uint64_t, std::string> ParseBitRate(std::string_view text) {
  return Scaled(text, "rate", RateFactor, "1000000000, 100Mbit, 1Gbit")
      .and_then([&](double v) { return ToWhole(v, text, "rate"); });
}

tl::expected<std::uint64_t, std::string> ParseBytes(std::string_view text) {
  return Scaled(text, "size", ByteFactor, "1048576, 1MiB, 1MB, 64KiB")
      .and_then([&](double v) { return ToWhole(v, text, "size"); });
}

tl::expected<Duration, std::string> ParseDuration(std::string_view text) {
  return Scaled(text, "duration", SecondsFactor, "0.005, 5ms, 250us")
      .and_then([&](double seconds) -> tl::expected<Duration, std::string> {
        if (seconds > 1e9) return tl::unexpected(fmt::format("duration '{}' is too long", text));
        return Duration{static_cast<Duration::rep>(std::llround(seconds * 1e9))};
      });
}

tl::expected<double, std::string> ParseFraction(std::string_view text) {
  return Scaled(text, "probability", FractionFactor, "0.01, 1%")
      .and_then([&](double p) -> tl::expected<double, std::string> {
        if (p > 1.0) {
          return tl::unexpected(fmt::format("probability '{}' is above 1 (100%)", text));
        }
        return p;
      });
}

std::string FormatDuration(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

}  // namespace stampede::sim
