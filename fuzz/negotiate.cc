// Fuzz target for option negotiation. The first bytes choose a server policy; the rest is a
// datagram. A request is negotiated, its OACK written and parsed back, and the client-side check
// must accept it and agree on every option in force.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "transfer/negotiation.h"
#include "wire/packet.h"

namespace {

using stampede::transfer::AcceptOack;
using stampede::transfer::Negotiate;
using stampede::transfer::OptionPolicy;

constexpr std::size_t kPolicyBytes = 6;

OptionPolicy PolicyFrom(const std::uint8_t* p) {
  OptionPolicy policy;
  policy.blksize_enabled = (p[0] & 1) != 0;
  policy.windowsize_enabled = (p[0] & 2) != 0;
  policy.tsize_enabled = (p[0] & 4) != 0;
  policy.timeout_honoured = (p[0] & 8) != 0;
  policy.utimeout_honoured = (p[0] & 16) != 0;
  policy.rollover_enabled = (p[0] & 32) != 0;
  policy.blksize_max = static_cast<std::uint16_t>(8 + ((p[1] << 8 | p[2]) % 65457));
  policy.windowsize_max = static_cast<std::uint16_t>(1 + p[3]);
  policy.timeout_min_s = static_cast<std::uint8_t>(1 + (p[4] & 0x0F));
  policy.timeout_max_s = static_cast<std::uint8_t>(255 - (p[4] >> 4));
  policy.upload_size_max = static_cast<std::uint64_t>(p[5]) << 10;
  return policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPolicyBytes) return 0;
  const OptionPolicy policy = PolicyFrom(data);
  const auto datagram = std::as_bytes(std::span(data + kPolicyBytes, size - kPolicyBytes));
  auto packet = stampede::wire::Parse(datagram);
  if (!packet) return 0;
  const auto* request = std::get_if<stampede::wire::Request>(&*packet);
  if (request == nullptr) return 0;

  const std::uint64_t file_size = size * 1000003ULL;
  auto negotiated = Negotiate(*request, policy, file_size);
  if (!negotiated) {
    if (negotiated.error() != stampede::wire::ErrorCode::kDiskFull) __builtin_trap();
    return 0;
  }
  const auto& agreed = negotiated->options;
  // RFC 2348 §2 and RFC 7440 §3 bounds, never above the policy (C16, C23).
  if (agreed.blksize != 512 && (agreed.blksize < 8 || agreed.blksize > policy.blksize_max)) {
    __builtin_trap();
  }
  if (agreed.windowsize < 1 ||
      (agreed.windowsize > 1 && agreed.windowsize > policy.windowsize_max)) {
    __builtin_trap();
  }
  for (const auto& option : negotiated->oack.options()) {
    if (request->options.Find(option.name) == nullptr) __builtin_trap();  // RFC 2347
  }
  if (negotiated->oack.empty()) return 0;

  // C18 (atftp CVE-2021-41054): the OACK must fit a classic 512-byte packet.
  std::array<std::byte, 512> buffer{};
  const std::size_t written = stampede::wire::WriteOack(buffer, negotiated->oack.options());
  if (written == 0) __builtin_trap();
  auto reparsed = stampede::wire::Parse(std::span(buffer.data(), written));
  if (!reparsed) __builtin_trap();
  const auto* oack = std::get_if<stampede::wire::Oack>(&*reparsed);
  if (oack == nullptr) __builtin_trap();

  auto accepted = AcceptOack(request->options, oack->options, UINT64_MAX);
  if (!accepted) __builtin_trap();
  if (accepted->blksize != agreed.blksize || accepted->windowsize != agreed.windowsize ||
      accepted->tsize != agreed.tsize || accepted->rollover != agreed.rollover ||
      accepted->fixed_timeout != agreed.fixed_timeout) {
    __builtin_trap();
  }
  return 0;
}
