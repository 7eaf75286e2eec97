// Fuzz target for the transfer state machines. A client (Receiver for a get, Sender for a put) and
// the server end it meets (created from the client's real request through Negotiate) are wired
// through a fuzzed network: the input chooses the options, the file size and a script of events
// (deliver, drop, duplicate, corrupt or reorder the next datagram in flight, inject arbitrary bytes
// into either end, advance time). After the script the network heals and both ends must finish
// within a bound. Invariants, checked all the time (a failure is __builtin_trap):
//  - every datagram an end emits parses and fits MaxDatagramBytes();
//  - every DATA the data sender emits is exactly the bytes of the file at its block (never beyond
//    the file, never longer than blksize);
//  - the sink is written in order, never past the size cap, and (when no forged or corrupted
//    datagram reached the receiving end) only with the file's own bytes;
//  - after OnTimer(now) and draining PollTransmit, an unfinished end's deadline is later than now
//    (no busy loop);
//  - a Sender never sends because of a duplicate ACK;
//  - both ends finish within kHealSteps events and kHealTime of virtual time after the script, and
//    an untampered transfer that reports completion delivered the whole file.
// Input layout: kHeaderBytes of settings (see Settings), then one-byte event codes with operands.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/time.h"
#include "transfer/block_sink.h"
#include "transfer/block_source.h"
#include "transfer/negotiation.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "wire/netascii.h"
#include "wire/packet.h"

namespace {

using namespace std::chrono_literals;
using stampede::Duration;
using stampede::Instant;
using stampede::kInstantNever;
namespace transfer = stampede::transfer;
namespace wire = stampede::wire;

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) __builtin_trap(); \
  } while (false)

constexpr std::size_t kHeaderBytes = 8;
constexpr std::size_t kFlightMax = 1 << 14;       // a lossy link: further sends are dropped
constexpr std::uint64_t kHealSteps = 2'000'000;   // events allowed after the script
constexpr Duration kHealTime = std::chrono::minutes(30);
constexpr std::size_t kBufferBytes = 65536 + 8;

// Reads the input front to back; past the end it yields zeros.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::span<const std::byte> Bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    auto out = std::as_bytes(std::span(data_ + pos_, n));
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// What the header bytes choose.
struct Settings {
  bool upload = false;
  wire::Mode mode = wire::Mode::kOctet;
  bool adaptive = true;
  std::vector<std::pair<std::string, std::string>> asked;  // the client's request options
  transfer::OptionPolicy policy;
  std::uint64_t size_cap_bytes = UINT64_MAX;
  std::vector<std::byte> file;
};

std::uint16_t BlksizeFrom(std::uint8_t b) {
  static constexpr std::array<std::uint16_t, 8> kTable = {512,  513,  1024, 1428,
                                                          1468, 8192, 65464, 65535};
  return b < 200 ? static_cast<std::uint16_t>(8 + b) : kTable[b % kTable.size()];
}

Settings SettingsFrom(Input& in) {
  Settings s;
  const std::uint8_t flags = in.Byte();
  const std::uint8_t blksize = in.Byte();
  const std::uint8_t window = in.Byte();
  const std::size_t size = static_cast<std::size_t>(in.Byte()) << 8 | in.Byte();
  const std::uint8_t timeout = in.Byte();
  const std::uint8_t policy = in.Byte();
  const std::uint8_t cap = in.Byte();
  s.upload = (flags & 1) != 0;
  if ((flags & 2) != 0) s.mode = wire::Mode::kNetascii;
  s.adaptive = (flags & 4) == 0;
  if ((flags & 8) != 0) s.asked.emplace_back("blksize", std::to_string(BlksizeFrom(blksize)));
  if ((flags & 16) != 0) s.asked.emplace_back("windowsize", std::to_string(1 + window % 64));
  if ((flags & 32) != 0) {
    s.asked.emplace_back("tsize", s.upload ? std::to_string(size) : "0");
  }
  if ((flags & 64) != 0) s.asked.emplace_back("rollover", std::to_string(window >> 7));
  if ((flags & 128) != 0) s.asked.emplace_back("timeout", std::to_string(1 + timeout % 4));
  s.policy.blksize_enabled = (policy & 1) == 0;
  s.policy.windowsize_enabled = (policy & 2) == 0;
  s.policy.tsize_enabled = (policy & 4) == 0;
  s.policy.timeout_honoured = (policy & 8) != 0;
  s.policy.rollover_enabled = (policy & 16) == 0;
  s.policy.windowsize_max = static_cast<std::uint16_t>(1 + (policy >> 5) * 9);
  if (cap != 0xFF) s.size_cap_bytes = (static_cast<std::uint64_t>(cap) + 1) << 8;
  s.policy.upload_size_max = s.size_cap_bytes;
  // A byte pattern rich in CR and LF, so netascii expansion crosses block edges.
  s.file.resize(size);
  std::uint32_t x = static_cast<std::uint32_t>(size) * 2654435761U + flags;
  for (auto& b : s.file) {
    x = x * 1664525U + 1013904223U;
    const std::uint8_t r = static_cast<std::uint8_t>(x >> 24);
    b = static_cast<std::byte>(r < 32 ? '\n' : r < 64 ? '\r' : r);
  }
  return s;
}

