// One generation of the server's request policy, built from a ServerConfig: the opened root
// (PathResolver), the remap rules and the upload manager, plus the config they came from. A reload
// builds a new generation; each session keeps the generation it started with (shared_ptr), so
// transfers in flight are untouched by a reload. Must not do I/O on the network.
#pragma once

#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "server/path_resolver.h"
#include "server/remap.h"
#include "server/server_config.h"
#include "server/upload_manager.h"

namespace stampede::server {

class ServingPolicy {
 public:
  // Opens the root and reads the remap file. Errors carry context ("root /srv/tftp: ...",
  // "remap.rules:3: ...").
  static tl::expected<std::shared_ptr<ServingPolicy>, std::string> Build(
      const ServerConfig& config);

  ServingPolicy(const ServingPolicy&) = delete;
  ServingPolicy& operator=(const ServingPolicy&) = delete;

  const ServerConfig& config() const { return config_; }
  const PathResolver& resolver() const { return resolver_; }
  const RemapRules& remap() const { return remap_; }
  // Per generation: the one-writer-per-path rule (F58) holds among uploads started under the same
  // generation; an upload started before a reload is not seen by one started after it.
  UploadManager& uploads() { return uploads_; }

 private:
  ServingPolicy(ServerConfig config, PathResolver resolver, RemapRules remap);

  ServerConfig config_;
  PathResolver resolver_;
  RemapRules remap_;
  UploadManager uploads_;
};

}  // namespace stampede::server
