#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace kagami::app {

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
  std::function<std::string(double)> text_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// "1.4 GiB", "812 KiB", "96 B".
std::string human_bytes(double bytes);
// "0:42", "1:05:09".
std::string human_duration(double seconds);

}  // namespace kagami::app
