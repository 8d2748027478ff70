#include "bot/handlers/context.hpp"

#include <spdlog/spdlog.h>

#include "core/log_json/log_json.hpp"
#include "core/release/tracking_issue.hpp"
#include "core/text/text.hpp"

namespace deploy::bot::handlers {
namespace {

github::Client client_for(Services& services, const store::Delivery& delivery) {
  if (services.app_credentials && delivery.installation_id != 0) {
    return services.github.for_installation(delivery.installation_id);
  }
  return services.github;
}

LoadedConfig parse(const std::string& text, const std::string& blob_sha) {
  LoadedConfig loaded;
  loaded.blob_sha = blob_sha;
  auto result = config::load_config(text, kConfigPath);
  if (result.ok())
    loaded.config = std::move(*result.config);
  else
    loaded.problem = result.format();
  return loaded;
}

}  // namespace

Context::Context(Services& services_in, const store::Delivery& delivery_in, events::Webhook webhook_in)
    : services(services_in),
      delivery(delivery_in),
      webhook(std::move(webhook_in)),
      repo{webhook.repository.owner, webhook.repository.name},
      default_branch(webhook.repository.default_branch),
      command(delivery_in.event),
      client_(client_for(services_in, delivery_in).observed([this](const github::RequestSeen& seen) {
        requests.add(seen);
      })),
      github_ports_(client_, services_in.store, repo, services_in.own_login, people_),
      ports_(services_in.ports != nullptr ? *services_in.ports : github_ports_.ports()) {}

LoadedConfig Context::config(bool refresh) {
  const auto now = services.clock.now();
  if (!refresh) {
    if (auto cached = services.store.config(repo.full_name()); cached && now - cached->fetched_at < kConfigMaxAge) {
      return parse(cached->text, cached->blob_sha);
    }
  }
  // No ref: the contents API reads the default branch, the only trusted one.
  auto content = ports_.repository.content(kConfigPath);
  if (!content) {
    LoadedConfig missing;
    missing.problem =
        std::string(kConfigPath) + " does not exist on the default branch; deploy-bot reads its rules from there";
    return missing;
  }
  services.store.put_config({repo.full_name(), content->sha, content->text, now});
  return parse(content->text, content->sha);
}

std::optional<std::string> Context::once(const std::string& key, Repeat repeat,
                                         const std::function<std::string()>& effect, const FindEarlier& find_earlier) {
  const auto begun = services.store.begin_effect(key);
  if (begun.status == store::EffectStart::already_done) {
    if (begun.result == kOutcomeUnknown) return std::nullopt;  // decided unknown before: still unknown
    return begun.result;
  }
  const bool look =
      begun.status == store::EffectStart::outcome_unknown && (find_earlier || repeat == Repeat::at_most_once);
  if (look) {
    const Lookup earlier = find_earlier ? find_earlier() : Lookup{};
    if (earlier.outcome == Lookup::Outcome::found) {
      spdlog::info("{}", log_json::event("effect_reconciled", {{"key", key}, {"found", "the earlier try happened"}}));
      services.store.finish_effect(key, earlier.result);
      return earlier.result;
    }
    if (earlier.outcome == Lookup::Outcome::cannot_tell && repeat == Repeat::at_most_once) {
      spdlog::warn("{}", log_json::event("effect_outcome_unknown",
                                         {{"key", key},
                                          {"why", "an earlier try got no answer from GitHub; it may have happened"}}));
      services.store.finish_effect(key, kOutcomeUnknown);
      return std::nullopt;
    }
    spdlog::warn("{}", log_json::event("effect_resent",
                                       {{"key", key},
                                        {"why", "an earlier try got no answer from GitHub and left no trace there"}}));
  }
  std::string result;
  try {
    result = effect();
  } catch (const github::GitHubError& error) {
    // GitHub answered with an error status: it refused the request, nothing happened, and the
    // delivery's retry may send it again. No answer at all (status 0: a lost connection or a
    // timeout after the request left) leaves the effect started, so the next try knows its
    // outcome is unknown.
    if (error.status() != 0) services.store.fail_effect(key, error.what());
    throw;
  }
  services.store.finish_effect(key, result);
  return result;
}

namespace {

// A keyed comment's earlier try whose answer never came may still be landing (GitHub answered
// slower than the read timeout): give it time to show before the effect looks for its key, which it
// does before posting.
Lookup wait_for_visibility(Clock& clock) {
  clock.sleep_for(kEffectVisibility);
  return {Lookup::Outcome::not_found, ""};
}

}  // namespace

std::int64_t Context::comment(int number, const std::string& key, const std::string& body) {
  auto result = once(
      "comment:" + repo.full_name() + ":" + key, Repeat::safe,
      [&] {
        const auto id = ports_.comments.keyed_comment(number, key, body);
        return nlohmann::json{{"comment_id", id}}.dump();
      },
      [&] { return wait_for_visibility(services.clock); });
  return result ? nlohmann::json::parse(*result).value("comment_id", std::int64_t{0}) : 0;
}

std::int64_t Context::sticky_comment(int number, const std::string& key, const std::string& body) {
  // No effect key: finding the keyed comment and setting its body is idempotent by itself.
  return ports_.comments.keyed_comment(number, key, body);
}

std::int64_t Context::commit_comment(const std::string& sha, const std::string& key, const std::string& body) {
  auto result = once(
      "commit-comment:" + repo.full_name() + ":" + key, Repeat::safe,
      [&]() -> std::string {
        const std::string full = body + "\n\n" + release::comment_key_line(key) + "\n";
        for (const auto& existing : ports_.comments.commit_comments(sha)) {
          const bool ours = services.own_login.empty() ? github::is_bot_account(existing.user)
                                                       : text::iequals(existing.user.login, services.own_login);
          if (ours && release::find_comment_key(existing.body) == key) {
            return nlohmann::json{{"comment_id", existing.id}}.dump();
          }
        }
        return nlohmann::json{{"comment_id", ports_.comments.create_commit_comment(sha, full)}}.dump();
      },
      [&] { return wait_for_visibility(services.clock); });
  return result ? nlohmann::json::parse(*result).value("comment_id", std::int64_t{0}) : 0;
}

void Context::audit(const std::string& key, audit::Record record) {
  record.repository = repo.full_name();
  record.delivery_id = delivery.delivery_id;
  if (record.trigger.empty()) record.trigger = delivery.event;
  record.recorded_at = audit::format_timestamp(services.clock.now());
  auto transaction = services.store.transaction();
  const std::string effect_key = "audit:" + repo.full_name() + ":" + key;
  if (services.store.begin_effect(effect_key).status == store::EffectStart::already_done) return;
  const auto last = services.store.last_audit();
  const std::string prev = last ? last->hash : std::string(audit::kGenesisHash);
  const std::int64_t seq = last ? last->seq + 1 : 0;
  auto sealed = audit::seal(record, prev, static_cast<std::uint64_t>(seq));
  if (!sealed) throw std::runtime_error("audit record could not be sealed: " + sealed.error().message);
  services.store.append_audit(seq, sealed->dump(), sealed->at("hash").get<std::string>());
  services.store.finish_effect(effect_key, "{}");
  transaction.commit();
}

}  // namespace deploy::bot::handlers
