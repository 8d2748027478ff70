#include "tests/support/test_store.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

#include "core/postgres/postgres.hpp"

namespace deploy::test {

namespace {

// The server's URL with another database name in place of the one it names.
std::string with_database(const std::string& server, const std::string& name) {
  const std::size_t authority = server.find("//") + 2;
  const std::size_t slash = server.find('/', authority);
  const std::size_t query = server.find('?', authority);
  std::string base = server.substr(0, std::min(slash, query));
  std::string tail = query == std::string::npos ? "" : server.substr(query);
  return base + "/" + name + tail;
}

}  // namespace

bool postgres_selected() {
  const char* value = std::getenv("DEPLOY_TEST_STORE");
  return value != nullptr && std::string(value) == "postgres";
}

std::optional<std::string> postgres_server() {
  const char* value = std::getenv("DEPLOY_TEST_POSTGRES_URL");
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

TestDatabase::TestDatabase() {
  const auto server = postgres_server();
  if (!server) {
    throw std::runtime_error(
        "DEPLOY_TEST_POSTGRES_URL is not set: run the tests under scripts/with-postgres (scripts/test does)");
  }
  static std::atomic<int> counter{0};
  std::random_device random;
  name_ = "deploy_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(random() % 1'000'000);
  postgres::Connection admin(*server);
  admin.exec("CREATE DATABASE " + name_, "creating the test database " + name_);
  url_ = with_database(*server, name_);
}

TestDatabase::~TestDatabase() {
  try {
    postgres::Connection admin(*postgres_server());
    admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", "dropping the test database " + name_);
  } catch (const std::exception&) {  // the server may be stopped by the test; the cluster goes anyway
  }
}

PrivateServer::PrivateServer() {
  const char* bin = std::getenv("DEPLOY_TEST_POSTGRES_BIN");
  if (bin == nullptr || *bin == '\0') {
    throw std::runtime_error("DEPLOY_TEST_POSTGRES_BIN is not set: run the tests under scripts/with-postgres");
  }
  bin_ = bin;
  const char* user = std::getenv("DEPLOY_TEST_POSTGRES_USER");
  if (user != nullptr && *user != '\0') as_ = std::string("runuser -u ") + user + " -- ";
  std::string pattern = (std::filesystem::temp_directory_path() / "deploy-pg-private.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a directory for PostgreSQL");
  dir_ = pattern;
  if (!as_.empty())
    run("handing the directory to the server's user", "chown " + std::string(user) + ": " + dir_.string());
  run("initdb", as_ + bin_ + "/initdb -D " + dir_.string() + "/data -U postgres --auth=trust >" + dir_.string() +
                    "/initdb.log 2>&1");
  // A free port: bind port 0, read it, let it go (another process could take it in between; rare).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot find a free port for PostgreSQL");
  }
  const int port = ntohs(address.sin_port);
  ::close(fd);
  std::ofstream conf(dir_ / "data" / "postgresql.auto.conf", std::ios::app);
  conf << "listen_addresses = '127.0.0.1'\nport = " << port << "\nunix_socket_directories = '" << dir_.string()
       << "'\nfsync = off\n";
  conf.close();
  url_ = "postgres://postgres@127.0.0.1:" + std::to_string(port) + "/postgres";
  start();
}

PrivateServer::~PrivateServer() {
  try {
    stop();
  } catch (const std::exception&) {  // removed below anyway
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PrivateServer::run(const std::string& what, const std::string& command) const {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("PostgreSQL: " + what + " failed: " + command);
}

void PrivateServer::stop() {
  if (!running_) return;
  run("stopping the server", as_ + bin_ + "/pg_ctl -D " + dir_.string() + "/data -m fast -w stop >/dev/null");
  running_ = false;
}

void PrivateServer::start() {
  if (running_) return;
  run("starting the server", as_ + bin_ + "/pg_ctl -D " + dir_.string() + "/data -l " + dir_.string() +
                                 "/server.log -w -t 30 start >/dev/null");
  running_ = true;
}

TestStore::TestStore(std::filesystem::path sqlite_path) {
  if (postgres_selected()) {
    database_.emplace();
    location_ = database_->url();
  } else {
    location_ = sqlite_path.string();
  }
}

}  // namespace deploy::test
