// sva-conform host: a driver served over a socket (docs/host-protocol.md).
#include "cli/cli.h"

#include "engine/host/address.h"
#include "engine/host/serve.h"
#include "engine/interrupt.h"
#include "reports/escape.h"

#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>

namespace svac::cli {

using reports::term_escape;

int cmd_host(const SelectedDriver &driver, const std::string &listen) {
    try {
        engine::host::check_address(listen);
    } catch (const std::invalid_argument &e) {
        throw UsageError("--listen " + listen + ": " + e.what());
    }
    reports::Report about; // where the driver's code came from, as a report says it
    set_provenance(about, &driver);
    const engine::host::ServedLibrary library{about.library_kind, about.library_path,
                                              about.library_sha256};
    std::string bound;
    int fd = -1;
    try {
        fd = engine::host::listen_at(listen, bound);
    } catch (const std::runtime_error &e) {
        throw UsageError(std::string("--listen ") + e.what());
    }
    engine::install_stop_handlers(); // SIGINT, SIGTERM: the hosts go, then the listener
    fmt::print("sva-conform host: serving {} {} at {}\n", term_escape(driver.ops->name),
               term_escape(driver.ops->version ? driver.ops->version : ""), term_escape(bound));
    std::fflush(stdout);
    const int rc = engine::host::serve_listening(*driver, fd, library);
    ::close(fd);
    if (listen.rfind("unix:", 0) == 0) ::unlink(listen.substr(5).c_str());
    return rc;
}

} // namespace svac::cli
