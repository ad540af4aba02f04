/* SPDX-License-Identifier: MIT */
/*
 * Hostile driver plugins: the bundled SMMUv3 driver with one thing broken,
 * so that a campaign reaches the broken call. Compiled once per plugin with
 * one -DHOSTILE_<KIND> (tests/plugins/CMakeLists.txt); tests/test_hostile.cpp
 * runs each one and checks the kit survives it with the right finding or a
 * clear error.
 *
 *   SEGV_BIND      bind_mm stores through a NULL pointer
 *   ABORT_UNBIND   unbind_mm calls abort()
 *   LOOP_FEATURE   dev_enable_feat never returns
 *   RC_12345       dev_enable_feat returns 12345 where it succeeded
 *   RC_POSITIVE    bind_mm returns 1 where it succeeded
 *   RC_4095        unbind_mm returns -4095 where it succeeded
 *   PASID0         bind_mm succeeds with *pasid = 0
 *   STRAY_STORE    bind_mm also stores to a physical address it never allocated
 *   NULL_OPS       the ops table has no bind_mm
 *   ABI_VERSION    the ops table claims ABI version 2
 *   NO_ENTRY       no svac_driver_entry (see the end of the file)
 *   OOM            bind_mm allocates and touches 64 MiB at a time, never freeing
 *   EXIT           dev_has_feat ends the process: exit(0)
 *   CREATE_NULL    create returns NULL
 *   SLOW_CREATE    create first spends 500 ms of CPU time, then works: slow,
 *                  never hung (a step time limit counts the call's own time)
 *   ASAN           bind_mm overflows a heap buffer by one byte (found only
 *                  when the plugin is built with AddressSanitizer)
 *   LOOP_ON_ENOMEM never returns once an allocation after its first one is
 *                  refused (`failnth`: point 1 is judged, point 2 hangs)
 *   BAD_NAME       nothing broken but its name: invalid UTF-8 (a lone 0xFF)
 *                  and terminal escape sequences, which reports and the
 *                  terminal must show, never pass on or choke on
 *
 * Against the driver host (docs/host-protocol.md), each in bind_mm:
 *   WRITE_FDS      writes bytes that look like the protocol's into every
 *                  descriptor it has, then works
 *   FORK_BIND      forks (once per process) and lets both copies go on, the
 *                  parent 300 ms later: the child, as much the host as its
 *                  parent, gets to the channel first
 *   SIGNAL_PARENT  sends SIGINT and SIGTERM to its parent, then works
 *   CLOSE_BLOCK    closes every descriptor, then blocks for ever
 *   HEARTBEAT      starts a thread that writes heartbeats into every
 *                  descriptor, then spins for ever
 *   FLOOD_OUTPUT   writes 1 MiB to stdout and to stderr, then works
 *
 * Misuses of the platform the kit must name for what they are:
 *   DOUBLE_FREE      bind_mm allocates a block and frees it twice (HW-8, a
 *                    free of a block it does not hold, not a stray store)
 *   FREE_ZERO        every bind_mm calls free(0): nothing, as kfree(NULL)
 *   BAD_COMMAND      bind_mm submits a command with no such opcode (HW-9,
 *                    refused as ill-formed, not left unsynced)
 *   DESTROY_CALLBACK destroy fires the mm_exit callback of the latest bond
 *                    still live (MMEXIT-4: only an mm's exit fires it)
 *   PASID_OVERRUN    bind_mm stores the PASID as a u64 through its u32
 *                    *pasid (HW-8: the caller's memory after it changes)
 *
 * A real driver keeps no global state (driver_abi.h); these test plugins keep
 * a few statics for brevity: the patched ops table, filled on the first
 * svac_driver_entry() call, and (STRAY_STORE, OOM) a pointer or a counter.
 */
#define _GNU_SOURCE /* fork, kill, pause, usleep */
#include <svac/driver_abi.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef HOSTILE_NO_ENTRY

