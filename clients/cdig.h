// cdig: a dig-style query tool that knows the compute record types.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cdns::clients {

/// Runs cdig with its arguments (without argv[0]); returns the exit status:
/// 0 answered (NOERROR or NXDOMAIN), 1 bad arguments, 3 the server refused or failed
/// (REFUSED, NOTAUTH, SERVFAIL, FORMERR, NOTIMP), 9 no answer (timeout, connection refused).
int runCdig(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cdns::clients
