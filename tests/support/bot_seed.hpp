// The part of a github-sim seed (tests/github-sim/README.md) every deploy-bot end-to-end test
// shares: deploy-bot as a GitHub App owned by acme with the permissions the bot asks for,
// installed (installation 42) on acme/app.
#pragma once

#include <nlohmann/json.hpp>

namespace deploy::test {

// The seed's "app": any RSA public key will do, the bot runs with an installation token, never a JWT.
inline nlohmann::json deploy_bot_app() {
  return {{"id", 1234},
          {"slug", "deploy-bot"},
          {"owner", "acme"},
          {"public_key_pem",
           "-----BEGIN PUBLIC "
           "KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2etbE5wCtwsATlF6iPxw\nIy1hhF/"
           "gVJ4pK2ErgQVacIxMSXbpQHDsStrAPHB5Mi/uEcqX7HvVywnF4TSwgQAQ\nvt8ec6NnnV/FG7Wjrjr3Pxnajc9/"
           "fVF044ZPNeVZaUZ901TF9mETToSVUc8t2q9+"
           "\nKNKedM2FwIi1aRQdTu9s85kM1X5BT2GMvEKt7aLVisRiAiCjq5d79510qr6o13KX\nmDIORIOhL/"
           "byAKvO9TYFQsktxAcsvO0TARvHYXLupGiug7dIHjYfgcRs1FC74LqV\n/"
           "30MGbMMJ8m4F1IMtqolW9cbdo0rMwAxdooV4n8+pIFFVfYhkXKMD1VKt0zfaiMw\n3wIDAQAB\n-----END PUBLIC KEY-----\n"},
          // contents: write links the tracking issue into the release body and posts commit comments.
          {"permissions",
           {{"actions", "write"},
            {"checks", "write"},
            {"contents", "write"},
            {"deployments", "write"},
            {"issues", "write"},
            {"metadata", "read"},
            {"pull_requests", "write"},
            {"statuses", "write"}}}};
}

// The seed's "organizations": acme, owned by alice (admin), with bob a member and the one member
// of team `deployers`, which has write on acme/app.
inline nlohmann::json acme_organizations() {
  return {{{"login", "acme"},
           {"members", {{"alice", "admin"}, {"bob", "member"}}},
           {"teams",
            {{{"slug", "deployers"}, {"members", {{"bob", "member"}}}, {"repositories", {{"acme/app", "write"}}}}}}}};
}

// The seed's "installations": installation 42 of the app on acme/app.
inline nlohmann::json deploy_bot_installations() {
  return {{{"id", 42}, {"account", "acme"}, {"repositories", {"acme/app"}}}};
}

}  // namespace deploy::test
