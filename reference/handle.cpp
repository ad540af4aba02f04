// HANDLE: from linux-5.3 bind returns a handle; a second bind of the same
// (dev, mm) shares it (clauses HANDLE-*).
#include "reference/reference.h"

#include <string>

namespace svac::ref {

Op Reference::by_bond(const Op &op) const {
    auto h = handles_.find(op.handle);
    if (!op.by_handle || h == handles_.end()) return op;
    Op o = op;
    o.dev = h->second.first;
    o.mm = h->second.second;
    o.pasid = PasidArg{true, o.mm};
    return o;
}

// HANDLE-1: the handle of a new bond names no other live handle.
std::optional<Violation> Reference::judge_handle(const Op &op, const Expectation &exp,
                                                 uint32_t handle) const {
    const std::string got = describe(op, *this) + " returned handle " + std::to_string(handle);
    if (exp.handle_rule == Expectation::Handle::same && handle != exp.handle)
        return Violation{ClauseId::HANDLE_2, got + "; (dev " + std::to_string(op.dev) + ", mm " +
                                                 std::to_string(op.mm) + ") has live handle " +
                                                 std::to_string(exp.handle)};
    if (exp.handle_rule == Expectation::Handle::fresh) {
        if (auto h = handles_.find(handle); h != handles_.end())
            return Violation{ClauseId::HANDLE_1, got + ", the live handle of (dev " +
                                                     std::to_string(h->second.first) + ", mm " +
                                                     std::to_string(h->second.second) + ")"};
    }
    return std::nullopt;
}

// The policy's name for a new handle when nobody named one: the lowest free.
uint32_t Reference::unused_handle_name() const {
    return lowest_free_name(handles_);
}

// HANDLE-3 (linux-5.3): one set of ops per handle.
Expectation Reference::expect_set_ops(const Op &op) const {
    Expectation e;
    e.rc_clause = ClauseId::HANDLE_3;
    if (!handles_.count(op.handle)) {
        e.invalid =
            "set_ops names handle " + std::to_string(op.handle) + ", which no live bind returned";
        return e;
    }
    const Op o = by_bond(op);
    const Bond &b = bond(o.dev, o.mm);
    e.rc = b.ops == 0 || b.ops == op.ops ? ErrnoSet{0} : ErrnoSet{-EEXIST};
    return e;
}

void Reference::commit_set_ops(const Op &op, int rc) {
    if (rc != 0 || !handles_.count(op.handle)) return;
    const Op o = by_bond(op);
    bond(o.dev, o.mm).ops = op.ops;
}

} // namespace svac::ref
