#pragma once

#include <chrono>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace kagami {

// Waiting for a lock-free queue: spin briefly, then yield, then sleep for longer and longer
// (up to a millisecond), so a busy consumer reacts within microseconds and an idle one costs
// almost no CPU: each wake-up is a system call that would compete with the busy threads.
class Backoff {
 public:
  void wait() {
    if (n_ < 64) {
#if defined(__x86_64__) || defined(__i386__)
      _mm_pause();
#endif
    } else if (n_ < 80) {
      std::this_thread::yield();
    } else {
      const unsigned step = n_ - 80 < 5 ? n_ - 80 : 5;
      std::this_thread::sleep_for(std::chrono::microseconds(32u << step));  // 32 us .. 1 ms
    }
    ++n_;
  }
  void reset() { n_ = 0; }

 private:
  unsigned n_ = 0;
};

}  // namespace kagami
