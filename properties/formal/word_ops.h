// The word-type hooks that let the kit's generic code run on Z3 bit-vectors:
// the codec of reference/codec.h (WordOps) and the SMMUv3 driver's entry
// writer (entry_word_ops, models/smmuv3/entry_writer.h). The same source is
// executed on uint64_t by the reference and the driver, and encoded here.
#pragma once

#include "models/smmuv3/entry_writer.h"
#include "models/vtd/pasid_entry_writer.h"
#include "properties/formal/smt.h"
#include "reference/codec.h"

template <> struct svac::ref::WordOps<svac::formal::Expr> {
    using Expr = svac::formal::Expr;
    using boolean = Expr;
    static Expr constant(const Expr &like, uint64_t v) { return Expr::bv(v, like.width()); }
    static Expr literal(const Expr &, bool b) { return Expr::boolean(b); }
    static Expr select(const Expr &c, const Expr &a, const Expr &b) { return Expr::ite(c, a, b); }
    static Expr lshr(const Expr &x, unsigned n) { return x.lshr(n); }
    static Expr shl(const Expr &x, unsigned n) { return x.shl(n); }
};

template <> struct arm_smmu::entry_word_ops<svac::formal::Expr> {
    using Expr = svac::formal::Expr;
    using boolean = Expr;
    static Expr constant(const Expr &like, uint64_t v) { return Expr::bv(v, like.width()); }
    static Expr literal(const Expr &, bool b) { return Expr::boolean(b); }
    static Expr select(const Expr &c, const Expr &a, const Expr &b) { return Expr::ite(c, a, b); }
};

template <> struct vtd::pasid_word_ops<svac::formal::Expr> {
    using Expr = svac::formal::Expr;
    using boolean = Expr;
    static Expr constant(const Expr &like, uint64_t v) { return Expr::bv(v, like.width()); }
    static Expr literal(const Expr &, bool b) { return Expr::boolean(b); }
};
