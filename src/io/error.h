// The io layer's environment-failure value: an errno plus what was being attempted, e.g.
// "bind 127.0.0.1:69: Permission denied". Returned inside tl::expected by everything in io/ that
// can fail because of the operating system. Per-packet send/receive failures are not Errors: they
// are counted (io/error_counts.h), never returned one by one or logged.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace stampede::io {

struct Error {
  int errno_value = 0;
  std::string context;  // what failed, without the errno text: "bind 127.0.0.1:69"

  // "<context>: <strerror(errno_value)>", or just the context when errno_value is 0.
  std::string ToString() const {
    if (errno_value == 0) return context;
    return context + ": " + std::strerror(errno_value);
  }
};

inline Error MakeError(int errno_value, std::string context) {
  return Error{errno_value, std::move(context)};
}

}  // namespace stampede::io
