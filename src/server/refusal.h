// Why the server's file policy refused a request: the TFTP error code to answer, a typed kind for
// tests and metrics, and a reason for the log (already escaped, safe to print). Must not decide
// policy itself; path_resolver, remap and uploads produce these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wire/error_code.h"

namespace stampede::server {

enum class RefusalKind : std::uint8_t {
  kControlByte,        // D32: NUL, < 0x20 or 0x7f in the name
  kDotDot,             // D27: a `..` component
  kOutsideRoot,        // D28: absolute path not beneath the served root
  kNameTooLong,        // D34: the whole name is longer than PATH_MAX
  kComponentTooLong,   // D34: one component is longer than NAME_MAX
  kSymlinkEscape,      // D31: resolution left the root through a symlink
  kSymlinkRefused,     // D31: symlinks are refused by configuration
  kNotRegularFile,     // D35: FIFO, socket, device or directory
  kAccessDenied,       // D36: EACCES/EPERM, or a permission rule of the policy
  kNotFound,           // D36: no such file
  kRemapDenied,        // an `a` remap rule matched
  kRemapLimit,         // the remap rules did not settle within their bounds
  kFileExists,         // F54: overwrite disabled
  kUploadInProgress,   // F58: another upload to the same target is running
  kTooLarge,           // C25/F56: above the upload size cap or the free space
  kIo,                 // any other environment failure
};

struct Refusal {
  wire::ErrorCode code;
  RefusalKind kind;
  std::string reason;  // for the log: escaped, printable ASCII only
  // Text for the ERROR packet when it should differ from wire::StandardMessage(code) (a remap
  // `a` rule's own message); printable ASCII only. Empty: the standard message.
  std::string peer_message = {};
};

// A short stable name of `kind` for logs and metrics labels, e.g. "dotdot".
std::string_view ToString(RefusalKind kind);

}  // namespace stampede::server
