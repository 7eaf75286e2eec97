// CanonicalizeRequestPath: request file name → canonical root-relative path or a refusal.
#include "server/request_path.h"

#include <algorithm>
#include <string>
#include <vector>

#include "wire/escape.h"

namespace stampede::server {

using wire::EscapeBytes;
namespace {

tl::unexpected<Refusal> Refuse(wire::ErrorCode code, RefusalKind kind, std::string_view what,
                               std::string_view requested) {
  return tl::unexpected(Refusal{code, kind, std::string(what) + ": " + EscapeBytes(requested)});
}

bool IsControlByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// Splits on '/', dropping empty and "." components.
std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.push_back(part);
    start = end + 1;
  }
  return out;
}

// How many leading components of `components` a root spelling covers, or npos when it is not a
// component-wise prefix (so "/srv/tftp-private/x" is not under "/srv/tftp": D28, the tftpy bug).
std::size_t RootPrefixLength(const std::vector<std::string_view>& components,
                             std::string_view root_path) {
  const std::vector<std::string_view> root = Components(root_path);
  if (root.size() > components.size()) return std::string_view::npos;
  if (!std::equal(root.begin(), root.end(), components.begin())) return std::string_view::npos;
  return root.size();
}

}  // namespace

tl::expected<std::string, Refusal> CanonicalizeRequestPath(std::string_view requested,
                                                           const RequestPathOptions& options) {
  using wire::ErrorCode;
  if (requested.size() > kRequestPathMaxBytes) {
    return Refuse(ErrorCode::kIllegalOperation, RefusalKind::kNameTooLong,
                  "name longer than PATH_MAX", requested.substr(0, 64));
  }
  if (std::any_of(requested.begin(), requested.end(), IsControlByte)) {
    return Refuse(ErrorCode::kAccessViolation, RefusalKind::kControlByte,
                  "control byte in name", requested);
  }
  std::string mapped(requested);
  if (options.map_backslashes) std::replace(mapped.begin(), mapped.end(), '\\', '/');

  const std::vector<std::string_view> components = Components(mapped);
  for (const std::string_view component : components) {
    if (component == "..") {
      return Refuse(ErrorCode::kAccessViolation, RefusalKind::kDotDot, "'..' in name", requested);
    }
    if (component.size() > kRequestComponentMaxBytes) {
      return Refuse(ErrorCode::kAccessViolation, RefusalKind::kComponentTooLong,
                    "component longer than NAME_MAX", requested.substr(0, 64));
    }
  }

  std::size_t skip = 0;
  if (!mapped.empty() && mapped.front() == '/') {
    skip = std::string_view::npos;
    for (const std::string& root : options.root_paths) {
      skip = RootPrefixLength(components, root);
      if (skip != std::string_view::npos) break;
    }
    if (skip == std::string_view::npos) {
      if (!options.absolute_is_root_relative) {
        return Refuse(ErrorCode::kAccessViolation, RefusalKind::kOutsideRoot,
                      "absolute name outside the root", requested);
      }
      skip = 0;
    }
  }

  std::string canonical;
  canonical.reserve(mapped.size());
  for (std::size_t i = skip; i < components.size(); ++i) {
    if (!canonical.empty()) canonical += '/';
    canonical += components[i];
  }
  return canonical;
}

}  // namespace stampede::server
