// Failures of the storage behind a transfer (block sources and sinks), and the one place where they
// become TFTP error codes. Must not know about files, sockets or any concrete storage.
#pragma once

#include <cstdint>
#include <string_view>

#include "wire/error_code.h"

namespace stampede::transfer {

enum class StorageError : std::uint8_t {
  kIo,               // read or write failed (EIO and friends)
  kDiskFull,         // ENOSPC, quota
  kSizeCapExceeded,  // a configured size limit would be passed
  kAccessDenied,     // the storage refused the operation
};

// RFC 1350 §5: code 3 is "Disk full or allocation exceeded"; everything else has no better code
// than 0 (not defined) or 2 (access violation).
constexpr wire::ErrorCode ToWireError(StorageError error) {
  switch (error) {
    case StorageError::kIo:
      return wire::ErrorCode::kNotDefined;
    case StorageError::kDiskFull:
    case StorageError::kSizeCapExceeded:
      return wire::ErrorCode::kDiskFull;
    case StorageError::kAccessDenied:
      return wire::ErrorCode::kAccessViolation;
  }
  return wire::ErrorCode::kNotDefined;
}

constexpr std::string_view ToMessage(StorageError error) {
  switch (error) {
    case StorageError::kIo:
      return "I/O error";
    case StorageError::kDiskFull:
      return "Disk full or allocation exceeded";
    case StorageError::kSizeCapExceeded:
      return "File too large";
    case StorageError::kAccessDenied:
      return "Access violation";
  }
  return "I/O error";
}

}  // namespace stampede::transfer
