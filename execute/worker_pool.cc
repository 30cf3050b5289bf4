#include "execute/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace kiln::execute {
namespace {

// One run_all: tasks are claimed by index, by whoever comes first. Helpers
// hold it by shared_ptr, so one that starts after the call returned finds
// nothing left and touches nothing of the caller's.
struct Batch {
  explicit Batch(size_t n, const std::function<void(size_t)>& t) : count(n), task(&t) {}
  const size_t count;
  const std::function<void(size_t)>* task;  // valid until done == count
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::condition_variable finished;
  size_t done = 0;

  void drain() {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      (*task)(i);
      std::lock_guard lock(mutex);
      if (++done == count) finished.notify_all();
    }
  }
};

}  // namespace

WorkerPool::WorkerPool(size_t threads) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

void WorkerPool::run_all(size_t count, const std::function<void(size_t)>& task) {
  auto batch = std::make_shared<Batch>(count, task);
  const size_t helpers = std::min(threads_.size(), count > 0 ? count - 1 : 0);
  if (helpers > 0) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < helpers; ++i) queue_.emplace_back([batch] { batch->drain(); });
  }
  wake_.notify_all();
  batch->drain();
  std::unique_lock lock(batch->mutex);
  batch->finished.wait(lock, [&] { return batch->done == batch->count; });
}

}  // namespace kiln::execute
