// What every `attune` command shares about its command line: the exit statuses, parsing that
// reports a malformed command line rather than exiting, checks of values the runtime bounds.
#ifndef ATTUNE_TOOLS_ATTUNE_COMMANDLINE_H
#define ATTUNE_TOOLS_ATTUNE_COMMANDLINE_H

#include "llvm/ADT/StringRef.h"

namespace attune {

/// Exit statuses of every command (docs/debugging.md): done; failed on what it was given (a
/// description, weights, a library or tensors that are wrong, a run that fails); the command
/// line asks for something no input could make work (an unknown or malformed option, a value
/// out of its range, options that do not go together).
enum ExitStatus { kExitOk = 0, kExitFailed = 1, kExitUsage = 2 };

/// llvm::cl::ParseCommandLineOptions, but false (the error printed) where LLVM would exit the
/// process with status 1.
bool parseCommandLine(int argc, char **argv, llvm::StringRef overview);

/// Whether `threads`, given as --`flag`, is a thread count the runtime takes: [1,
/// ATTUNE_MAX_THREADS], or 0 where that means the default; else says so.
bool checkThreadCount(int threads, llvm::StringRef flag, bool zeroMeansDefault = false);

} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_COMMANDLINE_H
