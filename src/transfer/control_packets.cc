// Request/OACK/ERROR building for the state machines (control_packets.h). Allocates only when a
// machine is constructed or fails, never per DATA or ACK.
#include "transfer/control_packets.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/check.h"

namespace stampede::transfer::internal {

bool BuildRequest(std::vector<std::byte>& out, wire::Opcode opcode, wire::Mode mode,
                  const RequestSpec& request) {
  if (!request.datagram.empty()) {
    if (request.datagram.size() > wire::kRequestMaxBytes) return false;
    const auto parsed = wire::Parse(request.datagram);
    if (!parsed || !std::holds_alternative<wire::Request>(*parsed)) return false;
    out.assign(request.datagram.begin(), request.datagram.end());
    return true;
  }
  std::array<std::byte, wire::kRequestMaxBytes> buf{};
  const std::size_t n =
      wire::WriteRequest(buf, opcode, request.filename, mode, request.options);
  if (n == 0) return false;
  out.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  return true;
}

void BuildOack(std::vector<std::byte>& out, std::span<const wire::Option> options) {
  // An OACK of at most OackContents::kCapacity options of short values fits easily; 512 is the
  // request bound and ample.
  std::array<std::byte, wire::kRequestMaxBytes> buf{};
  const std::size_t n = wire::WriteOack(buf, options);
  STAMPEDE_CHECK(n > 0);
  out.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
}

void BuildError(std::vector<std::byte>& out, wire::ErrorCode code, std::string_view message) {
  std::array<std::byte, wire::kErrorMessageMaxBytes + 8> buf{};
  const std::size_t n = wire::WriteError(buf, code, message);
  STAMPEDE_CHECK(n > 0);
  out.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
}

wire::OptionList RequestedOptions(std::span<const std::byte> request) {
  const auto parsed = wire::Parse(request);
  if (parsed) {
    if (const auto* req = std::get_if<wire::Request>(&*parsed)) return req->options;
  }
  return {};
}

std::size_t CopyOut(std::span<std::byte> buf, std::span<const std::byte> packet) {
  STAMPEDE_CHECK(buf.size() >= packet.size());
  std::memcpy(buf.data(), packet.data(), packet.size());
  return packet.size();
}

Duration DallyDuration(const RetransmitPolicy& policy, Duration rto) {
  return std::clamp(rto * policy.dally_rto_factor, policy.dally_min,
                    std::max(policy.dally_max, policy.dally_min));
}

}  // namespace stampede::transfer::internal
