// Generated content and its verifier (content.h). The content word for index w is a splitmix-style
// hash of (seed, w); bytes are the word's little-endian bytes on every host.
#include "sim/content.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace stampede::sim {
namespace {

std::uint64_t ContentWord(std::uint64_t seed, std::uint64_t word_index) {
  std::uint64_t z = word_index * 0x9E3779B97F4A7C15ULL + (seed ^ 0x5851F42D4C957F2DULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  if constexpr (std::endian::native == std::endian::big) z = __builtin_bswap64(z);
  return z;
}

}  // namespace

std::byte ContentByte(std::uint64_t seed, std::uint64_t offset) {
  const std::uint64_t word = ContentWord(seed, offset >> 3);
  std::byte bytes[8];
  std::memcpy(bytes, &word, 8);
  return bytes[offset & 7];
}

void FillContent(std::uint64_t seed, std::uint64_t offset, std::span<std::byte> out) {
  std::size_t i = 0;
  while (i < out.size() && ((offset + i) & 7) != 0) {
    out[i] = ContentByte(seed, offset + i);
    ++i;
  }
  for (; i + 8 <= out.size(); i += 8) {
    const std::uint64_t word = ContentWord(seed, (offset + i) >> 3);
    std::memcpy(out.data() + i, &word, 8);
  }
  for (; i < out.size(); ++i) out[i] = ContentByte(seed, offset + i);
}

tl::expected<std::size_t, transfer::StorageError> GeneratedSource::ReadAt(
    std::uint64_t offset, std::span<std::byte> out) {
  ++reads_;
  if (offset >= size_bytes_) return 0;
  const auto n =
      static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_bytes_ - offset));
  FillContent(seed_, offset, out.first(n));
  return n;
}

void VerifyingSink::RecordBad(std::uint64_t offset) {
  if (first_bad_offset_ == kNoMismatch) first_bad_offset_ = offset;
}

tl::expected<void, transfer::StorageError> VerifyingSink::WriteAt(
    std::uint64_t offset, std::span<const std::byte> bytes) {
  // The Receiver promises in-order, exactly-once writes (block_sink.h); a gap or overlap is as
  // wrong as a bad byte.
  if (offset != received_bytes_) RecordBad(std::min(offset, received_bytes_));
  if (offset + bytes.size() > expected_bytes_) RecordBad(std::max(offset, expected_bytes_));
  std::byte expected[256];
  for (std::size_t done = 0; done < bytes.size() && ok();) {
    const std::size_t n = std::min(sizeof expected, bytes.size() - done);
    FillContent(seed_, offset + done, std::span(expected, n));
    if (std::memcmp(expected, bytes.data() + done, n) != 0) {
      for (std::size_t i = 0; i < n; ++i) {
        if (expected[i] != bytes[done + i]) {
          RecordBad(offset + done + i);
          break;
        }
      }
    }
    done += n;
  }
  received_bytes_ = std::max(received_bytes_, offset + bytes.size());
  return {};
}

tl::expected<void, transfer::StorageError> VerifyingSink::Commit(std::uint64_t total_bytes) {
  if (total_bytes != expected_bytes_ || received_bytes_ != expected_bytes_) {
    RecordBad(std::min(total_bytes, received_bytes_));
  }
  committed_ = true;
  return {};
}

}  // namespace stampede::sim
