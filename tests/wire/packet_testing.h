// Helpers shared by the wire tests: golden packets written as string literals with embedded NULs,
// content equality for parsed packets, and RapidCheck generators of well-formed packet fields.
// Test-only; nothing here is linked into the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <rapidcheck.h>

#include "wire/options.h"
#include "wire/packet.h"

namespace stampede::wire::testing {

inline std::span<const std::byte> AsBytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

inline std::vector<std::byte> ToVector(std::string_view text) {
  const auto bytes = AsBytes(text);
  return {bytes.begin(), bytes.end()};
}

inline std::string ToString(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline bool SameOptions(std::span<const Option> a, std::span<const Option> b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  }
  return true;
}

// Equal content (the views may point into different buffers). OptionList's duplicate and dropped
// counters are not compared: they describe the original datagram, not the packet.
inline bool SamePacket(const Packet& a, const Packet& b) {
  if (a.index() != b.index()) return false;
  if (const auto* ra = std::get_if<Request>(&a)) {
    const auto& rb = std::get<Request>(b);
    return ra->opcode == rb.opcode && ra->filename == rb.filename && ra->mode == rb.mode &&
           SameOptions(ra->options.items(), rb.options.items());
  }
  if (const auto* da = std::get_if<Data>(&a)) {
    const auto& db = std::get<Data>(b);
    return da->block == db.block && ToString(da->payload) == ToString(db.payload);
  }
  if (const auto* aa = std::get_if<Ack>(&a)) return aa->block == std::get<Ack>(b).block;
  if (const auto* ea = std::get_if<Error>(&a)) {
    const auto& eb = std::get<Error>(b);
    return ea->code == eb.code && ea->message == eb.message;
  }
  return SameOptions(std::get<Oack>(a).options.items(), std::get<Oack>(b).options.items());
}

// Owned option pairs, for generators and for building write inputs.
struct OwnedOptions {
  std::vector<std::pair<std::string, std::string>> pairs;

  std::vector<Option> Views() const {
    std::vector<Option> views;
    for (const auto& [name, value] : pairs) views.push_back(Option{name, value});
    return views;
  }
  // What a parser must report for these pairs: the first of each name, ignoring case (C22).
  std::vector<Option> FirstOfEachName() const {
    OptionList list;
    for (const auto& [name, value] : pairs) list.Add(name, value);
    const auto items = list.items();
    return {items.begin(), items.end()};
  }
};

// Strings that are valid inside a NUL-terminated field: any byte except NUL.
inline rc::Gen<std::string> GenText(std::size_t min_bytes, std::size_t max_bytes) {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(min_bytes, max_bytes + 1),
                         [](std::size_t count) {
                           return rc::gen::container<std::string>(
                               count, rc::gen::map(rc::gen::inRange<int>(1, 256), [](int c) {
                                 return static_cast<char>(static_cast<unsigned char>(c));
                               }));
                         });
}

inline rc::Gen<OwnedOptions> GenOptions(std::size_t max_pairs, std::size_t max_field_bytes) {
  // Names from a small alphabet in mixed case so duplicates (any case) are frequent.
  auto name = rc::gen::oneOf(
      rc::gen::element<std::string>("blksize", "BLKSIZE", "tsize", "windowsize", "Timeout",
                                    "rollover", "multicast"),
      GenText(1, max_field_bytes));
  auto pair = rc::gen::pair(name, GenText(0, max_field_bytes));
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, max_pairs + 1),
                         [pair](std::size_t count) {
                           return rc::gen::map(
                               rc::gen::container<
                                   std::vector<std::pair<std::string, std::string>>>(count, pair),
                               [](std::vector<std::pair<std::string, std::string>> pairs) {
                                 return OwnedOptions{std::move(pairs)};
                               });
                         });
}

}  // namespace stampede::wire::testing
