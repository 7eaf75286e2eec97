// One-line-per-event stderr logging for `stampede serve` (serve_log.h).
#include "cli/serve_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include <unistd.h>

namespace stampede::cli {
namespace {

// sd-daemon(3) priorities: SD_ERR 3, SD_WARNING 4, SD_NOTICE 5, SD_INFO 6, SD_DEBUG 7.
int Priority(server::LogLevel level) {
  switch (level) {
    case server::LogLevel::kError: return 3;
    case server::LogLevel::kWarning: return 4;
    case server::LogLevel::kNotice: return 5;
    case server::LogLevel::kInfo: return 6;
    case server::LogLevel::kDebug: return 7;
  }
  return 6;
}

const char* Name(server::LogLevel level) {
  switch (level) {
    case server::LogLevel::kError: return "error";
    case server::LogLevel::kWarning: return "warning";
    case server::LogLevel::kNotice: return "notice";
    case server::LogLevel::kInfo: return "info";
    case server::LogLevel::kDebug: return "debug";
  }
  return "info";
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t size = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(text, size) + "." + std::to_string(1000 + millis).substr(1) + "Z";
}

}  // namespace

void ServeLog::Log(server::LogLevel level, std::string_view message) {
  std::string line;
  if (journal_) {
    line = "<" + std::to_string(Priority(level)) + ">";
  } else {
    line = Timestamp() + " " + Name(level) + " ";
  }
  for (const char ch : message) line += (ch == '\n' || ch == '\r') ? ' ' : ch;
  line += '\n';
  // One write(2) per line, so lines from concurrent writers never interleave mid-line.
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(2, line.data() + written, line.size() - written);
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace stampede::cli
