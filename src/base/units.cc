// Unit-suffix parsing (units.h). Numbers are read by hand (digits, one optional '.', digits) so the
// result does not depend on the C locale, and "1e3", "0x10", "-1", "+5" or " 5" are refused. Rates
// and sizes are computed in integers, so "1.001G" is exactly 1001000000 and "1.5" bits is caught
// rather than rounded; durations and fractions go through a double.
#include "base/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>
#include <system_error>

#include "base/ascii.h"
#include "base/check.h"

namespace stampede::base {
namespace {

// What a parser calls its quantity in messages, and what it accepts.
struct Kind {
  std::string_view what;      // "rate"
  std::string_view examples;  // "8000000, 900M, 1Gbit"
  std::string_view units;     // the accepted suffixes, for an unknown one
};

constexpr Kind kRate{"rate", "8000000, 900M, 1Gbit, 100Mbps",
                     "k, M, G, T (powers of 1000), each optionally followed by bit or bps, any case"};
constexpr Kind kSize{"size", "1048576, 64KiB, 10MiB, 1MB",
                     "B, k, K, kB, KB, M, MB, G, GB (powers of 1000), KiB, MiB, GiB (powers of 1024)"};
constexpr Kind kDuration{"duration", "0.005, 5ms, 250us", "s, ms, us, ns"};
constexpr Kind kFraction{"probability", "0.01, 1%", "%"};

constexpr std::uint64_t kRateMax = 1'000'000'000'000'000;  // 1000T: far above any link

std::string Invalid(const Kind& kind, std::string_view text, std::string_view why) {
  return "invalid " + std::string(kind.what) + " '" + std::string(text) + "': " + std::string(why);
}

// "12.5Mbit" as "12", "5" and "Mbit"; `number` is "12.5".
struct Number {
  std::string_view number;
  std::string_view whole;
  std::string_view fraction;
  std::string_view suffix;
};

std::optional<Number> SplitNumber(std::string_view text) {
  std::size_t i = 0;
  std::size_t digits = 0;
  std::optional<std::size_t> dot;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !dot) {
      dot = i;
    } else {
      break;
    }
  }
  if (digits == 0) return std::nullopt;
  Number n;
  n.number = text.substr(0, i);
  n.whole = dot ? text.substr(0, *dot) : n.number;
  n.fraction = dot ? text.substr(*dot + 1, i - *dot - 1) : std::string_view{};
  n.suffix = text.substr(i);
  return n;
}

tl::expected<Number, std::string> Split(const Kind& kind, std::string_view text) {
  auto number = SplitNumber(text);
  if (!number) {
    return tl::unexpected(Invalid(kind, text, "expected a number, e.g. " + std::string(kind.examples)));
  }
  return *number;
}

std::string UnknownUnit(const Kind& kind, std::string_view text, std::string_view suffix) {
  return Invalid(kind, text,
                 "unknown unit '" + std::string(suffix) + "' (accepted: " + std::string(kind.units) +
                     "; e.g. " + std::string(kind.examples) + ")");
}

