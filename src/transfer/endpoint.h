// What both state machines need to know about their end of a transfer: the role (server or client)
// and, for a client, the request it opens with. Plain data.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "wire/options.h"
#include "wire/packet.h"

namespace stampede::transfer {

enum class Role : std::uint8_t {
  kServer,  // answered a request: a Sender serves an RRQ, a Receiver takes a WRQ
  kClient,  // sends the request: a Receiver does a get (RRQ), a Sender does a put (WRQ)
};

// The request a client opens with. Either `datagram` (a complete RRQ/WRQ, used verbatim) or
// `filename` + `options` (the mode comes from the machine's config) from which it is built. Views
// only: they must stay valid during the constructor call; the machine keeps its own copy.
struct RequestSpec {
  std::span<const std::byte> datagram;
  std::string_view filename;
  std::span<const wire::Option> options;
};

}  // namespace stampede::transfer