#ifndef HOSTILE_NAME
#define HOSTILE_NAME "hostile"
#endif

const struct svac_driver_ops *svac_smmuv3_entry(void);

/* The bundled driver, and its ops table with one thing broken. */
static const struct svac_driver_ops *base;
static struct svac_driver_ops ops;

#if defined(HOSTILE_SEGV_BIND)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    (void)drv, (void)dev, (void)mm, (void)pasid, (void)mm_exit, (void)cb_ctx, (void)drvdata;
    volatile int *volatile p =
        NULL; /* volatile both: the store stays, to an address the compiler cannot see */
    *p = 1;
    return 0;
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_ABORT_UNBIND)
static int hostile_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    (void)drv, (void)dev, (void)pasid;
    abort();
}
#define PATCH() (ops.unbind_mm = hostile_unbind)

#elif defined(HOSTILE_LOOP_FEATURE)
static int hostile_enable(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv, (void)dev, (void)feat;
    volatile int spin = 1;
    while (spin) {
    }
    return 0;
}
#define PATCH() (ops.dev_enable_feat = hostile_enable)

#elif defined(HOSTILE_RC_12345)
static int hostile_enable(void *drv, uint32_t dev, uint32_t feat) {
    int rc = base->dev_enable_feat(drv, dev, feat);
    return rc == 0 ? 12345 : rc;
}
#define PATCH() (ops.dev_enable_feat = hostile_enable)

#elif defined(HOSTILE_RC_POSITIVE)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    int rc = base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
    return rc == 0 ? 1 : rc;
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_RC_4095)
static int hostile_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    int rc = base->unbind_mm(drv, dev, pasid);
    return rc == 0 ? -4095 : rc;
}
#define PATCH() (ops.unbind_mm = hostile_unbind)

#elif defined(HOSTILE_PASID0)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    int rc = base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
    if (rc == 0) *pasid = 0;
    return rc;
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_STRAY_STORE)
/* The platform of the latest instance (one instance at a time in a run). */
static const struct svac_platform *platform;
/* Far above anything the harness hands out, 8-byte aligned. */
#define STRAY_PA 0x7ff0000000ull

static void *hostile_create(const struct svac_platform *p, const struct svac_topology *t) {
    platform = p;
    return base->create(p, t);
}
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    int rc = base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
    platform->write64(platform->ctx, STRAY_PA, 0xdeadbeefull);
    return rc;
}
#define PATCH() (ops.create = hostile_create, ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_NULL_OPS)
#define PATCH() (ops.bind_mm = NULL)

#elif defined(HOSTILE_ABI_VERSION)
#define PATCH() (ops.abi_version = 2)

#elif defined(HOSTILE_OOM)
/* Bytes leaked so far by this process. A runaway would never stop; this one
 * stops (-ENOMEM) after 1 GiB so that a harness that does not enforce its
 * memory limit shows a wrong outcome instead of exhausting the machine. */
static uint64_t leaked;
/* The chunks, chained through their first word: reachable from a global, so
 * no compiler may drop the allocation and its stores as unused. */
static void *chain;
#define OOM_CHUNK (64ull << 20)
#define OOM_CAP (1ull << 30)

static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    (void)drv, (void)dev, (void)mm, (void)pasid, (void)mm_exit, (void)cb_ctx, (void)drvdata;
    while (leaked < OOM_CAP) {
        void *chunk = malloc(OOM_CHUNK);
        if (!chunk) break;
        memset(chunk, 0xa5, OOM_CHUNK); /* resident, not just reserved */
        *(void **)chunk = chain;
        chain = chunk;
        leaked += OOM_CHUNK;
    }
    return -ENOMEM;
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_EXIT)
static int hostile_has_feat(void *drv, uint32_t dev, uint32_t feat) {
    (void)drv, (void)dev, (void)feat;
    exit(0);
}
#define PATCH() (ops.dev_has_feat = hostile_has_feat)

