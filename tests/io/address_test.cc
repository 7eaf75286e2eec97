// Address parse/format tables (valid and invalid input), equality, hashing and classification.
#include "io/address.h"

#include <string>
#include <unordered_set>

#include <gtest/gtest.h>
#include <net/if.h>

namespace stampede::io {
namespace {

struct FormatCase {
  const char* text;
  std::uint16_t default_port;
  const char* formatted;
};

TEST(AddressTest, ParsesAndFormats) {
  const FormatCase cases[] = {
      {"127.0.0.1:69", 0, "127.0.0.1:69"},
      {"127.0.0.1", 69, "127.0.0.1:69"},
      {"0.0.0.0:0", 7, "0.0.0.0:0"},
      {"255.255.255.255:65535", 0, "255.255.255.255:65535"},
      {"[::1]:69", 0, "[::1]:69"},
      {"[::1]", 1069, "[::1]:1069"},
      {"::1", 69, "[::1]:69"},
      {"[::]:69", 0, "[::]:69"},
      {"[2001:db8::1]:6969", 0, "[2001:db8::1]:6969"},
      {"[::ffff:127.0.0.1]:69", 0, "[::ffff:127.0.0.1]:69"},
      {"[fe80::1%lo]:69", 0, "[fe80::1%lo]:69"},
      {"fe80::1%lo", 69, "[fe80::1%lo]:69"},
      {"127.0.0.1:00069", 0, "127.0.0.1:69"},
  };
  for (const FormatCase& c : cases) {
    auto a = Address::Parse(c.text, c.default_port);
    ASSERT_TRUE(a.has_value()) << c.text << ": " << a.error().ToString();
    EXPECT_EQ(a->ToString(), c.formatted) << c.text;
    auto again = Address::Parse(a->ToString());
    ASSERT_TRUE(again.has_value()) << a->ToString();
    EXPECT_EQ(*again, *a) << "round trip of " << c.text;
  }
}

TEST(AddressTest, NumericScopeIsAnInterfaceIndex) {
  const unsigned lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  auto a = Address::Parse("[fe80::1%" + std::to_string(lo) + "]:69");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->scope_id(), lo);
  EXPECT_EQ(a->ToString(), "[fe80::1%lo]:69");
}

TEST(AddressTest, RejectsInvalidInput) {
  const char* cases[] = {
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "127.0.0.1:",
      "127.0.0.1:65536",
      "127.0.0.1:-1",
      "127.0.0.1:+69",
      "127.0.0.1: 69",
      "127.0.0.1:0x45",
      "127.0.0.1:6 9",
      "[::1",
      "[::1]x",
      "[::1]:",
      "[::1]:99999",
      "[1.2.3.4]:69",
      "[fe80::1%]:69",
      "localhost:69",
      "localhost",
      "::1::2",
      " 127.0.0.1",
      "127.0.0.1 ",
      "[]:69",
      "[::1]]:69",
      "127.0.0.1:69:70",
      "1.2.3.4:99999999999999999999",
  };
  for (const char* text : cases) {
    auto a = Address::Parse(text, 69);
    EXPECT_FALSE(a.has_value()) << "accepted '" << text << "' as " << a->ToString();
    if (!a) {
      EXPECT_EQ(a.error().errno_value, EINVAL) << text;
      EXPECT_NE(a.error().ToString().find(text), std::string::npos) << a.error().ToString();
    }
  }
}

TEST(AddressTest, UnknownInterfaceIsENODEV) {
  auto a = Address::Parse("[fe80::1%nosuchif0]:69");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().errno_value, ENODEV);
}

TEST(AddressTest, EqualityAndHash) {
  const Address a = *Address::Parse("127.0.0.1:69");
  EXPECT_EQ(a, Address::Ipv4Loopback(69));
  EXPECT_FALSE(a == Address::Ipv4Loopback(70));
  EXPECT_FALSE(a == *Address::Parse("127.0.0.2:69"));
  EXPECT_FALSE(a == a.Mapped());
  EXPECT_EQ(a.Mapped().Unmapped(), a);
  EXPECT_FALSE(*Address::Parse("[fe80::1%1]:69") == *Address::Parse("[fe80::1]:69"));
  EXPECT_EQ(Address(), Address());

  std::unordered_set<Address> set;
  set.insert(a);
  set.insert(Address::Ipv4Loopback(69));
  set.insert(*Address::Parse("[::1]:69"));
  set.insert(Address::Ipv6Loopback(69));
  set.insert(a.Mapped());
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(a.Hash(), Address::Ipv4Loopback(69).Hash());
}

TEST(AddressTest, Classification) {
  EXPECT_TRUE(Address::Parse("0.0.0.0")->IsUnspecified());
  EXPECT_TRUE(Address::Parse("::")->IsUnspecified());
  EXPECT_TRUE(Address::Parse("127.0.0.2")->IsLoopback());
  EXPECT_TRUE(Address::Parse("::ffff:127.0.0.1")->IsLoopback());
  EXPECT_TRUE(Address::Parse("::1")->IsLoopback());
  EXPECT_TRUE(Address::Parse("224.0.0.1")->IsMulticast());
  EXPECT_TRUE(Address::Parse("239.255.1.1")->IsMulticast());
  EXPECT_TRUE(Address::Parse("ff02::1")->IsMulticast());
  EXPECT_FALSE(Address::Parse("223.255.255.255")->IsMulticast());
  EXPECT_TRUE(Address::Parse("fe80::1")->IsLinkLocal());
  EXPECT_TRUE(Address::Parse("169.254.1.1")->IsLinkLocal());
  EXPECT_TRUE(Address::Parse("::ffff:10.0.0.1")->IsV4Mapped());
  EXPECT_EQ(Address::Parse("[::ffff:10.0.0.1]:5")->Unmapped().ToString(), "10.0.0.1:5");
  EXPECT_EQ(Address::Parse("10.0.0.1:5")->Mapped().ToString(), "[::ffff:10.0.0.1]:5");
}

TEST(AddressTest, FromSockaddrRejectsShortOrForeign) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  EXPECT_TRUE(Address::FromSockaddr(reinterpret_cast<sockaddr*>(&sin), 4).empty());
  EXPECT_TRUE(Address::FromSockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof(sin)).IsV4());
  sockaddr_storage unix_like{};
  unix_like.ss_family = AF_UNIX;
  EXPECT_TRUE(
      Address::FromSockaddr(reinterpret_cast<sockaddr*>(&unix_like), sizeof(unix_like)).empty());
  EXPECT_EQ(Address().ToString(), "<unspecified>");
}

TEST(AddressTest, SetPort) {
  Address a = *Address::Parse("[::1]:1");
  a.set_port(65535);
  EXPECT_EQ(a.port(), 65535);
  EXPECT_EQ(a.ToString(), "[::1]:65535");
}

}  // namespace
}  // namespace stampede::io
