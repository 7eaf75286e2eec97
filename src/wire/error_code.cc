// Standard messages for TFTP error codes (RFC 1350 §5, RFC 2347 for code 8).
#include "wire/error_code.h"

namespace stampede::wire {

std::string_view StandardMessage(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotDefined: return "Not defined";
    case ErrorCode::kFileNotFound: return "File not found";
    case ErrorCode::kAccessViolation: return "Access violation";
    case ErrorCode::kDiskFull: return "Disk full or allocation exceeded";
    case ErrorCode::kIllegalOperation: return "Illegal TFTP operation";
    case ErrorCode::kUnknownTransferId: return "Unknown transfer ID";
    case ErrorCode::kFileExists: return "File already exists";
    case ErrorCode::kNoSuchUser: return "No such user";
    case ErrorCode::kOptionRefused: return "Option negotiation failed";
  }
  return "Undefined error code";
}

}  // namespace stampede::wire
