// Batched UDP serving, shared by the authority and the resolver: up to kBatch datagrams read
// with one recvmmsg, their answers sent back with one sendmmsg, a bounded number of rounds per
// readable event (so that the other work of the same loop gets its turn).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace cdns::net {

class UdpBatch {
 public:
  static constexpr int kBatch = 64;
  static constexpr size_t kInSize = 65535;  // the largest datagram: big signed updates fit

  /// `maxPayload`: the most an answer may take (a slot of the output buffer each).
  explicit UdpBatch(size_t maxPayload) : outSlot_(maxPayload), outBuf_(maxPayload * kBatch) {
    for (int i = 0; i < kBatch; ++i) {
      inIov_[i] = {inBuf_[static_cast<size_t>(i)].data(), kInSize};
      std::memset(&in_[i], 0, sizeof in_[i]);
      in_[i].msg_hdr.msg_iov = &inIov_[i];
      in_[i].msg_hdr.msg_iovlen = 1;
      std::memset(&out_[i], 0, sizeof out_[i]);
      out_[i].msg_hdr.msg_iov = &outIov_[i];
      out_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  UdpBatch(const UdpBatch&) = delete;
  UdpBatch& operator=(const UdpBatch&) = delete;

  /// Reads what is waiting on the non-blocking socket `fd`. For each datagram,
  /// `handle(msg, len, peer, peerLen, out, cap)` writes the answer into `out` and returns its
  /// length (0: no answer now). Returns how many datagrams were dropped as too long.
  template <class Handle>
  size_t serve(int fd, Handle&& handle) {
    size_t truncated = 0;
    for (int round = 0; round < 16; ++round) {
      for (int i = 0; i < kBatch; ++i) {
        in_[i].msg_hdr.msg_name = &peers_[i];
        in_[i].msg_hdr.msg_namelen = sizeof peers_[i];
        in_[i].msg_hdr.msg_flags = 0;
      }
      int n = recvmmsg(fd, in_, kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      int m = 0;
      for (int i = 0; i < n; ++i) {
        if (in_[i].msg_hdr.msg_flags & MSG_TRUNC) {
          ++truncated;
          continue;
        }
        uint8_t* out = outBuf_.data() + static_cast<size_t>(m) * outSlot_;
        size_t len = handle(static_cast<const uint8_t*>(inIov_[i].iov_base), static_cast<size_t>(in_[i].msg_len), peers_[i],
                            in_[i].msg_hdr.msg_namelen, out, outSlot_);
        if (!len) continue;
        outIov_[m] = {out, len};
        out_[m].msg_hdr.msg_name = &peers_[i];
        out_[m].msg_hdr.msg_namelen = in_[i].msg_hdr.msg_namelen;
        ++m;
      }
      int sent = 0;
      while (sent < m) {
        int r = sendmmsg(fd, out_ + sent, static_cast<unsigned>(m - sent), MSG_DONTWAIT);
        if (r <= 0) break;  // socket buffer full: UDP may drop, the client retries
        sent += r;
      }
      if (n < kBatch) break;
    }
    return truncated;
  }

 private:
  mmsghdr in_[kBatch];
  iovec inIov_[kBatch];
  sockaddr_storage peers_[kBatch];
  std::vector<std::array<uint8_t, kInSize>> inBuf_ = std::vector<std::array<uint8_t, kInSize>>(kBatch);
  mmsghdr out_[kBatch];
  iovec outIov_[kBatch];
  size_t outSlot_;
  std::vector<uint8_t> outBuf_;
};

}  // namespace cdns::net
