// Whole-configuration checks (config_check.h).
#include "server/config_check.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/address.h"
#include "server/remap.h"

namespace stampede::server {
namespace {

constexpr std::uint16_t kTftpPort = 69;

void CheckRoot(const ServerConfig& config, std::vector<std::string>* problems) {
  struct stat status {};
  if (::stat(config.root.c_str(), &status) != 0) {
    problems->push_back("root '" + config.root + "': " + std::strerror(errno));
  } else if (!S_ISDIR(status.st_mode)) {
    problems->push_back("root '" + config.root + "': not a directory");
  }
}

void CheckListen(const ServerConfig& config, std::vector<std::string>* problems) {
  if (config.listen.empty()) problems->push_back("listen: at least one address is needed");
  for (const auto& text : config.listen) {
    auto address = io::Address::Parse(text, kTftpPort);
    if (!address) {
      problems->push_back("listen '" + text + "': not a numeric ADDR[:PORT] or [V6ADDR][:PORT]");
      continue;
    }
    const bool mapped = address->IsV4Mapped();
    if (config.families == AddressFamilies::kIpv4Only && address->IsV6() && !mapped) {
      problems->push_back("listen '" + text + "': an IPv6 address, but only IPv4 is enabled");
    }
    if (config.families == AddressFamilies::kIpv6Only && address->IsV4()) {
      problems->push_back("listen '" + text + "': an IPv4 address, but only IPv6 is enabled");
    }
  }
}

void CheckTimers(const ServerConfig& config, std::vector<std::string>* problems) {
  const auto& r = config.retransmit;
  if (r.rto_min > r.rto_initial || r.rto_initial > r.rto_max) {
    problems->push_back("retransmit: need rto_min_ms <= rto_initial_ms (--timeout) <= rto_max_ms");
  }
  if (config.options.timeout_min_s > config.options.timeout_max_s) {
    problems->push_back("options: timeout_min_s is above timeout_max_s");
  }
  if (config.port_range.low > config.port_range.high) {
    problems->push_back("port_range: LO is above HI");
  }
}

void CheckUser(const ServerConfig& config, std::vector<std::string>* problems) {
  if (!config.user) return;
  errno = 0;
  if (::getpwnam(config.user->c_str()) == nullptr) {
    problems->push_back("user '" + *config.user +
                        "': " + (errno != 0 ? std::strerror(errno) : "no such user"));
  }
}

}  // namespace

void FinalizeConfig(ServerConfig* config) {
  const ServerConfig defaults;
  if (config->listen == defaults.listen && config->families == AddressFamilies::kIpv4Only) {
    config->listen = {"0.0.0.0:69"};
  }
  config->options.upload_size_max = config->upload.size_max_bytes;
}

std::vector<std::string> CheckConfig(const ServerConfig& config) {
  std::vector<std::string> problems;
  CheckRoot(config, &problems);
  if (config.remap_file) {
    auto rules = RemapRules::LoadFile(*config.remap_file);
    if (!rules) problems.push_back("remap: " + rules.error());
  }
  CheckListen(config, &problems);
  CheckTimers(config, &problems);
  CheckUser(config, &problems);
  return problems;
}

}  // namespace stampede::server
