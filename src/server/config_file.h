// The TOML config file of `stampede serve`: reading it onto a ServerConfig and writing a
// ServerConfig back out as TOML (`stampede serve --check-config`). Every key the file accepts and
// its default is documented in docs/server.md and packaging/stampede.toml. Must not check the
// environment (does the root exist, does the remap file parse): config_check.h does that.
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "server/server_config.h"

namespace stampede::server {

// Applies the settings in the TOML document `text` to `*config`. Keys the document does not set
// keep their value in `*config`, so callers layer defaults < file < command line. A syntax error,
// an unknown section or key (typos must not be ignored), a wrong type or an out-of-range value is
// an error "<source_name>:<line>:<column>: <message>"; on error `*config` may be partly updated.
tl::expected<void, std::string> ApplyConfigText(std::string_view text, std::string_view source_name,
                                                ServerConfig* config);

// Reads `path` and applies it as ApplyConfigText does; an unreadable file is an error naming it.
tl::expected<void, std::string> ApplyConfigFile(const std::string& path, ServerConfig* config);

// `config` as a TOML document with every key, which ApplyConfigText reads back to the same value.
std::string FormatConfig(const ServerConfig& config);

// Shared with the command line. "LO:HI" with 1 <= LO <= HI <= 65535, or "0:0" (kernel's choice).
tl::expected<PortRange, std::string> ParsePortRange(std::string_view text);
// "both", "ipv4", "ipv6".
tl::expected<AddressFamilies, std::string> ParseAddressFamilies(std::string_view text);
// "follow-beneath", "refuse".
tl::expected<SymlinkPolicy, std::string> ParseSymlinkPolicy(std::string_view text);

}  // namespace stampede::server
