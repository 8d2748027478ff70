// github-sim: a stateful GitHub REST simulator for tests (see README.md).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "crypto.hpp"
#include "options.hpp"
#include "route_table.hpp"
#include "server.hpp"
#include "simulator.hpp"

int main(int argc, char** argv) {
  using namespace deploy::sim;
  Options options;
  try {
    options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& error) {
    std::cerr << "github-sim: " << error.what() << "\n" << usage();
    return 2;
  }
  if (options.help) {
    std::cout << usage();
    return 0;
  }
  if (options.list_routes) {
    for (const auto& route : routes()) std::cout << route.method << " " << route.path << "\n";
    return 0;
  }

  // SIGTERM/SIGINT are taken by sigwait below; every thread started from here inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    std::string instance = "github-sim-" + std::to_string(::getpid()) + "-" + random_hex(8);
    Simulator simulator(options, instance);
    ServerOptions server_options{options.host, options.port, options.tls_cert, options.tls_key};
    Server server(server_options, [&simulator](Request& request) { return simulator.handle(request); });
    std::string shown_host = options.host == "0.0.0.0" ? "127.0.0.1" : options.host;
    std::printf("github-sim listening on %s://%s:%u\n", server.tls() ? "https" : "http", shown_host.c_str(),
                static_cast<unsigned>(server.port()));
    std::fflush(stdout);

    std::thread acceptor([&server] { server.run(); });
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.stop();
    acceptor.join();
    std::cerr << "github-sim: stopped by signal " << signal_number << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "github-sim: " << error.what() << "\n";
    return 1;
  }
}
