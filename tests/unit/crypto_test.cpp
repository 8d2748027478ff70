#include "core/crypto/crypto.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

namespace crypto = deploy::crypto;

TEST_CASE("to_hex: lowercase, two digits per byte") {
  CHECK(crypto::to_hex(std::string_view{}) == "");
  CHECK(crypto::to_hex(std::string_view("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
  const std::array<unsigned char, 3> bytes{0xde, 0xad, 0x01};
  CHECK(crypto::to_hex(bytes) == "dead01");
}

TEST_CASE("sha256_hex: FIPS 180-2 vectors") {
  CHECK(crypto::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(crypto::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("hmac_sha256: RFC 4231 vectors, raw and hex") {
  struct Case {
    std::string name;
    std::string key;
    std::string data;
    std::string mac;
  };
  const std::vector<Case> cases = {
      {"RFC 4231 case 1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"RFC 4231 case 2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      // A key longer than the block size is hashed first.
      {"RFC 4231 case 6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      // GitHub's documented webhook example.
      {"GitHub webhook", "It's a Secret to Everybody", "Hello, World!",
       "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
      {"empty data", "secret", "", "f9e66e179b6747ae54108f82f8ade8b3c25d76fd30afde6c395822c530196169"},
      {"empty key and data", "", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(crypto::hmac_sha256_hex(c.key, c.data) == c.mac);
    const crypto::Sha256 raw = crypto::hmac_sha256(c.key, c.data);
    CHECK(crypto::to_hex(raw) == c.mac);
  }
}

TEST_CASE("constant_time_equal: contents and length") {
  struct Case {
    std::string a, b;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"", "", true},
      {"abc", "abc", true},
      {"abc", "abd", false},
      {"abc", "bbc", false},
      {"abc", "ab", false},
      {"", "a", false},
      {std::string("a\0b", 3), std::string("a\0c", 3), false},
      {std::string("a\0b", 3), std::string("a\0b", 3), true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    CHECK(crypto::constant_time_equal(c.a, c.b) == c.equal);
    CHECK(crypto::constant_time_equal(c.b, c.a) == c.equal);
  }
  const crypto::Sha256 x = crypto::hmac_sha256("k", "x");
  crypto::Sha256 y = x;
  CHECK(crypto::constant_time_equal(x, y));
  y[31] ^= 1;
  CHECK_FALSE(crypto::constant_time_equal(x, y));
  CHECK_FALSE(
      crypto::constant_time_equal(std::span<const unsigned char>(x), std::span<const unsigned char>(x).first(31)));
}

TEST_CASE("random_bytes: the size asked for, and not the same twice") {
  CHECK(crypto::random_bytes(0).empty());
  CHECK(crypto::random_bytes(1).size() == 1);
  // 32 random bytes repeat or are all zero with probability 2^-256: a failure here means the
  // generator is broken, not bad luck.
  std::set<std::vector<unsigned char>> seen;
  for (int i = 0; i < 8; ++i) {
    const auto bytes = crypto::random_bytes(32);
    REQUIRE(bytes.size() == 32);
    CHECK(std::any_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b != 0; }));
    seen.insert(bytes);
  }
  CHECK(seen.size() == 8);
}

TEST_CASE("base64_encode: RFC 4648 test vectors") {
  struct Case {
    std::string in, out;
  };
  for (const Case& c : std::vector<Case>{{"", ""},
                                         {"f", "Zg=="},
                                         {"fo", "Zm8="},
                                         {"foo", "Zm9v"},
                                         {"foob", "Zm9vYg=="},
                                         {"fooba", "Zm9vYmE="},
                                         {"foobar", "Zm9vYmFy"}}) {
    CAPTURE(c.in);
    CHECK(deploy::crypto::base64_encode(c.in) == c.out);
  }
}
