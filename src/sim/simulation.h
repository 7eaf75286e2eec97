// The boot-storm simulation: one server, N clients, a bottleneck link towards the clients and a
// reverse link towards the server, driven by a seeded discrete-event loop on virtual time. The
// server does what a server does with the real code (wire::Parse the RRQ, transfer::Negotiate,
// a transfer::Sender over generated content); each client is a transfer::Receiver writing into a
// verifying sink. Invariants are checked after every step; the run is bounded in events and virtual
// time and always returns. Never reads a clock, never prints.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sim/content.h"
#include "sim/datagram_pool.h"
#include "sim/event_queue.h"
#include "sim/link.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "server/sender_feedback.h"
#include "server/transmit_scheduler.h"
#include "transfer/negotiation.h"
#include "transfer/receiver.h"
#include "transfer/sender.h"
#include "wire/options.h"

namespace stampede::sim {

class Simulation {
 public:
  explicit Simulation(const SimConfig& config);

  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs to the end (everything finished, time limit or event limit) and reports. Call once.
  SimReport Run();

 private:
  struct Client {
    std::optional<transfer::Receiver> receiver;
    VerifyingSink sink;
    Instant armed = kInstantNever;  // time of this endpoint's live timer event, if any
    bool bad_bytes_reported = false;
  };
  struct Session {
    std::optional<transfer::Sender> sender;
    Instant armed = kInstantNever;
    bool duplicate_ack_reported = false;
    std::optional<std::uint16_t> last_ack;  // wire block of the last ACK delivered (lock-step check)
    std::uint64_t data_emitted = 0;         // DATA this session sent (lock-step check)
    bool closed = false;                    // finished and accounted for (active count, scheduler)
    bool waiting = false;                   // its request waits for a free slot (max_active)
    bool ready = false;                     // marked ready in the scheduler, not yet found idle
    // Transmit scheduler: this session's flow, and the Sender's counters already reported to it.
    server::FlowId flow = 0;
    server::SenderFeedback feedback;
  };
  // A request that found the active set full: answered (session started) when one ends.
  struct Waiting {
    std::uint32_t client;
    std::vector<std::byte> request;
  };

  // A single step may not emit more datagrams than this: a full window at the largest windowsize
  // plus control packets. More means an endpoint is looping (reported, not hung on).
  static constexpr std::uint64_t kDatagramsPerStepMax = 70'000;

  void Dispatch(const Event& event);
  void StartClient(std::uint32_t client);
  void Deliver(std::uint32_t handle);
  void HandleRequest(std::uint32_t client, std::span<const std::byte> datagram);
  void StartSession(std::uint32_t client, const wire::Request& request);
  void AfterSessionStep(std::uint32_t client);
  void ReportToScheduler(std::uint32_t client);
  void RunScheduler();
  bool SendOneFromSession(std::uint32_t client);
  void FireTimer(std::uint32_t endpoint, Instant time);
  void ServiceClient(std::uint32_t client);
  void ServiceSession(std::uint32_t client);
  template <typename Machine>
  void Drain(Machine& machine, std::uint32_t client, Direction direction);
  void SendError(std::uint32_t client, wire::ErrorCode code, std::string_view message);
  void Transmit(std::uint32_t handle);
  void Arm(Instant& armed, Instant deadline, std::uint32_t endpoint);
  void CheckClient(std::uint32_t client);
  void CheckSession(std::uint32_t client);
  void DeliverToSession(std::uint32_t client, std::span<const std::byte> datagram);
  void Violation(std::string text);
  void Trace(std::uint32_t client, std::string_view what, std::span<const std::byte> datagram);
  void Finish();
  void FinishClient(std::uint32_t client);

  SimConfig config_;
  transfer::OptionPolicy policy_;
  transfer::RetransmitPolicy retransmit_;
  Link downlink_;
  Link uplink_;
  EventQueue queue_;
  DatagramPool pool_;
  GeneratedSource source_;
  std::vector<Client> clients_;
  std::vector<Session> sessions_;
  std::string blksize_text_;
  std::string windowsize_text_;
  std::array<wire::Option, 3> request_options_{};
  std::size_t request_option_count_ = 0;
  Instant now_ = kInstantZero;
  std::optional<server::TransmitScheduler> scheduler_;  // unset: SimConfig::scheduler off
  std::vector<std::uint32_t> flow_client_;  // scheduler flow id -> client
  Instant scheduler_armed_ = kInstantNever;
  std::uint32_t active_sessions_ = 0;
  std::deque<Waiting> waiting_;
  bool in_scheduler_ = false;  // RunScheduler is on the stack (admissions re-enter through it)
  std::uint64_t file_seed_;
  std::uint64_t corrupt_period_ = UINT64_MAX;  // corrupt_every_nth_data, or never
  std::uint64_t data_emitted_ = 0;  // for corrupt_every_nth_data and the lock-step check
  SimReport report_;
};

// Convenience: Simulation(config).Run().
SimReport RunSimulation(const SimConfig& config);

}  // namespace stampede::sim
