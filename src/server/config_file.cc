// The TOML config file (config_file.h): one table of keys, each with a setter that checks type and
// range and a formatter that writes the value back, so reading, `--check-config` output and the
// documented key list cannot drift apart. toml++ is used header-only.
#include "server/config_file.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <toml++/toml.h>

#include "base/units.h"
#include "io/event_loop.h"

namespace stampede::server {
namespace {

using Setter = std::function<std::optional<std::string>(const toml::node&, ServerConfig&)>;
using Formatter = std::function<std::string(const ServerConfig&)>;

struct KeySpec {
  std::string_view section;  // "" for a top-level key
  std::string_view name;
  Setter set;        // returns the error, without position, or nullopt
  Formatter format;  // the value as TOML
};

constexpr std::uint64_t kUnlimited = UINT64_MAX;

std::string Found(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time: return "a date/time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string Octal(std::uint32_t value) {
  std::ostringstream out;
  out << "0o" << std::setfill('0') << std::setw(3) << std::oct << value;
  return out.str();
}

template <typename Field>
KeySpec Bool(std::string_view section, std::string_view name, Field field) {
  return {section, name,
          [field](const toml::node& node, ServerConfig& config) -> std::optional<std::string> {
            const auto* value = node.as_boolean();
            if (value == nullptr) return "expected true or false, found " + Found(node);
            field(config) = value->get();
            return std::nullopt;
          },
          [field](const ServerConfig& config) {
            return std::string(field(config) ? "true" : "false");
          }};
}

std::optional<std::string> ReadInteger(const toml::node& node, std::int64_t min, std::int64_t max,
                                       std::int64_t* out) {
  const auto* value = node.as_integer();
  if (value == nullptr) return "expected an integer, found " + Found(node);
  if (value->get() < min || value->get() > max) {
    return "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
           "], found " + std::to_string(value->get());
  }
  *out = value->get();
  return std::nullopt;
}

template <typename Field>
KeySpec Integer(std::string_view section, std::string_view name, Field field, std::int64_t min,
                std::int64_t max, bool octal = false) {
  return {section, name,
          [field, min, max](const toml::node& node,
                            ServerConfig& config) -> std::optional<std::string> {
            std::int64_t value = 0;
            if (auto error = ReadInteger(node, min, max, &value)) return error;
            using T = std::remove_reference_t<decltype(field(config))>;
            field(config) = static_cast<T>(value);
            return std::nullopt;
          },
          [field, octal](const ServerConfig& config) {
            if (octal) return Octal(static_cast<std::uint32_t>(field(config)));
            return std::to_string(field(config));
          }};
}

template <typename Field>
KeySpec Milliseconds(std::string_view section, std::string_view name, Field field,
                     std::int64_t min_ms, std::int64_t max_ms) {
  return {section, name,
          [field, min_ms, max_ms](const toml::node& node,
                                  ServerConfig& config) -> std::optional<std::string> {
            std::int64_t value = 0;
            if (auto error = ReadInteger(node, min_ms, max_ms, &value)) return error;
            field(config) = std::chrono::milliseconds(value);
            return std::nullopt;
          },
          [field](const ServerConfig& config) {
            return std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(field(config)).count());
          }};
}

template <typename Field>
KeySpec String(std::string_view section, std::string_view name, Field field) {
  return {section, name,
          [field](const toml::node& node, ServerConfig& config) -> std::optional<std::string> {
            const auto* value = node.as_string();
            if (value == nullptr) return "expected a string, found " + Found(node);
            if (value->get().empty()) return std::string("must not be empty");
            field(config) = value->get();
            return std::nullopt;
          },
          [field](const ServerConfig& config) { return Quote(field(config)); }};
}

// "" clears the setting.
template <typename Field>
KeySpec OptionalString(std::string_view section, std::string_view name, Field field) {
  return {section, name,
          [field](const toml::node& node, ServerConfig& config) -> std::optional<std::string> {
            const auto* value = node.as_string();
            if (value == nullptr) return "expected a string, found " + Found(node);
            if (value->get().empty()) {
              field(config).reset();
            } else {
              field(config) = value->get();
            }
            return std::nullopt;
          },
          [field](const ServerConfig& config) { return Quote(field(config).value_or("")); }};
}

// A string parsed by `parse` (one of the Parse* functions of config_file.h).
template <typename Field, typename Parse, typename Format>
KeySpec Parsed(std::string_view section, std::string_view name, Field field, Parse parse,
               Format format) {
  return {
      section, name,
      [field, parse](const toml::node& node, ServerConfig& config) -> std::optional<std::string> {
        const auto* value = node.as_string();
        if (value == nullptr) return "expected a string, found " + Found(node);
        auto parsed = parse(value->get());
        if (!parsed) return parsed.error();
        field(config) = *parsed;
        return std::nullopt;
      },
      [field, format](const ServerConfig& config) { return Quote(format(field(config))); }};
}

KeySpec Listen() {
  return {"network", "listen",
          [](const toml::node& node, ServerConfig& config) -> std::optional<std::string> {
            const auto* array = node.as_array();
            if (array == nullptr) return "expected an array of strings, found " + Found(node);
            if (array->empty()) return std::string("needs at least one address");
            std::vector<std::string> listen;
            for (const auto& element : *array) {
              const auto* value = element.as_string();
              if (value == nullptr || value->get().empty()) {
                return "expected an array of non-empty strings, found " + Found(element);
              }
              listen.push_back(value->get());
            }
            config.listen = std::move(listen);
            return std::nullopt;
          },
          [](const ServerConfig& config) {
            std::string out = "[";
            for (std::size_t i = 0; i < config.listen.size(); ++i) {
              if (i > 0) out += ", ";
              out += Quote(config.listen[i]);
            }
            return out + "]";
          }};
}

// The upload size cap is one setting: the WRQ tsize check (negotiation) and the byte count while
// writing (UploadManager) both use it.
KeySpec UploadSizeMax() {
  return {"uploads", "size_max_bytes",
          [](const toml::node& node, ServerConfig& config) -> std::optional<std::string> {
            std::uint64_t bytes = kUnlimited;
            if (const auto* text = node.as_string(); text != nullptr) {
              if (text->get() != "unlimited")
                return std::string("expected an integer or \"unlimited\"");
            } else {
              std::int64_t value = 0;
              if (auto error = ReadInteger(node, 0, INT64_MAX, &value)) return error;
              bytes = static_cast<std::uint64_t>(value);
            }
            config.upload.size_max_bytes = bytes;
            config.options.upload_size_max = bytes;
            return std::nullopt;
          },
          [](const ServerConfig& config) {
            if (config.upload.size_max_bytes == kUnlimited) return std::string("\"unlimited\"");
            return std::to_string(config.upload.size_max_bytes);
          }};
}

std::string FormatPortRange(const PortRange& range) {
  return std::to_string(range.low) + ":" + std::to_string(range.high);
}
std::string FormatFamilies(AddressFamilies families) {
  switch (families) {
    case AddressFamilies::kBoth: return "both";
    case AddressFamilies::kIpv4Only: return "ipv4";
    case AddressFamilies::kIpv6Only: return "ipv6";
  }
  return "both";
}
std::string FormatSymlinks(SymlinkPolicy policy) {
  switch (policy) {
    case SymlinkPolicy::kFollowBeneath: return "follow-beneath";
    case SymlinkPolicy::kRefuse: return "refuse";
  }
  return "follow-beneath";
}

#define STAMPEDE_FIELD(member) \
  [](auto& c) -> auto& {       \
    return c.member;           \
  }

const std::vector<KeySpec>& Keys() {
  static const std::vector<KeySpec> keys = {
      String("", "root", STAMPEDE_FIELD(root)),
      OptionalString("", "remap", STAMPEDE_FIELD(remap_file)),
      OptionalString("", "user", STAMPEDE_FIELD(user)),
      Bool("", "seccomp", STAMPEDE_FIELD(seccomp)),
      Integer("", "verbosity", STAMPEDE_FIELD(verbosity), 0, 3),
      Milliseconds("", "shutdown_grace_ms", STAMPEDE_FIELD(shutdown_grace), 0, 3'600'000),

      Bool("paths", "absolute_is_root_relative", STAMPEDE_FIELD(paths.absolute_is_root_relative)),
      Bool("paths", "map_backslashes", STAMPEDE_FIELD(paths.map_backslashes)),
      Bool("paths", "fold_case", STAMPEDE_FIELD(paths.fold_case)),
      Parsed("paths", "symlinks", STAMPEDE_FIELD(paths.symlinks), ParseSymlinkPolicy,
             FormatSymlinks),
      Bool("paths", "require_world_readable", STAMPEDE_FIELD(paths.require_world_readable)),

      Bool("uploads", "enabled", STAMPEDE_FIELD(uploads_enabled)),
      Bool("uploads", "create", STAMPEDE_FIELD(upload.create)),
      Bool("uploads", "overwrite", STAMPEDE_FIELD(upload.overwrite)),
      Bool("uploads", "require_world_writable", STAMPEDE_FIELD(upload.require_world_writable)),
      UploadSizeMax(),
      Integer("uploads", "create_mode", STAMPEDE_FIELD(upload.create_mode), 0, 0777, true),
      Integer("uploads", "umask", STAMPEDE_FIELD(upload.umask), 0, 0777, true),
      Integer("uploads", "in_progress_max", STAMPEDE_FIELD(upload.in_progress_max), 1, 1'000'000),

      Listen(),
      Parsed("network", "families", STAMPEDE_FIELD(families), ParseAddressFamilies, FormatFamilies),
      Parsed("network", "port_range", STAMPEDE_FIELD(port_range), ParsePortRange, FormatPortRange),
      Bool("network", "single_port", STAMPEDE_FIELD(single_port)),
      Integer("network", "socket_buffer_bytes", STAMPEDE_FIELD(socket_buffer_bytes), 0, 1 << 30),
      Bool("network", "scheduler", STAMPEDE_FIELD(scheduler)),
      Parsed("network", "rate", STAMPEDE_FIELD(rate_bps), base::ParseBitRate, base::FormatBitRate),
      Parsed("network", "busy_poll", STAMPEDE_FIELD(busy_poll), io::ParseBusyPoll,
             base::FormatDuration),

      Bool("options", "blksize", STAMPEDE_FIELD(options.blksize_enabled)),
      Integer("options", "blksize_max", STAMPEDE_FIELD(options.blksize_max), 8, 65464),
      Bool("options", "windowsize", STAMPEDE_FIELD(options.windowsize_enabled)),
      Integer("options", "windowsize_max", STAMPEDE_FIELD(options.windowsize_max), 1, 65535),
      Bool("options", "tsize", STAMPEDE_FIELD(options.tsize_enabled)),
      Bool("options", "rollover", STAMPEDE_FIELD(options.rollover_enabled)),
      Bool("options", "honour_timeout", STAMPEDE_FIELD(options.timeout_honoured)),
      Integer("options", "timeout_min_s", STAMPEDE_FIELD(options.timeout_min_s), 1, 255),
      Integer("options", "timeout_max_s", STAMPEDE_FIELD(options.timeout_max_s), 1, 255),
      Bool("options", "honour_utimeout", STAMPEDE_FIELD(options.utimeout_honoured)),

      Milliseconds("retransmit", "rto_initial_ms", STAMPEDE_FIELD(retransmit.rto_initial), 1,
                   60'000),
      Milliseconds("retransmit", "rto_min_ms", STAMPEDE_FIELD(retransmit.rto_min), 1, 60'000),
      Milliseconds("retransmit", "rto_max_ms", STAMPEDE_FIELD(retransmit.rto_max), 1, 600'000),
      Integer("retransmit", "retries_max", STAMPEDE_FIELD(retransmit.retries_max), 1, 1000),
      Integer("retransmit", "retries_unverified_max",
              STAMPEDE_FIELD(retransmit.retries_unverified_max), 0, 1000),

      Integer("limits", "sessions_max", STAMPEDE_FIELD(sessions_max), 1, 10'000'000),
      Integer("limits", "admission_queue_max", STAMPEDE_FIELD(admission_queue_max), 0, 1'000'000),
      Integer("limits", "sessions_per_client_max", STAMPEDE_FIELD(sessions_per_client_max), 1,
              10'000'000),
      Bool("limits", "drop_privileged_source_ports", STAMPEDE_FIELD(drop_privileged_source_ports)),
      Bool("limits", "ignore_broadcast_requests", STAMPEDE_FIELD(ignore_broadcast_requests)),
      // docs/security.md
      Integer("limits", "new_sessions_per_source_per_s",
              STAMPEDE_FIELD(abuse.new_sessions_per_source_per_s), 1, 1'000'000),
      Integer("limits", "new_sessions_per_source_burst",
              STAMPEDE_FIELD(abuse.new_sessions_per_source_burst), 1, 1'000'000),
      Integer("limits", "unverified_per_source_max",
              STAMPEDE_FIELD(abuse.unverified_per_source_max), 1, 10'000'000),
      Integer("limits", "unverified_max", STAMPEDE_FIELD(abuse.unverified_max), 1, 10'000'000),
      Bool("limits", "per_source_exempt_loopback", STAMPEDE_FIELD(abuse.per_source_exempt_loopback)),
      Integer("limits", "oack_amplification_max", STAMPEDE_FIELD(abuse.oack_amplification_max), 0,
              1000),
      Integer("limits", "errors_per_source_per_s", STAMPEDE_FIELD(abuse.errors_per_source_per_s),
              1, 1'000'000),
      Integer("limits", "errors_per_source_burst", STAMPEDE_FIELD(abuse.errors_per_source_burst),
              1, 1'000'000),
      Integer("limits", "sources_tracked_max", STAMPEDE_FIELD(abuse.sources_tracked_max), 1,
              10'000'000),
      Milliseconds("limits", "session_idle_max_ms", STAMPEDE_FIELD(abuse.session_idle_max), 0,
                   86'400'000),
      Integer("limits", "progress_min_bytes_per_s", STAMPEDE_FIELD(abuse.progress_min_bytes_per_s),
              0, 1'000'000'000),
      Milliseconds("limits", "progress_window_ms", STAMPEDE_FIELD(abuse.progress_window), 1000,
                   86'400'000),
      Integer("limits", "descriptors_reserved", STAMPEDE_FIELD(abuse.descriptors_reserved), 0,
              1'000'000),

      Bool("quirks", "omit_tsize_for_empty_files",
           STAMPEDE_FIELD(quirks.omit_tsize_for_empty_files)),
  };
  return keys;
}

#undef STAMPEDE_FIELD

constexpr std::string_view kSections[] = {"paths",      "uploads", "network", "options",
                                          "retransmit", "limits",  "quirks"};

bool IsSection(std::string_view name) {
  for (const auto section : kSections) {
    if (section == name) return true;
  }
  return false;
}

const KeySpec* FindKey(std::string_view section, std::string_view name) {
  for (const auto& key : Keys()) {
    if (key.section == section && key.name == name) return &key;
  }
  return nullptr;
}

std::string Where(std::string_view source_name, const toml::source_region& region) {
  return std::string(source_name) + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column) + ": ";
}

std::string Dotted(std::string_view section, std::string_view name) {
  return section.empty() ? std::string(name) : std::string(section) + "." + std::string(name);
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

// " (did you mean 'paths.fold_case'?)" for a near miss or a key in the wrong section, else "".
std::string Suggestion(std::string_view dotted, std::string_view name) {
  std::string best;
  std::size_t best_distance = 3;  // at most two edits away
  for (const auto& key : Keys()) {
    const std::string candidate = Dotted(key.section, key.name);
    const std::size_t distance =
        std::min(EditDistance(dotted, candidate), EditDistance(name, key.name));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

tl::expected<void, std::string> ApplyKey(std::string_view source_name, std::string_view section,
                                         const toml::key& key, const toml::node& node,
                                         ServerConfig* config) {
  const KeySpec* spec = FindKey(section, key.str());
  if (spec == nullptr) {
    const std::string dotted = Dotted(section, key.str());
    return tl::unexpected(Where(source_name, key.source()) + "unknown key '" + dotted + "'" +
                          Suggestion(dotted, key.str()));
  }
  if (auto error = spec->set(node, *config)) {
    return tl::unexpected(Where(source_name, node.source()) + Dotted(section, key.str()) + ": " +
                          *error);
  }
  return {};
}

}  // namespace

tl::expected<void, std::string> ApplyConfigText(std::string_view text, std::string_view source_name,
                                                ServerConfig* config) {
  toml::table document;
  try {
    document = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return tl::unexpected(Where(source_name, error.source()) + std::string(error.description()));
  }
  for (const auto& [key, node] : document) {
    if (!IsSection(key.str())) {
      if (auto applied = ApplyKey(source_name, "", key, node, config); !applied) return applied;
      continue;
    }
    const auto* table = node.as_table();
    if (table == nullptr) {
      return tl::unexpected(Where(source_name, node.source()) + "'" + std::string(key.str()) +
                            "' must be a table ([" + std::string(key.str()) + "]), found " +
                            Found(node));
    }
    for (const auto& [inner_key, inner_node] : *table) {
      auto applied = ApplyKey(source_name, key.str(), inner_key, inner_node, config);
      if (!applied) return applied;
    }
  }
  return {};
}

tl::expected<void, std::string> ApplyConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return tl::unexpected(path + ": cannot read config file");
  return ApplyConfigText(text.str(), path, config);
}

std::string FormatConfig(const ServerConfig& config) {
  std::string out;
  std::string_view section = "";
  for (const auto& key : Keys()) {
    if (key.section != section) {
      section = key.section;
      out += "\n[" + std::string(section) + "]\n";
    }
    out += std::string(key.name) + " = " + key.format(config) + "\n";
  }
  return out;
}

tl::expected<PortRange, std::string> ParsePortRange(std::string_view text) {
  const auto colon = text.find(':');
  auto number = [](std::string_view digits) -> std::optional<std::uint32_t> {
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    std::uint32_t value = 0;
    for (const char ch : digits) {
      if (ch < '0' || ch > '9') return std::nullopt;
      value = value * 10 + static_cast<std::uint32_t>(ch - '0');
    }
    if (value > 65535) return std::nullopt;
    return value;
  };
  const std::string error = "invalid port range '" + std::string(text) +
                            "': expected LO:HI with 1 <= LO <= HI <= 65535, or 0:0";
  if (colon == std::string_view::npos) return tl::unexpected(error);
  const auto low = number(text.substr(0, colon));
  const auto high = number(text.substr(colon + 1));
  if (!low || !high) return tl::unexpected(error);
  if (*low == 0 && *high == 0) return PortRange{};
  if (*low == 0 || *low > *high) return tl::unexpected(error);
  return PortRange{static_cast<std::uint16_t>(*low), static_cast<std::uint16_t>(*high)};
}

tl::expected<AddressFamilies, std::string> ParseAddressFamilies(std::string_view text) {
  if (text == "both") return AddressFamilies::kBoth;
  if (text == "ipv4") return AddressFamilies::kIpv4Only;
  if (text == "ipv6") return AddressFamilies::kIpv6Only;
  return tl::unexpected("invalid address families '" + std::string(text) +
                        "': expected both, ipv4 or ipv6");
}

tl::expected<SymlinkPolicy, std::string> ParseSymlinkPolicy(std::string_view text) {
  if (text == "follow-beneath") return SymlinkPolicy::kFollowBeneath;
  if (text == "refuse") return SymlinkPolicy::kRefuse;
  return tl::unexpected("invalid symlink policy '" + std::string(text) +
                        "': expected follow-beneath or refuse");
}

}  // namespace stampede::server
