// Swarm statistics and formats: percentiles, Jain's index, the summary of per-client records and
// the JSON object the storm benchmark parses.
#include "swarm/swarm_report.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace stampede::swarm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ClientRecord Completed(Duration start, Duration finish, std::uint64_t bytes) {
  ClientRecord r;
  r.started = true;
  r.completed = true;
  r.start = start;
  r.finish = finish;
  r.elapsed = finish - start;
  r.bytes = bytes;
  r.files_done = 1;
  return r;
}

TEST(PercentileTest, NearestRank) {
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({7}, 99), 7);
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 50), 2);
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 100), 4);
  EXPECT_EQ(Percentile({4, 1, 3, 2}, 0), 1);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(Percentile(hundred, 99), 99);
  EXPECT_EQ(Percentile(hundred, 50), 50);
}

TEST(JainIndexTest, EqualIsOneAndOneHogIsOneOverN) {
  EXPECT_EQ(JainIndex({}), 0);
  EXPECT_EQ(JainIndex({0, 0}), 0);
  EXPECT_DOUBLE_EQ(JainIndex({5, 5, 5, 5}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex({8, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(JainIndex({1, 2}), 9.0 / 10.0);
}

TEST(SummarizeTest, CountsTimesAndFairness) {
  std::vector<ClientRecord> records;
  records.push_back(Completed(seconds(0), seconds(2), 1000));
  records.push_back(Completed(seconds(1), seconds(5), 1000));
  ClientRecord failed;
  failed.started = true;
  failed.start = seconds(1);
  failed.elapsed = seconds(3);
  failed.bytes = 300;
  failed.retransmits = 4;
  failed.timeouts = 2;
  failed.failure = "kernel: timeout";
  records.push_back(failed);
  ClientRecord never;  // cut off before it started
  never.failure = "not started: run duration reached";
  records.push_back(never);

  const SwarmReport r = Summarize(records, 3);
  EXPECT_EQ(r.clients, 4u);
  EXPECT_EQ(r.completed, 2u);
  EXPECT_EQ(r.failed, 2u);
  EXPECT_DOUBLE_EQ(r.makespan_s, 5.0);  // the last completion, from the run's start
  EXPECT_DOUBLE_EQ(r.p50_s, 2.0);       // completion times 2 s and 4 s
  EXPECT_DOUBLE_EQ(r.p99_s, 4.0);
  EXPECT_DOUBLE_EQ(r.max_s, 4.0);
  EXPECT_EQ(r.bytes, 2300u);
  EXPECT_EQ(r.retransmits, 4u);
  EXPECT_EQ(r.timeouts, 2u);
  EXPECT_EQ(r.peak_active, 3u);
  // Throughputs of the three started clients: 500, 250, 100 bytes/s.
  EXPECT_NEAR(r.jain, (850.0 * 850.0) / (3 * (500.0 * 500 + 250.0 * 250 + 100.0 * 100)), 1e-12);
  // Goodput counts only the completed clients' bytes: 2000 bytes in 5 s.
  EXPECT_NEAR(r.goodput_mbps, 2000.0 * 8 / 5 / 1e6, 1e-12);
  ASSERT_EQ(r.failure_samples.size(), 2u);
  EXPECT_EQ(r.failure_samples[0], "kernel: timeout");
}

TEST(SummarizeTest, NothingCompleted) {
  ClientRecord failed;
  failed.started = true;
  failed.failure = "x: server error 1";
  const SwarmReport r = Summarize({failed}, 1);
  EXPECT_EQ(r.completed, 0u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.makespan_s, 0);
  EXPECT_EQ(r.goodput_mbps, 0);
  EXPECT_EQ(r.jain, 0);
}

TEST(FormatJsonTest, HasTheIssueKeysAndEscapesNames) {
  const SwarmReport r = Summarize({Completed(seconds(0), milliseconds(1500), 4096)}, 1);
  RunDescription run;
  run.server = "127.0.0.1:6969";
  run.files = {"a\"b\\c\n"};
  run.clients = 1;
  run.windowsize = 16;
  const std::string json = FormatJson(r, run);
  for (const char* key :
       {"\"clients\": 1,", "\"completed\": 1,", "\"failed\": 0,", "\"makespan_s\": 1.500000",
        "\"p50_s\": 1.500000", "\"p99_s\": 1.500000", "\"max_s\": 1.500000", "\"jain\": 1.000000",
        "\"bytes\": 4096,", "\"retransmits\": 0,", "\"goodput_mbps\": 0.022", "\"blksize\": null",
        "\"windowsize\": 16", "\"files\": [\"a\\\"b\\\\c\\u000a\"]"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
}

TEST(FormatHumanTest, NamesFailures) {
  ClientRecord failed;
  failed.started = true;
  failed.failure = "initrd: verification failed: content differs at byte 7";
  const std::string text = FormatHuman(Summarize({failed}, 1), RunDescription{});
  EXPECT_NE(text.find("completed 0, failed 1"), std::string::npos) << text;
  EXPECT_NE(text.find("content differs at byte 7"), std::string::npos) << text;
}

TEST(FormatClientCsvTest, OneRowPerClient) {
  ClientRecord failed;
  failed.started = true;
  failed.elapsed = seconds(1);
  failed.failure = "a, b";
  const std::string csv = FormatClientCsv({Completed(seconds(1), seconds(3), 10), failed});
  EXPECT_EQ(csv,
            "client,start_s,finish_s,seconds,bytes,completed,failure\n"
            "0,1.000000,3.000000,2.000000,10,1,\n"
            "1,0.000000,0.000000,1.000000,0,0,a; b\n");
}

}  // namespace
}  // namespace stampede::swarm
