#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "action/cli.hpp"
#include "core/clock.hpp"

int main(int argc, char** argv) {
  try {
    // The one place the program's clock and randomness are chosen; everything below takes them.
    deploy::SystemClock clock;
    const deploy::RandomSource random = deploy::system_random();
    return deploy::action::run_cli(std::vector<std::string>(argv + 1, argv + argc), clock, random);
  } catch (const std::exception& e) {
    std::cerr << "deploy-action: internal error: " << e.what()
              << "\n(this is a bug in deploy-action; please report it with the command you ran)\n";
    return 70;
  }
}
