// hwgen_accel: the accelerator interface of hwgen.runtime.protocol around an hls4ml io_stream network.
// The same file for every model: hwgen_accel_params.h (generated per build) carries the stream format.
#ifndef HWGEN_ACCEL_H_
#define HWGEN_ACCEL_H_

#include "ap_axi_sdata.h"
#include "ap_int.h"
#include "hls_stream.h"

#include "hwgen_accel_params.h"
#include "hwgen_net.h"  // the hls4ml project's top function, input_t and result_t

// Since Vitis HLS 2020.1 only hls::axis (not a {data, last} struct) gives a port TLAST.
typedef hls::axis<ap_uint<HWGEN_DATA_WIDTH>, 0, 0, 0> in_beat_t;
typedef hls::axis<ap_uint<32>, 0, 0, 0> out_beat_t;

void hwgen_accel(hls::stream<in_beat_t> &s_axis, hls::stream<out_beat_t> &m_axis, ap_uint<32> CTRL,
                 ap_uint<32> *STATUS, ap_uint<32> *ID_LO, ap_uint<32> *ID_HI, ap_uint<32> *FRAMES,
                 ap_uint<32> *ERRORS, ap_uint<32> *SHAPE, ap_uint<32> *CLASSES);

#endif
