// Filename remapping rules in the style of tftp-hpa's `-m` file (tftpd(8), "FILENAME REMAPPING"):
// parsing a rules file and applying it to one request name. Syntax and examples: docs/remap.md.
// Must not touch the file system or validate paths: the remapped name goes through the path
// resolver afterwards (PROTOCOL "Filenames": canonicalise after remapping, tftp-hpa 5.4).
#pragma once

#include <regex.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "server/refusal.h"
#include "server/request_path.h"

namespace stampede::server {

enum class RequestKind : std::uint8_t { kGet, kPut };

// What `\i` and `\x` expand to: the client's address as text and as uppercase hex (pxelinux
// looks for pxelinux.cfg/C000025B for 192.0.2.91).
struct RemapClient {
  std::string ip_text;
  std::string ip_hex;

  static RemapClient FromIpv4(std::array<std::uint8_t, 4> address);
  // A v4-mapped address (::ffff:a.b.c.d, from a dual-stack socket) is taken as its IPv4 form, so
  // pxelinux's hex names work whichever socket the request came in on.
  static RemapClient FromIpv6(const std::array<std::uint8_t, 16>& address);
};

struct RemapLimits {
  std::size_t rules_max = 1024;
  // Regex evaluations per request, counting every repeat of a `g` rule and every rule visited
  // after an `s` restart; a rule set that loops is cut off and the request refused (tftp-hpa's
  // "deadman" counter, 4096 steps in 5.2+).
  std::size_t steps_max = 4096;
  std::size_t result_max_bytes = kRequestPathMaxBytes;
  std::size_t file_max_bytes = 1 << 20;
};

struct RemapParseError {
  std::size_t line;  // 1-based
  std::string message;
};

class RemapRules {
 public:
  RemapRules(RemapRules&&) noexcept;
  RemapRules& operator=(RemapRules&&) noexcept;
  ~RemapRules();

  // No rules: every name maps to itself.
  RemapRules();

  // Parses a whole rules file. The first error wins and carries its line number.
  static tl::expected<RemapRules, RemapParseError> Parse(std::string_view text,
                                                         const RemapLimits& limits = {});
  // Reads and parses `path`; errors read "<path>:<line>: <message>" (or name the I/O failure).
  static tl::expected<RemapRules, std::string> LoadFile(const std::string& path,
                                                        const RemapLimits& limits = {});

  // The name to resolve instead of `filename`, or a refusal (ERROR 2): an `a` rule matched (its
  // replacement, if any, is the peer message), the steps or length bound was hit, or the name
  // holds a NUL (regexec would not see past it).
  tl::expected<std::string, Refusal> Apply(std::string_view filename, RequestKind kind,
                                           const RemapClient& client) const;

  std::size_t size() const;

 private:
  struct Rule;
  explicit RemapRules(std::vector<Rule> rules, RemapLimits limits);
  // One non-empty line, already split into tokens.
  static tl::expected<Rule, RemapParseError> ParseRule(const std::vector<std::string>& tokens,
                                                       std::size_t line);
  // The refusal for an `a` rule that matched `current`.
  static Refusal Deny(const Rule& rule, std::string_view filename, const std::string& current,
                      const regmatch_t* match, const RemapClient& client);

  std::vector<Rule> rules_;
  RemapLimits limits_;
};

}  // namespace stampede::server
