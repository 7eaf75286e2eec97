// Block numbers: ToWire/FromWire at the 65535 wrap (to 0 and to 1), several wraps, windows that
// straddle a wrap, indexes beyond 4 GiB of blocks, and a round-trip property near any reference.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "wire/block_number.h"

namespace stampede::wire {
namespace {

constexpr BlockIndex I(std::uint64_t value) { return BlockIndex{value}; }

TEST(BlockNumber, ToWireFirstCycleIsIdentity) {
  for (std::uint64_t i : {0ull, 1ull, 2ull, 32768ull, 65534ull, 65535ull}) {
    EXPECT_EQ(ToWire(I(i), Rollover::kToZero), i);
    EXPECT_EQ(ToWire(I(i), Rollover::kToOne), i);
  }
}

TEST(BlockNumber, ToWireAtTheWrap) {
  // PROTOCOL E49: 65535 → 0 (GRUB, iPXE, curl, U-Boot, dnsmasq) or → 1 (the `rollover` option).
  EXPECT_EQ(ToWire(I(65536), Rollover::kToZero), 0);
  EXPECT_EQ(ToWire(I(65537), Rollover::kToZero), 1);
  EXPECT_EQ(ToWire(I(65536), Rollover::kToOne), 1);
  EXPECT_EQ(ToWire(I(65537), Rollover::kToOne), 2);
  // Second wrap (dnsmasq d81b1d7).
  EXPECT_EQ(ToWire(I(131071), Rollover::kToZero), 65535);
  EXPECT_EQ(ToWire(I(131072), Rollover::kToZero), 0);
  EXPECT_EQ(ToWire(I(131070), Rollover::kToOne), 65535);
  EXPECT_EQ(ToWire(I(131071), Rollover::kToOne), 1);
}

TEST(BlockNumber, FromWireAcrossTheWrap) {
  EXPECT_EQ(FromWire(0, I(65535), Rollover::kToZero), I(65536));
  EXPECT_EQ(FromWire(65535, I(65536), Rollover::kToZero), I(65535));
  EXPECT_EQ(FromWire(1, I(65535), Rollover::kToOne), I(65536));
  EXPECT_EQ(FromWire(65535, I(65536), Rollover::kToOne), I(65535));
  EXPECT_EQ(FromWire(0, I(131071), Rollover::kToZero), I(131072));
  EXPECT_EQ(FromWire(1, I(131070), Rollover::kToOne), I(131071));
  // Under wrap-to-one, wire 0 is only ever the OACK/WRQ acknowledgement.
  EXPECT_EQ(FromWire(0, I(65535), Rollover::kToOne), I(0));
  EXPECT_EQ(FromWire(0, I(0), Rollover::kToZero), I(0));
}

TEST(BlockNumber, FromWireTieGoesToTheLaterIndex) {
  // 32768 blocks either side of the reference map to the same wire number.
  EXPECT_EQ(FromWire(32768, I(65536), Rollover::kToZero), I(98304));
  EXPECT_EQ(FromWire(32769, I(65536), Rollover::kToZero), I(32769));
  EXPECT_EQ(FromWire(32767, I(65536), Rollover::kToZero), I(98303));
}

TEST(BlockNumber, WindowStraddlingTheWrap) {
  // PROTOCOL "Wrap + windowsize": a 16-block window sent after ACK 65530 crosses the wrap.
  for (const Rollover rollover : {Rollover::kToZero, Rollover::kToOne}) {
    for (std::uint64_t i = 65531; i <= 65546; ++i) {
      EXPECT_EQ(FromWire(ToWire(I(i), rollover), I(65530), rollover), I(i)) << i;
    }
  }
}

TEST(BlockNumber, IndexesBeyondFourGibiblocks) {
  const std::uint64_t far = (5ull << 32) + 12345;
  for (const Rollover rollover : {Rollover::kToZero, Rollover::kToOne}) {
    for (std::uint64_t i = far - 8; i <= far + 8; ++i) {
      EXPECT_EQ(FromWire(ToWire(I(i), rollover), I(far), rollover), I(i)) << i;
    }
  }
  EXPECT_EQ(ToWire(I(5ull << 32), Rollover::kToZero), 0);
}

TEST(BlockNumber, ReferenceAtTheTopOfTheRangeDoesNotOverflow) {
  const BlockIndex top = I(UINT64_MAX);
  const BlockIndex result = FromWire(ToWire(top, Rollover::kToZero), top, Rollover::kToZero);
  EXPECT_EQ(result, top);
  EXPECT_LE(FromWire(1, top, Rollover::kToZero).value, UINT64_MAX);
  EXPECT_GE(FromWire(1, top, Rollover::kToOne).value, UINT64_MAX - 65535);
}

RC_GTEST_PROP(BlockNumberProperty, RoundTripNearTheReference, ()) {
  const auto rollover = *rc::gen::element(Rollover::kToZero, Rollover::kToOne);
  const auto index = *rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(1, 300000),
                                     rc::gen::inRange<std::uint64_t>(1, 1ull << 40));
  // Closer than half a period (65535 for wrap-to-one) the nearest candidate is `index` itself.
  const auto offset = *rc::gen::inRange<std::int64_t>(-32766, 32767);
  const auto reference = offset < 0 && static_cast<std::uint64_t>(-offset) > index
                             ? 0
                             : index + static_cast<std::uint64_t>(offset);
  RC_ASSERT(FromWire(ToWire(I(index), rollover), I(reference), rollover) == I(index));
}

}  // namespace
}  // namespace stampede::wire
