// The sandbox (io/sandbox.h): each case runs in a forked child, since both steps are one-way, and
// the parent judges by the child's exit status. A disallowed system call must kill the child with
// SIGSYS; allowed ones must keep working; dropped capabilities must really be gone.
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/sandbox.h"

namespace stampede::io {
namespace {

// Runs `body` in a child; returns the raw wait status. The child ends with _exit (no atexit
// handlers, no leak check of a half-copied process).
int InChild(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return status;
}

int BindLoopback(int type, std::uint16_t port) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return rc;
}

TEST(Sandbox, SeccompAllowsWhatAServerDoes) {
  const int status = InChild([] {
    if (!ApplySeccompFilter()) return 10;
    // (prctl itself is not on the list: NO_NEW_PRIVS is checked in the capability case.)
    if (BindLoopback(SOCK_DGRAM, 0) != 0) return 12;  // a transfer socket
    const int unix_fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);  // sd_notify
    if (unix_fd < 0) return 13;
    ::close(unix_fd);
    if (::write(STDERR_FILENO, "", 0) != 0) return 14;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Sandbox, SeccompKillsOnExec) {
  const int status = InChild([] {
    if (!ApplySeccompFilter()) return 10;
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    ::execve("/bin/true", argv, nullptr);
    return 20;  // execve returned: not blocked
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(Sandbox, SeccompKillsOnRawSocket) {
  const int status = InChild([] {
    if (!ApplySeccompFilter()) return 10;
    ::socket(AF_PACKET, SOCK_RAW, 0);
    return 20;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(Sandbox, SeccompKillsOnMount) {
  const int status = InChild([] {
    if (!ApplySeccompFilter()) return 10;
    ::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr);
    return 20;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(Sandbox, DroppedCapabilitiesCannotBindPrivilegedPorts) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: an unprivileged process has nothing to drop";
  const int status = InChild([] {
    // Root may bind below 1024 before...
    if (BindLoopback(SOCK_STREAM, 1023) != 0) return 10;
    if (!DropCapabilities()) return 11;
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 12;
    // ...but not after: uid 0 without CAP_NET_BIND_SERVICE.
    if (BindLoopback(SOCK_STREAM, 1023) == 0) return 13;
    if (errno != EACCES) return 14;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace stampede::io
