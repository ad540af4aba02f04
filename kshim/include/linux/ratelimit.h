/* SPDX-License-Identifier: MIT */
/* kshim: message rate limiting (the decision is the runtime's). */
#ifndef KSHIM_LINUX_RATELIMIT_H
#define KSHIM_LINUX_RATELIMIT_H

#include <linux/jiffies.h>

struct ratelimit_state {
    int interval;
    int burst;
    int printed;
    int missed;
};

#define DEFAULT_RATELIMIT_INTERVAL (5 * HZ)
#define DEFAULT_RATELIMIT_BURST 10
#define DEFINE_RATELIMIT_STATE(name, interval_init, burst_init)                                    \
    struct ratelimit_state name = {.interval = (interval_init), .burst = (burst_init)}

/* Nonzero if the caller may print now. */
extern int ___ratelimit(struct ratelimit_state *rs, const char *func);
#define __ratelimit(rs) ___ratelimit(rs, __func__)

#endif
