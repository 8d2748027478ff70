// deploy-bot's log lines are JSON objects (spdlog's pattern wraps each as {"time","level","msg":...});
// this makes the message object, so no call site quotes a value by hand. Values go through
// nlohmann::json: strings are escaped, invalid UTF-8 (a sender's bytes, an error text) is replaced,
// never thrown on, and fields keep the order given. Pure.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace deploy::log_json {

using Field = std::pair<std::string_view, nlohmann::ordered_json>;

// {"event":"NAME",FIELD...} on one line, e.g.
//   spdlog::warn("{}", log_json::event("accept_failed", {{"error", e.what()}, {"failures", n}}));
std::string event(std::string_view name, std::initializer_list<Field> fields = {});

}  // namespace deploy::log_json