std::vector<std::byte> Netascii(std::span<const std::byte> local) {
  std::vector<std::byte> out(local.size() * 2 + 1);
  wire::NetasciiEncoder encoder;
  const auto p = encoder.Encode(local, out);
  FUZZ_CHECK(p.consumed == local.size());
  const std::size_t flushed = encoder.Flush(std::span(out).subspan(p.produced));
  out.resize(p.produced + flushed);
  return out;
}

// Checks the BlockSink contract and the content of every write.
class CheckingSink final : public transfer::BlockSink {
 public:
  CheckingSink(std::span<const std::byte> file, std::uint64_t cap) : file_(file), cap_(cap) {}
  bool tainted = false;  // forged bytes reached the receiving end or set the uploader's options

  tl::expected<void, transfer::StorageError> WriteAt(std::uint64_t offset,
                                                     std::span<const std::byte> bytes) override {
    FUZZ_CHECK(!committed_);
    FUZZ_CHECK(offset == written_);
    FUZZ_CHECK(bytes.size() <= cap_ && written_ <= cap_ - bytes.size());
    if (!tainted) {
      FUZZ_CHECK(written_ + bytes.size() <= file_.size());
      FUZZ_CHECK(std::equal(bytes.begin(), bytes.end(), file_.begin() + static_cast<long>(offset)));
    }
    written_ += bytes.size();
    return {};
  }
  tl::expected<void, transfer::StorageError> Commit(std::uint64_t total_bytes) override {
    FUZZ_CHECK(!committed_);
    FUZZ_CHECK(total_bytes == written_);
    committed_ = true;
    return {};
  }
  std::uint64_t written() const { return written_; }
  bool committed() const { return committed_; }

 private:
  std::span<const std::byte> file_;
  std::uint64_t cap_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

// One end of the transfer, whichever machine it is.
class End {
 public:
  virtual ~End() = default;
  virtual void OnPacket(std::span<const std::byte> d, Instant now) = 0;
  virtual void OnTimer(Instant now) = 0;
  virtual std::optional<std::size_t> Poll(std::span<std::byte> buf, Instant now) = 0;
  virtual Instant NextDeadline() const = 0;
  virtual bool finished() const = 0;
  virtual std::size_t MaxDatagramBytes() const = 0;
  virtual const transfer::Stats& stats() const = 0;
  virtual std::uint16_t blksize() const = 0;
  virtual std::optional<std::uint64_t> tsize() const = 0;
  bool tainted = false;
};

template <class Machine>
class EndOf final : public End {
 public:
  template <class Config, class Storage>
  EndOf(const Config& config, Storage& storage) : m_(config, storage) {}
  void OnPacket(std::span<const std::byte> d, Instant now) override { m_.OnPacket(d, now); }
  void OnTimer(Instant now) override { m_.OnTimer(now); }
  std::optional<std::size_t> Poll(std::span<std::byte> buf, Instant now) override {
    return m_.PollTransmit(buf, now);
  }
  Instant NextDeadline() const override { return m_.NextDeadline(); }
  bool finished() const override { return m_.finished(); }
  std::size_t MaxDatagramBytes() const override { return m_.MaxDatagramBytes(); }
  const transfer::Stats& stats() const override { return m_.stats(); }
  std::uint16_t blksize() const override { return m_.options().blksize; }
  std::optional<std::uint64_t> tsize() const override { return m_.options().tsize; }

