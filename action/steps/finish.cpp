#include "action/audit_branch.hpp"
#include "action/audit_record.hpp"
#include "action/steps/steps.hpp"

namespace deploy::action {
namespace {

// The record also goes to the audit branch, before the deployment's final status points at it.
// A failure there does not undo the deploy: it is an error in the log, and the record is still
// the audit-file; verify-audit --from-github then reports the record as missing from the branch.
void append_to_branch(const RunEnding& end, const WrittenRecord& written, RunStatus status) {
  const auto& run = end.record;
  const auto& branch = run.config->config.audit.branch;
  if (branch.empty()) return;
  const auto& environment = run.inputs.environment;
  AuditBranchRecord record{environment, written.seq, written.hash, written.line,
                           "audit: " + environment + " #" + std::to_string(written.seq) + " " + version_text(run) +
                               " " + std::string(to_string(status))};
  auto appended = append_to_audit_branch(end.github->github(), end.github->repo, branch, record);
  if (!appended) {
    end.log.annotate(runner::AnnotationLevel::error, appended.error().message);
    return;
  }
  end.log.print(
      "deploy-action: audit record appended to branch " + branch + " as " + appended->path + " (commit " +
      appended->commit_sha.substr(0, 7) +
      (appended->attempts > 1 ? ", after " + std::to_string(appended->attempts - 1) + " concurrent append(s)" : "") +
      ")");
}

struct Recorded {
  std::string audit_file;   // the audit-file output; empty when not written
  std::string description;  // the deployment's final status description
};

Recorded write_audit_record(const RunEnding& end, RunStatus status, const std::string& message) {
  const auto& run = end.record;
  auto record = make_record(run, audit_status(run.engine->status), run.engine->reason, message, end.clock.now());
  auto written = write_run_record(run, record, audit_dir(run.inputs));
  if (!written) {
    end.log.annotate(runner::AnnotationLevel::error, "the audit record was not written: " + written.error().message);
    return {"", github::short_description(message)};
  }
  Recorded recorded{audit_file_output(run.inputs, written->file),
                    github::audit_status_description(message, written->seq, written->hash)};
  end.log.print("deploy-action: audit record " + recorded.audit_file + " (hash " + written->hash + ")");
  append_to_branch(end, *written, status);
  return recorded;
}

// The deploy happened whatever GitHub answers now: a failed status update is reported, and the
// outputs, summary and notifications still follow.
void set_final_status(const RunEnding& end, const std::string& description) {
  const auto& run = end.record;
  const auto& report = *run.engine;
  const bool live = report.status == engine::Status::succeeded;
  const auto state =
      std::string(policy::to_string(policy::final_deployment_state(live, report.status == engine::Status::cancelled)));
  try {
    end.deployment->status(state, description);
  } catch (const std::exception& error) {
    end.log.annotate(runner::AnnotationLevel::error,
                     "could not set the deployment's final status (" + state +
                         "); the next run cannot link its audit record to this one: " + error.what());
  }
  const auto& current = run.history->current;
  if (live && current && current->record.id != end.deployment->id()) {
    try {
      end.deployment->mark_inactive(current->record.id, "replaced by " + version_text(run));
    } catch (const std::exception& error) {
      end.log.annotate(runner::AnnotationLevel::warning,
                       std::string("could not mark the replaced deployment inactive: ") + error.what());
    }
  }
}

}  // namespace

int end_deployed(const RunEnding& end) {
  const auto& run = end.record;
  const auto& report = *run.engine;
  const bool ok = report.status == engine::Status::succeeded;
  const RunStatus status = run_status(report.status);
  const std::string message = ok ? "deployed " + version_text(run) + " to " + run.inputs.environment : report.message;

  const Recorded recorded = write_audit_record(end, status, message);
  set_final_status(end, recorded.description);

  end.report.outputs(run, status, recorded.audit_file);
  end.report.summary(run, status, message, end.clock.now());
  const config::Event event = ok                   ? config::Event::succeeded
                              : report.rolled_back ? config::Event::rolled_back
                                                   : config::Event::failed;
  end.report.notify(run, event, to_string(status), message);
  if (!ok) end.log.annotate(runner::AnnotationLevel::error, message);
  end.report.wait_for_notifications();
  return ok ? 0 : 1;
}

}  // namespace deploy::action
