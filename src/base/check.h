// Invariant checks for programmer errors. They stay on in release builds because they guard cheap
// conditions whose violation would otherwise corrupt a transfer silently. Never use them for input
// from the network or the environment: those are ordinary outcomes (see docs/architecture.md).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace stampede::base {

[[noreturn]] inline void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "stampede: invariant violated: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace stampede::base

#define STAMPEDE_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::stampede::base::CheckFailed(#cond, __FILE__, __LINE__))
