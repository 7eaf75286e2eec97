// BroadcastFilter: limited broadcast, multicast (IPv4, IPv6, v4-mapped), cached subnet broadcasts,
// and the addresses read from this host's interfaces (G62).
#include "io/broadcast_filter.h"

#include <gtest/gtest.h>

namespace stampede::io {
namespace {

Address A(const char* text) {
  return *Address::Parse(text, 69);
}

TEST(BroadcastFilterTest, AnAddressReportedAsItsOwnBroadcastIsNotABroadcast) {
  // `ip addr add 10.9.0.1/30 dev D` (no `brd +`): getifaddrs reports 10.9.0.1 as the broadcast.
  // Requests to the server's own address must still be served.
  const auto selected = BroadcastFilter::SelectBroadcasts({
      {A("10.9.0.1"), A("10.9.0.1")},
      {A("192.0.2.10"), A("192.0.2.255")},
      {A("198.51.100.7"), A("0.0.0.0")},
      {A("192.0.2.11"), A("192.0.2.255")},
  });
  ASSERT_EQ(selected.size(), 1u);
  const BroadcastFilter f(selected);
  EXPECT_FALSE(f.IsBroadcastOrMulticast(A("10.9.0.1")));
  EXPECT_FALSE(f.IsBroadcastOrMulticast(A("0.0.0.0")));
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("192.0.2.255")));
}

TEST(BroadcastFilterTest, RecognisesBroadcastAndMulticast) {
  const BroadcastFilter f({A("192.0.2.255:1234")});
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("255.255.255.255")));
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("192.0.2.255")));  // port ignored
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("[::ffff:192.0.2.255]:69")));
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("[::ffff:255.255.255.255]:69")));
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("224.0.0.1")));
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("239.255.1.1")));
  EXPECT_TRUE(f.IsBroadcastOrMulticast(A("[ff02::1]:69")));
  EXPECT_FALSE(f.IsBroadcastOrMulticast(A("192.0.2.2")));
  EXPECT_FALSE(f.IsBroadcastOrMulticast(A("198.51.100.255")));
  EXPECT_FALSE(f.IsBroadcastOrMulticast(A("127.0.0.1")));
  EXPECT_FALSE(f.IsBroadcastOrMulticast(A("[::1]:69")));
  EXPECT_FALSE(f.IsBroadcastOrMulticast(Address()));
}

TEST(BroadcastFilterTest, LoadsInterfaceBroadcasts) {
  auto f = BroadcastFilter::Load();
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  for (const Address& b : f->subnet_broadcasts()) {
    EXPECT_TRUE(b.IsV4());
    EXPECT_TRUE(f->IsBroadcastOrMulticast(b)) << b.ToString();
  }
  EXPECT_FALSE(f->IsBroadcastOrMulticast(A("127.0.0.1")));
  EXPECT_TRUE(f->IsBroadcastOrMulticast(A("255.255.255.255")));
  ASSERT_TRUE(f->Refresh());
}

}  // namespace
}  // namespace stampede::io
