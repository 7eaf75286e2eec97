// Helpers shared by Sender and Receiver for the packets that are not DATA or ACK: building the
// client request, the OACK and our ERROR into owned storage (written once, resent as is), and
// reading back the options a client asked for. Internal to transfer/; must not keep state.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "transfer/endpoint.h"
#include "transfer/rtt_estimator.h"
#include "wire/options.h"
#include "wire/packet.h"

namespace stampede::transfer::internal {

// Fills `out` with the request (verbatim datagram or built from filename/options). False when it
// cannot be built within 512 bytes (PROTOCOL H78) or the verbatim datagram is not a request.
bool BuildRequest(std::vector<std::byte>& out, wire::Opcode opcode, wire::Mode mode,
                  const RequestSpec& request);
void BuildOack(std::vector<std::byte>& out, std::span<const wire::Option> options);
void BuildError(std::vector<std::byte>& out, wire::ErrorCode code, std::string_view message);

// The options of our own stored request, as AcceptOack wants them (views into `request`).
wire::OptionList RequestedOptions(std::span<const std::byte> request);

// Copies a stored control packet into a PollTransmit buffer; returns its size.
std::size_t CopyOut(std::span<std::byte> buf, std::span<const std::byte> packet);

// RFC 1350 §6 dally: dally_rto_factor × RTO within [dally_min, dally_max].
Duration DallyDuration(const RetransmitPolicy& policy, Duration rto);

}  // namespace stampede::transfer::internal
