// RemapRules: tokenizing and compiling the rules file, and the bounded rewrite loop.
#include "server/remap.h"

#include <arpa/inet.h>
#include <regex.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "wire/escape.h"

namespace stampede::server {

using wire::EscapeBytes;
namespace {

using wire::ErrorCode;

// tftpd(8): at most \0..\9 can be referenced.
constexpr std::size_t kGroupsMax = 10;
// A custom `a` message is cut to this many bytes before escaping (PROTOCOL E44 spirit).
constexpr std::size_t kPeerMessageMaxBytes = 128;

struct RegexDeleter {
  void operator()(regex_t* regex) const {
    ::regfree(regex);
    delete regex;
  }
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Tokens end at unescaped whitespace; an unescaped '#' starts a comment (tftpd(8)). Backslash
// pairs are kept as they are for the regex compiler or the replacement expander.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view line) : line_(line) {}

  std::optional<std::string> Next() {
    while (pos_ < line_.size() && IsSpace(line_[pos_])) ++pos_;
    if (pos_ == line_.size() || line_[pos_] == '#') return std::nullopt;
    std::string token;
    bool escaped = false;
    for (; pos_ < line_.size(); ++pos_) {
      const char c = line_[pos_];
      if (!escaped && (IsSpace(c) || c == '#')) break;
      escaped = !escaped && c == '\\';
      token += c;
    }
    return token;
  }

 private:
  std::string_view line_;
  std::size_t pos_ = 0;
};

// `\ `, `\<tab>` and `\#` only protect the character from the tokenizer; the regex sees it bare.
std::string UnescapeRegexToken(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '\\' && i + 1 < token.size() &&
        (IsSpace(token[i + 1]) || token[i + 1] == '#')) {
      continue;
    }
    out += token[i];
    if (token[i] == '\\' && i + 1 < token.size()) out += token[++i];
  }
  return out;
}

// regex(7): "multiple adjacent duplication symbols ('+', '*', '?', and intervals) produce
// undefined results", and glibc's regcomp answers a run of them (`a++++++++`) by allocating
// gigabytes (found by fuzz/remap.cc). Such expressions are refused, as are interval counts above
// 255 (the POSIX RE_DUP_MAX minimum); bracket expressions and escaped characters are skipped.
std::optional<std::string> CheckRepetitions(std::string_view regex) {
  bool after_repetition = false;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '\\') {
      ++i;
      after_repetition = false;
      continue;
    }
    if (c == '[') {
      std::size_t end = i + 1;
      if (end < regex.size() && regex[end] == '^') ++end;
      if (end < regex.size() && regex[end] == ']') ++end;
      while (end < regex.size() && regex[end] != ']') ++end;
      i = end;
      after_repetition = false;
      continue;
    }
    const bool repetition = c == '*' || c == '+' || c == '?' || c == '{';
    if (repetition && after_repetition) return "adjacent repetition operators";
    if (c == '{') {
      std::size_t end = i + 1;
      unsigned long count = 0;
      for (; end < regex.size() && regex[end] != '}'; ++end) {
        const char digit = regex[end];
        if (digit >= '0' && digit <= '9') {
          count = count * 10 + static_cast<unsigned long>(digit - '0');
          if (count > 255) return "repetition count above 255";
        } else {
          count = 0;
        }
      }
      i = end;
    }
    after_repetition = repetition;
  }
  return std::nullopt;
}

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
char ToUpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

std::string HexOf(const std::uint8_t* bytes, std::size_t count) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

struct RemapRules::Rule {
  std::size_t line = 0;
  bool rewrite = false;  // r
  bool global = false;   // g
  bool exit = false;     // e
  bool restart = false;  // s
  bool abort = false;    // a
  bool inverse = false;  // ~
  bool get_only = false; // G
  bool put_only = false; // P
  std::unique_ptr<regex_t, RegexDeleter> regex;
  std::string replacement;

  bool AppliesTo(RequestKind kind) const {
    return !(get_only && kind != RequestKind::kGet) && !(put_only && kind != RequestKind::kPut);
  }
};

