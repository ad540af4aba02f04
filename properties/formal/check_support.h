// Pieces the checks of properties/formal share.
#pragma once

#include "properties/formal/checks.h"

#include <string>
#include <vector>

namespace svac::formal {

inline CheckResult start_check(const std::string &name, const std::string &format,
                               std::vector<std::string> clauses, const std::string &proves) {
    CheckResult r;
    r.name = name;
    r.format = format;
    r.clauses = std::move(clauses);
    r.proves = proves;
    r.verdict = Verdict::proved;
    return r;
}

// Adds a solver answer to r; false (and r takes its verdict) unless proved.
inline bool record(CheckResult &r, const Answer &a) {
    ++r.queries;
    r.seconds += a.seconds;
    if (a.verdict == Verdict::proved) return true;
    r.verdict = a.verdict;
    if (!a.reason.empty()) r.reason = a.reason;
    return false;
}

inline CheckResult finish(CheckResult &r) {
    return r;
}

inline std::vector<uint64_t> values_of(const Model &m, const std::vector<Expr> &es) {
    std::vector<uint64_t> v;
    v.reserve(es.size());
    for (const Expr &e : es) v.push_back(m.value(e));
    return v;
}

} // namespace svac::formal
