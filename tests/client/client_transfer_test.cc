// ClientTransfer against a scripted server on loopback: the client side of the hostile-input
// catalogue (PROTOCOL H65-H78), TID handling, and the retry without options.
#include "client/client_transfer.h"

#include <gtest/gtest.h>

#include "client/fake_server.h"
#include "transfer/block_sink.h"
#include "wire/escape.h"

namespace stampede::client {
namespace {

using namespace testing;  // NOLINT: the fake server's helpers
using wire::ErrorCode;

class ClientGetTest : public ::testing::Test {
 protected:
  // Starts a get of `path` and returns the RRQ the server saw.
  Datagram StartGet(const ClientConfig& config) {
    client_ = std::make_unique<ClientTransfer>(config, sink_);
    EXPECT_TRUE(client_->Start(io::Now()).has_value());
    auto rrq = Await(*client_, listen_);
    EXPECT_TRUE(rrq.has_value());
    return rrq.value_or(Datagram{});
  }
  ClientConfig Config(std::string path = "boot.img") {
    return QuickConfig(listen_.local_address(), std::move(path));
  }

  io::UdpSocket listen_ = OpenLoopback();  // the "port 69" of the server
  io::UdpSocket tid_ = OpenLoopback();     // the server's transfer port
  transfer::MemoryBlockSink sink_;
  std::unique_ptr<ClientTransfer> client_;
};

TEST_F(ClientGetTest, RequestCarriesDefaultOptions) {
  const auto rrq = StartGet(Config());
  const auto packet = rrq.Parsed();
  const auto* request = AsRequest(packet);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->filename, "boot.img");
  ASSERT_NE(request->options.Find("blksize"), nullptr);
  EXPECT_EQ(request->options.Find("blksize")->value, "1468");
  ASSERT_NE(request->options.Find("tsize"), nullptr);
  EXPECT_EQ(request->options.Find("tsize")->value, "0");
  EXPECT_EQ(request->options.Find("windowsize"), nullptr);
}

TEST_F(ClientGetTest, H65OackBlksizeAboveRequestIsRefusedWithError8) {
  auto config = Config();
  config.blksize = 1024;
  const auto rrq = StartGet(config);
  SendTo(tid_, Oack({{"blksize", "1468"}}), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kOptionRefused);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kProtocol);
}

TEST_F(ClientGetTest, H66UnrequestedOptionIsRefusedWithError8) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Oack({{"blksize", "1468"}, {"windowsize", "16"}}), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kOptionRefused);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kProtocol);
}

TEST_F(ClientGetTest, H67OackWithoutBlksizeMeans512) {
  auto config = Config();
  config.blksize = 256;
  const auto rrq = StartGet(config);
  SendTo(tid_, Oack({{"tsize", "600"}}), rrq.from);
  auto ack0 = Await(*client_, tid_);
  ASSERT_TRUE(ack0 && IsAck(*ack0, 0));
  SendTo(tid_, Data(1, 512), rrq.from);
  auto ack1 = Await(*client_, tid_);
  ASSERT_TRUE(ack1 && IsAck(*ack1, 1));
  SendTo(tid_, Data(2, 88), rrq.from);
  auto ack2 = Await(*client_, tid_);
  ASSERT_TRUE(ack2 && IsAck(*ack2, 2));
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(result.options.blksize, 512);
  EXPECT_EQ(sink_.bytes().size(), 600u);
}

TEST_F(ClientGetTest, H68NegativeTsizeIsRefused) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Oack({{"tsize", "-5"}}), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kOptionRefused);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kProtocol);
}

TEST_F(ClientGetTest, H68TsizeAboveMaximumIsError3) {
  auto config = Config();
  config.size_max_bytes = 1000;
  const auto rrq = StartGet(config);
  SendTo(tid_, Oack({{"tsize", "5000"}}), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kDiskFull);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kIntegrity);
}

TEST_F(ClientGetTest, H69MalformedRequestedOptionIsRefused) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Oack({{"blksize", "abc"}}), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kOptionRefused);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kProtocol);
}

TEST_F(ClientGetTest, H69OackCutInsideARequestedOptionIsRefusedWithError8) {
  const auto rrq = StartGet(Config());
  // "tsize 5" is complete; the requested "blksize" lost its value's end. The server may well use
  // the 1468 it meant to send; our default 512 would disagree, so the OACK is refused.
  static constexpr char kRaw[] =
      "\0\6tsize\0"
      "5\0blksize\0"
      "1468";
  const std::string raw(kRaw, sizeof(kRaw) - 1);  // without the literal's own NUL
  SendTo(tid_, std::as_bytes(std::span(raw)), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kOptionRefused);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kProtocol);
}

