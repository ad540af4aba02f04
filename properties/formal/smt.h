// A small SMT layer over Z3, in the spirit of Alive2's smt/: expressions
// (bit-vectors and booleans), models, and a solver wrapper whose answer is a
// value with one of four verdicts. Z3 itself stays behind this header: only
// properties/formal/*.cpp include z3++.h.
//
// Every expression lives in the calling thread's Z3 context: build, solve
// and read a check's expressions on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// Z3's C handles (z3_api.h: typedef struct _Z3_ast *Z3_ast), declared so that
// no Z3 header is needed here.
struct _Z3_ast;
struct _Z3_model;

namespace svac::formal {

class Expr {
public:
    Expr() = default; // null: no expression yet
    Expr(const Expr &o);
    Expr(Expr &&o) noexcept : ast_(o.ast_) { o.ast_ = nullptr; }
    Expr &operator=(const Expr &o);
    Expr &operator=(Expr &&o) noexcept;
    ~Expr();

    static Expr bv(uint64_t value, unsigned width = 64);
    static Expr var(const std::string &name, unsigned width = 64);
    static Expr boolean(bool b);
    static Expr bool_var(const std::string &name);

    bool is_null() const { return ast_ == nullptr; }
    bool is_bool() const;
    unsigned width() const; // 0 for a boolean

    // Bit-vectors (operands of equal width; a uint64_t operand becomes a
    // constant of the other operand's width).
    friend Expr operator&(const Expr &a, const Expr &b);
    friend Expr operator|(const Expr &a, const Expr &b);
    friend Expr operator^(const Expr &a, const Expr &b);
    friend Expr operator+(const Expr &a, const Expr &b);
    friend Expr operator-(const Expr &a, const Expr &b);
    friend Expr operator*(const Expr &a, const Expr &b);
    friend Expr operator&(const Expr &a, uint64_t b) { return a & a.constant(b); }
    friend Expr operator|(const Expr &a, uint64_t b) { return a | a.constant(b); }
    friend Expr operator^(const Expr &a, uint64_t b) { return a ^ a.constant(b); }
    friend Expr operator+(const Expr &a, uint64_t b) { return a + a.constant(b); }
    friend Expr operator-(const Expr &a, uint64_t b) { return a - a.constant(b); }
    friend Expr operator*(const Expr &a, uint64_t b) { return a * a.constant(b); }
    Expr operator~() const;
    Expr shl(unsigned n) const;  // 0 once n >= width
    Expr lshr(unsigned n) const; // 0 once n >= width
    Expr shl(const Expr &n) const;
    Expr lshr(const Expr &n) const;
    friend Expr operator<<(const Expr &a, unsigned n) { return a.shl(n); }
    friend Expr operator>>(const Expr &a, unsigned n) { return a.lshr(n); }
    Expr extract(unsigned hi, unsigned lo) const;
    Expr zext(unsigned to_width) const;
    Expr bit(unsigned i) const { return extract(i, i); }
    // A constant of this expression's width.
    Expr constant(uint64_t v) const { return bv(v, width()); }

    // Comparisons (unsigned), giving booleans.
    friend Expr operator==(const Expr &a, const Expr &b);
    friend Expr operator!=(const Expr &a, const Expr &b);
    friend Expr operator==(const Expr &a, uint64_t b) { return a == a.constant(b); }
    friend Expr operator!=(const Expr &a, uint64_t b) { return a != a.constant(b); }
    Expr ult(const Expr &b) const;
    Expr ule(const Expr &b) const;
    Expr ult(uint64_t b) const { return ult(constant(b)); }
    Expr ule(uint64_t b) const { return ule(constant(b)); }
    Expr ugt(uint64_t b) const { return constant(b).ult(*this); }
    Expr uge(uint64_t b) const { return constant(b).ule(*this); }

    // Booleans.
    friend Expr operator&&(const Expr &a, const Expr &b);
    friend Expr operator||(const Expr &a, const Expr &b);
    Expr operator!() const;
    Expr implies(const Expr &b) const;
    static Expr ite(const Expr &c, const Expr &a, const Expr &b);
    static Expr all(const std::vector<Expr> &es); // true when empty
    static Expr any(const std::vector<Expr> &es); // false when empty

    Expr simplify() const;
    // The value of a constant expression (a numeral of width <= 64, or true /
    // false as 1 / 0).
    std::optional<uint64_t> as_uint() const;
    std::string str() const;

    _Z3_ast *raw() const { return ast_; }
    static Expr from_raw(_Z3_ast *a); // takes a new reference

private:
    _Z3_ast *ast_ = nullptr;
};

// A satisfying assignment.
class Model {
public:
    Model() = default;
    Model(const Model &o);
    Model &operator=(const Model &o);
    ~Model();
    explicit Model(_Z3_model *m); // takes a new reference

    bool empty() const { return model_ == nullptr; }
    // e's value (width <= 64, or a boolean as 0/1); unconstrained variables
    // read as 0.
    uint64_t value(const Expr &e) const;
    bool truth(const Expr &e) const { return value(e) != 0; }
    std::string str() const;

private:
    _Z3_model *model_ = nullptr;
};

enum class Verdict {
    proved,         // the claim holds for every assignment
    counterexample, // an assignment breaks it: `model`
    unknown,        // the solver gave up (timeout, resource limit)
    error           // the check itself failed (Z3 exception, bad encoding)
};
const char *verdict_name(Verdict v);

struct Answer {
    Verdict verdict = Verdict::error;
    Model model;        // with counterexample
    std::string reason; // with unknown / error
    double seconds = 0;
};

// Proves `claim` (a boolean) valid: asks whether `assumptions` and not
// `claim` are satisfiable, with a timeout in seconds (0: none).
Answer prove(const Expr &claim, double timeout_s, const std::vector<Expr> &assumptions = {});

// A variable name not used before in this thread: prefix!N.
std::string fresh_name(const std::string &prefix);

} // namespace svac::formal