 private:
  Machine m_;
};

bool IsComplete(transfer::TransferStatus s) {
  return s == transfer::TransferStatus::kComplete ||
         s == transfer::TransferStatus::kCompleteUnconfirmed;
}

class World {
 public:
  explicit World(Settings settings)
      : s_(std::move(settings)),
        wire_file_(s_.mode == wire::Mode::kNetascii ? Netascii(s_.file) : s_.file),
        source_(s_.file),
        sink_(s_.file, s_.size_cap_bytes) {
    for (const auto& [name, value] : s_.asked) options_.push_back(wire::Option{name, value});
    transfer::RequestSpec request;
    request.filename = "pxelinux.0";
    request.options = options_;
    if (s_.upload) {
      transfer::SenderConfig c;
      c.role = transfer::Role::kClient;
      c.mode = s_.mode;
      c.request = request;
      c.window.adaptive = s_.adaptive;
      ends_[0] = std::make_unique<EndOf<transfer::Sender>>(c, source_);
    } else {
      transfer::ReceiverConfig c;
      c.role = transfer::Role::kClient;
      c.mode = s_.mode;
      c.request = request;
      c.size_max_bytes = s_.size_cap_bytes;
      ends_[0] = std::make_unique<EndOf<transfer::Receiver>>(c, sink_);
    }
    Drain(0);
  }

  void RunScript(Input& in) {
    while (!in.empty()) {
      const std::uint8_t event = in.Byte() % 8;
      // Loss, silence and forgery may end a transfer in failure; duplication and reordering only
      // cost time.
      if (event == 1 || event == 3 || event == 4 || event == 5) lossless_ = false;
      switch (event) {
        case 0: Deliver(); break;
        case 1: if (!flight_.empty()) flight_.pop_front(); break;
        case 2: if (!flight_.empty()) flight_.push_back(flight_.front()); Deliver(); break;
        case 3: Advance(in.Byte()); break;
        case 4: Inject(in); break;
        case 5: Corrupt(in.Byte(), in.Byte()); break;
        case 6: Rotate(); break;
        case 7: for (std::size_t n = flight_.size(); n > 0; --n) Deliver(); break;
        default: break;
      }
    }
  }

  // The network heals: every datagram is delivered, time moves to the next deadline when nothing
  // is in flight. Both ends must finish within the bounds.
  void Heal() {
    const Instant give_up_at = now_ + kHealTime;
    for (std::uint64_t step = 0;; ++step) {
      FUZZ_CHECK(step < kHealSteps && now_ < give_up_at);
      if (AllFinished()) break;
      if (!flight_.empty()) {
        now_ += 100us;
        FireTimers();  // a deadline passed while datagrams were in flight fires first
        Deliver();
        continue;
      }
      Instant next = kInstantNever;
      for (const auto& end : ends_) {
        if (end && !end->finished()) next = std::min(next, end->NextDeadline());
      }
      FUZZ_CHECK(next != kInstantNever);  // an unfinished end that nothing will ever wake
      now_ = std::max(now_, next);
      FireTimers();
    }
    CheckOutcome();
  }

 private:
  struct InFlight {
    std::size_t to = 0;
    std::vector<std::byte> bytes;
  };

  End* data_sender() const { return ends_[s_.upload ? 0 : 1].get(); }
  End* data_receiver() const { return ends_[s_.upload ? 1 : 0].get(); }

  bool AllFinished() const {
    if (!ends_[0]->finished()) return false;
    return !ends_[1] || ends_[1]->finished();
  }