// The server's "900M" and the simulator's "900Mbit"/"900Mbps" are one grammar: [kMGT][bit|bps].
std::optional<std::uint64_t> RateFactor(std::string_view suffix) {
  std::uint64_t factor = 1;
  if (!suffix.empty()) {
    switch (ToLowerAscii(suffix.front())) {
      case 'k': factor = 1'000; break;
      case 'm': factor = 1'000'000; break;
      case 'g': factor = 1'000'000'000; break;
      case 't': factor = 1'000'000'000'000; break;
      default: break;
    }
    if (factor != 1) suffix.remove_prefix(1);
  }
  if (suffix.empty() || EqualsIgnoreCase(suffix, "bit") || EqualsIgnoreCase(suffix, "bps")) {
    return factor;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> ByteFactor(std::string_view suffix) {
  static constexpr struct {
    std::string_view name;
    std::uint64_t factor;
  } kUnits[] = {{"", 1},
                {"B", 1},
                {"k", 1'000},
                {"K", 1'000},
                {"kB", 1'000},
                {"KB", 1'000},
                {"M", 1'000'000},
                {"MB", 1'000'000},
                {"G", 1'000'000'000},
                {"GB", 1'000'000'000},
                {"KiB", 1ull << 10},
                {"MiB", 1ull << 20},
                {"GiB", 1ull << 30}};
  for (const auto& unit : kUnits) {
    if (suffix == unit.name) return unit.factor;
  }
  return std::nullopt;
}

enum class Inexact { kNotWhole, kTooLarge };

// (whole.fraction) x factor in integers, if it is a whole number no larger than `max`.
tl::expected<std::uint64_t, Inexact> Scale(const Number& n, std::uint64_t factor,
                                           std::uint64_t max) {
  std::uint64_t whole = 0;
  for (const char c : n.whole) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (whole > (max - digit) / 10) return tl::unexpected(Inexact::kTooLarge);
    whole = whole * 10 + digit;
  }
  if (whole > max / factor) return tl::unexpected(Inexact::kTooLarge);
  std::string_view fraction = n.fraction;
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  // A fraction of 19 significant decimals or more times a factor of at most 2^30 or 10^12 is never
  // whole; refusing it also keeps 10^digits inside 64 bits.
  if (fraction.size() > 18) return tl::unexpected(Inexact::kNotWhole);
  std::uint64_t numerator = 0;
  std::uint64_t denominator = 1;
  for (const char c : fraction) {
    numerator = numerator * 10 + static_cast<std::uint64_t>(c - '0');
    denominator *= 10;
  }
  // numerator / denominator x factor is whole exactly when denominator / gcd divides numerator;
  // the product is below factor, so it cannot overflow.
  const std::uint64_t common = std::gcd(factor, denominator);
  if (numerator % (denominator / common) != 0) return tl::unexpected(Inexact::kNotWhole);
  const std::uint64_t part = numerator / (denominator / common) * (factor / common);
  if (part > max - whole * factor) return tl::unexpected(Inexact::kTooLarge);
  return whole * factor + part;
}

tl::expected<std::uint64_t, std::string> ParseWhole(const Kind& kind, std::string_view text,
                                                    std::optional<std::uint64_t> (*factor)(
                                                        std::string_view),
                                                    std::string_view unit, std::uint64_t max,
                                                    std::string_view max_note) {
  auto number = Split(kind, text);
  if (!number) return tl::unexpected(number.error());
  const auto scale = factor(number->suffix);
  if (!scale) return tl::unexpected(UnknownUnit(kind, text, number->suffix));
  auto value = Scale(*number, *scale, max);
  if (value) return *value;
  if (value.error() == Inexact::kNotWhole) {
    return tl::unexpected(Invalid(kind, text, "not a whole number of " + std::string(unit)));
  }
  return tl::unexpected(Invalid(kind, text, "too large" + std::string(max_note)));
}

// The number as a double, read by std::from_chars so it round-trips exactly with the shortest
// formatting replay commands print.
tl::expected<double, std::string> ParseReal(const Kind& kind, std::string_view text,
                                            std::optional<double> (*factor)(std::string_view)) {
  auto number = Split(kind, text);
  if (!number) return tl::unexpected(number.error());
  const auto scale = factor(number->suffix);
  if (!scale) return tl::unexpected(UnknownUnit(kind, text, number->suffix));
  double value = 0;
  const char* end = number->number.data() + number->number.size();
  const auto result = std::from_chars(number->number.data(), end, value);
  if (result.ec != std::errc{} || result.ptr != end) {
    return tl::unexpected(Invalid(kind, text, "expected a number, e.g. " + std::string(kind.examples)));
  }
  return value * *scale;
}

std::optional<double> SecondsFactor(std::string_view suffix) {
  if (suffix.empty() || EqualsIgnoreCase(suffix, "s")) return 1;
  if (EqualsIgnoreCase(suffix, "ms")) return 1e-3;
  if (EqualsIgnoreCase(suffix, "us")) return 1e-6;
  if (EqualsIgnoreCase(suffix, "ns")) return 1e-9;
  return std::nullopt;
}

std::optional<double> FractionFactor(std::string_view suffix) {
  if (suffix.empty()) return 1;
  if (suffix == "%") return 0.01;
  return std::nullopt;
}

}  // namespace

tl::expected<std::uint64_t, std::string> ParseBitRate(std::string_view text) {
  return ParseWhole(kRate, text, RateFactor, "bits per second", kRateMax, " (at most 1000T)");
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

tl::expected<std::uint64_t, std::string> ParseBytes(std::string_view text) {
  return ParseWhole(kSize, text, ByteFactor, "bytes", UINT64_MAX, "");
}

tl::expected<Duration, std::string> ParseDuration(std::string_view text) {
  return ParseReal(kDuration, text, SecondsFactor)
      .and_then([&](double seconds) -> tl::expected<Duration, std::string> {
        if (seconds > 1e9) return tl::unexpected(Invalid(kDuration, text, "too long (at most 1e9 s)"));
        return Duration{static_cast<Duration::rep>(std::llround(seconds * 1e9))};
      });
}

tl::expected<double, std::string> ParseFraction(std::string_view text) {
  return ParseReal(kFraction, text, FractionFactor)
      .and_then([&](double p) -> tl::expected<double, std::string> {
        if (p > 1.0) return tl::unexpected(Invalid(kFraction, text, "above 1 (100%)"));
        return p;
      });
}

std::string FormatDuration(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string FormatFraction(double p) {
  // The shortest fixed notation that reads back exactly: 1e-05 is "0.00001", which ParseFraction
  // accepts (it refuses exponents, as every parser here does). No double needs more than about 330
  // characters (309 digits for the largest; "0." and 323 zeros before the smallest subnormal's 5).
  std::array<char, 400> text{};
  const auto result =
      std::to_chars(text.data(), text.data() + text.size(), p, std::chars_format::fixed);
  STAMPEDE_CHECK(result.ec == std::errc{});
  return std::string(text.data(), result.ptr);
}

}  // namespace stampede::base
