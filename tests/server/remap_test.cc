// RemapRules: the tftp-hpa-style rules file (docs/remap.md): parsing with line-numbered errors,
// each flag, replacement escapes, and the bounds that stop looping or growing rule sets.
#include "server/remap.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "server/temp_dir.h"

namespace stampede::server {
namespace {

using namespace std::string_literals;

const RemapClient kClient = RemapClient::FromIpv4({192, 0, 2, 91});

RemapRules Rules(std::string_view text, const RemapLimits& limits = {}) {
  auto rules = RemapRules::Parse(text, limits);
  EXPECT_TRUE(rules.has_value()) << "line " << rules.error().line << ": "
                                 << rules.error().message;
  return rules ? std::move(*rules) : RemapRules();
}

std::string Get(const RemapRules& rules, std::string_view name) {
  auto result = rules.Apply(name, RequestKind::kGet, kClient);
  EXPECT_TRUE(result.has_value()) << name << ": " << result.error().reason;
  return result.value_or("<refused>");
}

struct BadFile {
  std::string text;
  std::size_t line;
  std::string message_part;
};

TEST(RemapParse, ErrorsCarryTheLineNumber) {
  const std::vector<BadFile> cases = {
      {"# comment\n\nq ^a b\n", 3, "unknown flag"},
      {"r\n", 1, "missing regular expression"},
      {"e ^ok\nr ^(a b\n", 2, "bad regular expression"},  // the space ends the regex token
      {"e ^ok\ne (unclosed\n", 2, "bad regular expression"},
      {"r ^a\n", 1, "flag r needs a replacement"},
      {"g ^a b\n", 1, "flag g needs r"},
      {"r~ ^a b\n", 1, "r rules cannot use ~"},
      {"GPa ^a\n", 1, "exclude each other"},
      {"r ^a b c\n", 1, "unexpected text"},
      {"e ^a b\n", 1, "replacement needs flag r"},
      {"r ^(a) \\2\n", 1, "uses \\2 but the expression has 1 groups"},
      {"r ^a b\\\n", 1, "lone backslash"},
      {"e ^a\ne \0\n"s, 2, "NUL byte"},
      {"e ^pxe+++++linux\n", 1, "adjacent repetition"},
      {"e a*{2}\n", 1, "adjacent repetition"},
      {"e a{2,3}?\n", 1, "adjacent repetition"},
      {"e a{256}\n", 1, "above 255"},
  };
  for (const BadFile& c : cases) {
    auto rules = RemapRules::Parse(c.text);
    ASSERT_FALSE(rules.has_value()) << c.text;
    EXPECT_EQ(rules.error().line, c.line) << c.text;
    EXPECT_NE(rules.error().message.find(c.message_part), std::string::npos)
        << c.text << " -> " << rules.error().message;
  }
}

TEST(RemapParse, RuleCountIsBounded) {
  RemapLimits limits;
  limits.rules_max = 2;
  auto rules = RemapRules::Parse("e a\n# skip\ne b\ne c\n", limits);
  ASSERT_FALSE(rules.has_value());
  EXPECT_EQ(rules.error().line, 4u);
}

TEST(RemapParse, OrdinaryRepetitionsAndLiteralsAreFine) {
  const RemapRules rules = Rules("r ^a+b*c?d{2}(e|f)+[+*?]\\+\\*x$ ok\n");
  EXPECT_EQ(Get(rules, "aabccdde+*+*x"), "aabccdde+*+*x");
  EXPECT_EQ(Get(rules, "abdde++*x"), "ok");
}

TEST(RemapParse, CommentsBlankLinesAndCarriageReturns) {
  const RemapRules rules = Rules("# header\n\n   \t\nr ^a b # trailing comment\r\n#last");
  EXPECT_EQ(rules.size(), 1u);
  EXPECT_EQ(Get(rules, "a"), "b");
}

TEST(RemapApply, NoRulesIsIdentity) {
  EXPECT_EQ(Get(RemapRules(), "pxelinux.0"), "pxelinux.0");
}

TEST(RemapApply, WindowsBackslashesWithGlobalRewrite) {
  const RemapRules rules = Rules("rg \\\\ /\n");
  EXPECT_EQ(Get(rules, "\\Boot\\BCD"), "/Boot/BCD");
  EXPECT_EQ(Get(rules, "plain"), "plain");
}

TEST(RemapApply, ClientAddressEscapesForPxelinux) {
  const RemapRules rules = Rules(
      "r ^pxelinux\\.cfg/default$ pxelinux.cfg/\\x\n"
      "r ^log$ logs/\\i.log\n");
  EXPECT_EQ(Get(rules, "pxelinux.cfg/default"), "pxelinux.cfg/C000025B");
  EXPECT_EQ(Get(rules, "log"), "logs/192.0.2.91.log");
}

TEST(RemapApply, GroupsAndWholeMatch) {
  const RemapRules rules = Rules(
      "r ^pxelinux\\.cfg/01-(([0-9a-f]{2}-){5}[0-9a-f]{2})$ hosts/\\1/boot.cfg\n"
      "r ^kernel-([a-z]+)$ [\\0]\n");
  EXPECT_EQ(Get(rules, "pxelinux.cfg/01-aa-bb-cc-dd-ee-ff"), "hosts/aa-bb-cc-dd-ee-ff/boot.cfg");
  EXPECT_EQ(Get(rules, "kernel-abc"), "[kernel-abc]");
  EXPECT_EQ(Get(rules, "x/kernel-abc"), "x/kernel-abc");
}

TEST(RemapApply, OnlyTheMatchedPartIsReplaced) {
  EXPECT_EQ(Get(Rules("r boot BOOT\n"), "a/boot/b"), "a/BOOT/b");
}

TEST(RemapApply, CaseInsensitiveFlagAndCaseTransforms) {
  EXPECT_EQ(Get(Rules("ri ^boot/ windows/\n"), "BoOt/bcd"), "windows/bcd");
  EXPECT_EQ(Get(Rules("r ^boot/ windows/\n"), "BoOt/bcd"), "BoOt/bcd");
  EXPECT_EQ(Get(Rules("r ^(.*)$ \\L\\1\n"), "BOOT/BCD"), "boot/bcd");
  EXPECT_EQ(Get(Rules("r ^([a-z]+)/(.*)$ \\U\\1\\E/\\2\n"), "boot/bcd"), "BOOT/bcd");
}

TEST(RemapApply, ExitStopsAfterAMatchingRule) {
  const RemapRules rules = Rules("re ^a b\nr ^b c\n");
  EXPECT_EQ(Get(rules, "a"), "b");
  EXPECT_EQ(Get(rules, "b"), "c");
  // e on a rule that does not match changes nothing.
  EXPECT_EQ(Get(Rules("e ^zzz\nr ^a b\n"), "a"), "b");
  EXPECT_EQ(Get(Rules("e ^a\nr ^a b\n"), "a"), "a");
}

TEST(RemapApply, RestartRunsFromTheFirstRule) {
  const RemapRules rules = Rules("r ^x y\nrs ^z x\n");
  EXPECT_EQ(Get(rules, "z"), "y");
}

TEST(RemapApply, AbortRefusesWithAccessViolation) {
  const RemapRules rules = Rules("a ^private/\nai \\.(key|pem)$ no\\ keys\\ for\\ \\i\n");
  auto denied = rules.Apply("private/x", RequestKind::kGet, kClient);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code, wire::ErrorCode::kAccessViolation);
  EXPECT_EQ(denied.error().kind, RefusalKind::kRemapDenied);
  EXPECT_TRUE(denied.error().peer_message.empty());
  EXPECT_NE(denied.error().reason.find("line 1"), std::string::npos);
  auto custom = rules.Apply("host.KEY", RequestKind::kGet, kClient);
  ASSERT_FALSE(custom.has_value());
  EXPECT_EQ(custom.error().peer_message, "no keys for 192.0.2.91");
  EXPECT_EQ(Get(rules, "public/x"), "public/x");
}

TEST(RemapApply, GetAndPutOnlyRules) {
  const RemapRules rules = Rules("Pa .\nGr ^a$ b\n");
  EXPECT_EQ(Get(rules, "a"), "b");
  auto put = rules.Apply("a", RequestKind::kPut, kClient);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().kind, RefusalKind::kRemapDenied);
}

