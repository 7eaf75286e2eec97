// AdmissionQueue (server/admission_queue.h): arrival order, repeats add nothing, the bound, and
// entries that waited too long are dropped.
#include "server/admission_queue.h"

#include <chrono>

#include <gtest/gtest.h>

namespace stampede::server {
namespace {

using namespace std::chrono_literals;

std::vector<std::byte> Request(char name) {
  return {std::byte{0}, std::byte{1}, static_cast<std::byte>(name), std::byte{0}};
}

TEST(AdmissionQueueTest, KeepsArrivalOrderAndIgnoresRepeats) {
  AdmissionQueue queue(3, 5s);
  const Instant t0 = kInstantZero + 1s;
  const io::Address a = io::Address::Ipv4Loopback(1001);
  const io::Address b = io::Address::Ipv4Loopback(1002);
  EXPECT_TRUE(queue.Hold(0, a, {}, Request('x'), t0));
  EXPECT_TRUE(queue.Hold(0, b, {}, Request('y'), t0));
  EXPECT_TRUE(queue.Hold(0, a, {}, Request('x'), t0 + 1s));  // the client's retransmission
  EXPECT_EQ(queue.size(), 2u);
  auto first = queue.PopOldest(t0 + 2s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->peer, a);
  auto second = queue.PopOldest(t0 + 2s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->peer, b);
  EXPECT_EQ(second->request, Request('y'));
  EXPECT_FALSE(queue.PopOldest(t0 + 2s));
}

TEST(AdmissionQueueTest, ANewRequestFromAWaitingClientReplacesItsOwnInPlace) {
  AdmissionQueue queue(2, 5s);
  const Instant t0 = kInstantZero + 1s;
  const io::Address a = io::Address::Ipv4Loopback(1001);
  const io::Address b = io::Address::Ipv4Loopback(1002);
  EXPECT_TRUE(queue.Hold(0, a, {}, Request('x'), t0));
  EXPECT_TRUE(queue.Hold(0, b, {}, Request('y'), t0));
  EXPECT_TRUE(queue.Hold(1, a, {}, Request('z'), t0 + 1s));  // restarted: no third entry
  EXPECT_EQ(queue.size(), 2u);
  auto first = queue.PopOldest(t0 + 2s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->peer, a);
  EXPECT_EQ(first->request, Request('z'));
  EXPECT_EQ(first->listener, 1u);
  // Once popped, the address may wait again.
  EXPECT_TRUE(queue.Hold(0, a, {}, Request('x'), t0 + 2s));
  EXPECT_EQ(queue.size(), 2u);
}

TEST(AdmissionQueueTest, RepeatsAndRestartsAcrossManyWaitingClientsAddNothing) {
  AdmissionQueue queue(100'000, 5s);
  const Instant t0 = kInstantZero + 1s;
  for (std::uint16_t i = 0; i < 50'000; ++i) {
    ASSERT_TRUE(queue.Hold(0, io::Address::Ipv4Loopback(i), {}, Request('x'), t0));
    ASSERT_TRUE(queue.Hold(1, io::Address::Ipv4Loopback(i), {}, Request('y'), t0));
  }
  EXPECT_EQ(queue.size(), 50'000u);
  for (std::uint16_t i = 0; i < 50'000; ++i) {
    ASSERT_TRUE(queue.Hold(0, io::Address::Ipv4Loopback(i), {}, Request('x'), t0));
  }
  EXPECT_EQ(queue.size(), 50'000u);
  auto first = queue.PopOldest(t0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->request, Request('x'));  // restarted to 'y', then to 'x' again
}

TEST(AdmissionQueueTest, RefusesPastItsBoundAndWhenDisabled) {
  AdmissionQueue queue(1, 5s);
  EXPECT_TRUE(queue.Hold(0, io::Address::Ipv4Loopback(1), {}, Request('x'), kInstantZero));
  EXPECT_FALSE(queue.Hold(0, io::Address::Ipv4Loopback(2), {}, Request('x'), kInstantZero));
  AdmissionQueue off(0, 5s);
  EXPECT_FALSE(off.Hold(0, io::Address::Ipv4Loopback(1), {}, Request('x'), kInstantZero));
}

TEST(AdmissionQueueTest, DropsEntriesThatWaitedTooLong) {
  AdmissionQueue queue(4, 5s);
  const Instant t0 = kInstantZero + 1s;
  EXPECT_TRUE(queue.Hold(0, io::Address::Ipv4Loopback(1), {}, Request('x'), t0));
  EXPECT_TRUE(queue.Hold(0, io::Address::Ipv4Loopback(2), {}, Request('y'), t0 + 3s));
  auto next = queue.PopOldest(t0 + 6s);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->peer, io::Address::Ipv4Loopback(2));
  EXPECT_EQ(queue.expired(), 1u);
}

}  // namespace
}  // namespace stampede::server
