#include "admin_handler.hpp"

#include <iostream>

#include "admin_events.hpp"
#include "auth.hpp"

namespace deploy::sim {

namespace {

Response admin_error(int status, const std::string& message) { return Response::json(status, {{"message", message}}); }

nlohmann::json body_of(const Request& request) {
  if (request.body.empty()) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(request.body, nullptr, false);
  if (parsed.is_discarded()) throw AdminError("the body is not JSON");
  return parsed;
}

}  // namespace

Response AdminHandler::event(const std::string& kind, const Request& request) {
  SimEvent event;
  {
    std::lock_guard lock(state_.mutex());
    View view{state_, Urls{request.origin, request.origin}, Identity{}};
    event = run_event(kind, body_of(request), view, templates_);
  }
  // Delivered without the state lock: the bot may call the simulator back while handling it.
  nlohmann::json out = event.result;
  out["delivery"] = event.event.empty()
                        ? nlohmann::json()
                        : deliveries_.deliver(event.event, event.action, event.payload, event.installation_id);
  if (!event.then.empty()) {
    out["then"] = nlohmann::json::array();
    for (const auto& next : event.then) {
      out["then"].push_back(deliveries_.deliver(next.event, next.action, next.payload, next.installation_id));
    }
  }
  return Response::json(201, out);
}

Response AdminHandler::handle(const Request& request) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  try {
    if (path == "/_sim/health") return Response::json(200, {{"ok", true}});
    if (path == "/_sim/state" && method == "GET") {
      std::lock_guard lock(state_.mutex());
      return Response::json(200, state_.doc());
    }
    if (path == "/_sim/clock") {
      std::lock_guard lock(state_.mutex());
      if (method == "POST") {
        nlohmann::json body = body_of(request);
        if (!body.contains("advance_seconds") || !body["advance_seconds"].is_number_integer()) {
          throw AdminError("send {\"advance_seconds\": N} (N may be negative)");
        }
        state_.advance_clock(std::chrono::seconds(body["advance_seconds"].get<long long>()));
      } else if (method != "GET") {
        return admin_error(405, "GET or POST /_sim/clock");
      }
      return Response::json(200, {{"now", state_.now_iso()}, {"offset_seconds", state_.clock_offset_seconds()}});
    }
    if (path == "/_sim/tokens/expire" && method == "POST") {
      nlohmann::json body = body_of(request);
      std::optional<std::string> token;
      if (body.contains("token")) token = body["token"].get<std::string>();
      std::lock_guard lock(state_.mutex());
      return Response::json(200, {{"expired", expire_installation_tokens(state_, token)}});
    }
    if (path == "/_sim/faults") {
      if (method == "GET") return Response::json(200, faults_.list());
      if (method == "DELETE") {
        faults_.clear();
        return Response::empty(204);
      }
      if (method == "POST") {
        try {
          return Response::json(201, faults_.add(body_of(request)));
        } catch (const std::invalid_argument& error) {
          return admin_error(400, error.what());
        }
      }
    }
    if (path == "/_sim/requests") {
      if (method == "GET") return Response::json(200, log_.entries());
      if (method == "DELETE") {
        log_.clear();
        return Response::empty(204);
      }
    }
    if (path == "/_sim/webhook") {
      if (method == "PUT") {
        nlohmann::json body = body_of(request);
        if (!body.contains("url") || !body["url"].is_string())
          throw AdminError("send {\"url\": URL, \"secret\": SECRET}");
        deliveries_.configure(body["url"], body.value("secret", ""));
      }
      return Response::json(200, deliveries_.config());
    }
    const std::string deliveries = "/_sim/deliveries";
    if (path == deliveries && method == "GET") return Response::json(200, deliveries_.list());
    if (path == deliveries && method == "POST") {
      // A raw delivery: the payload exactly as given (for odd or malformed events).
      nlohmann::json body = body_of(request);
      if (!body.contains("event") || !body["event"].is_string() || !body.contains("payload")) {
        throw AdminError("send {\"event\": NAME, \"payload\": {...}, \"installation_id\": optional}");
      }
      std::string action =
          body["payload"].is_object() && body["payload"].contains("action") && body["payload"]["action"].is_string()
              ? body["payload"]["action"].get<std::string>()
              : "none";
      return Response::json(
          201, deliveries_.deliver(body["event"], action, body["payload"], body.value("installation_id", 0LL)));
    }
    if (path.starts_with(deliveries + "/")) {
      std::string rest = path.substr(deliveries.size() + 1);
      try {
        if (rest.ends_with("/redeliver") && method == "POST") {
          return Response::json(201,
                                deliveries_.redeliver(rest.substr(0, rest.size() - std::string("/redeliver").size())));
        }
        if (method == "GET") return Response::json(200, deliveries_.get(rest));
      } catch (const std::out_of_range& error) {
        return admin_error(404, error.what());
      }
    }
    const std::string events = "/_sim/events/";
    if (path.starts_with(events) && method == "POST") {
      std::string kind = path.substr(events.size());
      if (!is_event_kind(kind)) {
        return admin_error(
            404, "unknown event kind " + kind +
                     "; one of issue_comment, commit_comment, pull_request_review, push, release, pull_request, "
                     "deployment_protection_rule, workflow_run, check_run");
      }
      return event(kind, request);
    }
    return admin_error(404, "no admin route " + method + " " + path + " (see tests/github-sim/README.md)");
  } catch (const AdminError& error) {
    return admin_error(error.not_found() ? 404 : 400, error.what());
  } catch (const nlohmann::json::exception& error) {
    return admin_error(400, std::string("bad admin request: ") + error.what());
  }
}

}  // namespace deploy::sim
