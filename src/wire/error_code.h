// TFTP error codes (RFC 1350 §5, RFC 2347 for code 8) and their standard messages.
#pragma once

#include <cstdint>
#include <string_view>

namespace stampede::wire {

enum class ErrorCode : std::uint16_t {
  kNotDefined = 0,
  kFileNotFound = 1,
  kAccessViolation = 2,
  kDiskFull = 3,
  kIllegalOperation = 4,
  kUnknownTransferId = 5,
  kFileExists = 6,
  kNoSuchUser = 7,
  kOptionRefused = 8,  // RFC 2347
};

// The conventional message for `code`; "Undefined error code" for values outside 0..8.
std::string_view StandardMessage(ErrorCode code);

}  // namespace stampede::wire