TEST_F(ClientGetTest, H69OackWithTrailingJunkKeepsTheCompletePairs) {
  const auto rrq = StartGet(Config());
  // IBM Tivoli style: junk after the complete pairs that names nothing we asked for.
  static constexpr char kRaw[] =
      "\0\6tsize\0"
      "5\0\xff\xfe";
  const std::string raw(kRaw, sizeof(kRaw) - 1);
  SendTo(tid_, std::as_bytes(std::span(raw)), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  ASSERT_TRUE(IsAck(*reply, 0));
  SendTo(tid_, Data(1, 5), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kOk);
  EXPECT_EQ(client_->result().options.tsize, 5u);
  EXPECT_EQ(client_->result().options.blksize, 512);
}

TEST_F(ClientGetTest, H70Data0AndBeyondWindowAreIgnored) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Data(0, 512), rrq.from);
  SendTo(tid_, Data(3, 100), rrq.from);
  SendTo(tid_, Data(1, 100, 0x11), rrq.from);
  const auto ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 1));
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kOk);
  EXPECT_GE(result.stats.out_of_window_data, 1u);
  ASSERT_EQ(sink_.bytes().size(), 100u);
  EXPECT_EQ(sink_.bytes()[0], std::byte{0x11});
}

TEST_F(ClientGetTest, H71OversizeDataIsDiscardedAndServerIgnoringOptionsGets512) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Data(1, 1468), rrq.from);  // options ignored: 512 is in force
  SendTo(tid_, Data(1, 512), rrq.from);
  auto ack1 = Await(*client_, tid_);
  ASSERT_TRUE(ack1 && IsAck(*ack1, 1));
  SendTo(tid_, Data(2, 0), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(result.options.blksize, 512);
  EXPECT_EQ(result.stats.oversize_data, 1u);
  EXPECT_EQ(sink_.bytes().size(), 512u);
}

TEST_F(ClientGetTest, H72MoreThanTsizeIsError3) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Oack({{"blksize", "512"}, {"tsize", "100"}}), rrq.from);
  ASSERT_TRUE(Await(*client_, tid_));
  SendTo(tid_, Data(1, 512), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kDiskFull);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kIntegrity);
}

TEST_F(ClientGetTest, H72MoreThanMaximumIsError3) {
  auto config = Config();
  config.send_options = false;
  config.size_max_bytes = 600;
  const auto rrq = StartGet(config);
  SendTo(tid_, Data(1, 512), rrq.from);
  ASSERT_TRUE(Await(*client_, tid_));
  SendTo(tid_, Data(2, 512), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kDiskFull);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kIntegrity);
}

TEST_F(ClientGetTest, LessThanTsizeIsAnIntegrityFailure) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Oack({{"tsize", "1000"}}), rrq.from);
  ASSERT_TRUE(Await(*client_, tid_));
  SendTo(tid_, Data(1, 100), rrq.from);
  const auto reply = Await(*client_, tid_);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kNotDefined);  // instead of the final ACK
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kIntegrity);
  EXPECT_NE(result.detail.find("received 100 bytes, the server announced tsize 1000"),
            std::string::npos);
  EXPECT_FALSE(sink_.committed());
}

TEST_F(ClientGetTest, H73PacketFromAnotherPortIsIgnoredAndAnsweredWithError5) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Data(1, 512), rrq.from);
  ASSERT_TRUE(Await(*client_, tid_));
  io::UdpSocket intruder = OpenLoopback();
  SendTo(intruder, Data(2, 10), rrq.from);
  const auto reply = Await(*client_, intruder);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kUnknownTransferId);
  SendTo(tid_, Data(2, 20), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(sink_.bytes().size(), 532u);
  EXPECT_EQ(result.strays_ignored, 1u);
}

TEST_F(ClientGetTest, StrayRepliesAreRateLimited) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Data(1, 512), rrq.from);
  ASSERT_TRUE(Await(*client_, tid_));
  io::UdpSocket intruder = OpenLoopback();
  for (int i = 0; i < 25; ++i) SendTo(intruder, Data(2, 10), rrq.from);
  int replies = 0;
  while (Await(*client_, intruder, 100ms)) ++replies;
  EXPECT_EQ(replies, 10);  // ClientConfig::stray_replies_per_second
  EXPECT_EQ(client_->result().strays_ignored, 25u);
  EXPECT_FALSE(client_->finished());
}

