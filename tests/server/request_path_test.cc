// CanonicalizeRequestPath: the pure name rules of PROTOCOL D27-D30, D32-D34, table-driven, plus
// properties of every accepted result.
#include "server/request_path.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace stampede::server {
namespace {

using namespace std::string_literals;
using wire::ErrorCode;

RequestPathOptions Options(bool map_backslashes = false, bool absolute_is_root_relative = false) {
  RequestPathOptions options;
  options.root_paths = {"/srv/tftp"};
  options.map_backslashes = map_backslashes;
  options.absolute_is_root_relative = absolute_is_root_relative;
  return options;
}

struct Accepted {
  std::string_view item;
  std::string requested;
  std::string canonical;
  bool map_backslashes = false;
};

TEST(RequestPath, AcceptedNamesAndTheirCanonicalForm) {
  const std::vector<Accepted> cases = {
      {"plain", "pxelinux.0", "pxelinux.0"},
      {"subdir", "pxelinux.cfg/default", "pxelinux.cfg/default"},
      {"D30 inner double slash", "a//b", "a/b"},
      {"D30 dot slash", "./pxelinux.0", "pxelinux.0"},
      {"D30 inner dot", "a/./b/.", "a/b"},
      {"D30 trailing slash", "pxelinux.0/", "pxelinux.0"},
      {"D28 absolute inside root", "/srv/tftp/pxelinux.0", "pxelinux.0"},
      {"D28 absolute inside root, odd slashes", "//srv//tftp/./pxelinux.0", "pxelinux.0"},
      {"D28 the root itself", "/srv/tftp", ""},
      {"D29 backslashes mapped", "pxelinux.cfg\\default", "pxelinux.cfg/default", true},
      {"D29 leading backslash is absolute", "\\srv\\tftp\\boot\\grub.cfg", "boot/grub.cfg", true},
      {"D29 backslash literal without windows-compat", "a\\b", "a\\b"},
      {"D33 format directives are text", "%n%n%s%x", "%n%n%s%x"},
      {"dots inside names are fine", "...", "..."},
      {"dot-dot prefix is a name", "..a/b..", "..a/b.."},
      {"UTF-8 passes", "k\xc3\xa9rnel", "k\xc3\xa9rnel"},
      {"D34 component of exactly NAME_MAX", std::string(255, 'n'), std::string(255, 'n')},
  };
  for (const Accepted& c : cases) {
    auto result = CanonicalizeRequestPath(c.requested, Options(c.map_backslashes));
    ASSERT_TRUE(result.has_value()) << c.item << ": " << result.error().reason;
    EXPECT_EQ(*result, c.canonical) << c.item;
  }
}

struct Refused {
  std::string_view item;
  std::string requested;
  ErrorCode code;
  RefusalKind kind;
  bool map_backslashes = false;
};

TEST(RequestPath, RefusedNames) {
  const std::string too_long(kRequestPathMaxBytes + 1, 'a');
  const std::vector<Refused> cases = {
      {"D27 leading", "../etc/passwd", ErrorCode::kAccessViolation, RefusalKind::kDotDot},
      {"D27 climbing out", "subdir/../../x", ErrorCode::kAccessViolation, RefusalKind::kDotDot},
      {"D27 alone", "..", ErrorCode::kAccessViolation, RefusalKind::kDotDot},
      {"D27 staying inside", "a/..", ErrorCode::kAccessViolation, RefusalKind::kDotDot},
      {"D27 after root prefix", "/srv/tftp/../etc", ErrorCode::kAccessViolation,
       RefusalKind::kDotDot},
      {"D28 outside root", "/etc/passwd", ErrorCode::kAccessViolation, RefusalKind::kOutsideRoot},
      {"D28 sibling prefix", "/srv/tftp-private/x", ErrorCode::kAccessViolation,
       RefusalKind::kOutsideRoot},
      {"D28 parent of root", "/srv", ErrorCode::kAccessViolation, RefusalKind::kOutsideRoot},
      {"D29 backslash dotdot", "..\\..\\windows\\win.ini", ErrorCode::kAccessViolation,
       RefusalKind::kDotDot, true},
      {"D32 SOH", "a\x01" "b", ErrorCode::kAccessViolation, RefusalKind::kControlByte},
      {"D32 ESC sequence", "a\x1b[31m", ErrorCode::kAccessViolation, RefusalKind::kControlByte},
      {"D32 newline", "a\nb", ErrorCode::kAccessViolation, RefusalKind::kControlByte},
      {"D32 DEL", "a\x7f", ErrorCode::kAccessViolation, RefusalKind::kControlByte},
      {"D32 NUL", "a\0b"s, ErrorCode::kAccessViolation, RefusalKind::kControlByte},
      {"D34 name over PATH_MAX", too_long, ErrorCode::kIllegalOperation,
       RefusalKind::kNameTooLong},
      {"D34 4096-byte name", std::string(4096, 'b'), ErrorCode::kIllegalOperation,
       RefusalKind::kNameTooLong},
      {"D34 component over NAME_MAX", "dir/" + std::string(256, 'n'),
       ErrorCode::kAccessViolation, RefusalKind::kComponentTooLong},
  };
  for (const Refused& c : cases) {
    auto result = CanonicalizeRequestPath(c.requested, Options(c.map_backslashes));
    ASSERT_FALSE(result.has_value()) << c.item << " gave " << *result;
    EXPECT_EQ(result.error().code, c.code) << c.item;
    EXPECT_EQ(result.error().kind, c.kind) << c.item << ": " << result.error().reason;
  }
}

TEST(RequestPath, D32ReasonIsEscaped) {
  auto result = CanonicalizeRequestPath("a\x1b[31m\n", Options());
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().reason.find("a\\x1b[31m\\x0a"), std::string::npos)
      << result.error().reason;
}

