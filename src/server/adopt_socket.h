// Socket activation support: turns a UDP socket descriptor bound by someone else (systemd's
// LISTEN_FDS) into an io::UdpSocket configured like the server's own listening sockets (non-
// blocking, close-on-exec, packet info, DF off, drop counting, buffers). io::UdpSocket has no
// constructor from a descriptor, so a placeholder socket of the same family is opened and the
// adopted descriptor dup2()ed over it; the UdpSocket's cached local_address() is then the
// placeholder's, so the real bound address is returned alongside. Must not bind anything.
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "io/address.h"
#include "io/udp_socket.h"

namespace stampede::server {

struct AdoptedSocket {
  io::UdpSocket socket;
  io::Address local;  // getsockname of the adopted descriptor
};

// Takes ownership of `fd` (closed on failure too).
tl::expected<AdoptedSocket, std::string> AdoptUdpSocket(int fd, const io::SocketOptions& options);

}  // namespace stampede::server
