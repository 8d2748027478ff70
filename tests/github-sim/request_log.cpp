#include "request_log.hpp"

#include <filesystem>
#include <stdexcept>

namespace deploy::sim {

RequestLog::RequestLog(const std::optional<std::string>& file, const std::optional<std::string>& directory,
                       const std::string& instance_name) {
  if (file) {
    file_.open(*file, std::ios::app);
    if (!file_) throw std::runtime_error("cannot open the request log " + *file + " for appending");
  }
  if (directory && !directory->empty()) {
    std::filesystem::create_directories(*directory);
    directory_file_ = (std::filesystem::path(*directory) / (instance_name + ".jsonl")).string();
    directory_stream_.open(directory_file_, std::ios::app);
    if (!directory_stream_)
      throw std::runtime_error("cannot open " + directory_file_ + " ($GITHUB_SIM_LOG_DIR) for appending");
  }
}

void RequestLog::append(const nlohmann::json& entry) {
  std::string line = entry.dump() + "\n";
  std::lock_guard lock(mutex_);
  entries_.push_back(entry);
  for (std::ofstream* out : {&file_, &directory_stream_}) {
    if (out->is_open()) {
      *out << line;
      out->flush();
    }
  }
}

nlohmann::json RequestLog::entries() const {
  std::lock_guard lock(mutex_);
  return nlohmann::json(entries_);
}

void RequestLog::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace deploy::sim
