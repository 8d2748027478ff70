// Notifications sent in the background, so that a slow or silent receiver never holds a deploy
// back: post() only queues; one worker thread sends, in the order posted; finish(budget) is the
// one place the caller waits, and never longer than its budget (see finish for the one exception).
// What is not delivered by then is abandoned and reported, never silently dropped.
//
// Threads: the worker touches only the queue's own state and its transport. Environment lookups
// happen in post(), on the caller's thread, and results are returned to the caller, who prints
// them: nothing is printed from the worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/http/client.hpp"
#include "core/notify/notify.hpp"

namespace deploy::notify {

struct QueueOptions {
  // One attempt (one request: connect, send, the whole answer), via http::Request::timeout. Once
  // Queue::finish() has started, attempts are also cut at its deadline.
  std::chrono::milliseconds attempt_timeout{10'000};
};

class Queue {
 public:
  // Starts the worker. The transport is owned here so that it outlives the worker's use of it.
  explicit Queue(std::unique_ptr<http::Transport> transport, QueueOptions options = {});
  // Abandons what was not sent, lets the attempt in flight end (at most attempt_timeout) and joins
  // the worker. Reports nothing: call finish() to learn what was delivered.
  ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Queues a Message for every target that wants the event (notify::messages_for) and returns at
  // once. URLs are read from `env` now; a target whose URL is missing or invalid is a failed
  // Delivery at once and nothing is queued for it. Throws std::logic_error after finish().
  void post(const config::Notifications& notifications, const Event& event, const Lookup& env);

  // Waits until everything posted has been sent, or until `budget` has passed, then stops the
  // worker. Returns a Delivery for every target of every post, in the order posted: delivered,
  // failed, or abandoned ("<target>: the <event> notification was abandoned: not sent within the
  // <budget> ..."). Attempts that start after finish() are cut at its deadline, and no retry starts
  // past it. An attempt already in flight cannot be interrupted: it ends at most attempt_timeout
  // after it started, so with budget >= attempt_timeout finish returns by its deadline.
  std::vector<Delivery> finish(std::chrono::milliseconds budget);

 private:
  struct Job {
    std::size_t index;  // in results_
    Message message;
    std::string url;
  };

  void work();
  std::optional<Job> next_job();  // blocks; nullopt once the worker must stop
  std::optional<std::chrono::milliseconds> next_attempt_timeout();
  void stop_worker();
  Delivery abandoned(const Message& message) const;  // with mutex_ held

  std::unique_ptr<http::Transport> transport_;
  QueueOptions options_;

  std::mutex mutex_;
  std::condition_variable wake_;  // the worker: a job was queued, or stop
  std::condition_variable done_;  // finish(): a job is done
  std::deque<Job> jobs_;
  std::vector<std::optional<Delivery>> results_;                   // one per message posted; set when it is done
  std::optional<std::chrono::steady_clock::time_point> deadline_;  // set by finish(): no attempt runs past it
  bool busy_ = false;                                              // the worker is sending a job
  bool stopping_ = false;                                          // the worker takes no more jobs
  bool finished_ = false;                                          // finish() was called: post() is refused
  std::chrono::milliseconds budget_{0};                            // finish()'s, for the abandoned ones' message

  std::thread worker_;  // last: starts once everything it uses exists
};

}  // namespace deploy::notify
