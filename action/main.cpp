#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "action/cli.hpp"

int main(int argc, char** argv) {
  try {
    return deploy::action::run_cli(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "deploy-action: internal error: " << e.what()
              << "\n(this is a bug in deploy-action; please report it with the command you ran)\n";
    return 70;
  }
}
