// hwgen_accel: unpack the input stream into hls4ml's lines, run the network, send the class index and
// the exact logits with TLAST on each frame's last beat; AXI-Lite registers named as in
// hwgen.runtime.protocol (offsets: protocol.HLS_REGISTERS, checked by the tests).
#include "hwgen_accel.h"

namespace {

typedef input_t::value_type in_value_t;
typedef result_t::value_type logit_t;

// The stream format (hwgen_accel_params.h) must describe this hls4ml project: refuse to compile otherwise.
static_assert(input_t::size == HWGEN_DEPTH, "hls4ml input_t holds a different number of depth values");
static_assert(result_t::size == HWGEN_CLASSES, "hls4ml result_t holds a different number of classes");
static_assert(in_value_t::width == HWGEN_IN_BITS, "hls4ml input type has a different width");
static_assert(in_value_t::width - in_value_t::iwidth == HWGEN_IN_FRAC, "hls4ml input type has other fraction bits");
static_assert(logit_t::width == HWGEN_LOGIT_BITS, "hls4ml result type has a different width");
static_assert(logit_t::width - logit_t::iwidth == HWGEN_LOGIT_FRAC, "hls4ml result type has other fraction bits");
static_assert(HWGEN_LOGIT_BITS <= 32, "logits wider than the 32-bit output beat");

// One frame of beats -> HWGEN_TIME lines of HWGEN_DEPTH values. A frame is exactly HWGEN_BEATS beats:
// a TLAST before the last one ends the frame early (the rest reads as zeros, SHORT_FRAME); a last beat
// without TLAST is flagged (LONG_FRAME) and the surplus beats start the next frame.
void unpack(hls::stream<in_beat_t> &s_axis, hls::stream<input_t> &lines, ap_uint<2> &errors) {
    in_beat_t beat;
    beat.data = 0;
    input_t line;
    bool ended = false;
    ap_uint<2> flags = 0;
    unsigned lane = 0, depth = 0, beat_index = 0;
unpack_values:
    for (unsigned v = 0; v < HWGEN_VALUES; v++) {
#pragma HLS PIPELINE II = 1
        if (lane == 0) {
            if (ended) {
                beat.data = 0;
            } else {
                beat = s_axis.read();
                bool last_beat = beat_index == HWGEN_BEATS - 1;
                if (beat.last && !last_beat) {
                    ended = true;
                    flags |= HWGEN_ERROR_SHORT_FRAME;
                }
                if (!beat.last && last_beat)
                    flags |= HWGEN_ERROR_LONG_FRAME;
            }
            beat_index++;
        }
        in_value_t value;
        value.range(HWGEN_IN_BITS - 1, 0) =
            beat.data.range(lane * HWGEN_LANE_BITS + HWGEN_IN_BITS - 1, lane * HWGEN_LANE_BITS);
        line[depth] = value;
        lane = lane == HWGEN_LANES - 1 ? 0 : lane + 1;
        if (depth == HWGEN_DEPTH - 1) {
            lines.write(line);
            depth = 0;
        } else {
            depth++;
        }
    }
    errors = flags;
}

// Logits -> 1 + HWGEN_CLASSES beats: the arg-max (ties to the lowest index), then each logit's integer
// sign-extended to 32 bits; TLAST on the last beat.
void pack(hls::stream<result_t> &logits_in, hls::stream<out_beat_t> &m_axis) {
    result_t logits = logits_in.read();
    logit_t best_value = logits[0];
    ap_uint<16> best = 0;
argmax:
    for (unsigned i = 1; i < HWGEN_CLASSES; i++) {
        if (logits[i] > best_value) {
            best_value = logits[i];
            best = i;
        }
    }
    out_beat_t beat;
    beat.keep = -1;
    beat.strb = -1;
    beat.data = best;
    beat.last = 0;
    m_axis.write(beat);
send_logits:
    for (unsigned i = 0; i < HWGEN_CLASSES; i++) {
#pragma HLS PIPELINE II = 1
        ap_int<HWGEN_LOGIT_BITS> raw;
        raw.range(HWGEN_LOGIT_BITS - 1, 0) = logits[i].range(HWGEN_LOGIT_BITS - 1, 0);
        ap_int<32> word = raw;
        beat.data = word;
        beat.last = i == HWGEN_CLASSES - 1;
        m_axis.write(beat);
    }
}

void run_frame(hls::stream<in_beat_t> &s_axis, hls::stream<out_beat_t> &m_axis, ap_uint<2> &errors) {
#pragma HLS DATAFLOW
    hls::stream<input_t> lines("lines");
#pragma HLS STREAM variable = lines depth = 2
    hls::stream<result_t> logits("logits");
#pragma HLS STREAM variable = logits depth = 2
    unpack(s_axis, lines, errors);
    hwgen_net(lines, logits);
    pack(logits, m_axis);
}

}  // namespace

// Free-running (ap_ctrl_none): one call per frame. The registers are written when a call starts, i.e.
// when the accelerator begins to wait for the next frame, so they describe every frame finished so far.
void hwgen_accel(hls::stream<in_beat_t> &s_axis, hls::stream<out_beat_t> &m_axis, ap_uint<32> CTRL,
                 ap_uint<32> *STATUS, ap_uint<32> *ID_LO, ap_uint<32> *ID_HI, ap_uint<32> *FRAMES,
                 ap_uint<32> *ERRORS, ap_uint<32> *SHAPE, ap_uint<32> *CLASSES) {
#pragma HLS INTERFACE mode = axis port = s_axis
#pragma HLS INTERFACE mode = axis port = m_axis
#pragma HLS INTERFACE mode = s_axilite port = CTRL bundle = ctrl offset = 0x10
#pragma HLS INTERFACE mode = s_axilite port = STATUS bundle = ctrl offset = 0x20
#pragma HLS INTERFACE mode = s_axilite port = ID_LO bundle = ctrl offset = 0x30
#pragma HLS INTERFACE mode = s_axilite port = ID_HI bundle = ctrl offset = 0x40
#pragma HLS INTERFACE mode = s_axilite port = FRAMES bundle = ctrl offset = 0x50
#pragma HLS INTERFACE mode = s_axilite port = ERRORS bundle = ctrl offset = 0x60
#pragma HLS INTERFACE mode = s_axilite port = SHAPE bundle = ctrl offset = 0x70
#pragma HLS INTERFACE mode = s_axilite port = CLASSES bundle = ctrl offset = 0x80
#pragma HLS INTERFACE mode = ap_ctrl_none port = return
    static ap_uint<32> frame_count = 0;
    static ap_uint<2> error_flags = 0;
    if (CTRL & (HWGEN_CTRL_SOFT_RESET | HWGEN_CTRL_CLEAR)) {
        frame_count = 0;
        error_flags = 0;
    }
    *STATUS = error_flags != 0 ? HWGEN_STATUS_ERROR : 0;
    *ID_LO = HWGEN_GRAPH_ID_LO;
    *ID_HI = HWGEN_GRAPH_ID_HI;
    *FRAMES = frame_count;
    *ERRORS = error_flags;
    *SHAPE = (ap_uint<32>(HWGEN_DEPTH) << 16) | HWGEN_TIME;
    *CLASSES = (ap_uint<32>(HWGEN_PROTOCOL_VERSION) << 24) | (ap_uint<32>(HWGEN_IN_BITS) << 16) | HWGEN_CLASSES;
    ap_uint<2> frame_errors;
    run_frame(s_axis, m_axis, frame_errors);
    error_flags |= frame_errors;
    frame_count++;
}
