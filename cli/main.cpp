// sipalg: configure and inspect the sipalg SIP ALG, RouterOS style.
//
// The commands (set, print, connections, stats, monitor) arrive with the
// module's generic netlink interface; for now the tool only names itself.
#include <CLI/CLI.hpp>

#include <string>

namespace {
constexpr const char *version = "0.1";
}

int main(int argc, char **argv) {
    CLI::App app{"sipalg: configure and inspect the sipalg SIP ALG"};
    app.set_version_flag("-V,--version", std::string("sipalg ") + version);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
