// Names of refusal kinds for logs and metrics.
#include "server/refusal.h"

namespace stampede::server {

std::string_view ToString(RefusalKind kind) {
  switch (kind) {
    case RefusalKind::kControlByte:
      return "control-byte";
    case RefusalKind::kDotDot:
      return "dotdot";
    case RefusalKind::kOutsideRoot:
      return "outside-root";
    case RefusalKind::kNameTooLong:
      return "name-too-long";
    case RefusalKind::kComponentTooLong:
      return "component-too-long";
    case RefusalKind::kSymlinkEscape:
      return "symlink-escape";
    case RefusalKind::kSymlinkRefused:
      return "symlink-refused";
    case RefusalKind::kNotRegularFile:
      return "not-regular-file";
    case RefusalKind::kAccessDenied:
      return "access-denied";
    case RefusalKind::kNotFound:
      return "not-found";
    case RefusalKind::kRemapDenied:
      return "remap-denied";
    case RefusalKind::kRemapLimit:
      return "remap-limit";
    case RefusalKind::kFileExists:
      return "file-exists";
    case RefusalKind::kUploadInProgress:
      return "upload-in-progress";
    case RefusalKind::kTooLarge:
      return "too-large";
    case RefusalKind::kIo:
      return "io";
  }
  return "unknown";
}

}  // namespace stampede::server
