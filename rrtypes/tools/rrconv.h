// cdns-rrconv: converts compute records between presentation, RFC 3597 generic and JSON forms.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cdns::rrtypes {

/// Runs the converter with arguments (without argv[0]); returns the exit status.
int runRrconv(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace cdns::rrtypes
