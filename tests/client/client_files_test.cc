// The client's file side: AtomicFileSink never leaves a partial target or a temporary behind, a
// download through ClientTransfer commits by rename, and a put through FileSource.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_transfer.h"
#include "client/fake_server.h"
#include "client/file_sink.h"

namespace stampede::client {
namespace {

using namespace testing;  // NOLINT: the fake server's helpers
using wire::ErrorCode;

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "stampede-client-XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    for (const auto& name : Entries()) unlink((path_ + "/" + name).c_str());
    rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> Entries() const {
    std::vector<std::string> names;
    if (DIR* dir = opendir(path_.c_str())) {
      while (const dirent* e = readdir(dir)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
      }
      closedir(dir);
    }
    return names;
  }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::span<const std::byte> Bytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

TEST(AtomicFileSinkTest, CommitRenamesIntoPlaceWithUmaskMode) {
  TempDir dir;
  auto sink = AtomicFileSink::Create(dir.File("out.bin"));
  ASSERT_TRUE(sink.has_value());
  EXPECT_EQ(dir.Entries().size(), 1u);  // only the temporary
  struct stat st {};
  ASSERT_EQ(stat(sink->temporary_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(sink->WriteAt(0, Bytes("hello ")).has_value());
  ASSERT_TRUE(sink->WriteAt(6, Bytes("world")).has_value());
  ASSERT_TRUE(sink->Commit(11).has_value());
  EXPECT_EQ(ReadAll(dir.File("out.bin")), "hello world");
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"out.bin"});
  const mode_t mask = umask(0);
  umask(mask);
  ASSERT_EQ(stat(dir.File("out.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u & ~mask);
}

TEST(AtomicFileSinkTest, DestroyedBeforeCommitLeavesTargetUntouched) {
  TempDir dir;
  WriteAll(dir.File("keep.txt"), "old contents");
  {
    auto sink = AtomicFileSink::Create(dir.File("keep.txt"));
    ASSERT_TRUE(sink.has_value());
    ASSERT_TRUE(sink->WriteAt(0, Bytes("new partial")).has_value());
  }
  EXPECT_EQ(ReadAll(dir.File("keep.txt")), "old contents");
  EXPECT_EQ(dir.Entries(), std::vector<std::string>{"keep.txt"});
}

TEST(AtomicFileSinkTest, MissingDirectoryIsAnError) {
  TempDir dir;
  EXPECT_FALSE(AtomicFileSink::Create(dir.File("no/such/dir/file")).has_value());
}

class ClientFileTest : public ::testing::Test {
 protected:
  io::UdpSocket listen_ = OpenLoopback();
  io::UdpSocket tid_ = OpenLoopback();
  TempDir dir_;
};

TEST_F(ClientFileTest, FailedDownloadLeavesNoPartialFile) {
  WriteAll(dir_.File("image"), "previous image");
  {
    auto sink = AtomicFileSink::Create(dir_.File("image"));
    ASSERT_TRUE(sink.has_value());
    ClientTransfer client(QuickConfig(listen_.local_address(), "image"), *sink);
    ASSERT_TRUE(client.Start(io::Now()).has_value());
    const auto rrq = Await(client, listen_);
    ASSERT_TRUE(rrq);
    SendTo(tid_, Data(1, 512), rrq->from);
    ASSERT_TRUE(Await(client, tid_));
    SendTo(tid_, Error(ErrorCode::kNotDefined, "server crashed"), rrq->from);
    ASSERT_TRUE(RunToEnd(client));
    EXPECT_EQ(client.result().outcome, Outcome::kServerError);
  }
  EXPECT_EQ(ReadAll(dir_.File("image")), "previous image");
  EXPECT_EQ(dir_.Entries(), std::vector<std::string>{"image"});
}

TEST_F(ClientFileTest, ShortFileAgainstTsizeLeavesNoFile) {
  {
    auto sink = AtomicFileSink::Create(dir_.File("short"));
    ASSERT_TRUE(sink.has_value());
    ClientTransfer client(QuickConfig(listen_.local_address(), "short"), *sink);
    ASSERT_TRUE(client.Start(io::Now()).has_value());
    const auto rrq = Await(client, listen_);
    ASSERT_TRUE(rrq);
    SendTo(tid_, Oack({{"tsize", "4096"}}), rrq->from);
    ASSERT_TRUE(Await(client, tid_));
    SendTo(tid_, Data(1, 10), rrq->from);
    ASSERT_TRUE(RunToEnd(client));
    EXPECT_EQ(client.result().outcome, Outcome::kIntegrity);
  }
  EXPECT_TRUE(dir_.Entries().empty());
}

TEST_F(ClientFileTest, SuccessfulDownloadIsRenamedIntoPlace) {
  {
    auto sink = AtomicFileSink::Create(dir_.File("ok"));
    ASSERT_TRUE(sink.has_value());
    ClientTransfer client(QuickConfig(listen_.local_address(), "ok"), *sink);
    ASSERT_TRUE(client.Start(io::Now()).has_value());
    const auto rrq = Await(client, listen_);
    ASSERT_TRUE(rrq);
    SendTo(tid_, Oack({{"blksize", "512"}, {"tsize", "700"}}), rrq->from);
    ASSERT_TRUE(Await(client, tid_));
    SendTo(tid_, Data(1, 512, 'a'), rrq->from);
    ASSERT_TRUE(Await(client, tid_));
    SendTo(tid_, Data(2, 188, 'b'), rrq->from);
    ASSERT_TRUE(RunToEnd(client));
    EXPECT_EQ(client.result().outcome, Outcome::kOk);
  }
  EXPECT_EQ(ReadAll(dir_.File("ok")), std::string(512, 'a') + std::string(188, 'b'));
  EXPECT_EQ(dir_.Entries(), std::vector<std::string>{"ok"});
}

TEST_F(ClientFileTest, PutSendsTheFileWithTsize) {
  const std::string content = std::string(512, 'x') + "tail";
  WriteAll(dir_.File("up"), content);
  auto source = FileSource::Open(dir_.File("up"));
  ASSERT_TRUE(source.has_value());
  auto config = QuickConfig(listen_.local_address(), "remote/up");
  config.direction = Direction::kPut;
  config.blksize = 512;
  config.upload_size_bytes = source->size_bytes();
  ClientTransfer client(config, *source);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto wrq = Await(client, listen_);
  ASSERT_TRUE(wrq);
  const auto packet = wrq->Parsed();
  const auto* request = AsRequest(packet);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->opcode, wire::Opcode::kWrq);
  ASSERT_NE(request->options.Find("tsize"), nullptr);
  EXPECT_EQ(request->options.Find("tsize")->value, "516");
  SendTo(tid_, Oack({{"blksize", "512"}, {"tsize", "516"}}), wrq->from);
  std::string received;
  for (std::uint16_t block = 1; block <= 2; ++block) {
    const auto data = Await(client, tid_);
    ASSERT_TRUE(data);
    const auto p = data->Parsed();
    ASSERT_TRUE(std::holds_alternative<wire::Data>(p));
    const auto& d = std::get<wire::Data>(p);
    ASSERT_EQ(d.block, block);
    received.append(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
    SendTo(tid_, Ack(block), wrq->from);
  }
  ASSERT_TRUE(RunToEnd(client));
  EXPECT_EQ(client.result().outcome, Outcome::kOk);
  EXPECT_EQ(received, content);
}

TEST_F(ClientFileTest, PutRefusedByServerIsServerError) {
  WriteAll(dir_.File("up"), "data");
  auto source = FileSource::Open(dir_.File("up"));
  ASSERT_TRUE(source.has_value());
  auto config = QuickConfig(listen_.local_address(), "up");
  config.direction = Direction::kPut;
  ClientTransfer client(config, *source);
  ASSERT_TRUE(client.Start(io::Now()).has_value());
  const auto wrq = Await(client, listen_);
  ASSERT_TRUE(wrq);
  SendTo(tid_, Error(ErrorCode::kAccessViolation, "read-only"), wrq->from);
  ASSERT_TRUE(RunToEnd(client));
  EXPECT_EQ(client.result().outcome, Outcome::kServerError);
  EXPECT_FALSE(client.result().retried_without_options);
}

// `put -`: a stream is spooled to a file without a name, read back block by block (retransmission
// re-reads), sized for tsize, and leaves nothing in the spool directory.
TEST(FileSourceTest, SpoolsAStreamToAnUnnamedFile) {
  TempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::string content;
  for (int i = 0; i < 1000; ++i) content += std::to_string(i) + ",";  // < the 64 KiB pipe buffer
  ASSERT_EQ(write(pipe_fds[1], content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
  close(pipe_fds[1]);
  auto source = FileSource::Spool(pipe_fds[0], dir.path());
  close(pipe_fds[0]);
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  EXPECT_EQ(source->size_bytes(), content.size());
  EXPECT_TRUE(dir.Entries().empty());
  std::string block(512, '\0');
  auto read = source->ReadAt(512, std::as_writable_bytes(std::span(block)));
  ASSERT_TRUE(read.has_value());
  ASSERT_EQ(*read, 512u);
  EXPECT_EQ(block, content.substr(512, 512));
  read = source->ReadAt(512, std::as_writable_bytes(std::span(block)));  // again, as a resend
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(block, content.substr(512, 512));
}

TEST(FileSourceTest, SpoolIntoMissingDirectoryIsAnError) {
  EXPECT_FALSE(FileSource::Spool(STDIN_FILENO, "/nonexistent/spool").has_value());
}

TEST(FileSourceTest, RefusesDirectories) {
  TempDir dir;
  EXPECT_FALSE(FileSource::Open(dir.path()).has_value());
}

}  // namespace
}  // namespace stampede::client
