// Fuzz target for the remap engine: input = rules text, a NUL byte, then a file name. Rules that
// parse are applied to the name for a get and a put; every application must finish within the
// configured bounds (a looping rule set is refused, never spins) and a result must respect the
// length cap. Rules text is capped at 512 bytes: rules come from the administrator, and glibc's
// regcomp/regexec can be made arbitrarily slow by a hostile expression, which is not what this
// target is about.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/remap.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using stampede::server::RemapClient;
  using stampede::server::RemapLimits;
  using stampede::server::RemapRules;
  using stampede::server::RequestKind;

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  if (split == std::string_view::npos || split > 512) return 0;
  const std::string_view rules_text = input.substr(0, split);
  const std::string_view name = input.substr(split + 1).substr(0, 512);

  RemapLimits limits;
  limits.rules_max = 16;
  limits.steps_max = 256;
  limits.result_max_bytes = 1024;
  auto rules = RemapRules::Parse(rules_text, limits);
  if (!rules) {
    if (rules.error().line == 0) std::abort();
    return 0;
  }
  const RemapClient client = RemapClient::FromIpv4({192, 0, 2, 91});
  for (const RequestKind kind : {RequestKind::kGet, RequestKind::kPut}) {
    auto result = rules->Apply(name, kind, client);
    if (result && result->size() > limits.result_max_bytes) std::abort();
    if (!result && result.error().peer_message.size() > 4 * 128 + 3) std::abort();
  }
  return 0;
}
