#include "kagami/recorder/shared_state.h"

#include <algorithm>
#include <cstring>

namespace kagami::recorder {

std::size_t SharedNameCache::Hash::operator()(const IpAddress& a) const {
  std::uint64_t x[2];
  std::memcpy(x, a.bytes(), 16);
  return static_cast<std::size_t>((x[0] * 0x9e3779b97f4a7c15ull) ^ x[1]);
}

void SharedNameCache::learn(const IpAddress& address, const std::string& name, TimeNs ts) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_ && !by_age_.empty()) {
      entries_.erase(by_age_.front());
      by_age_.pop_front();
    }
    by_age_.push_back(address);
    it = entries_.emplace(address, Entry{{}, std::prev(by_age_.end())}).first;
  }
  auto& names = it->second.names;
  names[ts] = name;
  while (names.size() > 8) names.erase(names.begin());  // a few recent answers per address
}

std::string SharedNameCache::lookup(const IpAddress& address, TimeNs ts) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return {};
  const auto& names = it->second.names;
  auto n = names.upper_bound(ts);
  if (n == names.begin()) return {};
  return std::prev(n)->second;
}

void SharedFtpExpectations::expect(const IpAddress& listener, std::uint16_t port,
                                   std::uint64_t control_session, TimeNs ts) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (expected_.size() >= kMaxExpected) expected_.erase(expected_.begin());
  expected_[Key{listener, port}] = Expected{control_session, ts};
  // A port announced again: transfers still queued for it had a data connection that
  // carried nothing (an empty listing), and must not be taken by the next one.
  auto it = transfers_.find(control_session);
  if (it != transfers_.end()) {
    auto& q = it->second;
    q.erase(std::remove_if(q.begin(), q.end(),
                           [&](const analyzers::FtpTransfer& t) { return t.data_port == port; }),
            q.end());
    if (q.empty()) transfers_.erase(it);
  }
}

void SharedFtpExpectations::queue_transfer(const analyzers::FtpTransfer& transfer) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& q = transfers_[transfer.control_session];
  if (q.size() >= kMaxQueued) q.pop_front();
  q.push_back(transfer);
}

std::uint64_t SharedFtpExpectations::claim(const IpAddress& a, std::uint16_t a_port,
                                           const IpAddress& b, std::uint16_t b_port, TimeNs ts) {
  (void)ts;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Key& k : {Key{b, b_port}, Key{a, a_port}}) {
    auto it = expected_.find(k);
    if (it == expected_.end()) continue;
    const std::uint64_t control = it->second.control_session;
    expected_.erase(it);
    return control;
  }
  return 0;
}

bool SharedFtpExpectations::take_transfer(std::uint64_t control_session, std::uint16_t port_a,
                                          std::uint16_t port_b, analyzers::FtpTransfer& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = transfers_.find(control_session);
  if (it == transfers_.end()) return false;
  auto& q = it->second;
  for (auto t = q.begin(); t != q.end(); ++t) {
    if (t->data_port != port_a && t->data_port != port_b) continue;
    out = *t;
    q.erase(t);
    if (q.empty()) transfers_.erase(it);
    return true;
  }
  return false;
}

}  // namespace kagami::recorder
