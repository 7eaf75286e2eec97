// Where a client command points: `tftp://HOST[:PORT]/PATH` URLs (bracketed IPv6 literals, percent
// decoding) and the tftp-hpa-like `HOST[:PORT]` plus path form, resolved to an io::Address with
// getaddrinfo (io/ resolves no names). Pure parsing apart from ResolveHost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>
#include <tl/expected.hpp>

#include "io/address.h"

namespace stampede::cli {

struct RemoteTarget {
  std::string host;                   // without brackets: "10.0.0.1", "::1", "fe80::1%eth0", "boot"
  std::optional<std::uint16_t> port;  // nullopt: the command's --port (69)
  std::string path;                   // decoded; the leading '/' of the URL is not part of it
};

// True when `text` starts with "tftp://" (case-insensitive scheme).
bool LooksLikeUrl(std::string_view text);

// "tftp://HOST[:PORT]/PATH". The path is percent-decoded (%2F stays a '/', %00 is refused: a NUL
// cannot travel in a request). Errors are one-line explanations.
tl::expected<RemoteTarget, std::string> ParseUrl(std::string_view url);

// "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 literal (no port then).
tl::expected<RemoteTarget, std::string> ParseHostPort(std::string_view text);

// Decodes %XX escapes; a malformed escape or %00 is an error.
tl::expected<std::string, std::string> PercentDecode(std::string_view text);

// The last path component of a remote path ("a/b/c" → "c"), or empty if there is none usable as a
// local file name ("", "dir/", ".", "..").
std::string BaseName(std::string_view path);

// Resolves `host` (numeric or a name) for `family` (AF_UNSPEC, AF_INET, AF_INET6): the first
// address getaddrinfo returns, with `port`.
tl::expected<io::Address, std::string> ResolveHost(const std::string& host, std::uint16_t port,
                                                   int family);

}  // namespace stampede::cli
