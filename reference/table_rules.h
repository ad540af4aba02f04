// Rules over the tables a driver wrote and how it wrote them, judged after
// each driver call from what the hardware saw (HwView):
//  - judge_update (hitless.cpp): HW-7, no torn entry: every state an entry
//    passed through during the call equals its old or new value on the bits
//    the hardware uses, or is invalid only where that is allowed;
//  - judge_tables (smmu_rules.cpp, vtd_rules.cpp): the entries of bound
//    PASIDs and SVA devices, and the commands of the call (SMMU-*, VTD-*).
// Both run after the reference committed the op, so its state is the state
// the tables must now show.
#pragma once

#include "reference/hw_view.h"
#include "reference/reference.h"

#include <optional>

namespace svac::ref {

std::optional<Violation> judge_update(const Reference &ref, const Op &op, const HwView &hw,
                                      ClauseCounters *counters);

std::optional<Violation> judge_tables(const Reference &ref, const Op &op, const HwView &hw,
                                      ClauseCounters *counters);

} // namespace svac::ref
