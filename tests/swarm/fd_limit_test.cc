// EnsureFileLimit: raises the soft limit when the hard limit allows, refuses clearly otherwise.
#include "swarm/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace stampede::swarm {
namespace {

TEST(FdLimitTest, RaisesSoftLimitOrExplainsHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no hard limit to test against";
  rlimit lowered = before;
  lowered.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);

  auto raised = EnsureFileLimit(before.rlim_max);
  ASSERT_TRUE(raised) << raised.error();
  EXPECT_EQ(*raised, before.rlim_max);

  auto refused = EnsureFileLimit(static_cast<std::uint64_t>(before.rlim_max) + 1);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("hard limit"), std::string::npos) << refused.error();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);
}

}  // namespace
}  // namespace stampede::swarm