#elif defined(HOSTILE_CREATE_NULL)
static void *hostile_create(const struct svac_platform *p, const struct svac_topology *t) {
    (void)p, (void)t;
    return NULL;
}
#define PATCH() (ops.create = hostile_create)

#elif defined(HOSTILE_ASAN)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    /* One byte past a 16-byte block: glibc's malloc(16) has 24 usable bytes,
     * so without a sanitizer the store is harmless. Volatile pointee: the
     * store before free stays; volatile pointer: UBSan's object-size check
     * cannot see the block's size, so AddressSanitizer is the one to report. */
    volatile char *volatile buf = malloc(16);
    if (!buf) return -ENOMEM;
    buf[16] = 1;
    free((void *)buf);
    return base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_SLOW_CREATE)
static uint64_t thread_cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *hostile_create(const struct svac_platform *p, const struct svac_topology *t) {
    const uint64_t until = thread_cpu_ns() + 500000000u;
    while (thread_cpu_ns() < until) {
    }
    return base->create(p, t);
}
#define PATCH() (ops.create = hostile_create)

#elif defined(HOSTILE_LOOP_ON_ENOMEM)
/* The platform lent to the bundled driver: the harness's, with an alloc that
 * spins when memory is refused after the instance's first allocation. */
static struct svac_platform lent;
static uint64_t (*harness_alloc)(void *ctx, uint64_t bytes, uint64_t align);
static uint64_t allocs;

static uint64_t hostile_alloc(void *ctx, uint64_t bytes, uint64_t align) {
    uint64_t pa = harness_alloc(ctx, bytes, align);
    if (++allocs > 1 && pa == 0) {
        volatile int spin = 1;
        while (spin) {
        }
    }
    return pa;
}
static void *hostile_create(const struct svac_platform *p, const struct svac_topology *t) {
    lent = *p;
    harness_alloc = p->alloc;
    lent.alloc = hostile_alloc;
    allocs = 0;
    return base->create(&lent, t);
}
#define PATCH() (ops.create = hostile_create)

#elif defined(HOSTILE_BAD_NAME)
#undef HOSTILE_NAME
#define HOSTILE_NAME "\x1b[31mbad\xff-name\x1b[0m"
#define PATCH() ((void)0)

#elif defined(HOSTILE_WRITE_FDS) || defined(HOSTILE_HEARTBEAT)
/* A frame header as the protocol has it (an events frame of 8 bytes with
 * sequence number 0), then the 8 bytes. */
static const char fake[] = "\x08\0\0\0\x03\0\0\0\0\0\0\0\x07\x01\x02\x03\x04\x05\x06\x07";
static void write_everywhere(void) {
    for (int fd = 3; fd < 1024; ++fd) {
        ssize_t ignored = write(fd, fake, sizeof fake - 1);
        (void)ignored;
    }
}
#if defined(HOSTILE_WRITE_FDS)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    write_everywhere();
    return base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
}
#else
static void *beat(void *arg) {
    (void)arg;
    for (;;) {
        write_everywhere();
        usleep(1000);
    }
    return NULL;
}
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    (void)drv, (void)dev, (void)mm, (void)pasid, (void)mm_exit, (void)cb_ctx, (void)drvdata;
    pthread_t t;
    pthread_create(&t, NULL, beat, NULL);
    volatile int spin = 1;
    while (spin) {
    }
    return 0;
}
#endif
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_FORK_BIND)
static int forked;
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    if (!forked) {
        forked = 1;
        if (fork() > 0) usleep(300 * 1000);
    }
    return base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_SIGNAL_PARENT)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    kill(getppid(), SIGINT);
    kill(getppid(), SIGTERM);
    return base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_CLOSE_BLOCK)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    (void)drv, (void)dev, (void)mm, (void)pasid, (void)mm_exit, (void)cb_ctx, (void)drvdata;
    for (int fd = 0; fd < 1024; ++fd) close(fd);
    for (;;) pause();
    return 0;
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_FLOOD_OUTPUT)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    static char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    for (int i = 0; i < 1024; ++i) {
        fputs(line, stdout);
        fputs(line, stderr);
    }
    fflush(stdout);
    return base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
}
#define PATCH() (ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_DOUBLE_FREE) || defined(HOSTILE_FREE_ZERO) || defined(HOSTILE_BAD_COMMAND)
static const struct svac_platform *platform;

