// PathResolver against real trees under /tmp: symlinks in and out of the root, FIFOs, sockets,
// directories, unreadable files, case folding. Every test runs with openat2 and with the
// O_NOFOLLOW component walk (the fallback for kernels without openat2). PROTOCOL D27-D36.
#include "server/path_resolver.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "server/temp_dir.h"

namespace stampede::server {
namespace {

using testing::ReadFd;
using testing::TempDir;
using wire::ErrorCode;

class PathResolverTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    // Search permission for the unprivileged child of the EACCES test.
    ASSERT_EQ(::chmod(tmp_.path().c_str(), 0755), 0);
    tmp_.Write("root/pxelinux.0", "PXE");
    tmp_.Write("root/pxelinux.cfg/default", "DEFAULT");
    tmp_.Write("root/Boot/BCD", "bcd");
    tmp_.Write("root/%n%s", "percent");
    tmp_.Write("root/secret", "secret");
    tmp_.Write("root/private", "private");
    tmp_.Write("root-private/x", "sibling");
    tmp_.Write("outside", "outside");
    tmp_.MakeDir("root/dir");
    tmp_.Symlink("pxelinux.0", "root/link_in");
    tmp_.MakeDir("root/sub");
    tmp_.Symlink("../pxelinux.0", "root/sub/up");
    tmp_.Symlink("/etc", "root/etc");
    tmp_.Symlink("../outside", "root/esc");
    tmp_.Symlink("..", "root/parent");
    tmp_.Symlink(tmp_ / "root/pxelinux.0", "root/abs_inside");
    tmp_.Symlink("loop2", "root/loop1");
    tmp_.Symlink("loop1", "root/loop2");
    ASSERT_EQ(::mkfifo((tmp_ / "root/fifo").c_str(), 0644), 0);
    ASSERT_EQ(::chmod((tmp_ / "root/secret").c_str(), 0), 0);
    ASSERT_EQ(::chmod((tmp_ / "root/private").c_str(), 0640), 0);
    ASSERT_EQ(::chmod((tmp_ / "root/pxelinux.0").c_str(), 0644), 0);
  }

  PathResolver Make(PathResolverOptions options = {}) {
    options.force_walk = GetParam();
    auto resolver = PathResolver::Open(tmp_ / "root", options);
    EXPECT_TRUE(resolver.has_value()) << resolver.error();
    return std::move(*resolver);
  }

  void ExpectServed(const PathResolver& resolver, std::string_view name, std::string_view content,
                    std::string_view canonical = {}) {
    auto file = resolver.ResolveRead(name);
    ASSERT_TRUE(file.has_value()) << name << ": " << file.error().reason;
    EXPECT_EQ(ReadFd(file->fd.get()), content) << name;
    EXPECT_EQ(file->size_bytes, content.size()) << name;
    if (!canonical.empty()) {
      EXPECT_EQ(file->path, canonical) << name;
    }
  }

  void ExpectRefused(const PathResolver& resolver, std::string_view name, ErrorCode code,
                     RefusalKind kind) {
    auto file = resolver.ResolveRead(name);
    ASSERT_FALSE(file.has_value()) << name << " was served";
    EXPECT_EQ(file.error().code, code) << name << ": " << file.error().reason;
    EXPECT_EQ(file.error().kind, kind) << name << ": " << file.error().reason;
  }

  TempDir tmp_;
};

TEST_P(PathResolverTest, StrategyIsTheRequestedOne) {
  EXPECT_EQ(Make().strategy(), GetParam() ? ResolveStrategy::kWalk : ResolveStrategy::kOpenat2);
}

TEST_P(PathResolverTest, ServesRegularFiles) {
  const PathResolver resolver = Make();
  ExpectServed(resolver, "pxelinux.0", "PXE", "pxelinux.0");
  ExpectServed(resolver, "pxelinux.cfg/default", "DEFAULT");
}

TEST_P(PathResolverTest, D27DotDotIsAccessViolation) {
  const PathResolver resolver = Make();
  for (const char* name : {"../outside", "sub/../../outside", "..", "sub/..", "../root/pxelinux.0"}) {
    ExpectRefused(resolver, name, ErrorCode::kAccessViolation, RefusalKind::kDotDot);
  }
}

