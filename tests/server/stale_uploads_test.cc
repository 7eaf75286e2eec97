// RemoveStaleUploads: temporaries of a killed server are removed at start-up, nothing else is,
// symlinks are not followed, and the walk is bounded.
#include "server/stale_uploads.h"

#include <fcntl.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "server/temp_dir.h"
#include "server/unique_fd.h"

namespace stampede::server {
namespace {

using testing::TempDir;

bool Exists(const std::string& path) {
  return std::filesystem::symlink_status(path).type() != std::filesystem::file_type::not_found;
}

class StaleUploadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.Write("root/.pxelinux.0.stampede-upload.Ab3xY9", "stale");
    tmp_.Write("root/a/b/.log.stampede-upload.zzzzzz", "stale");
    tmp_.Write("root/keep.txt", "keep");
    tmp_.Write("root/.x.stampede-upload.toolong", "keep");
    tmp_.Write("root/x.stampede-upload.Ab3xY9", "keep");
    tmp_.MakeDir("root/.dir.stampede-upload.Ab3xY9");
    tmp_.Write("outside/.o.stampede-upload.Ab3xY9", "outside");
    tmp_.Symlink(tmp_ / "outside", "root/out");
    tmp_.Symlink(tmp_ / "outside/.o.stampede-upload.Ab3xY9", "root/.l.stampede-upload.Ab3xY9");
    root_ = UniqueFd(::open((tmp_ / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }

  TempDir tmp_;
  UniqueFd root_;
};

TEST_F(StaleUploadsTest, RemovesOnlyOurTemporariesBeneathTheRoot) {
  auto report = RemoveStaleUploads(root_.get());
  ASSERT_TRUE(report.has_value()) << report.error();
  EXPECT_EQ(report->removed, 2u);
  EXPECT_FALSE(report->truncated);
  EXPECT_EQ(report->failures, 0u);
  EXPECT_FALSE(Exists(tmp_ / "root/.pxelinux.0.stampede-upload.Ab3xY9"));
  EXPECT_FALSE(Exists(tmp_ / "root/a/b/.log.stampede-upload.zzzzzz"));
  for (const char* kept : {"root/keep.txt", "root/.x.stampede-upload.toolong",
                           "root/x.stampede-upload.Ab3xY9", "root/.dir.stampede-upload.Ab3xY9",
                           "root/.l.stampede-upload.Ab3xY9", "outside/.o.stampede-upload.Ab3xY9"}) {
    EXPECT_TRUE(Exists(tmp_ / kept)) << kept;
  }
}

TEST_F(StaleUploadsTest, DepthBoundStopsTheWalk) {
  StaleSweepLimits limits;
  limits.depth_max = 1;
  auto report = RemoveStaleUploads(root_.get(), limits);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->truncated);
  EXPECT_TRUE(Exists(tmp_ / "root/a/b/.log.stampede-upload.zzzzzz"));
}

TEST_F(StaleUploadsTest, EntryBoundStopsTheWalk) {
  StaleSweepLimits limits;
  limits.entries_max = 2;
  auto report = RemoveStaleUploads(root_.get(), limits);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->truncated);
  EXPECT_LE(report->entries_seen, 3u);
}

TEST(StaleUploads, UnlistableRootIsAnEnvironmentError) {
  EXPECT_FALSE(RemoveStaleUploads(-1).has_value());
}

}  // namespace
}  // namespace stampede::server
