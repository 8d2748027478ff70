#include "core/notify/queue.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "core/config/duration.hpp"

namespace deploy::notify {

using steady = std::chrono::steady_clock;

Queue::Queue(std::unique_ptr<http::Transport> transport, QueueOptions options)
    : transport_(std::move(transport)), options_(options), worker_([this] { work(); }) {}

Queue::~Queue() { stop_worker(); }

void Queue::post(const config::Notifications& notifications, const Event& event, const Lookup& env) {
  auto messages = messages_for(notifications, event);
  // The lookup is the caller's code: it runs here, on the caller's thread, outside the lock.
  std::vector<Result<std::string>> urls;
  for (const auto& message : messages) urls.push_back(target_url(message, env));
  {
    std::lock_guard lock(mutex_);
    if (finished_) {
      throw std::logic_error("notify::Queue::post after finish(): the " + std::string(config::to_string(event.kind)) +
                             " notification would never be sent");
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const std::size_t index = results_.size();
      if (urls[i]) {
        results_.emplace_back();
        jobs_.push_back(Job{index, std::move(messages[i]), *urls[i]});
      } else {
        results_.emplace_back(Delivery{messages[i].target, messages[i].url_env, false, 0, urls[i].error().message});
      }
    }
  }
  wake_.notify_one();
}

std::vector<Delivery> Queue::finish(std::chrono::milliseconds budget) {
  const auto deadline = steady::now() + budget;
  {
    std::unique_lock lock(mutex_);
    finished_ = true;
    budget_ = budget;
    if (!deadline_ || deadline < *deadline_) deadline_ = deadline;
    done_.wait_until(lock, deadline, [this] { return jobs_.empty() && !busy_; });
    for (const auto& job : jobs_) results_[job.index] = abandoned(job.message);
    jobs_.clear();
  }
  stop_worker();
  std::lock_guard lock(mutex_);
  std::vector<Delivery> deliveries;
  // Every result is set: abandoned above, or recorded by the worker before it stopped.
  for (const auto& result : results_) deliveries.push_back(result.value());
  return deliveries;
}

Delivery Queue::abandoned(const Message& message) const {
  return Delivery{message.target, message.url_env, false, 0,
                  message.target + ": the " + std::string(config::to_string(message.event)) +
                      " notification was abandoned: not sent within the " + config::format_duration(budget_) +
                      " the run waits for notifications"};
}

void Queue::stop_worker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // The attempt in flight may end as it was started, but no retry starts after now.
    const auto now = steady::now();
    if (!deadline_ || now < *deadline_) deadline_ = now;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::optional<Queue::Job> Queue::next_job() {
  std::unique_lock lock(mutex_);
  // Past finish's deadline a job is left for finish to report as abandoned; finish then stops us.
  wake_.wait(lock, [this] { return stopping_ || (!jobs_.empty() && !(deadline_ && steady::now() >= *deadline_)); });
  if (stopping_) return std::nullopt;
  Job job = std::move(jobs_.front());
  jobs_.pop_front();
  busy_ = true;
  return job;
}

void Queue::work() {
  while (auto job = next_job()) {
    Delivery delivery = deliver(job->message, job->url, *transport_, [this] { return next_attempt_timeout(); });
    {
      std::lock_guard lock(mutex_);
      // No attempt made: taken just as finish's time ran out; reported as those never taken are.
      results_[job->index] = delivery.attempts == 0 ? abandoned(job->message) : std::move(delivery);
      busy_ = false;
    }
    done_.notify_all();
  }
}

std::optional<std::chrono::milliseconds> Queue::next_attempt_timeout() {
  std::lock_guard lock(mutex_);
  if (!deadline_) return options_.attempt_timeout;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - steady::now());
  return std::min(options_.attempt_timeout, left);
}

}  // namespace deploy::notify
