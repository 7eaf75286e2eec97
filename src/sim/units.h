// Parsing of the quantities the simulator is configured with: bit rates, byte sizes, durations and
// fractions, as plain numbers or with unit suffixes ("1Gbit", "10MiB", "5ms", "1%"). Pure string
// functions; must not print, exit or throw: a bad value is an ordinary error with a message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "base/time.h"

namespace stampede::sim {

// Bits per second. Plain number = bit/s; suffixes (case-insensitive) bit, kbit, Mbit, Gbit, Tbit
// (powers of 1000), and bps/kbps/Mbps/Gbps as synonyms. Fractions allowed ("2.5Gbit").
tl::expected<std::uint64_t, std::string> ParseBitRate(std::string_view text);

// Bytes. Plain number = bytes; B, kB/KB, MB, GB (powers of 1000), KiB, MiB, GiB (powers of 1024),
// k/K, M, G as 1000-based shorthands.
tl::expected<std::uint64_t, std::string> ParseBytes(std::string_view text);

// A non-negative duration. Plain number = seconds; s, ms, us, ns suffixes.
tl::expected<Duration, std::string> ParseDuration(std::string_view text);

// A probability in [0, 1]. Plain number = fraction ("0.01"); a trailing % divides by 100 ("1%").
tl::expected<double, std::string> ParseFraction(std::string_view text);

// Shortest text that parses back to the same value with the functions above (for replay commands).
std::string FormatDuration(Duration d);

}  // namespace stampede::sim
