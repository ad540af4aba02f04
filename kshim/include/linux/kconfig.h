/* SPDX-License-Identifier: MIT */
/* kshim: IS_ENABLED()/IS_BUILTIN()/IS_REACHABLE() for CONFIG_* symbols that are
 * either undefined or defined to 1 (the kshim kconfig headers define them so). */
#ifndef KSHIM_LINUX_KCONFIG_H
#define KSHIM_LINUX_KCONFIG_H

/*
 * KSHIM_IS_ONE(x) is 1 when x is a macro expanding to 1 and 0 otherwise.  The
 * token paste turns a "1" into a macro expanding to "junk," which shifts the
 * argument list so the second argument selected is 1.
 */
#define KSHIM_ONE_PROBE_1 ~, 1
#define KSHIM_SECOND_ARG(a, b, ...) b
#define KSHIM_IS_ONE(x) KSHIM_IS_ONE_(x)
#define KSHIM_IS_ONE_(x) KSHIM_IS_ONE__(KSHIM_ONE_PROBE_##x)
#define KSHIM_IS_ONE__(probe) KSHIM_IS_ONE___(probe, 0, ~)
#define KSHIM_IS_ONE___(...) KSHIM_SECOND_ARG(__VA_ARGS__)

#define IS_BUILTIN(option) KSHIM_IS_ONE(option)
#define IS_MODULE(option) KSHIM_IS_ONE(option##_MODULE)
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))
#define IS_REACHABLE(option) IS_ENABLED(option)

#endif
