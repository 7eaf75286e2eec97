// Streaming netascii (RFC 1350 §5, Telnet NVT): on the wire a line ends in CR LF and a bare CR is
// CR NUL. Both directions keep state between calls, so a CR LF or CR NUL pair split across two DATA
// blocks is handled exactly as if it were contiguous.
#pragma once

#include <cstddef>
#include <span>

namespace stampede::wire {

// Local bytes → netascii. LF → CR LF, CR → CR NUL, every other byte unchanged.
class NetasciiEncoder {
 public:
  struct Progress {
    std::size_t consumed = 0;  // bytes taken from `in`
    std::size_t produced = 0;  // bytes written to `out`
  };

  // Encodes as much of `in` as fits in `out`. When only the first byte of a two-byte expansion fits,
  // the second is held and written first by the next call (or by Flush).
  Progress Encode(std::span<const std::byte> in, std::span<std::byte> out);

  // Writes a held byte, if any, at the end of input. Returns bytes written (0 or 1).
  std::size_t Flush(std::span<std::byte> out);

  bool has_pending() const { return has_pending_; }

 private:
  std::byte pending_{};
  bool has_pending_ = false;
};

// Netascii → local bytes. CR LF → LF, CR NUL → CR. A CR followed by any other byte is kept as CR and
// that byte (lenient, as tftp-hpa). A CR at the end of a chunk is held until the next byte arrives.
class NetasciiDecoder {
 public:
  // Decodes all of `in` into `out`, which must hold at least in.size() + 1 bytes. Returns the number
  // of bytes written.
  std::size_t Decode(std::span<const std::byte> in, std::span<std::byte> out);

  // End of input: writes a held CR, if any. Returns bytes written (0 or 1).
  std::size_t Finish(std::span<std::byte> out);

 private:
  bool held_cr_ = false;
};

}  // namespace stampede::wire
