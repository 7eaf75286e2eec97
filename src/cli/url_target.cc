// URL and host parsing and name resolution for the client commands (url_target.h).
#include "cli/url_target.h"

#include <fmt/core.h>
#include <netdb.h>

#include "wire/options.h"

namespace stampede::cli {
namespace {

constexpr std::string_view kScheme = "tftp://";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

tl::expected<std::uint16_t, std::string> ParsePort(std::string_view text) {
  const auto value = wire::ParseDecimal(text, 65535);
  if (!value || *value == 0) return tl::unexpected(fmt::format("invalid port '{}'", text));
  return static_cast<std::uint16_t>(*value);
}

}  // namespace

bool LooksLikeUrl(std::string_view text) {
  return text.size() >= kScheme.size() &&
         wire::EqualsIgnoreCase(text.substr(0, kScheme.size()), kScheme);
}

tl::expected<std::string, std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return tl::unexpected(fmt::format("incomplete %-escape in '{}'", text));
    }
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return tl::unexpected(fmt::format("bad %-escape in '{}'", text));
    const int byte = hi * 16 + lo;
    if (byte == 0) return tl::unexpected(std::string("%00 cannot be sent in a TFTP request"));
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return out;
}

tl::expected<RemoteTarget, std::string> ParseHostPort(std::string_view text) {
  RemoteTarget target;
  if (text.empty()) return tl::unexpected(std::string("empty host"));
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return tl::unexpected(fmt::format("missing ']' in '{}'", text));
    target.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return tl::unexpected(fmt::format("junk after ']' in '{}'", text));
      auto port = ParsePort(rest.substr(1));
      if (!port) return tl::unexpected(port.error());
      target.port = *port;
    }
  } else if (text.find(':') != text.rfind(':')) {
    target.host = std::string(text);  // a bare IPv6 literal: no port without brackets
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    target.host = std::string(text.substr(0, colon));
    auto port = ParsePort(text.substr(colon + 1));
    if (!port) return tl::unexpected(port.error());
    target.port = *port;
  } else {
    target.host = std::string(text);
  }
  if (target.host.empty()) return tl::unexpected(fmt::format("empty host in '{}'", text));
  return target;
}

tl::expected<RemoteTarget, std::string> ParseUrl(std::string_view url) {
  if (!LooksLikeUrl(url)) return tl::unexpected(fmt::format("'{}' is not a tftp:// URL", url));
  const std::string_view rest = url.substr(kScheme.size());
  // The authority ends at the first '/' after any bracketed literal.
  std::size_t search_from = 0;
  if (!rest.empty() && rest.front() == '[') {
    search_from = rest.find(']');
    if (search_from == std::string_view::npos) {
      return tl::unexpected(fmt::format("missing ']' in '{}'", url));
    }
  }
  const auto slash = rest.find('/', search_from);
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    return tl::unexpected(fmt::format("no file path in '{}'", url));
  }
  auto target = ParseHostPort(rest.substr(0, slash));
  if (!target) return tl::unexpected(target.error());
  auto path = PercentDecode(rest.substr(slash + 1));
  if (!path) return tl::unexpected(path.error());
  target->path = std::move(*path);
  return target;
}

std::string BaseName(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") return {};
  return std::string(base);
}

tl::expected<io::Address, std::string> ResolveHost(const std::string& host, std::uint16_t port,
                                                   int family) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return tl::unexpected(fmt::format("cannot resolve '{}': {}", host, gai_strerror(rc)));
  }
  io::Address address = io::Address::FromSockaddr(found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (address.empty()) return tl::unexpected(fmt::format("cannot resolve '{}'", host));
  address.set_port(port);
  return address;
}

}  // namespace stampede::cli
