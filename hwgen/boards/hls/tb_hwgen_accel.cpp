// C simulation of hwgen_accel: g++ with hls4ml's open-source HLS types, no vendor tool.
// usage: tb_hwgen_accel BEATS_IN CALLS BEATS_OUT REGISTERS [CTRL]
//   BEATS_IN: one input beat per line, "<tdata hex> <tlast>"; CALLS: how many frames to run
//   BEATS_OUT: "<tdata hex> <tlast>" per output beat; REGISTERS: per call, the registers it wrote.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "hwgen_accel.h"
#include "nnet_utils/nnet_helpers.h"

// hls4ml's layer tracing (enabled in the project for debugging) reads these; the Python bridge defines
// them too. Tracing stays off here.
namespace nnet {
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = NULL;
size_t trace_type_size = sizeof(double);
}  // namespace nnet

int main(int argc, char **argv) {
    if (argc < 5) {
        std::cerr << "usage: " << argv[0] << " BEATS_IN CALLS BEATS_OUT REGISTERS [CTRL]" << std::endl;
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::cerr << "cannot read " << argv[1] << std::endl;
        return 2;
    }
    hls::stream<in_beat_t> s_axis("s_axis");
    hls::stream<out_beat_t> m_axis("m_axis");
    std::string hex;
    int last;
    while (in >> hex >> last) {
        in_beat_t beat;
        beat.data = ap_uint<HWGEN_DATA_WIDTH>(hex.c_str(), 16);
        beat.keep = -1;
        beat.strb = -1;
        beat.last = last;
        s_axis.write(beat);
    }
    const int calls = std::atoi(argv[2]);
    const unsigned ctrl = argc > 5 ? std::strtoul(argv[5], 0, 0) : 0;
    FILE *out = std::fopen(argv[3], "w");
    FILE *regs = std::fopen(argv[4], "w");
    if (!out || !regs) {
        std::cerr << "cannot write the output files" << std::endl;
        return 2;
    }
    for (int call = 0; call < calls; call++) {
        ap_uint<32> status, id_lo, id_hi, frames, errors, shape, classes;
        hwgen_accel(s_axis, m_axis, ctrl, &status, &id_lo, &id_hi, &frames, &errors, &shape, &classes);
        std::fprintf(regs, "%u %u %u %u %u %u %u\n", status.to_uint(), id_lo.to_uint(), id_hi.to_uint(),
                     frames.to_uint(), errors.to_uint(), shape.to_uint(), classes.to_uint());
        while (!m_axis.empty()) {
            out_beat_t beat = m_axis.read();
            std::fprintf(out, "%08x %d %x %x\n", beat.data.to_uint(), (int)beat.last, beat.keep.to_uint(),
                         beat.strb.to_uint());
        }
    }
    std::fclose(out);
    std::fclose(regs);
    std::printf("left_in_s_axis %d\n", (int)s_axis.size());
    return 0;
}
