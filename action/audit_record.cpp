#include "action/audit_record.hpp"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace deploy::action {
namespace {

std::optional<std::string> opt(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// Decimals are text in records (the canonical form has no floating point).
std::string decimal(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

std::string stage_outcome(const engine::StepReport& step) {
  if (step.succeeded) return "success";
  if (step.describe.rfind("timed out", 0) == 0) return "timed_out";
  if (step.describe == "cancelled") return "cancelled";
  return "failure";
}

audit::Stage to_stage(const engine::StepReport& step) {
  audit::Stage stage;
  stage.name = step.stage;
  stage.started_at = audit::format_timestamp(step.started);
  stage.finished_at = audit::format_timestamp(step.finished);
  stage.duration_ms = step.duration.count();
  if (step.exit_code >= 0) stage.exit_code = step.exit_code;
  stage.attempts = step.attempts;
  stage.outcome = stage_outcome(step);
  if (step.traffic) stage.traffic_percent = *step.traffic;
  return stage;
}

}  // namespace

audit::Status audit_status(engine::Status status) {
  switch (status) {
    case engine::Status::succeeded:
      return audit::Status::success;
    case engine::Status::rolled_back:
      return audit::Status::rolled_back;
    case engine::Status::cancelled:
      return audit::Status::cancelled;
    case engine::Status::failed:
    case engine::Status::rollback_failed:
      return audit::Status::failure;
  }
  return audit::Status::failure;
}

namespace {
// What approval rules, rejections and a freeze decided on, beside the gates' outcomes: the
// record's `approval_rules`, `rejections` and `freeze` members (docs/CONFIGURATION.md).
nlohmann::json rules_json(const policy::ApprovalVerdict& verdict) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& rule : verdict.rules) {
    rules.push_back({{"name", rule.name},
                     {"from", rule.from},
                     {"required", rule.required},
                     {"approvers", rule.approvers},
                     {"met", rule.met}});
  }
  return rules;
}

void add_control_gates(audit::Record& record, const GateResults& gates) {
  if (gates.approvals && !(gates.approvals->rules.size() == 1 && gates.approvals->rules.front().name.empty() &&
                           gates.approvals->rules.front().from.empty())) {
    record.extra["approval_rules"] = rules_json(*gates.approvals);
  }
  if (gates.rejections) {
    nlohmann::json active = nlohmann::json::array();
    for (const auto& r : gates.rejections->active)
      active.push_back({{"by", r.user}, {"reason", r.reason}, {"event_id", r.id}});
    nlohmann::json ignored = nlohmann::json::array();
    for (const auto& n : gates.rejections->not_heard) {
      ignored.push_back(
          {{"by", n.event.user}, {"reason", n.reason}, {"cancel", n.event.cancel}, {"event_id", n.event.id}});
    }
    if (!active.empty() || !ignored.empty()) record.extra["rejections"] = {{"active", active}, {"not_heard", ignored}};
  }
  if (gates.freeze && !gates.freeze->frozen.empty()) {
    nlohmann::json windows = nlohmann::json::array();
    for (const auto& o : gates.freeze->frozen) {
      windows.push_back(
          {{"name", o.name}, {"start", audit::format_timestamp(o.start)}, {"end", audit::format_timestamp(o.end)}});
    }
    nlohmann::json freeze = {{"windows", windows}, {"outcome", gates.freeze->outcome.reason}};
    if (!gates.freeze_override_reason.empty()) freeze["override_reason"] = gates.freeze_override_reason;
    if (gates.freeze->override_approvals) freeze["override_rules"] = rules_json(*gates.freeze->override_approvals);
    record.extra["freeze"] = std::move(freeze);
  }
}
}  // namespace

