// Tests of the TOML config file (server/config_file.h) and the whole-configuration checks
// (server/config_check.h): valid files, every kind of refusal with its position, layering over
// earlier values, and the formatted configuration reading back to the same value.
#include "server/config_file.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/config_check.h"
#include "server/temp_dir.h"

namespace stampede::server {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

tl::expected<ServerConfig, std::string> Load(const std::string& text, ServerConfig config = {}) {
  auto applied = ApplyConfigText(text, "test.toml", &config);
  if (!applied) return tl::unexpected(applied.error());
  return config;
}

TEST(ConfigFileTest, EmptyFileKeepsDefaults) {
  auto config = Load("");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(FormatConfig(*config), FormatConfig(ServerConfig{}));
}

TEST(ConfigFileTest, ReadsEverySection) {
  auto config = Load(R"(
root = "/srv/tftp"
remap = "/etc/stampede/remap"
user = "tftp"
verbosity = 2
shutdown_grace_ms = 2500
[paths]
absolute_is_root_relative = true
map_backslashes = true
fold_case = true
symlinks = "refuse"
[uploads]
enabled = true
create = true
overwrite = false
size_max_bytes = 1048576
umask = 0o027
[network]
listen = ["127.0.0.1:6969", "[::1]:6969"]
families = "both"
port_range = "40000:40100"
single_port = true
scheduler = true
rate = "900M"
busy_poll = "200us"
[options]
blksize_max = 1428
windowsize = false
honour_timeout = true
[retransmit]
rto_initial_ms = 300
retries_max = 9
[limits]
sessions_max = 500
[quirks]
omit_tsize_for_empty_files = false
)");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->root, "/srv/tftp");
  EXPECT_EQ(config->remap_file, "/etc/stampede/remap");
  EXPECT_EQ(config->user, "tftp");
  EXPECT_EQ(config->verbosity, 2);
  EXPECT_EQ(config->shutdown_grace, std::chrono::milliseconds(2500));
  EXPECT_TRUE(config->paths.absolute_is_root_relative);
  EXPECT_TRUE(config->paths.map_backslashes);
  EXPECT_TRUE(config->paths.fold_case);
  EXPECT_EQ(config->paths.symlinks, SymlinkPolicy::kRefuse);
  EXPECT_TRUE(config->uploads_enabled);
  EXPECT_TRUE(config->upload.create);
  EXPECT_FALSE(config->upload.overwrite);
  EXPECT_EQ(config->upload.size_max_bytes, 1048576u);
  EXPECT_EQ(config->options.upload_size_max, 1048576u);
  EXPECT_EQ(config->upload.umask, 027u);
  EXPECT_EQ(config->listen, (std::vector<std::string>{"127.0.0.1:6969", "[::1]:6969"}));
  EXPECT_EQ(config->port_range.low, 40000);
  EXPECT_EQ(config->port_range.high, 40100);
  EXPECT_TRUE(config->single_port);
  EXPECT_TRUE(config->scheduler);
  EXPECT_EQ(config->rate_bps, 900'000'000u);
  EXPECT_EQ(config->busy_poll, std::chrono::microseconds(200));
  EXPECT_EQ(config->options.blksize_max, 1428);
  EXPECT_FALSE(config->options.windowsize_enabled);
  EXPECT_TRUE(config->options.timeout_honoured);
  EXPECT_EQ(config->retransmit.rto_initial, std::chrono::milliseconds(300));
  EXPECT_EQ(config->retransmit.retries_max, 9u);
  EXPECT_EQ(config->sessions_max, 500u);
  EXPECT_FALSE(config->quirks.omit_tsize_for_empty_files);
}

struct BadCase {
  const char* text;
  const char* message;
};

class ConfigFileRefusalTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigFileRefusalTest, RefusesWithPosition) {
  auto config = Load(GetParam().text);
  ASSERT_FALSE(config);
  EXPECT_THAT(config.error(), HasSubstr(GetParam().message));
  EXPECT_THAT(config.error(), ::testing::StartsWith("test.toml:"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigFileRefusalTest,
    ::testing::Values(
        BadCase{"rot = \"/srv\"", "test.toml:1:1: unknown key 'rot'"},
        BadCase{"[paths]\nfold_cse = true", "test.toml:2:1: unknown key 'paths.fold_cse'"},
        BadCase{"[pathz]\nx = 1", "unknown key 'pathz'"},
        BadCase{"[paths]\nfold_cse = true", "(did you mean 'paths.fold_case'?)"},
        BadCase{"blksize_max = 9",
                "unknown key 'blksize_max' (did you mean 'options.blksize_max'?)"},
        BadCase{"paths = 3", "'paths' must be a table"},
        BadCase{"[options]\nblksize_max = \"big\"",
                "test.toml:2:15: options.blksize_max: expected an integer, found a string"},
        BadCase{"[options]\nblksize_max = 7", "expected an integer in [8, 65464], found 7"},
        BadCase{"[options]\nblksize_max = 65465", "in [8, 65464]"},
        BadCase{"[paths]\nfold_case = 1",
                "paths.fold_case: expected true or false, found an integer"},
        BadCase{"[network]\nport_range = \"9:1\"", "invalid port range '9:1'"},
        BadCase{"[network]\nfamilies = \"ipv5\"", "invalid address families"},
        BadCase{"[network]\nbusy_poll = \"1s\"", "network.busy_poll: busy poll '1s': at most 100ms"},
        BadCase{"[network]\nbusy_poll = 5", "network.busy_poll: expected a string"},
        BadCase{"[network]\nlisten = []", "needs at least one address"},
        BadCase{"[network]\nlisten = \"127.0.0.1\"", "expected an array of strings"},
        BadCase{"[network]\nlisten = [1]", "expected an array of non-empty strings"},
        BadCase{"[uploads]\numask = 0o1000", "in [0, 511]"},
        BadCase{"[uploads]\nsize_max_bytes = \"lots\"", "expected an integer or \"unlimited\""},
        BadCase{"root = \"\"", "root: must not be empty"},
        BadCase{"root = \"/a\"\nroot = \"/b\"", "test.toml:2:"}, BadCase{"root = ", "test.toml:1:"},
        BadCase{"[retransmit]\nrto_initial_ms = 0", "in [1, 60000]"},
        BadCase{"verbosity = 1.5", "expected an integer, found a float"}));

TEST(ConfigFileTest, LayersOverEarlierValues) {
  ServerConfig base;
  base.root = "/from/flags";
  base.options.blksize_max = 1000;
  auto config = Load("[options]\nblksize_max = 512\n", base);
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->root, "/from/flags");  // untouched by the file
  EXPECT_EQ(config->options.blksize_max, 512);
}

TEST(ConfigFileTest, EmptyStringClearsOptionalSettings) {
  ServerConfig base;
  base.user = "tftp";
  auto config = Load("user = \"\"", base);
  ASSERT_TRUE(config) << config.error();
  EXPECT_FALSE(config->user);
}

TEST(ConfigFileTest, FormattedConfigReadsBackToTheSameValue) {
  ServerConfig original;
  original.root = "/srv/t\"ftp";
  original.listen = {"127.0.0.1:6969", "[::1]:69"};
  original.upload.size_max_bytes = 12345;
  original.upload.umask = 077;
  original.port_range = {5000, 6000};
  original.families = AddressFamilies::kIpv6Only;
  original.paths.symlinks = SymlinkPolicy::kRefuse;
  original.user = "nobody";
  original.busy_poll = std::chrono::microseconds(250);
  const std::string text = FormatConfig(original);
  auto config = Load(text);
  ASSERT_TRUE(config) << config.error() << "\n" << text;
  EXPECT_EQ(FormatConfig(*config), text);
  EXPECT_THAT(text, HasSubstr("umask = 0o077"));
  EXPECT_THAT(text, HasSubstr("busy_poll = \"250us\""));
  EXPECT_THAT(FormatConfig(ServerConfig{}), HasSubstr("size_max_bytes = \"unlimited\""));
}

TEST(ConfigFileTest, MissingFileIsAnError) {
  ServerConfig config;
  auto applied = ApplyConfigFile("/nonexistent/stampede.toml", &config);
  ASSERT_FALSE(applied);
  EXPECT_THAT(applied.error(), HasSubstr("/nonexistent/stampede.toml"));
}

TEST(ConfigFileTest, ReadsAFile) {
  testing::TempDir dir;
  dir.Write("stampede.toml", "root = \"" + dir.path() + "\"\n");
  ServerConfig config;
  auto applied = ApplyConfigFile(dir / "stampede.toml", &config);
  ASSERT_TRUE(applied) << applied.error();
  EXPECT_EQ(config.root, dir.path());
}

TEST(ConfigCheckTest, AcceptsAServableConfiguration) {
  testing::TempDir dir;
  ServerConfig config;
  config.root = dir.path();
  config.listen = {"127.0.0.1:6969"};
  EXPECT_THAT(CheckConfig(config), IsEmpty());
}

TEST(ConfigCheckTest, ReportsEveryProblem) {
  testing::TempDir dir;
  dir.Write("remap", "r ( bad\n");
  dir.Write("file", "x");
  ServerConfig config;
  config.root = dir / "file";
  config.remap_file = dir / "remap";
  config.listen = {"not-an-address", "[::1]:69"};
  config.families = AddressFamilies::kIpv4Only;
  config.retransmit.rto_initial = std::chrono::milliseconds(1);
  config.user = "no-such-user-stampede";
  const auto problems = CheckConfig(config);
  ASSERT_EQ(problems.size(), 6u) << ::testing::PrintToString(problems);
  EXPECT_THAT(problems[0], HasSubstr("not a directory"));
  EXPECT_THAT(problems[1], HasSubstr("remap: "));
  EXPECT_THAT(problems[2], HasSubstr("not-an-address"));
  EXPECT_THAT(problems[3], HasSubstr("only IPv4"));
  EXPECT_THAT(problems[4], HasSubstr("rto_min_ms"));
  EXPECT_THAT(problems[5], HasSubstr("no-such-user-stampede"));
}

TEST(ConfigCheckTest, MissingRootIsNamed) {
  ServerConfig config;
  config.root = "/nonexistent/tftp";
  config.listen = {"127.0.0.1:69"};
  const auto problems = CheckConfig(config);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("root '/nonexistent/tftp'"));
}

TEST(ConfigCheckTest, DefaultListenFollowsFamilies) {
  ServerConfig config;
  config.families = AddressFamilies::kIpv4Only;
  FinalizeConfig(&config);
  EXPECT_EQ(config.listen, std::vector<std::string>{"0.0.0.0:69"});
}

TEST(PortRangeTest, Parses) {
  EXPECT_EQ(ParsePortRange("1:65535")->high, 65535);
  EXPECT_EQ(ParsePortRange("0:0")->low, 0);
  for (const char* bad : {"", "1", "0:5", "5:4", "1:65536", "a:b", "1:2:3", "-1:5", " 1:2"}) {
    EXPECT_FALSE(ParsePortRange(bad)) << bad;
  }
}

}  // namespace
}  // namespace stampede::server
