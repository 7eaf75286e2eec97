// Fuzz target for the pure name rules of the server (CanonicalizeRequestPath) and the log escaper.
// The first byte picks the options; the rest is the requested name. An accepted name must come
// out canonical (no "..", no empty or "." component, no control byte, no leading or trailing
// '/'), and canonicalising it again must give it back unchanged. Escaped text must be printable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/escape.h"
#include "server/request_path.h"

namespace {

using stampede::server::CanonicalizeRequestPath;
using stampede::wire::EscapeBytes;
using stampede::server::RequestPathOptions;

void Require(bool condition) {
  if (!condition) std::abort();
}

void CheckCanonical(const std::string& path) {
  Require(path.empty() || (path.front() != '/' && path.back() != '/'));
  std::size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string_view component(path.data() + start, end - start);
    Require(!component.empty() && component != "." && component != "..");
    Require(component.size() <= stampede::server::kRequestComponentMaxBytes);
    start = end + 1;
  }
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    Require(byte >= 0x20 && byte != 0x7f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view name(reinterpret_cast<const char*>(data + 1), size - 1);

  RequestPathOptions options;
  options.root_paths = {"/srv/tftp", (selector & 4) != 0 ? "/" : "/data/boot"};
  options.map_backslashes = (selector & 1) != 0;
  options.absolute_is_root_relative = (selector & 2) != 0;

  auto canonical = CanonicalizeRequestPath(name, options);
  if (canonical) {
    CheckCanonical(*canonical);
    Require(canonical->size() <= name.size());
    auto again = CanonicalizeRequestPath(*canonical, options);
    Require(again.has_value() && *again == *canonical);
  } else {
    for (const char c : canonical.error().reason) {
      Require(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
    }
  }

  const std::string escaped = EscapeBytes(name, 64);
  Require(escaped.size() <= 4 * 64 + 3);
  for (const char c : escaped) {
    Require(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
  }
  return 0;
}
