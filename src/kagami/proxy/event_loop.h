#pragma once

#include <cstdint>
#include <functional>

namespace kagami::proxy {

// A level-triggered epoll loop owned by one thread. Registrations carry a 64-bit tag that the
// loop hands back with the events; the owner decides what a tag means.
class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  bool ok() const { return epfd_ >= 0; }
  bool add(int fd, std::uint32_t events, std::uint64_t tag);
  bool modify(int fd, std::uint32_t events, std::uint64_t tag);
  void remove(int fd);
  // Waits up to `timeout_ms` and calls `on_event(tag, events)` for each ready registration.
  void wait(int timeout_ms, const std::function<void(std::uint64_t, std::uint32_t)>& on_event);

 private:
  int epfd_ = -1;
};

}  // namespace kagami::proxy
