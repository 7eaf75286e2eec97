// Service manager notifications and socket activation through libsystemd (systemd.h).
#include "io/systemd.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

namespace stampede::io {

tl::expected<void, Error> NotifyServiceManager(std::string_view state) {
  const std::string text(state);
  const int sent = sd_notify(0, text.c_str());
  if (sent < 0) return tl::unexpected(MakeError(-sent, "sd_notify " + text));
  return {};
}

tl::expected<std::vector<int>, Error> TakeActivatedSockets() {
  const int count = sd_listen_fds(1);
  if (count < 0) return tl::unexpected(MakeError(-count, "sd_listen_fds"));
  std::vector<int> fds;
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
    const int udp = sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1);
    if (udp < 0) return tl::unexpected(MakeError(-udp, "passed socket " + std::to_string(fd)));
    if (udp == 0) {
      return tl::unexpected(MakeError(
          EINVAL, "passed descriptor " + std::to_string(fd) + " is not a datagram socket"));
    }
    fds.push_back(fd);
  }
  return fds;
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat status {};
  if (::fstat(2, &status) != 0) return false;
  return status.st_dev == device && status.st_ino == inode;
}

}  // namespace stampede::io
