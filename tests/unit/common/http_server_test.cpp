// Unit tests: the libuv HTTP/1.1 server, driven by POSIX sockets, an OpenSSL client and curl.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/http_server.h"

using namespace cdns;
using Clock = std::chrono::steady_clock;

namespace {

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool recvMore(int fd, std::string& buf) {
  char tmp[65536];
  ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<size_t>(n));
  return true;
}

// Parses one response from `buf` (filled from fd as needed); leftovers stay in buf.
bool readReply(int fd, std::string& buf, Reply& r, bool head = false) {
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos)
    if (!recvMore(fd, buf)) return false;
  r = Reply{};
  std::string headText = buf.substr(0, end + 2);
  buf.erase(0, end + 4);
  size_t eol = headText.find("\r\n");
  r.status = std::atoi(headText.substr(9, 3).c_str());
  for (size_t p = eol + 2; p < headText.size();) {
    size_t e = headText.find("\r\n", p);
    std::string line = headText.substr(p, e - p);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(c));
    r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    p = e + 2;
  }
  size_t len =
      head || !r.headers.count("content-length") ? 0 : std::stoul(r.headers["content-length"]);
  while (buf.size() < len)
    if (!recvMore(fd, buf)) return false;
  r.body = buf.substr(0, len);
  buf.erase(0, len);
  return true;
}

