// EscapeBytes: what reaches a log from a hostile name or peer message (PROTOCOL D32, E44).
#include "wire/escape.h"

#include <string>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace stampede::wire {
namespace {

using namespace std::string_literals;

TEST(Escape, PrintableAsciiIsKept) {
  EXPECT_EQ(EscapeBytes("pxelinux.cfg/01-aa-bb %n%s"), "pxelinux.cfg/01-aa-bb %n%s");
}

TEST(Escape, D32ControlBytesAndTerminalEscapesBecomeHex) {
  EXPECT_EQ(EscapeBytes("a\x01" "b"), "a\\x01b");
  EXPECT_EQ(EscapeBytes("a\x1b[31m"), "a\\x1b[31m");
  EXPECT_EQ(EscapeBytes("line\nfake log"), "line\\x0afake log");
  EXPECT_EQ(EscapeBytes("nul\0x"s), "nul\\x00x");
  EXPECT_EQ(EscapeBytes("\x7f\x80\xff"), "\\x7f\\x80\\xff");
}

TEST(Escape, BackslashIsDoubledSoTheOutputIsUnambiguous) {
  EXPECT_EQ(EscapeBytes("boot\\bcd"), "boot\\\\bcd");
  EXPECT_NE(EscapeBytes("\\x01"), EscapeBytes("\x01"));
}

TEST(Escape, E44LongInputIsCutAndMarked) {
  const std::string message(5000, 'x');
  const std::string escaped = EscapeBytes(message, 128);
  EXPECT_EQ(escaped, std::string(128, 'x') + "...");
  EXPECT_EQ(EscapeBytes("short", 128), "short");
  EXPECT_EQ(EscapeBytes("", 0), "");
  EXPECT_EQ(EscapeBytes("abc", 0), "...");
}

RC_GTEST_PROP(Escape, OutputIsPrintableAndBounded, (const std::string& input)) {
  const std::string escaped = EscapeBytes(input, 64);
  RC_ASSERT(escaped.size() <= 4 * 64 + 3);
  for (const char c : escaped) {
    RC_ASSERT(static_cast<unsigned char>(c) >= 0x20);
    RC_ASSERT(static_cast<unsigned char>(c) < 0x7f);
  }
}

}  // namespace
}  // namespace stampede::wire