namespace {

// Expands `pattern` for one match: the text before the match, the pattern with its escapes, the
// text after (only the expanded pattern when `pattern_only`). Escapes: \0-\9 groups, \i \x client
// address, \L \U \E case (tftp-hpa 5.x), any other \c is c. nullopt when the result would exceed
// `max_bytes`.
std::optional<std::string> Expand(std::string_view pattern, std::string_view input,
                                  const regmatch_t* match, const RemapClient& client,
                                  std::size_t max_bytes, bool pattern_only) {
  std::string out;
  char (*transform)(char) = nullptr;
  auto append = [&](std::string_view text) {
    for (const char c : text) out += transform != nullptr ? transform(c) : c;
    return out.size() <= max_bytes;
  };
  std::size_t before = 0;
  std::size_t after = input.size();
  if (!pattern_only) {
    before = static_cast<std::size_t>(match[0].rm_so);
    after = static_cast<std::size_t>(match[0].rm_eo);
    out.assign(input.substr(0, before));
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    bool fits = true;
    if (pattern[i] != '\\' || i + 1 == pattern.size()) {
      fits = append(pattern.substr(i, 1));
    } else {
      const char escape = pattern[++i];
      if (escape >= '0' && escape <= '9') {
        const regmatch_t& group = match[escape - '0'];
        if (group.rm_so >= 0) {
          fits = append(input.substr(static_cast<std::size_t>(group.rm_so),
                                     static_cast<std::size_t>(group.rm_eo - group.rm_so)));
        }
      } else if (escape == 'i') {
        fits = append(client.ip_text);
      } else if (escape == 'x') {
        fits = append(client.ip_hex);
      } else if (escape == 'L') {
        transform = ToLowerAscii;
      } else if (escape == 'U') {
        transform = ToUpperAscii;
      } else if (escape == 'E') {
        transform = nullptr;
      } else {
        fits = append(std::string_view(&pattern[i], 1));
      }
    }
    if (!fits) return std::nullopt;
  }
  if (!pattern_only) out.append(input.substr(after));
  if (out.size() > max_bytes) return std::nullopt;
  return out;
}

// Largest group number referenced by a replacement, and whether it ends in a lone backslash.
int HighestGroup(std::string_view replacement, bool* dangling) {
  int highest = 0;
  *dangling = false;
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    if (replacement[i] != '\\') continue;
    if (i + 1 == replacement.size()) {
      *dangling = true;
      break;
    }
    const char escape = replacement[++i];
    if (escape >= '0' && escape <= '9') highest = std::max(highest, escape - '0');
  }
  return highest;
}

}  // namespace

RemapClient RemapClient::FromIpv4(std::array<std::uint8_t, 4> address) {
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, address.data(), text, sizeof(text));
  return RemapClient{text, HexOf(address.data(), address.size())};
}

RemapClient RemapClient::FromIpv6(const std::array<std::uint8_t, 16>& address) {
  static constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0,
                                                                 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.begin())) {
    return FromIpv4({address[12], address[13], address[14], address[15]});
  }
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, address.data(), text, sizeof(text));
  return RemapClient{text, HexOf(address.data(), address.size())};
}

RemapRules::RemapRules() = default;
RemapRules::RemapRules(RemapRules&&) noexcept = default;
RemapRules& RemapRules::operator=(RemapRules&&) noexcept = default;
RemapRules::~RemapRules() = default;
RemapRules::RemapRules(std::vector<Rule> rules, RemapLimits limits)
    : rules_(std::move(rules)), limits_(limits) {}

std::size_t RemapRules::size() const { return rules_.size(); }

namespace {

tl::unexpected<RemapParseError> ParseError(std::size_t line, std::string message) {
  return tl::unexpected(RemapParseError{line, std::move(message)});
}

}  // namespace

tl::expected<RemapRules::Rule, RemapParseError> RemapRules::ParseRule(
    const std::vector<std::string>& tokens, std::size_t line) {
  Rule rule;
  rule.line = line;
  int regex_flags = REG_EXTENDED;
  for (const char flag : tokens[0]) {
    switch (flag) {
      case 'r':
        rule.rewrite = true;
        break;
      case 'g':
        rule.global = true;
        break;
      case 'i':
        regex_flags |= REG_ICASE;
        break;
      case 'e':
        rule.exit = true;
        break;
      case 's':
        rule.restart = true;
        break;
      case 'a':
        rule.abort = true;
        break;
      case '~':
        rule.inverse = true;
        break;
      case 'G':
        rule.get_only = true;
        break;
      case 'P':
        rule.put_only = true;
        break;
      default:
        return ParseError(line, "unknown flag '" + EscapeBytes(std::string(1, flag)) +
                                    "' (known: r g i e s a ~ G P)");
    }
  }
  if (rule.global && !rule.rewrite) return ParseError(line, "flag g needs r");
  if (rule.inverse && rule.rewrite) return ParseError(line, "r rules cannot use ~");
  if (rule.get_only && rule.put_only) return ParseError(line, "flags G and P exclude each other");
  if (tokens.size() < 2) return ParseError(line, "missing regular expression");
  if (tokens.size() > 3) return ParseError(line, "unexpected text after the replacement");
  const std::string regex_text = UnescapeRegexToken(tokens[1]);
  if (auto problem = CheckRepetitions(regex_text)) {
    return ParseError(line, "bad regular expression: " + *problem);
  }
  rule.regex.reset(new regex_t{});
  const int status = ::regcomp(rule.regex.get(), regex_text.c_str(), regex_flags);
  if (status != 0) {
    char message[256] = {};
    ::regerror(status, rule.regex.get(), message, sizeof(message));
    delete rule.regex.release();  // regcomp failed: nothing to regfree
    return ParseError(line, "bad regular expression: " + std::string(message));
  }
  if (tokens.size() == 2) {
    if (rule.rewrite) return ParseError(line, "flag r needs a replacement");
    return rule;
  }
  if (!rule.rewrite && !rule.abort) {
    return ParseError(line, "a replacement needs flag r (or a, as its message)");
  }
  bool dangling = false;
  const int highest = HighestGroup(tokens[2], &dangling);
  if (dangling) return ParseError(line, "replacement ends in a lone backslash");
  if (static_cast<std::size_t>(highest) > rule.regex->re_nsub) {
    return ParseError(line, "replacement uses \\" + std::to_string(highest) +
                                " but the expression has " +
                                std::to_string(rule.regex->re_nsub) + " groups");
  }
  rule.replacement = tokens[2];
  return rule;
}

