#include "action/run_record.hpp"

#include "core/audit/audit.hpp"

namespace deploy::action {

std::string version_text(const RunRecord& record) {
  if (!record.release) return record.inputs.version;
  const auto& release = record.release->release;
  return release.kind == release::RefKind::tag ? release.tag : release.version;
}

std::string previous_version(const RunRecord& record) {
  if (record.history && record.history->current) return record.history->current->record.version;
  if (record.release && record.release->release.previous && record.mode != RunMode::rollback) {
    return record.release->release.previous->tag;
  }
  return {};
}

std::string release_sha(const RunRecord& record) { return record.release ? record.release->release.sha : ""; }

std::string deployment_id(const RunRecord& record) {
  return record.deployment ? std::to_string(record.deployment->id) : "";
}

std::string tracking_issue_url(const RunRecord& record) {
  return record.tracking_issue ? record.tracking_issue->html_url : "";
}

const GateResults& gate_results(const RunRecord& record) {
  static const GateResults none;
  return record.gates ? *record.gates : none;
}

Outcome first_refusal(const GateResults& gates) {
  for (const auto& gate : gates.report.results) {
    if (!gate.outcome.allowed) return gate.outcome;
  }
  return Outcome::deny("refused", "refused");
}

std::uint64_t chain_next_seq(const RunRecord& record) {
  return record.history && record.history->chain_head ? record.history->chain_head->seq + 1 : 0;
}

std::string chain_prev_hash(const RunRecord& record) {
  return record.history && record.history->chain_head ? record.history->chain_head->hash
                                                      : std::string(audit::kGenesisHash);
}

}  // namespace deploy::action
