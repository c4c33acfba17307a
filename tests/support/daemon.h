// System-test support: starts a real daemon binary on loopback with port 0 and a ready file,
// learns its ports, and stops it with SIGTERM, checking for a clean exit (which also catches
// sanitizer reports). On failure the daemon's log tail is printed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cdns::test {

class Daemon {
 public:
  /// Starts `binary` with `args` plus "--ready-file <tmp>"; waits up to 10 s for the file.
  Daemon(const std::string& binary, std::vector<std::string> args);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool ready() const { return ready_; }
  /// Port for "udp", "tcp", "tls" or "metrics" from the ready file; 0 when absent.
  uint16_t port(const std::string& what) const;
  pid_t pid() const { return pid_; }
  bool alive() const;
  /// Sends a signal (SIGHUP for reload).
  void signal(int sig) const;
  /// SIGTERM, waits up to 10 s; returns the exit status (or -1 when killed / timed out).
  int stop();
  /// SIGKILL and reap.
  void kill();
  /// The daemon's log (stdout and stderr).
  std::string log() const;
  std::string logTail(size_t lines = 40) const;
  const std::string& dir() const { return dir_; }

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string dir_, readyFile_, logFile_;
  std::map<std::string, uint16_t> ports_;
};

/// A temporary directory removed at destruction.
std::string makeTempDir();
void removeTree(const std::string& dir);
void writeFile(const std::string& path, const std::string& text);
/// Runs a shell command and returns its stdout; `status` gets the exit status.
std::string runCommand(const std::string& cmd, int* status = nullptr);
bool haveCommand(const std::string& name);

/// Minimal DNS client helpers over real sockets.
std::vector<uint8_t> udpExchange(uint16_t port, const std::vector<uint8_t>& msg, int timeoutMs = 2000);
int tcpConnect(uint16_t port);
bool sendAll(int fd, const std::vector<uint8_t>& data);
/// Reads one length-prefixed DNS message; empty on EOF/timeout.
std::vector<uint8_t> readFrame(int fd, int timeoutMs = 2000);
std::vector<uint8_t> frame(const std::vector<uint8_t>& msg);
/// A query built with ldns; `edns` adds OPT with `payload`.
std::vector<uint8_t> makeQuery(const std::string& name, uint16_t type, uint16_t id = 0x4242, bool edns = false,
                               uint16_t payload = 1232);

}  // namespace cdns::test
