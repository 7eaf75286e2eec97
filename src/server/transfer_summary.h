// The record of one finished server transfer, as logged in one line and handed to
// LogSink::OnTransferFinished. Plain data plus the one function that formats the log line.
#pragma once

#include <cstdint>
#include <string>

#include "base/time.h"
#include "io/address.h"
#include "transfer/negotiation.h"
#include "transfer/stats.h"
#include "wire/packet.h"

namespace stampede::server {

enum class TransferDirection : std::uint8_t { kRead, kWrite };  // RRQ: read, WRQ: write

struct TransferSummary {
  io::Address client;
  std::string filename;  // as requested, escaped (EscapeBytes)
  TransferDirection direction = TransferDirection::kRead;
  wire::Mode mode = wire::Mode::kOctet;
  transfer::TransferOptions options;  // in force
  bool oack_sent = false;
  std::uint64_t bytes = 0;  // payload bytes acknowledged (read) or received (write)
  Duration duration{0};
  std::uint64_t retransmits = 0;  // DATA (read) or ACK (write) packets sent more than once
  transfer::TransferStatus status = transfer::TransferStatus::kActive;
  transfer::TransferError error;  // when status is kFailed
  bool aborted_by_shutdown = false;
};

// "127.0.0.1:40000 read \"pxelinux.0\" octet blksize=1468 windowsize=8 tsize=4096 bytes=4096
// duration_ms=12.3 retransmits=0 outcome=complete"; a failure ends with
// "outcome=failed code=2 origin=peer message=\"...\"" (message escaped).
std::string FormatTransferLine(const TransferSummary& summary);

}  // namespace stampede::server
