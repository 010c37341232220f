#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kagami::app {

// Calls `task` every `period_ms` on a thread of its own until stop(), then once more with
// `last` set (a final word: wipe a line, write a last status).
class Periodic {
 public:
  Periodic(int period_ms, std::function<void(double seconds, bool last)> task);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// A line on the terminal that says how a long job goes (an import's bytes, percent and ETA;
// a live capture's rates and drops), rewritten twice a second and wiped at the end so the
// one-line summary takes its place. Only on a terminal: a pipe or a log file gets nothing.
class ProgressLine {
 public:
  // `text` is called on the line's own thread with the seconds since start; it reads only
  // counters other threads may read.
  explicit ProgressLine(std::function<std::string(double)> text);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void stop();

  static bool wanted();  // stderr is a terminal

 private:
  std::unique_ptr<Periodic> every_;
};

// "1.4 GiB", "812 KiB", "96 B".
std::string human_bytes(double bytes);
// "0:42", "1:05:09".
std::string human_duration(double seconds);

}  // namespace kagami::app
