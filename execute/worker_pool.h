// WorkerPool: a fixed number of threads that run the extensions of one
// `combine: all` call side by side. Owned by the LocalExecutor; shared by
// all its calls, so the threads a process spends on parallel extensions
// stay bounded however many calls arrive at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln::execute {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return threads_.size(); }

  // Runs task(0) … task(count - 1) and returns when all have finished.
  // The calling thread takes tasks too, so a call never waits for a worker
  // that is busy elsewhere: with every worker taken it runs them all
  // itself, in order.
  void run_all(size_t count, const std::function<void(size_t)>& task);

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kiln::execute
