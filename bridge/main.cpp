// mailbridge entry point: everything lives in the CLI module.
#include "bridge/cli/cli.h"

int main(int argc, char** argv) {
    return mb::cli::run(argc, argv);
}
