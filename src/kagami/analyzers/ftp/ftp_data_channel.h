#pragma once
// What an FTP control session tells its data connections: the transfer commands (RETR, STOR,
// LIST, ...) in the order it sent them, each with the data port announced before it. Shared
// through the expectation of each data connection (context.h, ExpectedConnections): the
// control and data connections may be on different workers, hence the lock.

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "kagami/analyzers/context.h"

namespace kagami::analyzers {

struct FtpTransfer {
  std::uint64_t control_record = 0;
  std::uint16_t data_port = 0;  // the port announced for it (PORT, EPRT, PASV, EPSV)
  std::string command;          // RETR, STOR, STOU, APPE, LIST, NLST, MLSD
  std::string file_name;        // its argument
  std::string direction;        // "received" (RETR, LIST, NLST, MLSD) or "sent"
  std::string user;
  TimeNs ts = 0;
};

class FtpDataChannel final : public ExpectationState {
 public:
  static constexpr std::size_t kMaxQueued = 256;  // transfers waiting for their connection

  // A port announced (again): transfers still queued for it had a data connection that
  // carried nothing (an empty listing), and must not be taken by the next one.
  void announced(std::uint16_t port) {
    std::lock_guard lock(mutex_);
    std::erase_if(queue_, [&](const FtpTransfer& t) { return t.data_port == port; });
  }
  // A transfer command; false when the oldest waiting one had to go to make room.
  bool queue(FtpTransfer t) {
    std::lock_guard lock(mutex_);
    const bool full = queue_.size() >= kMaxQueued;
    if (full) queue_.pop_front();
    queue_.push_back(std::move(t));
    return !full;
  }
  // The oldest transfer announced for one of a data connection's ports, if its command was
  // seen (the data connection may come before the command reaches another worker).
  bool take(std::uint16_t port_a, std::uint16_t port_b, FtpTransfer& out) {
    std::lock_guard lock(mutex_);
    for (auto t = queue_.begin(); t != queue_.end(); ++t) {
      if (t->data_port != port_a && t->data_port != port_b) continue;
      out = std::move(*t);
      queue_.erase(t);
      return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::deque<FtpTransfer> queue_;
};

}  // namespace kagami::analyzers
