#include "action/run_lock.hpp"

namespace deploy::action {

RunLock::~RunLock() {
  const std::string ref = github::lock_ref(held_.lock.kind, held_.lock.environment);
  try {
    if (github::release_lock(github_.github(), github_.repo, held_)) {
      log_.print("deploy-action: released the lock of " + held_.lock.environment + " (refs/" + ref + ")");
    } else {
      log_.annotate(runner::AnnotationLevel::warning,
                    "the lock of " + held_.lock.environment + " (refs/" + ref +
                        ") was no longer this run's when it ended: it was removed or taken over");
    }
  } catch (const std::exception& error) {
    log_.annotate(runner::AnnotationLevel::warning, "could not release the lock of " + held_.lock.environment +
                                                        " (refs/" + ref + "): " + error.what() +
                                                        "; it expires by itself, or delete the ref");
  }
}

}  // namespace deploy::action
