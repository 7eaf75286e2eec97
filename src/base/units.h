// The quantities an operator types on a command line or in the config file: bit rates, byte sizes,
// durations and fractions, as plain numbers or with unit suffixes ("900M", "1Gbit", "10MiB", "5ms",
// "1%"). One parser each for the server, the client, the load generator and the simulator. Pure
// string functions: they must not print, exit or throw; a bad value is an error naming the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "base/time.h"

namespace stampede::base {

// Bits per second, a whole number up to 1e15 (1000T). Plain number = bit/s; an optional decimal
// prefix k, M, G, T (powers of 1000) then an optional "bit" or "bps", case-insensitive: "8000000",
// "900M", "64k", "1gbit", "100Mbps", "2.5G". A fraction must come out whole: "1.5" is refused.
tl::expected<std::uint64_t, std::string> ParseBitRate(std::string_view text);

// The shortest form ParseBitRate reads back to the same value ("900M", "1G", "1234", "0").
std::string FormatBitRate(std::uint64_t bits_per_second);

// Bytes, a whole number. Plain number = bytes; B, k/K/kB/KB, M/MB, G/GB (powers of 1000), KiB, MiB,
// GiB (powers of 1024). Case matters: "Mb" would read as megabits to many, so only these
// spellings are accepted. A fraction must come out whole: "1.5KiB" is 1536, "0.5B" is refused.
tl::expected<std::uint64_t, std::string> ParseBytes(std::string_view text);

// A non-negative duration of at most 1e9 s, rounded to the nanosecond. Plain number = seconds;
// s, ms, us, ns suffixes, case-insensitive.
tl::expected<Duration, std::string> ParseDuration(std::string_view text);

// A probability in [0, 1]. Plain number = fraction ("0.01"); a trailing % divides by 100 ("1%").
tl::expected<double, std::string> ParseFraction(std::string_view text);

// Shortest text ParseDuration reads back to the same value ("5ms", "250us"; for replay commands).
std::string FormatDuration(Duration d);

// Shortest plain decimal ParseFraction reads back to the same value, never with an exponent
// ("0.01", "0.00001", "0", "1"; for replay commands). p in [0, 1].
std::string FormatFraction(double p);

}  // namespace stampede::base