TEST(RemapApply, InverseRuleActsWhenTheExpressionDoesNotMatch) {
  const RemapRules rules = Rules("~a ^(pxelinux|boot)/ outside\\ \\0\n");
  EXPECT_EQ(Get(rules, "boot/x"), "boot/x");
  auto denied = rules.Apply("etc/passwd", RequestKind::kGet, kClient);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().peer_message, "outside ");
}

TEST(RemapApply, EscapedSpacesAndHashes) {
  const RemapRules rules = Rules("r a\\ b\\#c a_b\\ \\#\n");
  EXPECT_EQ(Get(rules, "a b#c"), "a_b #");
}

TEST(RemapApply, LoopsAreCutOffAndRefused) {
  for (const char* text : {"rg a aa\n", "rs ^ x\n", "rg x* y\n", "s .\n"}) {
    const RemapRules rules = Rules(text);
    auto result = rules.Apply("a", RequestKind::kGet, kClient);
    ASSERT_FALSE(result.has_value()) << text;
    EXPECT_EQ(result.error().kind, RefusalKind::kRemapLimit) << text;
    EXPECT_EQ(result.error().code, wire::ErrorCode::kAccessViolation) << text;
  }
}

TEST(RemapApply, ResultLengthIsCapped) {
  RemapLimits limits;
  limits.result_max_bytes = 64;
  const RemapRules rules = Rules("rs ^(.*)$ \\1\\1\n", limits);
  auto result = rules.Apply("abc", RequestKind::kGet, kClient);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, RefusalKind::kRemapLimit);
  EXPECT_NE(result.error().reason.find("too long"), std::string::npos);
}

