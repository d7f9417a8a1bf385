// The subcommands of the `attune` driver, one file each; main.cpp dispatches on the first
// argument. Each returns the process exit code.
#ifndef ATTUNE_TOOLS_ATTUNE_COMMANDS_H
#define ATTUNE_TOOLS_ATTUNE_COMMANDS_H

namespace attune {
int buildCommand(int argc, char **argv);
int runCommand(int argc, char **argv);
int generateCommand(int argc, char **argv);
int compareCommand(int argc, char **argv);
int randomWeightsCommand(int argc, char **argv);
} // namespace attune

#endif // ATTUNE_TOOLS_ATTUNE_COMMANDS_H
