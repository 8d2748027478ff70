#include "action/cancellation.hpp"

#include <csignal>
#include <stdexcept>

namespace deploy::action {
namespace {

// A signal handler may only touch lock-free atomics.
std::atomic<bool> g_cancelled{false};
static_assert(std::atomic<bool>::is_always_lock_free);
std::atomic<bool> g_installed{false};
struct sigaction g_previous_term {};
struct sigaction g_previous_int {};

extern "C" void on_cancel_signal(int) { g_cancelled.store(true); }

}  // namespace

CancellationGuard::CancellationGuard() {
  if (g_installed.exchange(true)) throw std::logic_error("CancellationGuard: one at a time");
  g_cancelled.store(false);
  struct sigaction action {};
  action.sa_handler = on_cancel_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, &g_previous_term);
  sigaction(SIGINT, &action, &g_previous_int);
}

CancellationGuard::~CancellationGuard() {
  sigaction(SIGTERM, &g_previous_term, nullptr);
  sigaction(SIGINT, &g_previous_int, nullptr);
  g_installed.store(false);
}

const std::atomic<bool>* CancellationGuard::flag() const { return &g_cancelled; }
bool CancellationGuard::cancelled() const { return g_cancelled.load(); }

}  // namespace deploy::action
