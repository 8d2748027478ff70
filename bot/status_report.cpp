#include "bot/status_report.hpp"

#include <ctime>

namespace deploy::bot {

ApprovalsStatus approvals_status(int counted, int required) {
  if (required <= 0) return {"success", "no approvals required"};
  const bool met = counted >= required;
  return {met ? "success" : "pending",
          std::to_string(counted) + "/" + std::to_string(required) + (required == 1 ? " approval" : " approvals")};
}

std::string rejection_text(const policy::RejectionVerdict& rejections) {
  std::string out;
  for (const auto& r : rejections.active) {
    out += (out.empty() ? "rejected by " : ", ") + r.user + (r.reason.empty() ? "" : ": " + r.reason);
  }
  return out;
}

ApprovalsStatus approvals_status(int counted, int required, bool met, const std::string& rules,
                                 const std::string& rejected) {
  auto fit = [](std::string text) {
    if (text.size() <= 140) return text;
    std::size_t cut = 137;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a UTF-8 boundary
    return text.substr(0, cut) + "...";
  };
  if (!rejected.empty()) return {"failure", fit(rejected)};
  ApprovalsStatus status = approvals_status(counted, required);
  if (rules.empty()) return status;
  status.state = met ? "success" : "pending";
  status.description = fit(status.description + "; " + rules);
  return status;
}

std::string gate_progress(const GateProgress& progress) {
  std::string out = std::to_string(progress.approvers.size()) + " of " + std::to_string(progress.required) +
                    (progress.required == 1 ? " approval" : " approvals") + " for `" + progress.sha.substr(0, 7) +
                    "` so far";
  if (!progress.approvers.empty()) {
    std::string who;
    for (const auto& login : progress.approvers) who += (who.empty() ? "" : ", ") + login;
    out += " (" + who + ")";
  }
  out += ".";
  if (!progress.needed.empty()) out += " Still needed: " + progress.needed + ".";
  if (progress.tracking_issue) out += " Approve with `/approve` on #" + std::to_string(*progress.tracking_issue) + ".";
  return out;
}

std::string gate_rejection(const std::string& reason, const std::string& message) {
  return "Rejected: deploy-action would refuse this release: " + message + " (`" + reason + "`)";
}

std::string format_utc(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

std::string format_age(std::chrono::system_clock::time_point time, std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const auto age = duration_cast<seconds>(now - time).count();
  if (age < 60) return "just now";
  if (age < 3600) return std::to_string(age / 60) + " min ago";
  if (age < 86400) return std::to_string(age / 3600) + " h ago";
  return std::to_string(age / 86400) + " d ago";
}

std::string code_span(std::string_view text, std::size_t max_bytes) {
  std::string out = "`";
  std::size_t kept = 0;
  for (char c : text) {
    if (kept >= max_bytes) {
      out += "...";
      break;
    }
    if (c == '`')
      c = '\'';
    else if (c == '|')
      c = '/';
    else if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
    out += c;
    ++kept;
  }
  return out + "`";
}

namespace {

std::string short_sha(std::string_view sha) { return code_span(sha.substr(0, 7)); }

std::string login(std::string_view name) { return name.empty() ? "-" : code_span("@" + std::string(name), 60); }

// describe_needed's text names people and teams; shown without notifying anyone.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else if (c == '@')
      out += "@\u200b";  // a zero-width space after @: shown, never a mention
    else
      out += c;
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string render_lock(const std::string& environment, const LockRow& lock) {
  std::string out = "- " + code_span(environment, 60) + ": ";
  out += lock.kind == "run" ? "a run is deploying" : "locked";
  if (!lock.holder.empty()) out += " by " + login(lock.holder);
  out += " since " + format_utc(lock.since);
  out += lock.until ? ", until " + format_utc(*lock.until) : std::string(", until `/unlock`");
  if (lock.expired) out += " (expired)";
  if (!lock.run_url.empty()) out += ", " + code_span(lock.run_url, 200);
  if (!lock.reason.empty()) out += ": " + code_span(lock.reason, 200);
  return out;
}

std::string render_status(const StatusReport& report) {
  std::string out = "### Deploy status\n\n";
  if (!report.subject_sha.empty()) out += "Approvals below are for commit " + short_sha(report.subject_sha) + ".\n\n";
  if (report.environments.empty()) return out + "No environments are configured in `.github/deploy.yml`.\n";
  out += "| Environment | Deployed now | SHA | Since | By | Approvals | Still needed | Rollback |\n";
  out += "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& env : report.environments) {
    out += "| " + code_span(env.name, 60) + " | ";
    if (env.current) {
      out += code_span(env.current->version) + " | " + short_sha(env.current->sha) + " | " +
             format_utc(env.current->created_at) + " (" + format_age(env.current->created_at, report.now) + ") | " +
             login(env.current->creator) + " | ";
    } else {
      out += "nothing yet | - | - | - | ";
    }
    if (env.required <= 0) {
      out += "not required | - | ";
    } else {
      std::string who;
      for (const auto& approver : env.approvers) who += (who.empty() ? " " : ", ") + login(approver);
      std::string needed = env.needed;
      if (!env.rejected.empty()) needed = "blocked: " + env.rejected + (needed.empty() ? "" : "; " + needed);
      if (!env.frozen.empty()) needed += (needed.empty() ? "" : "; ") + env.frozen;
      out += std::to_string(env.approvers.size()) + "/" + std::to_string(env.required) + who +
             (env.rules.empty() ? std::string() : " (" + cell(env.rules) + ")") + " | " + cell(needed) + " | ";
    }
    out += std::string(env.rollback_open ? "open" : "closed") + " |\n";
  }
  std::string locks;
  for (const auto& env : report.environments) {
    for (const auto& lock : env.locks) locks += render_lock(env.name, lock) + "\n";
  }
  if (!locks.empty()) out += "\n**Locks**\n\n" + locks;
  for (const auto& env : report.environments) {
    if (env.recent.empty()) continue;
    out += "\n**Recent deployments to " + code_span(env.name, 60) + "**\n\n";
    std::size_t shown = 0;
    for (const auto& row : env.recent) {
      if (shown++ == report.recent_limit) break;
      out += "- " + code_span(row.version) + " (" + short_sha(row.sha) + ") " + code_span(row.state, 20) + ", " +
             format_utc(row.created_at) + ", by " + login(row.creator) + "\n";
    }
  }
  return out;
}

}  // namespace deploy::bot
