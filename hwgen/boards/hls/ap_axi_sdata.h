// Stand-in for Vitis HLS's ap_axi_sdata.h, for C simulation with g++ only (hls4ml ships the HLS types
// but not this header). It declares the members hwgen_accel uses with the names and widths Vitis HLS
// gives hls::axis<T, 0, 0, 0>: data, keep, strb, last. Synthesis never sees this file: the Vitis HLS
// scripts do not put its folder on the include path, so Vitis uses its own header.
#ifndef HWGEN_CSIM_AP_AXI_SDATA_H_
#define HWGEN_CSIM_AP_AXI_SDATA_H_

#include <cstddef>

#include "ap_int.h"

namespace hls {

template <typename T, std::size_t WUser = 0, std::size_t WId = 0, std::size_t WDest = 0> struct axis {
    static const int bytes = (T::width + 7) / 8;
    T data;
    ap_uint<bytes> keep;
    ap_uint<bytes> strb;
    ap_uint<WUser> user;
    ap_uint<1> last;
    ap_uint<WId> id;
    ap_uint<WDest> dest;
};

template <typename T> struct axis<T, 0, 0, 0> {
    static const int bytes = (T::width + 7) / 8;
    T data;
    ap_uint<bytes> keep;
    ap_uint<bytes> strb;
    ap_uint<1> last;
};

}  // namespace hls

#endif
