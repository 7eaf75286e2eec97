// Log output of `stampede serve`: one line per event on stderr. Under systemd (stderr is the
// JOURNAL_STREAM) each line starts with an sd-daemon(3) "<N>" priority prefix and carries no
// timestamp (the journal adds one); otherwise lines read "TIMESTAMP LEVEL message". No colour.
#pragma once

#include <cstdint>
#include <string_view>

namespace stampede::cli {

enum class LogLevel : std::uint8_t { kError, kWarning, kNotice, kInfo, kDebug };

class ServeLog {
 public:
  // `journal`: write "<N>" prefixes instead of timestamps. `verbosity` 0 logs up to kInfo, 1+ also
  // kDebug.
  ServeLog(bool journal, int verbosity) : journal_(journal), verbosity_(verbosity) {}

  void set_verbosity(int verbosity) { verbosity_ = verbosity; }
  bool Enabled(LogLevel level) const { return level != LogLevel::kDebug || verbosity_ > 0; }

  // Writes one line (a newline inside `message` is replaced so one event stays one line).
  void Write(LogLevel level, std::string_view message) const;

 private:
  bool journal_;
  int verbosity_;
};

}  // namespace stampede::cli
