// Driver variants made by wrapping a bundled driver: their op tables, one
// per variant, built once from a template over the variant's index.
#pragma once

#include <svac/driver_abi.h>

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace svac::test_support {

// {make(std::integral_constant<std::size_t, 0>{}), ..., make(...<N - 1>{})}:
// make returns the op table of variant I, typically make_ops<I>().
template <std::size_t N, class Make> std::array<svac_driver_ops, N> ops_table(Make make) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<svac_driver_ops, N>{make(std::integral_constant<std::size_t, I>{})...};
    }
    (std::make_index_sequence<N>{});
}

} // namespace svac::test_support
