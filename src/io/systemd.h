// The service manager's side channels, for a daemon run by systemd (or anything speaking the same
// protocols): readiness and state notifications (sd_notify(3)), sockets passed by socket
// activation (sd_listen_fds(3)), and whether stderr goes to the journal (JOURNAL_STREAM, so log
// lines can carry sd-daemon(3) "<N>" priority prefixes). Every call is a no-op outside systemd.
#pragma once

#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "io/error.h"

namespace stampede::io {

// Sends `state` ("READY=1", "STOPPING=1", "RELOADING=1", "STATUS=...") to $NOTIFY_SOCKET. Without
// NOTIFY_SOCKET this does nothing and succeeds; a failure to send is returned, never fatal.
tl::expected<void, Error> NotifyServiceManager(std::string_view state);

// The datagram sockets passed by socket activation (LISTEN_FDS for this LISTEN_PID), in order;
// empty when none were passed. The environment variables are unset so children do not inherit
// them. A passed descriptor that is not a UDP socket is an error (the unit file is wrong).
tl::expected<std::vector<int>, Error> TakeActivatedSockets();

// True when stderr is the journal stream named by JOURNAL_STREAM (systemd.exec(5)).
bool StderrIsJournal();

}  // namespace stampede::io
