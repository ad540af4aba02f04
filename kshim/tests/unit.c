// SPDX-License-Identifier: MIT
/*
 * kshim's own unit tests: the containers and helpers the kernel files lean
 * on, compiled as a kernel file is (kshim's headers, -nostdinc) with
 * runtime/lib.c. The xarray (store, load, erase, allocation in a range and
 * from 1, the lowest free index), the IDA, a static xarray emptied when a
 * world goes, the bitfield helpers, and WARN_ON reaching kshim_warn with
 * its file and line. Prints each failure; exits 1 if any.
 */
#include "../runtime/world.h"

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/idr.h>
#include <linux/xarray.h>

int printf(const char *fmt, ...);
void exit(int status) __attribute__((noreturn));

static int failures, checks;
static unsigned int warned;
static int warned_line;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        ++checks;                                                                                  \
        if (!(cond)) {                                                                             \
            ++failures;                                                                            \
            printf("kshim-unit: FAILED at line %d: %s\n", __LINE__, #cond);                        \
        }                                                                                          \
    } while (0)

/* What the rest of the runtime would provide. */
struct kshim_world *kshim_world;
void kshim_report(const char *level, const char *fmt, ...) {
    printf("kshim-unit: %s: %s\n", level, fmt);
}
void kshim_warn(const char *file, int line, const char *what) {
    (void)file;
    (void)what;
    ++warned;
    warned_line = line;
}
void kshim_bug(const char *file, int line) {
    printf("kshim-unit: BUG at %s:%d\n", file, line);
    exit(1);
}

static DEFINE_XARRAY_ALLOC1(static_xa);
static DEFINE_IDA(static_ida);

static void test_xarray(void) {
    struct xarray xa;
    int a = 1, b = 2, c = 3;
    xa_init_flags(&xa, 0);
    CHECK(xa_empty(&xa));
    CHECK(xa_load(&xa, 5) == NULL);
    CHECK(xa_store(&xa, 5, &a, GFP_KERNEL) == NULL);
    CHECK(xa_store(&xa, 1, &b, GFP_KERNEL) == NULL);
    CHECK(xa_load(&xa, 5) == &a && xa_load(&xa, 1) == &b && xa_load(&xa, 2) == NULL);
    CHECK(xa_store(&xa, 5, &c, GFP_KERNEL) == &a); /* replaced: the old entry back */
    CHECK(xa_insert(&xa, 1, &a, GFP_KERNEL) == -EBUSY);
    CHECK(xa_cmpxchg(&xa, 5, &a, &b, GFP_KERNEL) == &c && xa_load(&xa, 5) == &c);
    CHECK(xa_erase(&xa, 1) == &b && xa_load(&xa, 1) == NULL && xa_erase(&xa, 1) == NULL);
    CHECK(!xa_empty(&xa));
    xa_destroy(&xa);
    CHECK(xa_empty(&xa));

    /* Allocation: the lowest free index in the limit, both ends inclusive. */
    u32 id = 0;
    xa_init_flags(&xa, XA_FLAGS_ALLOC);
    CHECK(xa_alloc(&xa, &id, &a, XA_LIMIT(3, 5), GFP_KERNEL) == 0 && id == 3);
    CHECK(xa_alloc(&xa, &id, &a, XA_LIMIT(3, 5), GFP_KERNEL) == 0 && id == 4);
    CHECK(xa_alloc(&xa, &id, &a, XA_LIMIT(3, 5), GFP_KERNEL) == 0 && id == 5);
    CHECK(xa_alloc(&xa, &id, &a, XA_LIMIT(3, 5), GFP_KERNEL) == -EBUSY);
    xa_erase(&xa, 4);
    CHECK(xa_alloc(&xa, &id, &b, XA_LIMIT(0, 100), GFP_KERNEL) == 0 && id == 0);
    CHECK(xa_alloc(&xa, &id, &b, XA_LIMIT(3, 100), GFP_KERNEL) == 0 && id == 4);
    xa_destroy(&xa);
    /* ALLOC1 never hands out 0. */
    xa_init_flags(&xa, XA_FLAGS_ALLOC1);
    CHECK(xa_alloc(&xa, &id, &a, xa_limit_32b, GFP_KERNEL) == 0 && id == 1);
    xa_destroy(&xa);
}

static void test_ida(void) {
    struct ida ida;
    ida_init(&ida);
    CHECK(ida_alloc(&ida, GFP_KERNEL) == 0);
    CHECK(ida_alloc_min(&ida, 10, GFP_KERNEL) == 10);
    CHECK(ida_alloc_range(&ida, 10, 11, GFP_KERNEL) == 11);
    CHECK(ida_alloc_range(&ida, 10, 11, GFP_KERNEL) == -ENOSPC);
    ida_free(&ida, 10);
    CHECK(ida_alloc_range(&ida, 10, 11, GFP_KERNEL) == 10);
    const unsigned int before = warned;
    ida_free(&ida, 7); /* never allocated: the kernel WARNs */
    CHECK(warned == before + 1);
    ida_destroy(&ida);
}

/* A world goes: the statics start the next one empty; a dynamic xarray is
 * its owner's and stays. */
static void test_static_reset(void) {
    int a = 1;
    u32 id = 0;
    struct xarray dyn;
    xa_init_flags(&dyn, 0);
    xa_store(&dyn, 9, &a, GFP_KERNEL);
    CHECK(xa_alloc(&static_xa, &id, &a, xa_limit_32b, GFP_KERNEL) == 0 && id == 1);
    CHECK(ida_alloc(&static_ida, GFP_KERNEL) == 0);
    kshim_forget_xarrays();
    CHECK(xa_empty(&static_xa) && xa_load(&static_xa, 1) == NULL);
    CHECK(ida_alloc(&static_ida, GFP_KERNEL) == 0); /* 0 again: a fresh module load's */
    CHECK(xa_load(&dyn, 9) == &a);
    xa_destroy(&dyn);
    kshim_forget_xarrays();
}

static void test_bitfield(void) {
    const u64 mask = GENMASK_ULL(15, 8);
    CHECK(mask == 0xff00ull);
    CHECK(FIELD_PREP(mask, 0xab) == 0xab00ull);
    CHECK(FIELD_PREP(mask, 0x1ab) == 0xab00ull); /* bits outside the field dropped */
    CHECK(FIELD_GET(mask, 0x12ab34ull) == 0xabull);
    CHECK(FIELD_MAX(mask) == 0xffull);
    CHECK(FIELD_FIT(mask, 0xff) && !FIELD_FIT(mask, 0x100));
    CHECK(BIT(5) == 32 && GENMASK(3, 0) == 0xf);
    u32 reg = 0xffffffff;
    u32p_replace_bits(&reg, 0, GENMASK(7, 4));
    CHECK(reg == 0xffffff0f);
    CHECK(u64_encode_bits(3, GENMASK_ULL(63, 62)) == 0xc000000000000000ull);
}

static void test_warn(void) {
    const unsigned int before = warned;
    int line = __LINE__ + 1;
    bool hit = WARN_ON(1 + 1 == 2);
    CHECK(hit && warned == before + 1 && warned_line == line);
    CHECK(!WARN_ON(0) && warned == before + 1);
}

int main(void) {
    test_xarray();
    test_ida();
    test_static_reset();
    test_bitfield();
    test_warn();
    printf("kshim-unit: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
