// Helpers shared by the admin event files (admin_events.cpp, admin_events_git.cpp): reading the
// admin request's fields (AdminError when missing), finding what it names, and finishing an event
// with its payload.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin_events.hpp"

namespace deploy::sim::admin {

using nlohmann::json;

std::string text(const json& input, const char* key, const std::string& fallback = "");
long long number(const json& input, const char* key);
json& repo_of(View& view, const json& input);
std::string user_of(View& view, const json& input);
json& issue_of(json& repo, long long n);
SimEvent finish(View& view, json& repo, const PayloadTemplates& templates, const std::string& event,
                const std::string& action, const json& fields, const std::string& sender, json result);
// Commits on top of `parent`, from [{"message", "files", "author"}]; returns their shas in order.
std::vector<std::string> add_commits(View& view, json& repo, std::string parent, const json& commits,
                                     const std::string& user);
// Keeps open pull requests whose head is this branch in step with it.
void follow_branch(json& repo, const std::string& branch, const std::string& sha);

// admin_events_git.cpp
SimEvent push_event(const json& input, View& view, const PayloadTemplates& templates);
SimEvent pull_request_event(const json& input, View& view, const PayloadTemplates& templates);

// admin_events_runs.cpp
SimEvent workflow_run_event(const json& input, View& view, const PayloadTemplates& templates);
SimEvent check_run_event(const json& input, View& view, const PayloadTemplates& templates);

}  // namespace deploy::sim::admin
