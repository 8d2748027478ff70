// The webhook entry as deploy-bot runs it: the bytes of an HTTP request go through Beast's request
// parser with the server's limits (bot/server.cpp), its header through Routes::check_header (what
// the server asks before reading a body), and a request that passes is answered by Routes::handle:
// signature, headers, payload scan and ingest into a real store.
//
// Input: one flag byte, then the request. With bit 0 of the flag set, X-Hub-Signature-256 is
// replaced by the right signature of the body, so that the fuzzer gets past the signature to the
// headers, the scanner and the store; without it the signature check itself is fuzzed.
//
// Properties: nothing crashes or leaks; a header refused by check_header gets a 4xx naming why; an
// unsigned or wrongly signed POST /webhook is 401; a correctly signed one is 202 exactly when the
// payload scanner accepts it and the headers are valid, and never a store failure (503).
#include <spdlog/spdlog.h>

#include <unistd.h>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bot/metrics.hpp"
#include "bot/payload.hpp"
#include "bot/routes.hpp"
#include "core/store/store.hpp"
#include "core/webhook/signature.hpp"
#include "fuzz/check.hpp"

namespace {

namespace http = boost::beast::http;
using deploy::bot::Request;

constexpr std::string_view kSecret = "fuzz-webhook-secret";
constexpr std::size_t kHeaderLimit = 16 * 1024;  // bot/server.cpp
// Each accepted delivery is a row; start over with an empty store now and then so that a long run
// does not grow the database without bound.
constexpr int kRequestsPerStore = 5000;

struct Bot {
  std::filesystem::path dir;
  std::unique_ptr<deploy::store::Store> store;
  deploy::bot::Metrics metrics;
  std::unique_ptr<deploy::bot::Routes> routes;
  int requests = 0;

  void open() {
    routes.reset();
    store.reset();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    deploy::store::Options options;
    options.path = dir / "bot.db";
    store = std::make_unique<deploy::store::Store>(options);
    routes = std::make_unique<deploy::bot::Routes>(*store, metrics, std::string(kSecret));
    requests = 0;
  }
};

Bot* bot = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // every refused request logs a line
  bot = new Bot;
  bot->dir = std::filesystem::temp_directory_path() / ("fuzz-webhook-" + std::to_string(::getpid()));
  bot->open();
  std::atexit([] { std::filesystem::remove_all(bot->dir); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool resign = (data[0] & 1) != 0;
  ++data;
  --size;

  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(deploy::bot::kMaxWebhookBody);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) {
      ec = {};
      if (n == 0) break;
    }
    if (ec) return 0;  // the server closes the connection: nothing reaches the routes
    used += n;
  }
  if (!parser.is_done()) {
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  Request request = parser.release();
  if (resign) {
    request.set(deploy::webhook::kSignatureHeader, deploy::webhook::sign(kSecret, request.body()));
  }

  if (++bot->requests > kRequestsPerStore) bot->open();
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const bool webhook = path == "/webhook" && request.method() == http::verb::post;
  // The server asks this of the header before it reads (or sets room aside for) the body.
  if (const auto refused = bot->routes->check_header(request.base())) {
    const unsigned status = refused->result_int();
    FUZZ_CHECK(webhook);  // only webhooks have header-only checks
    FUZZ_CHECK(status == 400 || status == 401 || status == 411 || status == 413 || status == 415);
    return 0;
  }
  const auto response = bot->routes->handle(request);
  if (!webhook) return 0;
  const unsigned status = response.result_int();
  const auto signature = request.find(deploy::webhook::kSignatureHeader);
  const bool signed_right =
      signature != request.end() && deploy::webhook::verify_signature(kSecret, request.body(), signature->value());
  if (!signed_right) {
    FUZZ_CHECK(status == 401);
    return 0;
  }
  FUZZ_CHECK(status != 503);
  const auto event = request.find("X-GitHub-Event");
  const auto delivery = request.find("X-GitHub-Delivery");
  const bool headers_ok = event != request.end() && !event->value().empty() && delivery != request.end() &&
                          !delivery->value().empty() && delivery->value().size() <= 128;
  const bool payload_ok = deploy::bot::summarize_payload(request.body()).ok();
  FUZZ_CHECK((status == 202) == (headers_ok && payload_ok));
  if (status != 202) FUZZ_CHECK(status == 400);
  return 0;
}