TEST(RequestPath, D28SecureModeTakesAbsoluteNamesRelativeToRoot) {
  auto plain = CanonicalizeRequestPath("/pxelinux.0", Options(false, true));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, "pxelinux.0");
  auto prefixed = CanonicalizeRequestPath("/srv/tftp/pxelinux.0", Options(false, true));
  ASSERT_TRUE(prefixed.has_value());
  EXPECT_EQ(*prefixed, "pxelinux.0");
  EXPECT_FALSE(CanonicalizeRequestPath("/../etc/passwd", Options(false, true)).has_value());
}

// D30 lists `//pxelinux.0` (GRUB joins "(tftp)/" and "/file"). A leading `//` is still an absolute
// name, so in the strict default it is outside the root like `//etc/passwd` (D28 wins); in the
// tftpd-hpa --secure mode it is served.
TEST(RequestPath, D30LeadingDoubleSlashDependsOnAbsoluteMode) {
  EXPECT_EQ(CanonicalizeRequestPath("//pxelinux.0", Options()).error().kind,
            RefusalKind::kOutsideRoot);
  auto secure = CanonicalizeRequestPath("//pxelinux.0", Options(false, true));
  ASSERT_TRUE(secure.has_value());
  EXPECT_EQ(*secure, "pxelinux.0");
}

TEST(RequestPath, D28FileSystemRootServesEveryAbsoluteName) {
  RequestPathOptions options;
  options.root_paths = {"/"};
  auto result = CanonicalizeRequestPath("/boot/x", options);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, "boot/x");
}

TEST(RequestPath, D28SecondRootSpellingIsAccepted) {
  RequestPathOptions options = Options();
  options.root_paths.push_back("/data/tftp");
  auto result = CanonicalizeRequestPath("/data/tftp/a", options);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, "a");
}

RC_GTEST_PROP(RequestPath, AcceptedResultsAreCanonicalAndStable, (const std::string& input)) {
  const RequestPathOptions options = Options(true);
  auto result = CanonicalizeRequestPath(input, options);
  if (!result) return;
  const std::string& path = *result;
  RC_ASSERT(path.find("//") == std::string::npos);
  RC_ASSERT(path.empty() || (path.front() != '/' && path.back() != '/'));
  RC_ASSERT(path != ".." && path.find("../") != 0);
  RC_ASSERT(path.find("/../") == std::string::npos);
  for (const char c : path) {
    RC_ASSERT(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f && c != '\\');
  }
  auto again = CanonicalizeRequestPath(path, options);
  RC_ASSERT(again.has_value());
  RC_ASSERT(*again == path);
}

}  // namespace
}  // namespace stampede::server
