// cdns-submit: ask the resolver for the best center, submit to that center's relay, follow the job.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cdns::clients {

/// Exit statuses of cdns-submit besides the job's own (sysexits.h values where one fits).
enum SubmitExit : int {
  kExitUsage = 64,        // bad arguments
  kExitNoCenter = 68,     // unknown service, nothing fits, no relay published, unknown job
  kExitUnavailable = 69,  // the resolver or the relay did not answer (timeout, refused connection, TLS)
  kExitProtocol = 76,     // an answer that cannot be used (relay 5xx, not JSON, not DNS)
  kExitRefused = 77,      // the resolver or the relay refused (REFUSED/SERVFAIL; 400, 401, 403, 409, 422, 429)
  kExitJobTimeout = 124,  // the job reached its time limit
  kExitJobKilled = 125,   // the job ended without an exit status (killed, lost by the scheduler)
  kExitJobCancelled = 130,
};

/// Runs cdns-submit with its arguments (without argv[0]). The job's output goes to `out` and
/// `err`; cdns-submit's own lines go to `err`.
int runSubmit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cdns::clients