TEST(RemapApply, NulInNameIsRefused) {
  auto result = RemapRules().Apply("a\0b"s, RequestKind::kGet, kClient);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, RefusalKind::kControlByte);
}

TEST(RemapClientTest, Addresses) {
  EXPECT_EQ(kClient.ip_text, "192.0.2.91");
  EXPECT_EQ(kClient.ip_hex, "C000025B");
  const RemapClient mapped =
      RemapClient::FromIpv6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1});
  EXPECT_EQ(mapped.ip_text, "10.0.0.1");
  EXPECT_EQ(mapped.ip_hex, "0A000001");
  const RemapClient v6 =
      RemapClient::FromIpv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(v6.ip_text, "2001:db8::1");
  EXPECT_EQ(v6.ip_hex, "20010DB8000000000000000000000001");
}

TEST(RemapLoad, FileErrorsNameThePathAndLine) {
  testing::TempDir tmp;
  tmp.Write("rules", "# ok\nr ^a b\nbogus\n");
  auto rules = RemapRules::LoadFile(tmp / "rules");
  ASSERT_FALSE(rules.has_value());
  EXPECT_EQ(rules.error(), tmp / "rules" + ":3: unknown flag 'b' (known: r g i e s a ~ G P)");
  tmp.Write("good", "r ^a b\n");
  auto good = RemapRules::LoadFile(tmp / "good");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->size(), 1u);
  EXPECT_FALSE(RemapRules::LoadFile(tmp / "missing").has_value());
  RemapLimits limits;
  limits.file_max_bytes = 4;
  EXPECT_FALSE(RemapRules::LoadFile(tmp / "good", limits).has_value());
}

// The examples of docs/remap.md, as written there.
TEST(RemapDocs, ExamplesBehaveAsDocumented) {
  const RemapRules windows = Rules("rg \\\\ /\nr ^(.*)$ \\L\\1\n");
  EXPECT_EQ(Get(windows, "\\Boot\\BCD"), "/boot/bcd");
  const RemapRules strip = Rules("rg \\\\ /\nr ^/+(.*)$ \\1\n");
  EXPECT_EQ(Get(strip, "\\Boot\\BCD"), "Boot/BCD");
  const RemapRules by_ip = Rules("Gre ^pxelinux\\.cfg/default$ hosts/\\i.cfg\n");
  EXPECT_EQ(Get(by_ip, "pxelinux.cfg/default"), "hosts/192.0.2.91.cfg");
  const RemapRules by_mac = Rules(
      "Gre ^pxelinux\\.cfg/01-(([0-9a-f]{2}-){5}[0-9a-f]{2})$ hosts/\\1/pxelinux.cfg\n");
  EXPECT_EQ(Get(by_mac, "pxelinux.cfg/01-aa-bb-cc-dd-ee-ff"),
            "hosts/aa-bb-cc-dd-ee-ff/pxelinux.cfg");
  const RemapRules deny = Rules(
      "a ^private/ access\\ denied\\ for\\ \\i\n"
      "P~a ^uploads/\n"
      "ai \\.(key|pem)$\n");
  EXPECT_EQ(deny.Apply("private/x", RequestKind::kGet, kClient).error().peer_message,
            "access denied for 192.0.2.91");
  EXPECT_FALSE(deny.Apply("other/x", RequestKind::kPut, kClient).has_value());
  EXPECT_EQ(Get(deny, "other/x"), "other/x");
  EXPECT_TRUE(deny.Apply("uploads/x", RequestKind::kPut, kClient).has_value());
  EXPECT_FALSE(deny.Apply("a/HOST.PEM", RequestKind::kGet, kClient).has_value());
}

RC_GTEST_PROP(RemapApply, AlwaysTerminatesWithinBounds, (const std::string& name)) {
  RemapLimits limits;
  limits.result_max_bytes = 256;
  static const RemapRules rules = [&] {
    auto parsed = RemapRules::Parse(
        "rg \\\\ /\n"
        "rs ^(.*)a(.*)$ \\1aa\\2\n"
        "r ^([^/]*)/(.*)$ \\2/\\1\n"
        "ai secret\n",
        limits);
    return std::move(*parsed);
  }();
  auto result = rules.Apply(name, RequestKind::kGet, kClient);
  if (result) RC_ASSERT(result->size() <= 256u);
}

}  // namespace
}  // namespace stampede::server
