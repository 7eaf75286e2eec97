// Log output of `stampede serve`: the engine's LogSink writing one line per event to stderr. Under
// systemd (stderr is the JOURNAL_STREAM) each line starts with an sd-daemon(3) "<N>" priority
// prefix and carries no timestamp (the journal adds one); otherwise lines read
// "TIMESTAMP LEVEL message". Never colour.
#pragma once

#include <string_view>

#include "server/log_sink.h"

namespace stampede::cli {

class ServeLog final : public server::LogSink {
 public:
  // `journal`: write "<N>" prefixes instead of timestamps and level names.
  explicit ServeLog(bool journal) : journal_(journal) {}

  // Writes one line with one write(2); a newline inside `line` becomes a space.
  void Log(server::LogLevel level, std::string_view line) override;

 private:
  bool journal_;
};

}  // namespace stampede::cli
