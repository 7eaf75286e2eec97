// UploadManager and UploadFile against real directories: atomic replacement, abort and vanished
// clients, the size cap, a full file system (a 64 KiB tmpfs), the F54 policy, one writer per
// target. PROTOCOL C25, F54-F58.
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/path_resolver.h"
#include "server/temp_dir.h"
#include "server/upload_manager.h"

namespace stampede::server {
namespace {

using testing::ReadFile;
using testing::TempDir;
using transfer::StorageError;
using wire::ErrorCode;

std::span<const std::byte> Bytes(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// Names in `dir` that look like upload temporaries.
std::vector<std::string> Temporaries(const std::string& dir) {
  std::vector<std::string> found;
  if (DIR* listing = ::opendir(dir.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      if (IsTemporaryUploadName(entry->d_name)) found.emplace_back(entry->d_name);
    }
    ::closedir(listing);
  }
  return found;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class UploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.Write("root/old", "old content");
    tmp_.MakeDir("root/sub");
    tmp_.Symlink("sub", "root/alias");
  }

  std::string Root() const { return tmp_ / "root"; }

  PathResolver Resolver(const std::string& root) const {
    auto resolver = PathResolver::Open(root, {});
    EXPECT_TRUE(resolver.has_value());
    return std::move(*resolver);
  }

  tl::expected<std::unique_ptr<UploadFile>, Refusal> Begin(UploadManager& manager,
                                                           std::string_view name) const {
    auto target = Resolver(Root()).ResolveWrite(name);
    EXPECT_TRUE(target.has_value()) << name;
    return manager.Begin(std::move(*target));
  }

  // Writes `content` in 512-byte blocks, then commits; the first failure is returned.
  static tl::expected<void, StorageError> WriteAll(UploadFile& upload, const std::string& content) {
    for (std::size_t offset = 0; offset < content.size(); offset += 512) {
      const std::string block = content.substr(offset, 512);
      auto wrote = upload.WriteAt(offset, Bytes(block));
      if (!wrote) return wrote;
    }
    return upload.Commit(content.size());
  }

  static UploadPolicy CreatePolicy() {
    UploadPolicy policy;
    policy.create = true;
    return policy;
  }

  TempDir tmp_;
};

TEST_F(UploadTest, CommitReplacesTheTargetAtomically) {
  UploadManager manager(CreatePolicy());
  auto upload = Begin(manager, "old");
  ASSERT_TRUE(upload.has_value()) << upload.error().reason;
  EXPECT_EQ(manager.in_progress(), 1u);
  const std::string content(1500, 'n');
  ASSERT_TRUE((*upload)->WriteAt(0, Bytes(content.substr(0, 512))).has_value());
  // Mid-upload the target is untouched and the temporary sits beside it.
  EXPECT_EQ(ReadFile(Root() + "/old"), "old content");
  EXPECT_EQ(Temporaries(Root()), std::vector<std::string>{(*upload)->temporary_name()});
  EXPECT_EQ(ModeOf(Root() + "/" + (*upload)->temporary_name()), 0600u);
  ASSERT_TRUE((*upload)->WriteAt(512, Bytes(content.substr(512))).has_value());
  ASSERT_TRUE((*upload)->Commit(content.size()).has_value());
  EXPECT_TRUE((*upload)->committed());
  EXPECT_EQ(ReadFile(Root() + "/old"), content);
  EXPECT_TRUE(Temporaries(Root()).empty());
  EXPECT_EQ(manager.in_progress(), 0u);
}

TEST_F(UploadTest, NewFilesGetCreateModeMinusUmaskAndExistingKeepTheirMode) {
  UploadPolicy policy = CreatePolicy();
  policy.umask = 027;
  UploadManager manager(policy);
  auto created = Begin(manager, "sub/new.bin");
  ASSERT_TRUE(created.has_value());
  ASSERT_TRUE(WriteAll(**created, "fresh").has_value());
  EXPECT_EQ(ReadFile(Root() + "/sub/new.bin"), "fresh");
  EXPECT_EQ(ModeOf(Root() + "/sub/new.bin"), 0640u);

  ASSERT_EQ(::chmod((Root() + "/old").c_str(), 0604), 0);
  auto replaced = Begin(manager, "old");
  ASSERT_TRUE(replaced.has_value());
  ASSERT_TRUE(WriteAll(**replaced, "x").has_value());
  EXPECT_EQ(ModeOf(Root() + "/old"), 0604u);
}

TEST_F(UploadTest, F55AbortLeavesTheOldTargetByteIdentical) {
  UploadManager manager(CreatePolicy());
  auto upload = Begin(manager, "old");
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE((*upload)->WriteAt(0, Bytes(std::string(51200, 'z'))).has_value());
  (*upload)->Abort();
  (*upload)->Abort();  // idempotent
  EXPECT_EQ(ReadFile(Root() + "/old"), "old content");
  EXPECT_TRUE(Temporaries(Root()).empty());
  EXPECT_EQ(manager.in_progress(), 0u);
}

TEST_F(UploadTest, F55VanishedClientDestroyingTheWriterRemovesTheTemporary) {
  UploadManager manager(CreatePolicy());
  {
    auto upload = Begin(manager, "old");
    ASSERT_TRUE(upload.has_value());
    ASSERT_TRUE((*upload)->WriteAt(0, Bytes("partial")).has_value());
  }
  EXPECT_EQ(ReadFile(Root() + "/old"), "old content");
  EXPECT_TRUE(Temporaries(Root()).empty());
  EXPECT_EQ(manager.in_progress(), 0u);
}

TEST_F(UploadTest, F57ZeroByteUploadTruncatesOnlyAtCommit) {
  UploadManager manager(CreatePolicy());
  auto upload = Begin(manager, "old");
  ASSERT_TRUE(upload.has_value());
  EXPECT_EQ(ReadFile(Root() + "/old"), "old content");
  ASSERT_TRUE((*upload)->Commit(0).has_value());
  EXPECT_EQ(ReadFile(Root() + "/old"), "");
}

TEST_F(UploadTest, F56SizeCapFailsWithError3AndRemovesTheTemporary) {
  UploadPolicy policy = CreatePolicy();
  policy.size_max_bytes = 1000;
  UploadManager manager(policy);
  auto upload = Begin(manager, "old");
  ASSERT_TRUE(upload.has_value());
  auto status = WriteAll(**upload, std::string(1024, 'a'));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error(), StorageError::kSizeCapExceeded);
  EXPECT_EQ(transfer::ToWireError(status.error()), ErrorCode::kDiskFull);
  EXPECT_TRUE(Temporaries(Root()).empty());  // removed at the failing write, not later
  EXPECT_EQ(manager.in_progress(), 0u);
  EXPECT_EQ(ReadFile(Root() + "/old"), "old content");
  EXPECT_EQ((*upload)->WriteAt(0, Bytes("a")).error(), StorageError::kSizeCapExceeded);
  EXPECT_EQ((*upload)->Commit(1).error(), StorageError::kSizeCapExceeded);
  EXPECT_FALSE((*upload)->error_detail().empty());
}

TEST_F(UploadTest, C25DeclaredSizeAboveCapOrFreeSpaceIsError3BeforeAnyData) {
  UploadPolicy policy = CreatePolicy();
  policy.size_max_bytes = 1000;
  UploadManager manager(policy);
  auto upload = Begin(manager, "old");
  ASSERT_TRUE(upload.has_value());
  EXPECT_TRUE((*upload)->CheckDeclaredSize(1000).has_value());
  EXPECT_EQ((*upload)->CheckDeclaredSize(1001).error(), StorageError::kSizeCapExceeded);
  UploadManager uncapped(CreatePolicy());
  auto big = Begin(uncapped, "sub/big");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ((*big)->CheckDeclaredSize(std::uint64_t{1} << 62).error(), StorageError::kDiskFull);
}

TEST_F(UploadTest, F56DiskFullOnASmallTmpfsIsError3AndLeavesNoTrace) {
  const std::string mount_point = Root() + "/full";
  tmp_.MakeDir("root/full");
  if (::mount("stampede-test", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << ")";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  tmp_.Write("root/full/target", "old content");
  UploadManager manager(CreatePolicy());
  auto target = Resolver(Root()).ResolveWrite("full/target");
  ASSERT_TRUE(target.has_value());
  auto upload = manager.Begin(std::move(*target));
  ASSERT_TRUE(upload.has_value()) << upload.error().reason;
  auto status = WriteAll(**upload, std::string(256 * 1024, 'f'));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error(), StorageError::kDiskFull);
  EXPECT_EQ(transfer::ToWireError(status.error()), ErrorCode::kDiskFull);
  EXPECT_EQ(ReadFile(mount_point + "/target"), "old content");
  EXPECT_TRUE(Temporaries(mount_point).empty());
  EXPECT_EQ(manager.in_progress(), 0u);
}

TEST_F(UploadTest, F54ExistingFileWithOverwriteDisabledIsError6) {
  UploadPolicy policy = CreatePolicy();
  policy.overwrite = false;
  UploadManager manager(policy);
  auto refused = Begin(manager, "old");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kFileExists);
  EXPECT_EQ(refused.error().kind, RefusalKind::kFileExists);
  EXPECT_TRUE(Temporaries(Root()).empty());
}

TEST_F(UploadTest, F54MissingFileWithoutCreateIsError1) {
  UploadManager manager(UploadPolicy{});
  auto refused = Begin(manager, "missing");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kFileNotFound);
  // Existing files may still be replaced without --create (tftpd-hpa).
  auto existing = Begin(manager, "old");
  ASSERT_TRUE(existing.has_value());
}

