// Escaping of untrusted bytes (file names from requests, ERROR messages from peers) before they
// reach a log or a terminal. Must not allocate more than the bounded output; must not interpret the
// bytes in any way (no format strings: PROTOCOL D33).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stampede::wire {

// Printable ASCII (0x20..0x7e) is kept, a backslash becomes `\\`, every other byte `\xNN` (two
// lowercase hex digits). PROTOCOL D32 (dnsmasq 42fb815: names logged raw let a peer inject terminal
// escapes and fake log lines) and E44. At most `input_max_bytes` input bytes are escaped; when the
// input is longer, "..." follows the escaped prefix. The result is at most 4 * input_max_bytes + 3
// bytes.
std::string EscapeBytes(std::string_view bytes, std::size_t input_max_bytes = 256);

}  // namespace stampede::wire