static void *hostile_create(const struct svac_platform *p, const struct svac_topology *t) {
    platform = p;
    return base->create(p, t);
}
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
#if defined(HOSTILE_DOUBLE_FREE)
    uint64_t pa = platform->alloc(platform->ctx, 64, 64);
    if (pa) {
        platform->free(platform->ctx, pa);
        platform->free(platform->ctx, pa);
    }
#elif defined(HOSTILE_FREE_ZERO)
    platform->free(platform->ctx, 0);
#else
    const uint64_t cmd[2] = {0xff, 0}; /* no architecture has opcode 0xff */
    (void)platform->submit_cmd(platform->ctx, 0, cmd, 2);
#endif
    return base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
}
#define PATCH() (ops.create = hostile_create, ops.bind_mm = hostile_bind)

#elif defined(HOSTILE_DESTROY_CALLBACK)
/* The latest bond still live, as the driver's callback would need it. */
static struct {
    int live;
    uint32_t dev, pasid, mm;
    uint64_t drvdata;
    svac_mm_exit_fn fn;
    void *ctx;
} bond;

static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    int rc = base->bind_mm(drv, dev, mm, pasid, mm_exit, cb_ctx, drvdata);
    if (rc == 0) {
        bond.live = 1;
        bond.dev = dev;
        bond.pasid = *pasid;
        bond.mm = mm;
        bond.drvdata = drvdata;
        bond.fn = mm_exit;
        bond.ctx = cb_ctx;
    }
    return rc;
}
static int hostile_unbind(void *drv, uint32_t dev, uint32_t pasid) {
    if (bond.live && bond.dev == dev && bond.pasid == pasid) bond.live = 0;
    return base->unbind_mm(drv, dev, pasid);
}
static void hostile_release(void *drv, uint32_t mm) {
    if (bond.live && bond.mm == mm) bond.live = 0;
    base->mm_release(drv, mm);
}
static void hostile_destroy(void *drv) {
    if (bond.live && bond.fn) bond.fn(bond.ctx, bond.dev, bond.pasid, bond.drvdata);
    bond.live = 0;
    base->destroy(drv);
}
#define PATCH()                                                                                    \
    (ops.bind_mm = hostile_bind, ops.unbind_mm = hostile_unbind, ops.mm_release = hostile_release, \
     ops.destroy = hostile_destroy)

#elif defined(HOSTILE_PASID_OVERRUN)
static int hostile_bind(void *drv, uint32_t dev, uint32_t mm, uint32_t *pasid,
                        svac_mm_exit_fn mm_exit, void *cb_ctx, uint64_t drvdata) {
    uint32_t mine = SVAC_PASID_INVALID;
    int rc = base->bind_mm(drv, dev, mm, &mine, mm_exit, cb_ctx, drvdata);
    const uint64_t wide = mine; /* the low half is right (little-endian) */
    if (rc == 0) memcpy(pasid, &wide, sizeof wide);
    return rc;
}
#define PATCH() (ops.bind_mm = hostile_bind)

#else
#error "define one HOSTILE_<KIND>"
#endif

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry(void) {
    if (!base) {
        base = svac_smmuv3_entry();
        ops = *base;
        ops.name = HOSTILE_NAME;
        PATCH();
    }
    return &ops;
}

#else /* HOSTILE_NO_ENTRY: a shared object that exports something else */

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry_v2(void) {
    return 0;
}

#endif