TEST_F(UploadTest, F54NotWorldWritableUnderClassicRulesIsError2) {
  UploadPolicy policy = CreatePolicy();
  policy.require_world_writable = true;
  UploadManager manager(policy);
  ASSERT_EQ(::chmod((Root() + "/old").c_str(), 0644), 0);
  auto refused = Begin(manager, "old");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kAccessViolation);
  ASSERT_EQ(::chmod((Root() + "/old").c_str(), 0666), 0);
  EXPECT_TRUE(Begin(manager, "old").has_value());
}

TEST_F(UploadTest, F54TargetsThatAreNotRegularFilesAreError2) {
  tmp_.Symlink("old", "root/link");
  UploadManager manager(CreatePolicy());
  for (const char* name : {"sub", "link"}) {
    auto refused = Begin(manager, name);
    ASSERT_FALSE(refused.has_value()) << name;
    EXPECT_EQ(refused.error().code, ErrorCode::kAccessViolation) << name;
    EXPECT_EQ(refused.error().kind, RefusalKind::kNotRegularFile) << name;
  }
}

TEST_F(UploadTest, F58OneWriterPerTargetEvenUnderAnotherSpelling) {
  UploadManager manager(CreatePolicy());
  auto first = Begin(manager, "sub/x");
  ASSERT_TRUE(first.has_value());
  for (const char* name : {"sub/x", "./sub//x", "alias/x"}) {
    auto second = Begin(manager, name);
    ASSERT_FALSE(second.has_value()) << name;
    EXPECT_EQ(second.error().code, ErrorCode::kAccessViolation) << name;
    EXPECT_EQ(second.error().kind, RefusalKind::kUploadInProgress) << name;
  }
  auto other = Begin(manager, "sub/y");
  EXPECT_TRUE(other.has_value());
  ASSERT_TRUE(WriteAll(**first, "first").has_value());
  auto again = Begin(manager, "alias/x");
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE(WriteAll(**again, "second").has_value());
  EXPECT_EQ(ReadFile(Root() + "/sub/x"), "second");
}