tl::expected<RemapRules, RemapParseError> RemapRules::Parse(std::string_view text,
                                                            const RemapLimits& limits) {
  std::vector<Rule> rules;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find('\0') != std::string_view::npos) return ParseError(line_number, "NUL byte");
    Tokenizer tokenizer(line);
    std::vector<std::string> tokens;
    while (tokens.size() < 4) {
      std::optional<std::string> token = tokenizer.Next();
      if (!token) break;
      tokens.push_back(std::move(*token));
    }
    if (tokens.empty()) continue;
    if (rules.size() == limits.rules_max) {
      return ParseError(line_number, "more than " + std::to_string(limits.rules_max) + " rules");
    }
    auto rule = ParseRule(tokens, line_number);
    if (!rule) return tl::unexpected(std::move(rule.error()));
    rules.push_back(std::move(*rule));
  }
  return RemapRules(std::move(rules), limits);
}

tl::expected<RemapRules, std::string> RemapRules::LoadFile(const std::string& path,
                                                           const RemapLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected("cannot read remap file '" + EscapeBytes(path) + "'");
  std::string text;
  text.resize(limits.file_max_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > limits.file_max_bytes) {
    return tl::unexpected("remap file '" + EscapeBytes(path) + "' is larger than " +
                          std::to_string(limits.file_max_bytes) + " bytes");
  }
  auto rules = Parse(text, limits);
  if (!rules) {
    return tl::unexpected(EscapeBytes(path) + ":" + std::to_string(rules.error().line) + ": " +
                          rules.error().message);
  }
  return std::move(*rules);
}

Refusal RemapRules::Deny(const Rule& rule, std::string_view filename, const std::string& current,
                         const regmatch_t* match, const RemapClient& client) {
  Refusal denial{ErrorCode::kAccessViolation, RefusalKind::kRemapDenied,
                 "denied by remap rule on line " + std::to_string(rule.line) + ": " +
                     EscapeBytes(filename)};
  if (!rule.replacement.empty()) {
    // An inverse rule matched nothing: its groups are all unset (tftp-hpa does the same).
    std::array<regmatch_t, kGroupsMax> groups{};
    std::copy_n(match, groups.size(), groups.begin());
    if (rule.inverse) groups.fill(regmatch_t{-1, -1});
    // The message is the expanded replacement alone (tftp-hpa splices it into the name).
    auto message =
        Expand(rule.replacement, current, groups.data(), client, kPeerMessageMaxBytes, true);
    denial.peer_message = EscapeBytes(message.value_or("Access violation"), kPeerMessageMaxBytes);
  }
  return denial;
}

tl::expected<std::string, Refusal> RemapRules::Apply(std::string_view filename, RequestKind kind,
                                                     const RemapClient& client) const {
  auto refuse = [&](RefusalKind refusal_kind, std::string what) {
    return tl::unexpected(Refusal{ErrorCode::kAccessViolation, refusal_kind,
                                  std::move(what) + ": " + EscapeBytes(filename)});
  };
  if (filename.find('\0') != std::string_view::npos) {
    return refuse(RefusalKind::kControlByte, "NUL byte in name");
  }
  std::string current(filename);
  std::size_t steps = 0;
  std::size_t index = 0;
  while (index < rules_.size()) {
    const Rule& rule = rules_[index];
    ++index;
    if (!rule.AppliesTo(kind)) continue;
    bool matched = false;
    for (;;) {
      if (++steps > limits_.steps_max) {
        return refuse(RefusalKind::kRemapLimit, "remap rules did not settle (line " +
                                                    std::to_string(rule.line) + ")");
      }
      std::array<regmatch_t, kGroupsMax> match{};
      const bool hit = (::regexec(rule.regex.get(), current.c_str(), match.size(), match.data(),
                                  0) == 0) != rule.inverse;
      if (!hit) break;
      matched = true;
      if (rule.abort) return tl::unexpected(Deny(rule, filename, current, match.data(), client));
      if (rule.rewrite) {
        auto next = Expand(rule.replacement, current, match.data(), client,
                           limits_.result_max_bytes, false);
        if (!next) {
          return refuse(RefusalKind::kRemapLimit, "remapped name too long (line " +
                                                      std::to_string(rule.line) + ")");
        }
        current = std::move(*next);
      }
      if (!rule.global) break;
    }
    if (!matched) continue;
    if (rule.exit) break;
    if (rule.restart) index = 0;
  }
  return current;
}

}  // namespace stampede::server
