// Capabilities dropped and the seccomp allow-list (sandbox.h).
#include "io/sandbox.h"

#include <array>
#include <cerrno>
#include <string>

#include <linux/capability.h>
#include <linux/netlink.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace stampede::io {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
#else
constexpr bool kSanitizerBuild = false;
#endif

tl::expected<void, Error> ForbidNewPrivileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return tl::unexpected(MakeError(errno, "prctl(PR_SET_NO_NEW_PRIVS)"));
  }
  return {};
}

// glibc has no wrapper for capget/capset without libcap; the raw calls are two lines.
using CapData = std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3>;

bool GetCaps(CapData& data) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capget, &header, data.data()) == 0;
}

bool SetCaps(const CapData& data) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capset, &header, data.data()) == 0;
}

bool HasSetpcap() {
  CapData data{};
  if (!GetCaps(data)) return false;
  return (data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP)) != 0;
}

// The system calls a serving process makes after setup, found by tracing serve, get, put, reload
// and stop (docs/sandbox.md), plus the ones glibc may use for the same jobs on other paths.
constexpr std::array kAllowed = {
    // event loop, timers, signals
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2), SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_create1), SCMP_SYS(eventfd2), SCMP_SYS(signalfd4), SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday),
    // UDP sockets (socket() itself is filtered by family below) and the notify/journal socket
    SCMP_SYS(bind), SCMP_SYS(connect), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg),
    SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg), SCMP_SYS(sendto),
    // files beneath the root, uploads (temporary, fsync, rename), stale-upload cleanup, config
    SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(open), SCMP_SYS(close), SCMP_SYS(read),
    SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv), SCMP_SYS(write), SCMP_SYS(pwrite64),
    SCMP_SYS(writev), SCMP_SYS(pwritev), SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fchmod), SCMP_SYS(renameat),
    SCMP_SYS(renameat2), SCMP_SYS(rename), SCMP_SYS(linkat), SCMP_SYS(unlinkat), SCMP_SYS(unlink),
    SCMP_SYS(getdents64), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(access),
    SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3),
    SCMP_SYS(getcwd), SCMP_SYS(umask),
    // memory, threads' futexes, process identity, exit
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
    SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid),
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(prlimit64), SCMP_SYS(sched_yield), SCMP_SYS(uname), SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    // abort() raises SIGABRT at itself (a failed check must still dump core)
    SCMP_SYS(tgkill),
};

// LeakSanitizer stops the world at exit from a cloned tracer thread; ASan reports use
// sigaltstack and /proc. Only in sanitizer builds.
constexpr std::array kSanitizerAllowed = {
    SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(waitid),
    SCMP_SYS(prctl), SCMP_SYS(sigaltstack), SCMP_SYS(sched_getaffinity), SCMP_SYS(getppid),
    SCMP_SYS(kill), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(pipe2),
    SCMP_SYS(getdents),  // the tracer lists /proc/self/task with the old call
};

constexpr std::array kSocketFamilies = {AF_INET, AF_INET6, AF_UNIX};

class Filter {
 public:
  Filter() : ctx_(::seccomp_init(SCMP_ACT_KILL_PROCESS)) {}
  ~Filter() {
    if (ctx_ != nullptr) ::seccomp_release(ctx_);
  }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  tl::expected<void, Error> Build() {
    if (ctx_ == nullptr) return tl::unexpected(MakeError(ENOMEM, "seccomp_init"));
    for (int call : kAllowed) {
      if (auto added = Allow(call); !added) return added;
    }
    if constexpr (kSanitizerBuild) {
      for (int call : kSanitizerAllowed) {
        if (auto added = Allow(call); !added) return added;
      }
    }
    for (int family : kSocketFamilies) {
      const std::array args = {ArgEquals(0, family)};
      if (auto added = AllowSocket(args); !added) return added;
    }
    // getifaddrs(3) (the broadcast filter's address list, refreshed on reload) reads the
    // interface table over a routing netlink socket; without capabilities it can change nothing.
    const std::array netlink = {ArgEquals(0, AF_NETLINK), ArgEquals(2, NETLINK_ROUTE)};
    return AllowSocket(netlink);
  }

  tl::expected<void, Error> Load() {
    const int rc = ::seccomp_load(ctx_);
    if (rc != 0) return tl::unexpected(MakeError(-rc, "seccomp_load"));
    return {};
  }

 private:
  // libseccomp's SCMP_A0() macros are C compound literals, which C++ compilers warn about.
  static scmp_arg_cmp ArgEquals(unsigned int arg, int value) {
    scmp_arg_cmp cmp{};
    cmp.arg = arg;
    cmp.op = SCMP_CMP_EQ;
    cmp.datum_a = static_cast<scmp_datum_t>(value);
    cmp.datum_b = 0;
    return cmp;
  }

  template <std::size_t N>
  tl::expected<void, Error> AllowSocket(const std::array<scmp_arg_cmp, N>& args) {
    const int rc = ::seccomp_rule_add_array(ctx_, SCMP_ACT_ALLOW, SCMP_SYS(socket),
                                            static_cast<unsigned int>(N), args.data());
    if (rc != 0) return tl::unexpected(MakeError(-rc, "seccomp rule for socket()"));
    return {};
  }

  tl::expected<void, Error> Allow(int call) {
    // A negative number is a call this architecture lacks (libseccomp's pseudo numbers): skip it.
    if (call < 0) return {};
    const int rc = ::seccomp_rule_add(ctx_, SCMP_ACT_ALLOW, call, 0);
    if (rc != 0) {
      return tl::unexpected(MakeError(-rc, "seccomp rule for system call " + std::to_string(call)));
    }
    return {};
  }

  scmp_filter_ctx ctx_;
};

}  // namespace

tl::expected<void, Error> DropCapabilities() {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return tl::unexpected(MakeError(errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)"));
  }
  if (HasSetpcap()) {
    // Capabilities the running kernel does not know make PR_CAPBSET_DROP fail with EINVAL: the
    // end of the list.
    for (unsigned long cap = 0; cap <= 63; ++cap) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
        if (errno == EINVAL) break;
        return tl::unexpected(MakeError(errno, "prctl(PR_CAPBSET_DROP)"));
      }
    }
  }
  const CapData none{};
  if (!SetCaps(none)) return tl::unexpected(MakeError(errno, "capset (drop all capabilities)"));
  CapData now{};
  if (!GetCaps(now)) return tl::unexpected(MakeError(errno, "capget"));
  for (const auto& word : now) {
    if (word.effective != 0 || word.permitted != 0 || word.inheritable != 0) {
      return tl::unexpected(MakeError(0, "capabilities remain after dropping them"));
    }
  }
  return ForbidNewPrivileges();
}

tl::expected<void, Error> ApplySeccompFilter() {
  if (auto forbidden = ForbidNewPrivileges(); !forbidden) return forbidden;
  Filter filter;
  if (auto built = filter.Build(); !built) return built;
  return filter.Load();
}

}  // namespace stampede::io
