// demo-service: the "real service" that end-to-end tests and the demo deploy.
//
//   demo-service --listen 127.0.0.1:0 --state-dir DIR
//
// Prints "demo-service listening on http://127.0.0.1:PORT" once it accepts connections. Every
// request reads DIR/version (the deployed version, text) and DIR/traffic, so a deploy command
// "deploys" by writing those files. A version listed in DIR/broken (one per line) is unhealthy.
//   GET /version             -> 200, the version
//   GET /healthz             -> 200 {"status":"ok","version":"..."} or 500 {"status":"failing"}
//   GET /metrics/error_rate  -> 200, "0" or "0.5" when broken
//   GET /api/v1/query        -> 200, a Prometheus instant-query vector holding the error rate
// Blue-green: with --color live (or --color idle), the version is DIR/COLOR/version, where the live
// colour is DIR/live-color ("blue" when missing) and idle is the other one. Broken versions are
// still listed in DIR/broken. A deploy command writes DIR/$DEPLOY_COLOR/version; a switch command
// writes DIR/live-color. Run one instance with --color live (production) and one with --color idle
// (the preview URL).
// Each connection answers one request and closes; it runs until killed.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

bool is_broken(const std::filesystem::path& dir, const std::string& version) {
  std::istringstream lines(read_file(dir / "broken"));
  for (std::string line; std::getline(lines, line);) {
    if (!version.empty() && trim(line) == version) return true;
  }
  return false;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

// Where the served version is read: DIR itself, or DIR/COLOR for a blue-green role.
std::filesystem::path version_dir(const std::filesystem::path& dir, const std::string& role) {
  if (role.empty()) return dir;
  std::string live = trim(read_file(dir / "live-color"));
  if (live != "green") live = "blue";
  if (role == "live") return dir / live;
  return dir / (live == "blue" ? "green" : "blue");
}

http::response<http::string_body> answer(const http::request<http::string_body>& request,
                                         const std::filesystem::path& dir, const std::string& role) {
  const std::string version = trim(read_file(version_dir(dir, role) / "version"));
  const bool broken = is_broken(dir, version);
  std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));
  http::response<http::string_body> response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/plain");
  if (request.method() != http::verb::get) {
    response.result(http::status::method_not_allowed);
    response.body() = "only GET\n";
  } else if (path == "/version") {
    response.body() = version;
  } else if (path == "/healthz") {
    response.set(http::field::content_type, "application/json");
    if (broken) {
      response.result(http::status::internal_server_error);
      response.body() = R"({"status":"failing"})";
    } else {
      response.body() = R"({"status":"ok","version":)" + json_string(version) + "}";
    }
  } else if (path == "/metrics/error_rate") {
    response.body() = broken ? "0.5" : "0";
  } else if (path == "/api/v1/query") {
    response.set(http::field::content_type, "application/json");
    response.body() = std::string(R"({"status":"success","data":{"resultType":"vector","result":[)") +
                      R"({"metric":{"service":"demo"},"value":[1700000000.0,")" + (broken ? "0.5" : "0") + "\"]}]}}";
  } else {
    response.result(http::status::not_found);
    response.body() = "not found\n";
  }
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

void serve(tcp::socket socket, const std::filesystem::path& dir, const std::string& role) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::read(socket, buffer, request, ec);
  if (ec) return;
  auto response = answer(request, dir, role);
  http::write(socket, response, ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

int usage(const char* problem) {
  std::cerr << "demo-service: " << problem
            << "\nusage: demo-service --listen HOST:PORT --state-dir DIR [--color live|idle]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::filesystem::path dir;
  std::string role;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (arg == "--state-dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--color" && i + 1 < argc) {
      role = argv[++i];
      if (role != "live" && role != "idle") return usage("--color takes live or idle");
    } else {
      return usage(("unknown argument " + arg).c_str());
    }
  }
  if (dir.empty()) return usage("--state-dir is required");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return usage("--listen needs HOST:PORT");
  try {
    asio::io_context io;
    const auto address = asio::ip::make_address(listen.substr(0, colon));
    const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));
    tcp::acceptor acceptor(io, tcp::endpoint(address, port));
    std::printf("demo-service listening on http://%s:%u\n", address.to_string().c_str(),
                static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    for (;;) {
      tcp::socket socket(io);
      acceptor.accept(socket);
      std::thread(serve, std::move(socket), dir, role).detach();
    }
  } catch (const std::exception& error) {
    std::cerr << "demo-service: " << error.what() << "\n";
    return 1;
  }
}
