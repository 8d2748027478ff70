// The request log: one JSON object per API request (never /_sim/), appended as a line to --log and
// to a file of its own in $GITHUB_SIM_LOG_DIR, and kept in memory for GET /_sim/requests.
// Entries carry the kind of credential used, never the credential.
#pragma once

#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace deploy::sim {

class RequestLog {
 public:
  // Opens the files (append); throws std::runtime_error naming a file that cannot be opened.
  RequestLog(const std::optional<std::string>& file, const std::optional<std::string>& directory,
             const std::string& instance_name);

  void append(const nlohmann::json& entry);
  nlohmann::json entries() const;
  void clear();  // the in-memory copy only; files keep everything
  const std::string& directory_file() const { return directory_file_; }

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> entries_;
  std::ofstream file_;
  std::ofstream directory_stream_;
  std::string directory_file_;
};

}  // namespace deploy::sim