  void Drain(std::size_t from) {
    End& end = *ends_[from];
    for (int guard = 0;; ++guard) {
      FUZZ_CHECK(guard < 100'000);  // PollTransmit must run dry
      const auto n = end.Poll(buffer_, now_);
      if (!n) return;
      FUZZ_CHECK(*n <= end.MaxDatagramBytes() && *n <= buffer_.size());
      const std::span<const std::byte> datagram(buffer_.data(), *n);
      CheckSent(from, datagram);
      if (flight_.size() < kFlightMax) {
        flight_.push_back(InFlight{1 - from, std::vector<std::byte>(datagram.begin(), datagram.end())});
      }
    }
  }

  // Every datagram an end sends is well formed; DATA carries exactly the file's bytes.
  void CheckSent(std::size_t from, std::span<const std::byte> datagram) {
    auto packet = wire::Parse(datagram);
    FUZZ_CHECK(packet.has_value());
    const auto* data = std::get_if<wire::Data>(&*packet);
    if (data == nullptr) return;
    const End* end = ends_[from].get();
    FUZZ_CHECK(end == data_sender());
    const std::size_t blksize = end->blksize();
    FUZZ_CHECK(data->payload.size() <= blksize);
    // Files here stay below 65536 blocks, so the wire number is the block index.
    FUZZ_CHECK(data->block >= 1);
    const std::uint64_t offset = (data->block - 1ULL) * blksize;
    FUZZ_CHECK(offset <= wire_file_.size());
    const std::size_t expected = std::min<std::uint64_t>(blksize, wire_file_.size() - offset);
    FUZZ_CHECK(data->payload.size() == expected);
    FUZZ_CHECK(std::equal(data->payload.begin(), data->payload.end(),
                          wire_file_.begin() + static_cast<long>(offset)));
  }

  void Deliver() {
    if (flight_.empty()) return;
    InFlight p = std::move(flight_.front());
    flight_.pop_front();
    Hand(p.to, p.bytes, false);
  }

  void Hand(std::size_t to, std::span<const std::byte> bytes, bool forged) {
    if (to == 1 && !ends_[1]) {
      if (forged || !StartServer(bytes)) return;
    } else if (to == 1 && IsRequest(bytes)) {
      return;  // a repeated request goes to port 69, which knows the session (E40)
    } else {
      End& end = *ends_[to];
      if (end.finished()) return;  // its socket is closed: the datagram is a stray
      if (forged) {
        end.tainted = true;
        // A forged OACK can set an uploading client's options (another blksize) before its first
        // DATA; from then on the Receiver sees valid-looking blocks cut elsewhere, so a short one
        // ends the file early (and, in netascii, may split a CR LF pair).
        const bool may_set_options = &end == data_sender() && s_.upload && end.stats().data_sent == 0;
        if (&end == data_receiver() || may_set_options) sink_.tainted = true;
      }
      end.OnPacket(bytes, now_);
    }
    Drain(to);
    CheckDeadline(to);
  }

  static bool IsRequest(std::span<const std::byte> bytes) {
    return bytes.size() >= 2 && bytes[0] == std::byte{0} &&
           (bytes[1] == std::byte{1} || bytes[1] == std::byte{2});
  }

  // The first request reaching the server creates its end, as the server's request handling does.
  bool StartServer(std::span<const std::byte> bytes) {
    // Anything else reaching port 69 first (an ACK from a client fooled by a forged packet) is
    // dropped there (A4).
    auto packet = wire::Parse(bytes);
    if (!packet) return false;
    const auto* request = std::get_if<wire::Request>(&*packet);
    if (request == nullptr) return false;
    FUZZ_CHECK((request->opcode == wire::Opcode::kWrq) == s_.upload);
    auto negotiated = transfer::Negotiate(
        *request, s_.policy,
        s_.upload ? std::nullopt : std::optional<std::uint64_t>(s_.file.size()));
    if (!negotiated) return false;  // ERROR 3 before any state: the client times out
    negotiated_ = *negotiated;
    if (s_.upload) {
      transfer::ReceiverConfig c;
      c.role = transfer::Role::kServer;
      c.mode = s_.mode;
      c.options = negotiated_->options;
      c.oack = negotiated_->oack.options();
      c.size_max_bytes = s_.size_cap_bytes;
      ends_[1] = std::make_unique<EndOf<transfer::Receiver>>(c, sink_);
    } else {
      transfer::SenderConfig c;
      c.role = transfer::Role::kServer;
      c.mode = s_.mode;
      c.options = negotiated_->options;
      c.oack = negotiated_->oack.options();
      c.window.adaptive = s_.adaptive;
      ends_[1] = std::make_unique<EndOf<transfer::Sender>>(c, source_);
    }
    return true;
  }

  void Inject(Input& in) {
    const std::size_t to = in.Byte() & 1U;
    std::size_t len = in.Byte();
    if (len >= 200) len = 200 + (len - 200) * 64;  // up to ~3.7 kB: oversize DATA (H71, F51)
    const auto bytes = in.Bytes(len);
    Hand(to, bytes, true);
  }

  void Corrupt(std::uint8_t pos, std::uint8_t mask) {
    if (flight_.empty() || flight_.front().bytes.empty()) return;
    InFlight p = std::move(flight_.front());
    flight_.pop_front();
    p.bytes[pos % p.bytes.size()] ^= static_cast<std::byte>(mask | 1);
    Hand(p.to, p.bytes, true);
  }

  void Rotate() {
    if (flight_.empty()) return;
    flight_.push_back(std::move(flight_.front()));
    flight_.pop_front();
  }

  void Advance(std::uint8_t b) {
    now_ += (static_cast<std::int64_t>(b) * b + 1) * 50us;  // 50 µs .. 3.3 s
    FireTimers();
  }

  void FireTimers() {
    for (std::size_t i = 0; i < 2; ++i) {
      if (!ends_[i] || ends_[i]->finished() || ends_[i]->NextDeadline() > now_) continue;
      ends_[i]->OnTimer(now_);
      Drain(i);
      CheckDeadline(i);
    }
  }

  void CheckDeadline(std::size_t i) const {
    const End& end = *ends_[i];
    FUZZ_CHECK(end.stats().sends_caused_by_duplicate_ack == 0);  // E37
    if (!end.finished()) FUZZ_CHECK(end.NextDeadline() > now_);
  }

  void CheckOutcome() const {
    const End* receiver = data_receiver();
    const End* sender = data_sender();
    // Without loss, silence or forgery, a transfer within the caps must complete on both ends.
    const bool fits = s_.file.size() <= s_.size_cap_bytes &&
                      (s_.mode == wire::Mode::kOctet || wire_file_.size() <= s_.size_cap_bytes);
    if (lossless_ && fits) {
      FUZZ_CHECK(receiver != nullptr && sender != nullptr);
      FUZZ_CHECK(IsComplete(receiver->stats().status) && IsComplete(sender->stats().status));
    }
    if (receiver == nullptr || sender == nullptr) return;
    const bool untouched = !receiver->tainted && !sender->tainted;
    // A Receiver reports completion only after committing the whole file. A Sender fooled by a
    // forged OACK (another blksize) makes a valid-looking short block the Receiver cannot tell
    // from the end (sink_.tainted covers that case too); with tsize in octet mode the Receiver
    // refuses such an end, so there the check holds whatever reached the Sender.
    if (IsComplete(receiver->stats().status)) {
      FUZZ_CHECK(sink_.committed());
      const bool knows_size = !receiver->tainted && s_.mode == wire::Mode::kOctet &&
                              receiver->tsize() == s_.file.size();
      if (!sink_.tainted || knows_size) FUZZ_CHECK(sink_.written() == s_.file.size());
    }
    // A Sender's final ACK can only come from a Receiver that took every block.
    if (untouched && sender->stats().status == transfer::TransferStatus::kComplete) {
      FUZZ_CHECK(sink_.committed() && sink_.written() == s_.file.size());
    }
  }

  Settings s_;
  std::vector<std::byte> wire_file_;
  transfer::MemoryBlockSource source_;
  CheckingSink sink_;
  std::vector<wire::Option> options_;
  std::optional<transfer::Negotiated> negotiated_;
  std::array<std::unique_ptr<End>, 2> ends_;  // 0: client, 1: server (once its request arrived)
  std::deque<InFlight> flight_;
  Instant now_ = stampede::kInstantZero + 1s;
  bool lossless_ = true;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(kBufferBytes);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kHeaderBytes) return 0;
  Input in(data, size);
  World world(SettingsFrom(in));
  world.RunScript(in);
  world.Heal();
  return 0;
}
