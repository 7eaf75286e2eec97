// Dropping root for good (privileges.h).
#include "io/privileges.h"

#include <cerrno>
#include <charconv>
#include <vector>

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace stampede::io {

tl::expected<UserIds, Error> LookUpUser(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  int result = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr && result == 0) {
    uid_t uid = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), uid);
    if (ec == std::errc() && end == name.data() + name.size() && !name.empty()) {
      result = ::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
    }
  }
  if (result != 0) return tl::unexpected(MakeError(result, "look up user '" + name + "'"));
  if (found == nullptr) return tl::unexpected(MakeError(0, "no such user '" + name + "'"));
  return UserIds{found->pw_uid, found->pw_gid, found->pw_name};
}

namespace {

tl::expected<void, Error> ForbidNewPrivileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return tl::unexpected(MakeError(errno, "prctl(PR_SET_NO_NEW_PRIVS)"));
  }
  return {};
}

tl::expected<void, Error> Verify(const UserIds& ids, const std::string& name) {
  uid_t ruid = 0, euid = 0, suid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0) {
    return tl::unexpected(MakeError(errno, "getresuid/getresgid"));
  }
  if (ruid != ids.uid || euid != ids.uid || suid != ids.uid || rgid != ids.gid || egid != ids.gid ||
      sgid != ids.gid) {
    return tl::unexpected(MakeError(0, "user ids after dropping to '" + name + "' are wrong"));
  }
  if (ids.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    return tl::unexpected(MakeError(0, "root could be regained after dropping to '" + name + "'"));
  }
  return {};
}

}  // namespace

tl::expected<void, Error> DropPrivileges(const std::string& name) {
  auto ids = LookUpUser(name);
  if (!ids) return tl::unexpected(ids.error());
  if (::geteuid() != 0) {
    if (::getuid() == ids->uid && ::geteuid() == ids->uid) return ForbidNewPrivileges();
    return tl::unexpected(MakeError(EPERM, "switch to user '" + name + "' (not started as root)"));
  }
  if (::initgroups(ids->name.c_str(), ids->gid) != 0) {
    return tl::unexpected(MakeError(errno, "set supplementary groups for '" + name + "'"));
  }
  if (::setresgid(ids->gid, ids->gid, ids->gid) != 0) {
    return tl::unexpected(MakeError(errno, "setresgid " + std::to_string(ids->gid)));
  }
  if (::setresuid(ids->uid, ids->uid, ids->uid) != 0) {
    return tl::unexpected(MakeError(errno, "setresuid " + std::to_string(ids->uid)));
  }
  if (auto verified = Verify(*ids, name); !verified) return verified;
  return ForbidNewPrivileges();
}

}  // namespace stampede::io