TEST_F(UploadTest, InProgressCountIsBounded) {
  UploadPolicy policy = CreatePolicy();
  policy.in_progress_max = 1;
  UploadManager manager(policy);
  auto first = Begin(manager, "a");
  ASSERT_TRUE(first.has_value());
  auto second = Begin(manager, "b");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind, RefusalKind::kUploadInProgress);
}

TEST_F(UploadTest, NoReplaceCommitDoesNotClobberATargetCreatedMeanwhile) {
  UploadPolicy policy = CreatePolicy();
  policy.overwrite = false;
  UploadManager manager(policy);
  auto upload = Begin(manager, "racy");
  ASSERT_TRUE(upload.has_value());
  ASSERT_TRUE((*upload)->WriteAt(0, Bytes("ours")).has_value());
  tmp_.Write("root/racy", "theirs");
  auto status = (*upload)->Commit(4);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error(), StorageError::kAccessDenied);
  EXPECT_EQ(ReadFile(Root() + "/racy"), "theirs");
  EXPECT_TRUE(Temporaries(Root()).empty());
}

TEST(UploadNames, TemporaryNamesFitAndAreRecognised) {
  const std::string name = TemporaryUploadName("pxelinux.cfg", "Ab3xY9");
  EXPECT_EQ(name, ".pxelinux.cfg.stampede-upload.Ab3xY9");
  EXPECT_TRUE(IsTemporaryUploadName(name));
  const std::string longest = TemporaryUploadName(std::string(255, 'n'), "Ab3xY9");
  EXPECT_LE(longest.size(), 255u);
  EXPECT_TRUE(IsTemporaryUploadName(longest));
  for (const char* other : {"pxelinux.cfg.stampede-upload.Ab3xY9", ".x.stampede-upload.Ab3xY",
                            ".x.stampede-upload.Ab3xY9z", ".x.stampede-upload.Ab-xY9",
                            ".stampede-upload.Ab3xY9", ".x.stampede-upload"}) {
    EXPECT_FALSE(IsTemporaryUploadName(other)) << other;
  }
}

}  // namespace
}  // namespace stampede::server
