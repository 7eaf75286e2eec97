// Where a swarm client's bytes go: compared with the reference copy as they arrive and then
// dropped, so thousands of clients need no disk and no per-client buffer. A difference, a byte
// past the reference's end or a short file fails the transfer (the client sends ERROR, the run
// counts the client as failed). Without a reference it only counts bytes (--no-verify).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "swarm/reference_file.h"
#include "transfer/block_sink.h"

namespace stampede::swarm {

class VerifyingSink final : public transfer::BlockSink {
 public:
  // `reference` (may be null: count only) must outlive the sink.
  explicit VerifyingSink(const ReferenceFile* reference) : reference_(reference) {}

  tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) override;
  tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override;

  std::uint64_t size_bytes() const { return size_bytes_; }
  bool committed() const { return committed_; }
  // Why verification failed, when it did: "content differs at byte 1234", ...
  const std::optional<std::string>& mismatch() const { return mismatch_; }

 private:
  const ReferenceFile* reference_;
  std::uint64_t size_bytes_ = 0;
  bool committed_ = false;
  std::optional<std::string> mismatch_;
};

}  // namespace stampede::swarm
