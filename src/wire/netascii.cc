// Streaming netascii conversion (RFC 1350 §5, Telnet NVT line endings). Each class keeps the one
// byte of state that a CR LF or CR NUL pair split across chunks needs; nothing here allocates or
// knows about blocks or files.
#include "wire/netascii.h"

#include "base/check.h"

namespace stampede::wire {
namespace {

constexpr std::byte kCr{'\r'};
constexpr std::byte kLf{'\n'};
constexpr std::byte kNul{0};

}  // namespace

NetasciiEncoder::Progress NetasciiEncoder::Encode(std::span<const std::byte> in,
                                                  std::span<std::byte> out) {
  Progress progress;
  if (has_pending_) {
    if (out.empty()) return progress;
    out[progress.produced++] = pending_;
    has_pending_ = false;
  }
  while (progress.consumed < in.size() && progress.produced < out.size()) {
    const std::byte b = in[progress.consumed++];
    if (b == kLf || b == kCr) {
      // LF → CR LF, CR → CR NUL. When only the CR fits, hold the second byte for the next call.
      out[progress.produced++] = kCr;
      const std::byte second = (b == kLf) ? kLf : kNul;
      if (progress.produced == out.size()) {
        pending_ = second;
        has_pending_ = true;
        break;
      }
      out[progress.produced++] = second;
    } else {
      out[progress.produced++] = b;
    }
  }
  return progress;
}

std::size_t NetasciiEncoder::Flush(std::span<std::byte> out) {
  if (!has_pending_ || out.empty()) return 0;
  out[0] = pending_;
  has_pending_ = false;
  return 1;
}

std::size_t NetasciiDecoder::Decode(std::span<const std::byte> in, std::span<std::byte> out) {
  // Each input byte produces at most one output byte except that a CR held from an earlier call
  // may come out too, hence in.size() + 1 (a caller sizing bug, not a network condition).
  STAMPEDE_CHECK(out.size() >= in.size() + 1);
  std::size_t produced = 0;
  for (const std::byte b : in) {
    if (held_cr_) {
      held_cr_ = false;
      if (b == kLf) {
        out[produced++] = kLf;
        continue;
      }
      out[produced++] = kCr;  // CR NUL → CR; CR x → CR x (lenient, as tftp-hpa)
      if (b == kNul) continue;
    }
    if (b == kCr) {
      held_cr_ = true;
    } else {
      out[produced++] = b;
    }
  }
  return produced;
}

std::size_t NetasciiDecoder::Finish(std::span<std::byte> out) {
  // A stream ending in a bare CR is malformed netascii; keep the CR rather than lose a byte.
  if (!held_cr_ || out.empty()) return 0;
  out[0] = kCr;
  held_cr_ = false;
  return 1;
}

}  // namespace stampede::wire