audit::Record make_record(const RunRecord& run, audit::Status status, const std::string& reason,
                          const std::string& message, std::chrono::system_clock::time_point finished) {
  const auto& in = run.inputs;
  audit::Record record;
  record.kind = run.mode == RunMode::rollback ? audit::Kind::rollback : audit::Kind::deploy;
  record.repository = in.owner + "/" + in.repo;
  record.environment = in.environment;
  record.actor = in.actor;
  record.requested_by = opt(in.requester.login);
  record.request_url = opt(in.requester.url);
  record.trigger = in.event_name.empty() ? "manual" : in.event_name;
  record.version = opt(version_text(run));
  record.commit_sha = opt(release_sha(run));
  record.previous_version = opt(previous_version(run));
  if (run.history && run.history->current) record.previous_sha = opt(run.history->current->record.sha);
  if (!in.run_id.empty()) {
    try {
      record.run_id = std::stoull(in.run_id);
    } catch (const std::exception&) {
      record.extra["run_id_text"] = in.run_id;  // not a number: keep it, as text
    }
  }
  if (!in.run_attempt.empty()) {
    try {
      record.run_attempt = std::stoll(in.run_attempt);
    } catch (const std::exception&) {
      record.extra["run_attempt_text"] = in.run_attempt;
    }
  }
  record.run_url = opt(in.run_url());
  if (run.deployment) record.extra["deployment_id"] = deployment_id(run);
  if (!in.reason.empty()) record.extra["reason"] = in.reason;
  record.started_at = audit::format_timestamp(run.started);
  record.recorded_at = audit::format_timestamp(finished);

  const auto& gates = gate_results(run).report;
  const auto& approvals = gate_results(run).approvals;
  const engine::Report* report = run.engine ? &*run.engine : nullptr;
  if (run.lock) record.gates.push_back(audit::Gate::from("environment_lock", run.lock->outcome));
  for (const auto& gate : gates.results) record.gates.push_back(audit::Gate::from(gate.gate, gate.outcome));
  if (approvals) {
    for (const auto& counted : approvals->counted) {
      audit::Approval a;
      a.approver = counted.user;
      a.source = counted.source == policy::ApprovalSource::review ? "pull_request_review" : "comment";
      a.permission = std::string(policy::to_string(counted.permission));
      a.event_id = opt(counted.event_id);
      a.counted = true;
      a.reason = "counted";
      record.approvals.push_back(std::move(a));
    }
    for (const auto& refused : approvals->not_counted) {
      audit::Approval a;
      a.approver = refused.event.user;
      a.source = refused.event.source == policy::ApprovalSource::review ? "pull_request_review" : "comment";
      a.permission = std::string(policy::to_string(refused.event.permission));
      a.event_id = opt(refused.event.id);
      a.counted = false;
      a.reason = refused.reason;
      record.approvals.push_back(std::move(a));
    }
  }
  add_control_gates(record, gate_results(run));
  if (report) {
    // Each hold (`pause: until-promoted`) and who ended it: /promote, /abort, or the timeout.
    for (const auto& hold : report->holds) {
      std::string said = hold.outcome;
      if (!hold.by.empty()) said += " by @" + hold.by;
      if (hold.traffic) said += " at " + std::to_string(*hold.traffic) + "% traffic";
      if (!hold.reason.empty()) said += ": " + hold.reason;
      record.gates.push_back(audit::Gate::from("promotion", {hold.outcome == "promoted", hold.outcome, said}));
    }
    for (const auto& step : report->steps) record.stages.push_back(to_stage(step));
    for (const auto& step : report->rollback_steps) record.stages.push_back(to_stage(step));
    for (const auto& round : report->rounds) {
      for (const auto& verdict : round.verdicts) {
        audit::Analysis a;
        a.name = verdict.check;
        a.passed = verdict.outcome.allowed;
        a.reason = verdict.outcome.reason;
        a.message = verdict.outcome.message;
        for (const auto& sample : round.samples) {
          if (sample.check == verdict.check && sample.value) a.observed = decimal(*sample.value);
        }
        if (round.traffic) a.traffic_percent = *round.traffic;
        record.analysis.push_back(std::move(a));
      }
    }
  }
  record.outcome.status = status;
  record.outcome.reason = reason;
  record.outcome.message = message;
  return record;
}

Result<WrittenRecord> write_record(const audit::Record& record, const std::filesystem::path& dir,
                                   const std::string& prev_hash, std::uint64_t seq,
                                   std::optional<std::string_view> key) {
  auto sealed = audit::seal(record, prev_hash, seq, key);
  if (!sealed) return sealed.error();
  auto line = audit::to_jsonl_line(*sealed);
  if (!line) return line.error();

  std::error_code error;
  std::filesystem::create_directories(dir, error);
  char name[64];
  std::snprintf(name, sizeof name, "-%06llu.jsonl", static_cast<unsigned long long>(seq));
  // Environment names may hold characters a file name should not.
  std::string base = record.environment.value_or("environment");
  for (char& c : base) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  std::filesystem::path file = dir / (base + name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << *line;
  out.close();
  if (error || !out) {
    return Error{"write_failed", "cannot write the audit record to " + file.string() +
                                     ": check that RUNNER_TEMP is a writable directory"};
  }
  return WrittenRecord{file, (*sealed)["hash"].get<std::string>(), seq, *line};
}

Result<WrittenRecord> write_run_record(const RunRecord& run, const audit::Record& record,
                                       const std::filesystem::path& dir) {
  std::optional<std::string_view> key;
  if (run.config && !run.config->audit_key.empty()) key = run.config->audit_key;
  return write_record(record, dir, chain_prev_hash(run), chain_next_seq(run), key);
}

std::filesystem::path audit_dir(const DeployInputs& in) {
  std::error_code error;
  if (!in.runner_temp.empty() && std::filesystem::is_directory(in.runner_temp, error)) {
    return std::filesystem::path(in.runner_temp) / "deploy-audit";
  }
  return std::filesystem::path(in.workspace) / ".deploy-audit";
}

std::string audit_file_output(const DeployInputs& in, const std::filesystem::path& file) {
  auto relative = file.lexically_relative(in.workspace);
  if (!relative.empty() && *relative.begin() != "..") return relative.string();
  return file.string();
}

}  // namespace deploy::action