TEST_F(ClientGetTest, H74SecondTidGetsError5AndFirstContinues) {
  const auto rrq = StartGet(Config());
  io::UdpSocket second = OpenLoopback();
  SendTo(tid_, Data(1, 512, 0x01), rrq.from);
  ASSERT_TRUE(Await(*client_, tid_));
  SendTo(second, Data(1, 512, 0x02), rrq.from);
  const auto reply = Await(*client_, second);
  ASSERT_TRUE(reply);
  EXPECT_EQ(ErrorCodeOf(*reply), ErrorCode::kUnknownTransferId);
  SendTo(tid_, Data(2, 1, 0x01), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kOk);
  ASSERT_EQ(sink_.bytes().size(), 513u);
  EXPECT_EQ(sink_.bytes()[0], std::byte{0x01});
}

TEST_F(ClientGetTest, H75ReplyFromTheRequestPortIsAccepted) {
  const auto rrq = StartGet(Config());
  SendTo(listen_, Data(1, 7), rrq.from);
  const auto ack = Await(*client_, listen_);
  ASSERT_TRUE(ack && IsAck(*ack, 1));
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kOk);
  EXPECT_EQ(client_->result().peer, listen_.local_address());
}

TEST_F(ClientGetTest, H76ServerErrorMessageIsKeptAndEscapable) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Error(ErrorCode::kFileNotFound, "no\x1b[31m such\r\nfile"), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kServerError);
  EXPECT_EQ(result.error.code, ErrorCode::kFileNotFound);
  EXPECT_EQ(wire::EscapeBytes(result.error.message()), "no\\x1b[31m such\\x0d\\x0afile");
  EXPECT_FALSE(result.retried_without_options);  // code 1 is about the file, not the options
}

TEST_F(ClientGetTest, H77RepeatedFinalDataIsAckedAgain) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Data(1, 10), rrq.from);
  auto ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 1));
  EXPECT_TRUE(client_->succeeded());
  SendTo(tid_, Data(1, 10), rrq.from);  // our final ACK was "lost"
  ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 1));
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kOk);
  EXPECT_EQ(sink_.writes(), 1u);
}

TEST_F(ClientGetTest, H78OverlongRequestIsRefusedLocally) {
  client_ = std::make_unique<ClientTransfer>(Config(std::string(600, 'a')), sink_);
  ASSERT_TRUE(client_->Start(io::Now()).has_value());
  EXPECT_FALSE(Await(*client_, listen_, 200ms).has_value());
  EXPECT_TRUE(client_->finished());
  EXPECT_EQ(client_->result().outcome, Outcome::kRequestTooLong);
}

TEST_F(ClientGetTest, OptionRefusalGetsOneRetryWithoutOptions) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Error(ErrorCode::kOptionRefused, "no options here"), rrq.from);
  const auto retry = Await(*client_, listen_);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->from, rrq.from);  // same local port
  const auto packet = retry->Parsed();
  const auto* request = AsRequest(packet);
  ASSERT_NE(request, nullptr);
  EXPECT_TRUE(request->options.empty());
  // A repeat of the refusal from the old TID must not end the new attempt.
  SendTo(tid_, Error(ErrorCode::kOptionRefused, "no options here"), rrq.from);
  io::UdpSocket tid2 = OpenLoopback();
  SendTo(tid2, Data(1, 3), rrq.from);
  const auto ack = Await(*client_, tid2);
  ASSERT_TRUE(ack && IsAck(*ack, 1));
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kOk);
  EXPECT_TRUE(result.retried_without_options);
}

TEST_F(ClientGetTest, SinglePortServerServesTheRetryFromTheSamePort) {
  const auto rrq = StartGet(Config());
  SendTo(listen_, Error(ErrorCode::kOptionRefused, "no"), rrq.from);
  ASSERT_TRUE(Await(*client_, listen_));  // the request without options
  SendTo(listen_, Data(1, 5), rrq.from);
  const auto ack = Await(*client_, listen_);
  ASSERT_TRUE(ack && IsAck(*ack, 1));
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kOk);
  EXPECT_TRUE(client_->result().retried_without_options);
}

