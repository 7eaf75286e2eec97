// ServingPolicy (serving_policy.h): builds one policy generation from a ServerConfig.
#include "server/serving_policy.h"

#include <utility>

namespace stampede::server {

ServingPolicy::ServingPolicy(ServerConfig config, PathResolver resolver, RemapRules remap)
    : config_(std::move(config)),
      resolver_(std::move(resolver)),
      remap_(std::move(remap)),
      uploads_(config_.upload) {}

tl::expected<std::shared_ptr<ServingPolicy>, std::string> ServingPolicy::Build(
    const ServerConfig& config) {
  auto resolver = PathResolver::Open(config.root, config.paths);
  if (!resolver) return tl::unexpected("root " + config.root + ": " + resolver.error());
  RemapRules remap;
  if (config.remap_file && !config.remap_file->empty()) {
    auto loaded = RemapRules::LoadFile(*config.remap_file);
    if (!loaded) return tl::unexpected("remap file " + loaded.error());
    remap = std::move(*loaded);
  }
  return std::shared_ptr<ServingPolicy>(
      new ServingPolicy(config, std::move(*resolver), std::move(remap)));
}

}  // namespace stampede::server
