/* SPDX-License-Identifier: MIT */
/* A bundled driver (SVAC_BUNDLED_ENTRY) exported as a plugin. */
#include <svac/driver_abi.h>

const struct svac_driver_ops *SVAC_BUNDLED_ENTRY(void);

__attribute__((visibility("default"))) const struct svac_driver_ops *svac_driver_entry(void) {
    return SVAC_BUNDLED_ENTRY();
}
