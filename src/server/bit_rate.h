// The server's `--rate` / `[network] rate` value: bits per second, as a plain number or with a
// decimal suffix (k, M, G, T: powers of 1000, case-insensitive, optionally followed by "bit" or
// "bps"): "900M", "1G", "1gbit", "100Mbps", "8000000". "0" means no cap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace stampede::server {

tl::expected<std::uint64_t, std::string> ParseBitRate(std::string_view text);
// The shortest form ParseBitRate reads back to the same value ("900M", "1G", "0").
std::string FormatBitRate(std::uint64_t bits_per_second);

}  // namespace stampede::server
