// A request body read into a std::string that grows with the bytes that actually arrive.
// Beast's string_body reserves the announced Content-Length as soon as the header is parsed, so a
// sender that announces 25 MiB and sends one byte makes the bot hold 25 MiB; here the string grows
// (doubling, never past the announced length) only as bytes come in.
#pragma once

#include <algorithm>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <cstring>
#include <string>

namespace deploy::bot {

struct GrowingStringBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      announced_ = length;
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      const std::size_t extra = boost::beast::buffer_bytes(buffers);
      const std::size_t size = body_.size();
      if (extra > body_.max_size() - size) {
        ec = boost::beast::http::error::buffer_overflow;
        return 0;
      }
      grow(size + extra);
      body_.resize(size + extra);
      char* out = body_.data() + size;
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        std::memcpy(out, buffer.data(), buffer.size());
        out += buffer.size();
      }
      ec = {};
      return extra;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    void grow(std::size_t needed) {
      if (needed <= body_.capacity()) return;
      std::size_t target = std::max(needed, body_.capacity() * 2);
      if (announced_ && *announced_ >= needed)
        target = static_cast<std::size_t>(std::min<std::uint64_t>(target, *announced_));
      // Into a fresh string: libstdc++'s reserve() on a non-empty string at least doubles, which
      // would overshoot the announced length.
      std::string grown;
      grown.reserve(target);
      grown.append(body_);
      body_.swap(grown);
    }

    value_type& body_;
    boost::optional<std::uint64_t> announced_;
  };
};

}  // namespace deploy::bot
