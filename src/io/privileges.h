// Giving up root after the privileged work (binding port 69) is done: switch to an unprivileged
// user and group for good, and forbid regaining privileges through exec (PR_SET_NO_NEW_PRIVS).
// Must not be called with other threads running: set*id changes apply per process only because
// glibc broadcasts them, and a thread started from a half-dropped state would keep it.
#pragma once

#include <string>

#include <sys/types.h>
#include <tl/expected.hpp>

#include "io/error.h"

namespace stampede::io {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;  // from the passwd entry (the look-up may have been by number)
};

// Looks up a user name (or a numeric uid) in the passwd database.
tl::expected<UserIds, Error> LookUpUser(const std::string& name);

// Becomes `name`: supplementary groups from the group database (initgroups), then real, effective
// and saved gid and uid, then verifies that uid 0 cannot be regained, then PR_SET_NO_NEW_PRIVS.
// Already running as that user (no root): only NO_NEW_PRIVS. Any other non-root caller is an
// error, as is any step failing; the caller must then exit rather than serve half-dropped.
tl::expected<void, Error> DropPrivileges(const std::string& name);

}  // namespace stampede::io
