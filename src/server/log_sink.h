// Where the server engine's log lines go: a small interface the embedding program implements (the
// CLI writes them to stderr, journal-friendly; tests capture them). Lines are one event each,
// already escaped (untrusted bytes pass through wire::EscapeBytes), without timestamp or level
// prefix. Must not format or filter anything itself.
#pragma once

#include <cstdint>
#include <string_view>

namespace stampede::server {

enum class LogLevel : std::uint8_t { kError, kWarning, kNotice, kInfo, kDebug };

struct TransferSummary;  // server/transfer_summary.h

class LogSink {
 public:
  virtual ~LogSink() = default;
  // One line. Called on the thread that runs the server (or creates/reloads it).
  virtual void Log(LogLevel level, std::string_view line) = 0;
  // Called once per finished transfer, right after its log line; the default ignores it. For
  // metrics exporters and tests that want the fields rather than the text.
  virtual void OnTransferFinished(const TransferSummary& summary) { static_cast<void>(summary); }
};

// Discards everything.
class NullLogSink final : public LogSink {
 public:
  void Log(LogLevel, std::string_view) override {}
};

}  // namespace stampede::server
