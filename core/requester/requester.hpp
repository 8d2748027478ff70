// Who asked for a run that a program started for them. When deploy-bot dispatches a workflow after
// a `/rollback` (or after the `/approve` that completed a release's count), the run's actor is the
// bot; the person who asked and the URL of their comment come as the action's inputs
// `requested-by` and `request-url`, and end up in the audit record and the step summary.
//
// These inputs are untrusted text: anyone who may dispatch the workflow can set them to anything.
// So they are checked here before use, they are only ever recorded and shown (never put into a
// command line), and no policy decision rests on them: who may deploy or roll back is still
// decided for the run's actor. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace deploy::requester {

struct Requester {
  std::string login;  // GitHub login, without '@'; empty: nobody asked (the actor started the run)
  std::string url;    // the request (the comment) on GitHub; may be empty
  bool operator==(const Requester&) const = default;
};

// A GitHub login as GitHub spells them: 1 to 39 ASCII letters, digits and hyphens, not starting
// with a hyphen (older accounts may have other hyphens, so those are not refused), optionally
// followed by "[bot]" (a GitHub App's account). One leading '@' is dropped ("@alice" is alice).
// Empty text gives an empty login. Error code "invalid_login"; the message quotes the text safely.
Result<std::string> parse_login(std::string_view text);

// The URL of a request: "https://HOST[:PORT]/...", or "http://" on the host (and port) of the
// configured GitHub API URL (api_url, e.g. a GitHub Enterprise Server or a simulator on
// loopback). At most 2048 bytes of printable ASCII, no user info, and none of the characters
// that could end a quoted string or a Markdown link (" ' < > ` \ { } | ^). Empty text gives an
// empty URL. Error code "invalid_url"; the message quotes the text safely.
Result<std::string> parse_request_url(std::string_view text, std::string_view api_url);

}  // namespace deploy::requester
