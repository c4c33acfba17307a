// System-test support: real daemons on loopback, and a small DNS client.
#include "tests/support/daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/ldns_handles.h"

namespace cdns::test {

std::string makeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cdns-test.XXXXXX").string();
  char* d = mkdtemp(tmpl.data());
  return d ? d : "";
}

void removeTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

std::string runCommand(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

bool haveCommand(const std::string& name) {
  int st = 0;
  runCommand("command -v " + name + " >/dev/null 2>&1 || test -x /usr/sbin/" + name, &st);
  return st == 0;
}

Daemon::Daemon(const std::string& binary, std::vector<std::string> args) {
  dir_ = makeTempDir();
  readyFile_ = dir_ + "/ready";
  logFile_ = dir_ + "/daemon.log";
  args.insert(args.begin(), binary);
  args.push_back("--ready-file");
  args.push_back(readyFile_);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(logFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 200 && alive(); ++i) {
    std::ifstream f(readyFile_);
    if (f) {
      std::string what, host;
      unsigned port;
      while (f >> what >> host) {
        if (what == "pid") continue;
        if (f >> port) ports_[what] = static_cast<uint16_t>(port);
      }
      ready_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fprintf(stderr, "daemon %s did not become ready; log:\n%s\n", binary.c_str(), logTail().c_str());
}

Daemon::~Daemon() {
  if (pid_ > 0) kill();
  removeTree(dir_);
}

uint16_t Daemon::port(const std::string& what) const {
  auto it = ports_.find(what);
  return it == ports_.end() ? 0 : it->second;
}

bool Daemon::alive() const {
  if (pid_ <= 0) return false;
  int st;
  return waitpid(pid_, &st, WNOHANG) == 0;
}

void Daemon::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int Daemon::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    int st;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      if (code != 0) fprintf(stderr, "daemon exit status %d; log:\n%s\n", code, logTail().c_str());
      return code;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill();
  return -1;
}

void Daemon::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st;
  waitpid(pid_, &st, 0);
  pid_ = -1;
}

std::string Daemon::log() const {
  std::ifstream f(logFile_);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Daemon::logTail(size_t lines) const {
  std::string all = log();
  size_t pos = all.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = all.rfind('\n', pos - 1);
    if (pos == std::string::npos) return all;
  }
  return all.substr(pos);
}

static sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::vector<uint8_t> udpExchange(uint16_t port, const std::vector<uint8_t>& msg, int timeoutMs) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(port);
  sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  pollfd p{fd, POLLIN, 0};
  std::vector<uint8_t> out;
  if (poll(&p, 1, timeoutMs) == 1) {
    out.resize(65536);
    ssize_t n = recv(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  return out;
}

int tcpConnect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::vector<uint8_t>& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

static bool readExact(int fd, uint8_t* buf, size_t n, int timeoutMs) {
  size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) != 1) return false;
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

std::vector<uint8_t> readFrame(int fd, int timeoutMs) {
  uint8_t len[2];
  if (!readExact(fd, len, 2, timeoutMs)) return {};
  std::vector<uint8_t> msg(static_cast<size_t>(len[0] << 8 | len[1]));
  if (!readExact(fd, msg.data(), msg.size(), timeoutMs)) return {};
  return msg;
}

std::vector<uint8_t> frame(const std::vector<uint8_t>& msg) {
  std::vector<uint8_t> f(msg.size() + 2);
  f[0] = static_cast<uint8_t>(msg.size() >> 8);
  f[1] = static_cast<uint8_t>(msg.size());
  std::copy(msg.begin(), msg.end(), f.begin() + 2);
  return f;
}

std::vector<uint8_t> makeQuery(const std::string& name, uint16_t type, uint16_t id, bool edns, uint16_t payload) {
  ldns_pkt* p = ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), static_cast<ldns_rr_type>(type),
                                   LDNS_RR_CLASS_IN, 0);
  ldns_pkt_set_id(p, id);
  if (edns) {
    ldns_pkt_set_edns_udp_size(p, payload);
    ldns_pkt_set_edns_do(p, true);
  }
  std::vector<uint8_t> out = toWire(p);
  ldns_pkt_free(p);
  return out;
}

}  // namespace cdns::test