// True when the peer closes (EOF or reset) within `ms`; data that arrives first is dropped.
bool waitClosed(int fd, int ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

bool haveTool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

std::string runCommand(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

http::Response route(const http::Request& req) {
  http::Response r;
  if (req.path == "/hello") {
    r.body = "hello\n";
  } else if (req.path == "/echo") {
    r.body = req.method + "|" + req.path + "|" + req.query + "|" + req.body;
    r.headers.emplace_back("X-Peer", req.peer);
    if (const std::string* v = req.header("x-test")) r.headers.emplace_back("X-Test", *v);
  } else if (req.path == "/big") {
    r.body.assign(std::stoul(req.query), 'b');
  } else if (req.path == "/throw") {
    throw std::runtime_error("boom");
  } else if (req.path == "/bad-header") {
    r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x");
    r.body = "ok";
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }

  void start(http::ServerOptions opts = {}, http::Handler handler = route) {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    loopInit_ = true;
    server_ = std::make_unique<http::Server>(&loop_, std::move(handler), std::move(opts));
    run();
  }

  void startAsync(http::AsyncHandler handler) {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    loopInit_ = true;
    server_ = std::make_unique<http::Server>(&loop_, std::move(handler));
    run();
  }

  void run() {
    auto port = server_->listen("127.0.0.1:0");
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    ASSERT_NE(port_, 0);
    stop_.data = this;
    uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
      static_cast<HttpServerTest*>(a->data)->server_->close();
      uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }

  void TearDown() override {
    if (!loopInit_) return;
    if (thread_.joinable()) {
      uv_async_send(&stop_);
      thread_.join();
    } else if (server_) {
      server_->close();
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    server_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  int connect() {
    int fd = connectTo(port_);
    EXPECT_GE(fd, 0);
    return fd;
  }

  // One request on a fresh connection; the connection is then closed.
  Reply roundTrip(const std::string& request) {
    int fd = connect();
    std::string buf;
    Reply r;
    EXPECT_TRUE(sendAll(fd, request));
    EXPECT_TRUE(readReply(fd, buf, r));
    ::close(fd);
    return r;
  }

  uv_loop_t loop_{};
  uv_async_t stop_{};
  bool loopInit_ = false;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, GetWithKeepAlive) {
  start();
  int fd = connect();
  std::string buf;
  Reply r;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sendAll(fd, get("/echo?i=" + std::to_string(i), "X-Test: yes\r\n")));
    ASSERT_TRUE(readReply(fd, buf, r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET|/echo|i=" + std::to_string(i) + "|");
    EXPECT_EQ(r.headers["content-length"], std::to_string(r.body.size()));
    EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
    EXPECT_EQ(r.headers["x-test"], "yes");
    EXPECT_EQ(r.headers["x-peer"].rfind("127.0.0.1:", 0), 0u) << r.headers["x-peer"];
    EXPECT_EQ(r.headers.count("connection"), 0u);
  }
  ::close(fd);
}

TEST_F(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  start();
  int fd = connect();
  ASSERT_TRUE(sendAll(fd, get("/echo?n=1") + "\r\n" + get("/hello") + get("/echo?n=3")));
  std::string buf;
  Reply a, b, c;
  ASSERT_TRUE(readReply(fd, buf, a));
  ASSERT_TRUE(readReply(fd, buf, b));
  ASSERT_TRUE(readReply(fd, buf, c));
  EXPECT_EQ(a.body, "GET|/echo|n=1|");
  EXPECT_EQ(b.body, "hello\n");
  EXPECT_EQ(c.body, "GET|/echo|n=3|");
  ::close(fd);
}

TEST_F(HttpServerTest, RequestSplitAcrossManyReads) {
  start();
  int fd = connect();
  std::string request = "POST /echo?s HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz";
  for (char c : request) {  // one byte per segment
    ASSERT_TRUE(sendAll(fd, std::string(1, c)));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string buf;
  Reply r;
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.body, "POST|/echo|s|xyz");
  ::close(fd);
}

TEST_F(HttpServerTest, PostWithBodyAndExpectContinue) {
  start();
  Reply r = roundTrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST|/echo||hello");

  int fd = connect();
  std::string buf;
  ASSERT_TRUE(sendAll(fd,
                      "PUT /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                      "Content-Length: 3\r\n\r\n"));
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.status, 100);
  ASSERT_TRUE(sendAll(fd, "abc"));
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.body, "PUT|/echo||abc");
  ::close(fd);
}

TEST_F(HttpServerTest, HeadSendsHeadersOnly) {
  start();
  int fd = connect();
  ASSERT_TRUE(sendAll(fd, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/hello")));
  std::string buf;
  Reply r;
  ASSERT_TRUE(readReply(fd, buf, r, /*head=*/true));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-length"], "6");
  ASSERT_TRUE(readReply(fd, buf, r));  // the next response follows at once: no stray body
  EXPECT_EQ(r.body, "hello\n");
  ::close(fd);
}

TEST_F(HttpServerTest, NotFoundFromHandlerAndInvalidHeaderDropped) {
  start();
  Reply r = roundTrip(get("/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not found\n");
  r = roundTrip(get("/bad-header"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.count("x-evil"), 0u);
  EXPECT_EQ(r.headers.count("set-cookie"), 0u);
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10) {
  start();
  int fd = connect();
  std::string buf;
  Reply r;
  ASSERT_TRUE(sendAll(fd, get("/hello", "Connection: close\r\n")));
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(waitClosed(fd, 3000));
  ::close(fd);

  fd = connect();
  buf.clear();
  ASSERT_TRUE(sendAll(fd, "GET /hello HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_TRUE(waitClosed(fd, 3000));
  ::close(fd);

  fd = connect();
  buf.clear();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(sendAll(fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    ASSERT_TRUE(readReply(fd, buf, r));
    EXPECT_EQ(r.headers["connection"], "keep-alive");
  }
  ::close(fd);
}

TEST_F(HttpServerTest, MalformedRequestsGet4xxAndClose) {
  start();
  const std::pair<std::string, int> cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},  // no Host
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
      {"GET / HTTX/1.1\r\nHost: t\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411},
      {"GET / HTTP/1.1\r\nHost: t\r\nExpect: magic\r\n\r\n", 417},
  };
  for (const auto& [request, status] : cases) {
    int fd = connect();
    std::string buf;
    Reply r;
    ASSERT_TRUE(sendAll(fd, request));
    ASSERT_TRUE(readReply(fd, buf, r)) << request;
    EXPECT_EQ(r.status, status) << request;
    EXPECT_EQ(r.headers["connection"], "close") << request;
    EXPECT_EQ(r.headers["content-length"], std::to_string(r.body.size()));
    EXPECT_TRUE(waitClosed(fd, 3000)) << request;
    ::close(fd);
  }
}

TEST_F(HttpServerTest, HugeHeaderGets431) {
  start();
  Reply r = roundTrip(get("/hello", "X-Big: " + std::string(20000, 'x') + "\r\n"));
  EXPECT_EQ(r.status, 431);
  r = roundTrip("GET /" + std::string(20000, 'a'));  // a request line that never ends
  EXPECT_EQ(r.status, 414);
}

TEST_F(HttpServerTest, BodyOverLimitGets413) {
  http::ServerOptions opts;
  opts.maxBodyBytes = 1000;
  start(opts);
  Reply r = roundTrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
                      std::string(1000, 'z'));
  EXPECT_EQ(r.status, 200);
  int fd = connect();
  std::string buf;
  ASSERT_TRUE(sendAll(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"));
  sendAll(fd, std::string(1001, 'z'));  // sent regardless: the server drains it
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(waitClosed(fd, 3000));
  ::close(fd);
  r = roundTrip(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n");
  EXPECT_EQ(r.status, 413);
}

TEST_F(HttpServerTest, IdleTimeoutClosesConnection) {
  http::ServerOptions opts;
  opts.idleTimeoutMs = 200;
  start(opts);
  int fd = connect();
  std::string buf;
  Reply r;
  ASSERT_TRUE(sendAll(fd, get("/hello")));
  ASSERT_TRUE(readReply(fd, buf, r));
  auto t0 = Clock::now();
  EXPECT_TRUE(waitClosed(fd, 5000));
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(100));
  ::close(fd);

  fd = connect();  // a request that never completes (slowloris) is cut off too
  ASSERT_TRUE(sendAll(fd, "GET /hello HTTP/1.1\r\n"));
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    sendAll(fd, "X: y\r\n");
  }
  EXPECT_TRUE(waitClosed(fd, 5000));
  ::close(fd);
}

TEST_F(HttpServerTest, MaxConnectionsClosesNewOnes) {
  http::ServerOptions opts;
  opts.maxConnections = 2;
  start(opts);
  int a = connect(), b = connect();
  std::string bufA, bufB;
  Reply r;
  ASSERT_TRUE(sendAll(a, get("/hello")) && readReply(a, bufA, r));
  ASSERT_TRUE(sendAll(b, get("/hello")) && readReply(b, bufB, r));
  int c = connect();
  EXPECT_TRUE(waitClosed(c, 3000));
  ::close(c);
  ::close(a);
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {  // the server sees a's EOF soon
    int d = connect();
    std::string buf;
    served = sendAll(d, get("/hello")) && readReply(d, buf, r) && r.status == 200;
    ::close(d);
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served);
  ASSERT_TRUE(sendAll(b, get("/hello")) && readReply(b, bufB, r));
  ::close(b);
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  start();
  int fd = connect();
  std::string buf;
  Reply r;
  ASSERT_TRUE(sendAll(fd, get("/throw")));
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(r.body.find("boom"), std::string::npos);
  ASSERT_TRUE(sendAll(fd, get("/hello")));  // the connection survives
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.status, 200);
  ::close(fd);
}

TEST_F(HttpServerTest, SlowReaderDoesNotBlockOthers) {
  start();
  int slow = connect();
  std::string many;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) many += get("/big?65536");
  ASSERT_TRUE(sendAll(slow, many));  // 12.5 MiB of answers that nobody reads yet
  int stalled = connect();
  ASSERT_TRUE(sendAll(stalled, "GET /hello HTTP/1.1\r\nHo"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = Clock::now();
  Reply r = roundTrip(get("/hello"));
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  std::string buf;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(readReply(slow, buf, r)) << i;
    ASSERT_EQ(r.body.size(), 65536u);
  }
  ::close(slow);
  ::close(stalled);
}

TEST_F(HttpServerTest, HandlerMayCloseServer) {
  start({}, [this](const http::Request&) {
    server_->close();
    return http::Response{};
  });
  int fd = connect();
  ASSERT_TRUE(sendAll(fd, get("/")));
  EXPECT_TRUE(waitClosed(fd, 3000));
  ::close(fd);
  EXPECT_LT(connectTo(port_), 0);  // no longer listening
}

// An asynchronous handler: "/later" is answered from a timer on the loop, after the handler has
// returned; what follows on the same connection waits for it and comes after it.
void answerLater(uv_loop_t* loop, http::Responder respond, uint64_t ms) {
  struct Later {
    uv_timer_t timer;
    http::Responder respond;
  };
  auto* l = new Later{{}, std::move(respond)};
  uv_timer_init(loop, &l->timer);
  l->timer.data = l;
  uv_timer_start(&l->timer, [](uv_timer_t* t) {
    auto* later = static_cast<Later*>(t->data);
    http::Response r;
    r.body = "later\n";
    later->respond(std::move(r));
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete static_cast<Later*>(h->data); });
  }, ms, 0);
}

TEST_F(HttpServerTest, AsyncHandlerAnswersLaterInOrder) {
  startAsync([this](const http::Request& req, http::Responder respond) {
    if (req.path == "/later") return answerLater(&loop_, std::move(respond), 50);
    if (req.path == "/throw") throw std::runtime_error("boom");
    respond(route(req));
  });
  int fd = connect();
  ASSERT_TRUE(sendAll(fd, get("/later") + get("/hello") + get("/later") + get("/echo?n=4")));
  std::string buf;
  Reply a, b, c, d;
  ASSERT_TRUE(readReply(fd, buf, a));
  ASSERT_TRUE(readReply(fd, buf, b));
  ASSERT_TRUE(readReply(fd, buf, c));
  ASSERT_TRUE(readReply(fd, buf, d));
  EXPECT_EQ(a.body, "later\n");
  EXPECT_EQ(b.body, "hello\n");
  EXPECT_EQ(c.body, "later\n");
  EXPECT_EQ(d.body, "GET|/echo|n=4|");
  ::close(fd);
  EXPECT_EQ(roundTrip(get("/throw")).status, 500);
}

TEST_F(HttpServerTest, AsyncAnswerAfterTheClientLeftIsDropped) {
  startAsync([this](const http::Request& req, http::Responder respond) {
    if (req.path == "/later") return answerLater(&loop_, std::move(respond), 200);
    respond(route(req));
  });
  int fd = connect();
  ASSERT_TRUE(sendAll(fd, get("/later")));
  ::close(fd);  // gone before the answer
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Reply r = roundTrip(get("/hello"));  // the server carries on
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  // A request followed by the client's FIN still gets its late answer.
  fd = connect();
  ASSERT_TRUE(sendAll(fd, get("/later")));
  ::shutdown(fd, SHUT_WR);
  std::string buf;
  ASSERT_TRUE(readReply(fd, buf, r));
  EXPECT_EQ(r.body, "later\n");
  ::close(fd);
}

TEST_F(HttpServerTest, CurlGetAndPost) {
  if (!haveTool("curl")) GTEST_SKIP() << "curl not in PATH";
  start();
  std::string base = "http://127.0.0.1:" + std::to_string(port_);
  EXPECT_EQ(runCommand("curl -s " + base + "/hello"), "hello\n");
  EXPECT_EQ(runCommand("curl -s --data-binary abc " + base + "/echo?q"), "POST|/echo|q|abc");
  // Two URLs on one connection: the second needs no new connect.
  EXPECT_EQ(runCommand("curl -s -w '%{http_code}:%{num_connects} ' -o /dev/null " + base +
                       "/x -o /dev/null " + base + "/y"),
            "404:1 404:0 ");
}

TEST(HttpServerListen, ErrorsNameTheProblem) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  {
    http::Server server(&loop, route);
    auto port = server.listen("127.0.0.1:0");
    ASSERT_TRUE(port.ok());
    auto again = server.listen("127.0.0.1:" + std::to_string(*port));
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("EADDRINUSE"), std::string::npos) << again.error().message;
    EXPECT_FALSE(server.listen("nonsense").ok());
    http::ServerOptions tls;
    tls.tlsCertFile = "/nonexistent/cert.pem";
    tls.tlsKeyFile = "/nonexistent/key.pem";
    http::Server tlsServer(&loop, route, tls);
    auto bad = tlsServer.listen("127.0.0.1:0");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("/nonexistent/cert.pem"), std::string::npos);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(HttpParseHostPort, AcceptsAndRejects) {
  auto v4 = http::parseHostPort("127.0.0.1:9100");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(http::formatAddress(reinterpret_cast<const sockaddr*>(&*v4)), "127.0.0.1:9100");
  auto v6 = http::parseHostPort("[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(http::formatAddress(reinterpret_cast<const sockaddr*>(&*v6)), "[::1]:8080");
  const std::pair<const char*, const char*> bad[] = {
      {"", "missing :port"},        {"127.0.0.1", "missing :port"}, {"::1:80", "brackets"},
      {"[::1]80", "missing :port"}, {"[::1:80", "missing ']'"},     {"1.2.3.4:99999", "bad port"},
      {"1.2.3.4:", "missing port"}, {":80", "missing host"},        {"localhost:80", "numeric"},
      {"[1.2.3.4]:80", "bad IPv6"}, {"1.2.3.4:-1", "bad port"},
  };
  for (const auto& [input, problem] : bad) {
    auto r = http::parseHostPort(input);
    ASSERT_FALSE(r.ok()) << input;
    EXPECT_NE(r.error().message.find(problem), std::string::npos) << r.error().message;
  }
}

// HTTPS: a self-signed certificate made with the openssl CLI, once for the suite.
class HttpsServerTest : public HttpServerTest {
 protected:
  static void SetUpTestSuite() {
    HttpServerTest::SetUpTestSuite();
    if (!haveTool("openssl")) return;
    dir_ = std::filesystem::temp_directory_path() / ("cdns-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " >/dev/null 2>&1";
    haveCert_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void startTls() {
    http::ServerOptions opts;
    opts.tlsCertFile = (dir_ / "cert.pem").string();
    opts.tlsKeyFile = (dir_ / "key.pem").string();
    start(opts);
  }
  static inline std::filesystem::path dir_;
  static inline bool haveCert_ = false;
};

TEST_F(HttpsServerTest, OpenSslClientPipelinesOverTls) {
  if (!haveCert_) GTEST_SKIP() << "openssl CLI missing or failed";
  startTls();
  int fd = connect();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ASSERT_EQ(SSL_connect(ssl), 1);
  std::string req =
      get("/echo?tls") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody";
  ASSERT_EQ(SSL_write(ssl, req.data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
  std::string got;
  const std::string want1 = "GET|/echo|tls|", want2 = "POST|/echo||body";
  char buf[16384];
  while (got.find(want2) == std::string::npos) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find(want1), std::string::npos) << got;
  EXPECT_LT(got.find(want1), got.find(want2)) << got;
  SSL_shutdown(ssl);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
}

TEST_F(HttpsServerTest, PlainTextToTlsPortIsClosedAndServerSurvives) {
  if (!haveCert_) GTEST_SKIP() << "openssl CLI missing or failed";
  startTls();
  int fd = connect();
  ASSERT_TRUE(sendAll(fd, get("/hello")));
  EXPECT_TRUE(waitClosed(fd, 3000));
  ::close(fd);
  if (!haveTool("curl")) GTEST_SKIP() << "curl not in PATH";
  std::string url = "https://127.0.0.1:" + std::to_string(port_);
  EXPECT_EQ(runCommand("curl -sk " + url + "/hello"), "hello\n");
  EXPECT_EQ(runCommand("curl -sk --data-binary xyz " + url + "/echo " + url + "/hello"),
            "POST|/echo||xyzhello\n");
}

}  // namespace
