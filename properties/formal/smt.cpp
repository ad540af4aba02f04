// The SMT layer's implementation: the only place, with the checks of this
// folder, that sees Z3's own API.
#include "properties/formal/smt.h"

#include <z3++.h>

#include <chrono>
#include <stdexcept>

namespace svac::formal {

namespace {

z3::context &ctx() {
    thread_local z3::context c;
    return c;
}

z3::expr z(const Expr &e) {
    if (e.is_null()) throw std::logic_error("formal: a null expression was used");
    return z3::expr(ctx(), e.raw());
}

Expr wrap(const z3::expr &e) {
    return Expr::from_raw(e);
}

} // namespace

Expr Expr::from_raw(_Z3_ast *a) {
    Expr e;
    e.ast_ = a;
    if (a) Z3_inc_ref(ctx(), a);
    return e;
}

Expr::Expr(const Expr &o) : ast_(o.ast_) {
    if (ast_) Z3_inc_ref(ctx(), ast_);
}

Expr &Expr::operator=(const Expr &o) {
    if (o.ast_) Z3_inc_ref(ctx(), o.ast_);
    if (ast_) Z3_dec_ref(ctx(), ast_);
    ast_ = o.ast_;
    return *this;
}

Expr &Expr::operator=(Expr &&o) noexcept {
    if (this != &o) {
        if (ast_) Z3_dec_ref(ctx(), ast_);
        ast_ = o.ast_;
        o.ast_ = nullptr;
    }
    return *this;
}

Expr::~Expr() {
    if (ast_) Z3_dec_ref(ctx(), ast_);
}

Expr Expr::bv(uint64_t value, unsigned width) {
    if (width == 0) throw std::logic_error("formal: a bit-vector of width 0");
    if (width < 64) value &= (uint64_t{1} << width) - 1;
    return wrap(ctx().bv_val(value, width));
}

Expr Expr::var(const std::string &name, unsigned width) {
    return wrap(ctx().bv_const(name.c_str(), width));
}

Expr Expr::boolean(bool b) {
    return wrap(ctx().bool_val(b));
}

Expr Expr::bool_var(const std::string &name) {
    return wrap(ctx().bool_const(name.c_str()));
}

bool Expr::is_bool() const {
    return z(*this).is_bool();
}

unsigned Expr::width() const {
    z3::expr e = z(*this);
    return e.is_bv() ? e.get_sort().bv_size() : 0;
}

Expr operator&(const Expr &a, const Expr &b) {
    return wrap(z(a) & z(b));
}
Expr operator|(const Expr &a, const Expr &b) {
    return wrap(z(a) | z(b));
}
Expr operator^(const Expr &a, const Expr &b) {
    return wrap(z(a) ^ z(b));
}
Expr operator+(const Expr &a, const Expr &b) {
    return wrap(z(a) + z(b));
}
Expr operator-(const Expr &a, const Expr &b) {
    return wrap(z(a) - z(b));
}
Expr operator*(const Expr &a, const Expr &b) {
    return wrap(z(a) * z(b));
}
Expr Expr::operator~() const {
    return wrap(~z(*this));
}

Expr Expr::shl(unsigned n) const {
    unsigned w = width();
    if (n >= w) return bv(0, w);
    if (n == 0) return *this;
    return wrap(z3::shl(z(*this), ctx().bv_val(n, w)));
}

Expr Expr::lshr(unsigned n) const {
    unsigned w = width();
    if (n >= w) return bv(0, w);
    if (n == 0) return *this;
    return wrap(z3::lshr(z(*this), ctx().bv_val(n, w)));
}

Expr Expr::shl(const Expr &n) const {
    return wrap(z3::shl(z(*this), z(n)));
}

Expr Expr::lshr(const Expr &n) const {
    return wrap(z3::lshr(z(*this), z(n)));
}

Expr Expr::extract(unsigned hi, unsigned lo) const {
    return wrap(z(*this).extract(hi, lo));
}

Expr Expr::zext(unsigned to_width) const {
    unsigned w = width();
    if (to_width == w) return *this;
    if (to_width < w) return extract(to_width - 1, 0);
    return wrap(z3::zext(z(*this), to_width - w));
}

Expr operator==(const Expr &a, const Expr &b) {
    return wrap(z(a) == z(b));
}
Expr operator!=(const Expr &a, const Expr &b) {
    return wrap(z(a) != z(b));
}
Expr Expr::ult(const Expr &b) const {
    return wrap(z3::ult(z(*this), z(b)));
}
Expr Expr::ule(const Expr &b) const {
    return wrap(z3::ule(z(*this), z(b)));
}

Expr operator&&(const Expr &a, const Expr &b) {
    return wrap(z(a) && z(b));
}
Expr operator||(const Expr &a, const Expr &b) {
    return wrap(z(a) || z(b));
}
Expr Expr::operator!() const {
    return wrap(!z(*this));
}
Expr Expr::implies(const Expr &b) const {
    return wrap(z3::implies(z(*this), z(b)));
}
Expr Expr::ite(const Expr &c, const Expr &a, const Expr &b) {
    return wrap(z3::ite(z(c), z(a), z(b)));
}

Expr Expr::all(const std::vector<Expr> &es) {
    if (es.empty()) return boolean(true);
    z3::expr_vector v(ctx());
    for (const Expr &e : es) v.push_back(z(e));
    return wrap(z3::mk_and(v));
}

Expr Expr::any(const std::vector<Expr> &es) {
    if (es.empty()) return boolean(false);
    z3::expr_vector v(ctx());
    for (const Expr &e : es) v.push_back(z(e));
    return wrap(z3::mk_or(v));
}

Expr Expr::simplify() const {
    return wrap(z(*this).simplify());
}

std::optional<uint64_t> Expr::as_uint() const {
    z3::expr e = z(*this).simplify();
    if (e.is_true()) return 1;
    if (e.is_false()) return 0;
    uint64_t v = 0;
    if (e.is_numeral() && Z3_get_numeral_uint64(ctx(), e, &v)) return v;
    return std::nullopt;
}

std::string Expr::str() const {
    return is_null() ? "null" : z(*this).to_string();
}

Model::Model(_Z3_model *m) : model_(m) {
    if (m) Z3_model_inc_ref(ctx(), m);
}

Model::Model(const Model &o) : model_(o.model_) {
    if (model_) Z3_model_inc_ref(ctx(), model_);
}

Model &Model::operator=(const Model &o) {
    if (o.model_) Z3_model_inc_ref(ctx(), o.model_);
    if (model_) Z3_model_dec_ref(ctx(), model_);
    model_ = o.model_;
    return *this;
}

Model::~Model() {
    if (model_) Z3_model_dec_ref(ctx(), model_);
}

uint64_t Model::value(const Expr &e) const {
    if (!model_) throw std::logic_error("formal: reading an empty model");
    z3::model m(ctx(), model_);
    z3::expr v = m.eval(z(e), true);
    if (v.is_true()) return 1;
    if (v.is_false()) return 0;
    uint64_t u = 0;
    if (!Z3_get_numeral_uint64(ctx(), v, &u))
        throw std::logic_error("formal: a model value wider than 64 bits");
    return u;
}

std::string Model::str() const {
    if (!model_) return "";
    return z3::model(ctx(), model_).to_string();
}

const char *verdict_name(Verdict v) {
    switch (v) {
    case Verdict::proved:
        return "proved";
    case Verdict::counterexample:
        return "counterexample";
    case Verdict::unknown:
        return "unknown";
    case Verdict::error:
        return "error";
    }
    return "error";
}

Answer prove(const Expr &claim, double timeout_s, const std::vector<Expr> &assumptions) {
    Answer a;
    auto t0 = std::chrono::steady_clock::now();
    try {
        bool booleans = claim.is_bool();
        for (const Expr &e : assumptions) booleans = booleans && e.is_bool();
        if (!booleans) throw std::logic_error("formal: a claim or an assumption is not a boolean");
        // Pure bit-vector problems: simplify, eliminate equalities, then
        // bit-blast to SAT; much faster here than the default strategy.
        z3::tactic t = z3::tactic(ctx(), "simplify") & z3::tactic(ctx(), "propagate-values") &
                       z3::tactic(ctx(), "solve-eqs") & z3::tactic(ctx(), "bit-blast") &
                       z3::tactic(ctx(), "sat");
        if (timeout_s > 0) t = z3::try_for(t, static_cast<unsigned>(timeout_s * 1000 + 0.5));
        z3::solver s = t.mk_solver();
        // Z3 would otherwise take SIGINT during check(): the command's own
        // handler (a report marked incomplete, a second signal exits) must
        // see it. ctrl_c is a solver parameter.
        z3::params no_ctrl_c(ctx());
        no_ctrl_c.set("ctrl_c", false);
        s.set(no_ctrl_c);
        for (const Expr &e : assumptions) s.add(z(e));
        s.add(!z(claim));
        switch (s.check()) {
        case z3::unsat:
            a.verdict = Verdict::proved;
            break;
        case z3::sat:
            a.verdict = Verdict::counterexample;
            a.model = Model(s.get_model());
            break;
        case z3::unknown:
            a.verdict = Verdict::unknown;
            a.reason = s.reason_unknown();
            if (a.reason == "canceled" || a.reason == "timeout") a.reason = "timeout";
            break;
        }
    } catch (const z3::exception &e) {
        a.verdict = Verdict::error;
        a.reason = std::string("z3: ") + e.msg();
    } catch (const std::exception &e) {
        a.verdict = Verdict::error;
        a.reason = e.what();
    }
    a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return a;
}

std::string fresh_name(const std::string &prefix) {
    thread_local uint64_t n = 0;
    return prefix + "!" + std::to_string(n++);
}

} // namespace svac::formal
