// EscapeBytes: untrusted bytes to printable ASCII.
#include "wire/escape.h"

#include <algorithm>

namespace stampede::wire {

std::string EscapeBytes(std::string_view bytes, std::size_t input_max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t count = std::min(bytes.size(), input_max_bytes);
  std::string out;
  out.reserve(count + 8);
  for (std::size_t i = 0; i < count; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
  }
  if (bytes.size() > count) out += "...";
  return out;
}

}  // namespace stampede::wire