TEST_F(ClientGetTest, SecondRefusalIsFinal) {
  const auto rrq = StartGet(Config());
  SendTo(tid_, Error(ErrorCode::kIllegalOperation, "what?"), rrq.from);
  ASSERT_TRUE(Await(*client_, listen_));
  io::UdpSocket tid2 = OpenLoopback();
  SendTo(tid2, Error(ErrorCode::kIllegalOperation, "still no"), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kServerError);
  EXPECT_EQ(result.error.message(), "still no");
}

TEST_F(ClientGetTest, NoRetryWhenDisabled) {
  auto config = Config();
  config.retry_without_options = false;
  const auto rrq = StartGet(config);
  SendTo(tid_, Error(ErrorCode::kOptionRefused, "no"), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kServerError);
}

TEST_F(ClientGetTest, SilentServerTimesOut) {
  auto config = Config();
  config.retransmit.retries_max = 1;
  client_ = std::make_unique<ClientTransfer>(config, sink_);
  ASSERT_TRUE(client_->Start(io::Now()).has_value());
  ASSERT_TRUE(RunToEnd(*client_, 5s));
  EXPECT_EQ(client_->result().outcome, Outcome::kTimeout);
}

TEST_F(ClientGetTest, WindowedTransferWithOack) {
  auto config = Config();
  config.blksize = 512;
  config.windowsize = 4;
  const auto rrq = StartGet(config);
  SendTo(tid_, Oack({{"blksize", "512"}, {"windowsize", "4"}, {"tsize", "2148"}}), rrq.from);
  auto ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 0));
  for (std::uint16_t b = 1; b <= 4; ++b) SendTo(tid_, Data(b, 512), rrq.from);
  ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 4));
  SendTo(tid_, Data(5, 100), rrq.from);
  ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 5));
  ASSERT_TRUE(RunToEnd(*client_));
  EXPECT_EQ(client_->result().outcome, Outcome::kOk);
  EXPECT_EQ(sink_.bytes().size(), 2148u);
}

// A window is read with one recvmmsg: a whole window queued at once, with an oversize DATA (H71)
// and a stray's DATA (H73) among it, is taken apart datagram by datagram just as one recvmsg at a
// time.
TEST_F(ClientGetTest, QueuedWindowWithOversizeAndStrayIsReadInOneBatch) {
  auto config = Config();
  config.blksize = 512;
  config.windowsize = 4;
  const auto rrq = StartGet(config);
  SendTo(tid_, Oack({{"blksize", "512"}, {"windowsize", "4"}}), rrq.from);
  auto ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 0));
  io::UdpSocket stray = OpenLoopback();
  SendTo(tid_, Data(1, 512), rrq.from);
  // One byte too long: cut to 517 bytes by its slot, still oversize.
  SendTo(tid_, Data(2, 513), rrq.from);
  SendTo(stray, Data(2, 512, 0x66), rrq.from);
  SendTo(tid_, Data(2, 60000), rrq.from);  // far too long: truncated in its slot, dropped
  for (std::uint16_t b = 2; b <= 4; ++b) SendTo(tid_, Data(b, 512), rrq.from);
  ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 4));
  SendTo(tid_, Data(5, 0), rrq.from);
  ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 5));
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kOk);
  EXPECT_EQ(result.stats.oversize_data, 2u);
  EXPECT_EQ(result.strays_ignored, 1u);
  ASSERT_EQ(sink_.bytes().size(), 4u * 512);
  EXPECT_NE(sink_.bytes()[512], std::byte{0x66});
}

// With a tiny blksize the batch slots stay large enough for a server's ERROR with a long message.
TEST_F(ClientGetTest, LongErrorDuringSmallBlockWindowIsReadWhole) {
  auto config = Config();
  config.blksize = 8;
  config.windowsize = 4;
  const auto rrq = StartGet(config);
  SendTo(tid_, Oack({{"blksize", "8"}, {"windowsize", "4"}}), rrq.from);
  auto ack = Await(*client_, tid_);
  ASSERT_TRUE(ack && IsAck(*ack, 0));
  SendTo(tid_, Data(1, 8), rrq.from);
  const std::string message(400, 'm');
  SendTo(tid_, Error(ErrorCode::kDiskFull, message), rrq.from);
  ASSERT_TRUE(RunToEnd(*client_));
  const auto result = client_->result();
  EXPECT_EQ(result.outcome, Outcome::kServerError);
  EXPECT_EQ(result.error.code, ErrorCode::kDiskFull);
  EXPECT_EQ(result.error.message(), message.substr(0, transfer::TransferError::kMessageMaxBytes));
}

}  // namespace
}  // namespace stampede::client