TEST_P(PathResolverTest, D28AbsoluteNames) {
  const PathResolver resolver = Make();
  ExpectServed(resolver, tmp_ / "root/pxelinux.0", "PXE", "pxelinux.0");
  ExpectRefused(resolver, "/etc/passwd", ErrorCode::kAccessViolation, RefusalKind::kOutsideRoot);
  ExpectRefused(resolver, tmp_ / "root-private/x", ErrorCode::kAccessViolation,
                RefusalKind::kOutsideRoot);
  ExpectRefused(resolver, tmp_ / "outside", ErrorCode::kAccessViolation,
                RefusalKind::kOutsideRoot);
}

TEST_P(PathResolverTest, D28RootOpenedThroughASymlinkAcceptsBothSpellings) {
  tmp_.Symlink("root", "root-link");
  PathResolverOptions options;
  options.force_walk = GetParam();
  auto resolver = PathResolver::Open(tmp_ / "root-link", options);
  ASSERT_TRUE(resolver.has_value());
  ExpectServed(*resolver, tmp_ / "root-link/pxelinux.0", "PXE");
  ExpectServed(*resolver, tmp_ / "root/pxelinux.0", "PXE");
}

TEST_P(PathResolverTest, D28SecureModeServesRootRelativeAbsoluteNames) {
  PathResolverOptions options;
  options.absolute_is_root_relative = true;
  const PathResolver resolver = Make(options);
  ExpectServed(resolver, "/pxelinux.0", "PXE");
  ExpectServed(resolver, "//pxelinux.0", "PXE");  // D30 in this mode
  ExpectRefused(resolver, "/etc/passwd", ErrorCode::kAccessViolation,
                RefusalKind::kSymlinkEscape);  // root/etc is the escaping symlink
  ExpectRefused(resolver, "/boot/vmlinuz", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
}

TEST_P(PathResolverTest, D29BackslashesWithWindowsCompat) {
  PathResolverOptions options;
  options.map_backslashes = true;
  const PathResolver resolver = Make(options);
  ExpectServed(resolver, "pxelinux.cfg\\default", "DEFAULT");
  ExpectRefused(resolver, "..\\..\\windows\\win.ini", ErrorCode::kAccessViolation,
                RefusalKind::kDotDot);
  const PathResolver plain = Make();
  ExpectRefused(plain, "pxelinux.cfg\\default", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
}

TEST_P(PathResolverTest, D30RedundantSeparatorsAreNormalised) {
  const PathResolver resolver = Make();
  ExpectServed(resolver, "./pxelinux.0", "PXE", "pxelinux.0");
  ExpectServed(resolver, "pxelinux.0/", "PXE", "pxelinux.0");
  ExpectServed(resolver, "pxelinux.cfg//./default", "DEFAULT", "pxelinux.cfg/default");
}

TEST_P(PathResolverTest, D31SymlinksLeavingTheRootAreRefused) {
  const PathResolver resolver = Make();
  for (const char* name : {"etc/shadow", "etc/passwd", "etc", "esc", "parent/outside",
                           "abs_inside"}) {
    ExpectRefused(resolver, name, ErrorCode::kAccessViolation, RefusalKind::kSymlinkEscape);
  }
}

TEST_P(PathResolverTest, D31InRootSymlinksFollowedByDefault) {
  const PathResolver resolver = Make();
  ExpectServed(resolver, "link_in", "PXE", "link_in");
  ExpectServed(resolver, "sub/up", "PXE");
  ExpectRefused(resolver, "loop1", ErrorCode::kAccessViolation, RefusalKind::kSymlinkRefused);
}

TEST_P(PathResolverTest, D31SymlinksRefusedWhenConfigured) {
  PathResolverOptions options;
  options.symlinks = SymlinkPolicy::kRefuse;
  const PathResolver resolver = Make(options);
  ExpectRefused(resolver, "link_in", ErrorCode::kAccessViolation, RefusalKind::kSymlinkRefused);
  ExpectRefused(resolver, "sub/up", ErrorCode::kAccessViolation, RefusalKind::kSymlinkRefused);
  ExpectRefused(resolver, "etc/shadow", ErrorCode::kAccessViolation,
                RefusalKind::kSymlinkRefused);
  ExpectServed(resolver, "pxelinux.0", "PXE");
}

TEST_P(PathResolverTest, D32ControlBytesAreAccessViolations) {
  const PathResolver resolver = Make();
  for (const char* name : {"a\x01" "b", "a\x1b[31m", "pxelinux.0\n", "pxelinux.0\x7f"}) {
    ExpectRefused(resolver, name, ErrorCode::kAccessViolation, RefusalKind::kControlByte);
  }
}

TEST_P(PathResolverTest, D33FormatDirectivesAreLiteral) {
  const PathResolver resolver = Make();
  ExpectRefused(resolver, "%n%n%s%x", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
  ExpectServed(resolver, "%n%s", "percent");
}

TEST_P(PathResolverTest, D34OverlongNames) {
  const PathResolver resolver = Make();
  ExpectRefused(resolver, std::string(4096, 'a'), ErrorCode::kIllegalOperation,
                RefusalKind::kNameTooLong);
  ExpectRefused(resolver, std::string(256, 'a'), ErrorCode::kAccessViolation,
                RefusalKind::kComponentTooLong);
  ExpectRefused(resolver, std::string(255, 'a'), ErrorCode::kFileNotFound,
                RefusalKind::kNotFound);
}

TEST_P(PathResolverTest, D35OnlyRegularFilesAreServed) {
  const PathResolver resolver = Make();
  // A blocking open of the FIFO would hang this test: it must be refused without opening it.
  ExpectRefused(resolver, "fifo", ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile);
  ExpectRefused(resolver, "dir", ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile);
  ExpectRefused(resolver, "dir/", ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile);
  for (const char* name : {".", "/", "./", ""}) {
    ExpectRefused(resolver, name, ErrorCode::kAccessViolation,
                  std::string_view(name) == "/" ? RefusalKind::kOutsideRoot
                                                : RefusalKind::kNotRegularFile);
  }
  ExpectRefused(resolver, tmp_ / "root", ErrorCode::kAccessViolation,
                RefusalKind::kNotRegularFile);
}

TEST_P(PathResolverTest, D35SocketsAndDevicesAreRefused) {
  const PathResolver resolver = Make();
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string sock_path = tmp_ / "root/sock";
  ASSERT_LT(sock_path.size(), sizeof(address.sun_path));
  std::memcpy(address.sun_path, sock_path.c_str(), sock_path.size() + 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ExpectRefused(resolver, "sock", ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile);
  ::close(sock);
  if (::mknod((tmp_ / "root/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node here (" << std::strerror(errno) << ")";
  }
  ExpectRefused(resolver, "null", ErrorCode::kAccessViolation, RefusalKind::kNotRegularFile);
}

TEST_P(PathResolverTest, D36MissingFileIsNotFoundAndNothingElseIsServed) {
  const PathResolver resolver = Make();
  ExpectRefused(resolver, "nonexistent", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
  ExpectRefused(resolver, "pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", ErrorCode::kFileNotFound,
                RefusalKind::kNotFound);
  ExpectRefused(resolver, "pxelinux.0/x", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
  ExpectRefused(resolver, "missing/dir/x", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
}

// Root reads mode 0000 files, so the EACCES path runs in a child that dropped to nobody.
TEST_P(PathResolverTest, D36UnreadableFileIsAccessViolation) {
  const PathResolver resolver = Make();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(77);
    }
    auto denied = resolver.ResolveRead("secret");
    if (denied || denied.error().code != ErrorCode::kAccessViolation ||
        denied.error().kind != RefusalKind::kAccessDenied) {
      ::_exit(1);
    }
    ::_exit(resolver.ResolveRead("pxelinux.0").has_value() ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot drop privileges to nobody";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: secret not refused with ERROR 2; 2: readable refused";
}

TEST_P(PathResolverTest, D36WorldReadableRuleOfTftpdHpa) {
  PathResolverOptions options;
  options.require_world_readable = true;
  const PathResolver resolver = Make(options);
  ExpectRefused(resolver, "private", ErrorCode::kAccessViolation, RefusalKind::kAccessDenied);
  ExpectServed(resolver, "pxelinux.0", "PXE");
}

TEST_P(PathResolverTest, CaseFoldingFindsWindowsSpellings) {
  PathResolverOptions options;
  options.fold_case = true;
  options.map_backslashes = true;
  // bootmgr asks for "\Boot\BCD": absolute once mapped, so it needs the --secure reading.
  options.absolute_is_root_relative = true;
  const PathResolver resolver = Make(options);
  ExpectServed(resolver, "boot/bcd", "bcd", "Boot/BCD");
  ExpectServed(resolver, "\\BOOT\\BCD", "bcd", "Boot/BCD");
  ExpectServed(resolver, "PXELINUX.CFG/Default", "DEFAULT", "pxelinux.cfg/default");
  ExpectRefused(resolver, "boot/missing", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
  ExpectRefused(resolver, "ETC/shadow", ErrorCode::kAccessViolation, RefusalKind::kSymlinkEscape);
  const PathResolver exact = Make();
  ExpectRefused(exact, "boot/bcd", ErrorCode::kFileNotFound, RefusalKind::kNotFound);
}

TEST_P(PathResolverTest, CaseFoldingPicksTheSmallestOfSeveralMatches) {
  tmp_.Write("root/case/README", "upper");
  tmp_.Write("root/case/ReadMe", "mixed");
  PathResolverOptions options;
  options.fold_case = true;
  const PathResolver resolver = Make(options);
  ExpectServed(resolver, "case/readme", "upper", "case/README");
}

TEST_P(PathResolverTest, WriteTargetsResolveTheParentBeneathTheRoot) {
  const PathResolver resolver = Make();
  auto nested = resolver.ResolveWrite("pxelinux.cfg/new");
  ASSERT_TRUE(nested.has_value()) << nested.error().reason;
  EXPECT_EQ(nested->name, "new");
  EXPECT_EQ(nested->path, "pxelinux.cfg/new");
  struct stat parent {};
  struct stat expected {};
  ASSERT_EQ(::fstat(nested->parent_fd.get(), &parent), 0);
  ASSERT_EQ(::stat((tmp_ / "root/pxelinux.cfg").c_str(), &expected), 0);
  EXPECT_EQ(parent.st_ino, expected.st_ino);

  auto top = resolver.ResolveWrite("./upload.bin");
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(top->name, "upload.bin");

  EXPECT_EQ(resolver.ResolveWrite("missing/x").error().code, ErrorCode::kFileNotFound);
  EXPECT_EQ(resolver.ResolveWrite("etc/x").error().kind, RefusalKind::kSymlinkEscape);
  EXPECT_EQ(resolver.ResolveWrite("../x").error().kind, RefusalKind::kDotDot);
  EXPECT_EQ(resolver.ResolveWrite("a\nb").error().kind, RefusalKind::kControlByte);
  EXPECT_EQ(resolver.ResolveWrite("/").error().kind, RefusalKind::kOutsideRoot);
  EXPECT_EQ(resolver.ResolveWrite(".").error().kind, RefusalKind::kNotRegularFile);
}

TEST_P(PathResolverTest, WriteTargetsFoldCaseOfExistingComponents) {
  PathResolverOptions options;
  options.fold_case = true;
  const PathResolver resolver = Make(options);
  auto target = resolver.ResolveWrite("BOOT/new.log");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->path, "Boot/new.log");
  auto existing = resolver.ResolveWrite("boot/bcd");
  ASSERT_TRUE(existing.has_value());
  EXPECT_EQ(existing->name, "BCD");
}

TEST(PathResolverOpen, MissingRootIsAnEnvironmentError) {
  auto resolver = PathResolver::Open("/nonexistent/stampede-root", {});
  ASSERT_FALSE(resolver.has_value());
  EXPECT_NE(resolver.error().find("/nonexistent/stampede-root"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Strategies, PathResolverTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? std::string("Walk") : std::string("Openat2");
                         });

}  // namespace
}  // namespace stampede::server
