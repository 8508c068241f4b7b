// C harness around the Verilated accelerator top (hwgen_accel), built into a shared library and
// driven through ctypes by hwgen/rtl/sim.py (and by the simulated PYNQ board). Generated designs all
// have the same ports, so this file is the same for every model; the s_axis width comes in as
// HW_DATA_BITS at compile time.
//
// The C API works on queues so that Python calls it once per batch, not once per cycle:
//   hw_push(beats)      input beats (tdata as 32-bit words, tlast) are queued for s_axis
//   hw_run(...)         clock until the wanted output beats arrived, the input queue ran dry and the
//                       design went quiet, or a cycle budget ran out; s_axis gets random idle gaps
//                       and m_axis random backpressure when asked (a seeded xorshift PRNG)
//   hw_pop(...)         output beats (32-bit tdata, tlast, the cycle each was accepted)
//   hw_axil_read/write  one AXI4-Lite transaction (clocks until it completes)
//   hw_cycle            the cycle counter; hw_in_cycles gives the cycle each input beat was accepted
//   hw_out_limit(n)     m_axis_tready only while fewer than n output beats are queued (the simulated
//                       board's DMA back-pressures the stream; -1, the default: no limit)
//   hw_drop_input       forget the queued input beats (the simulated board's DMA was reset)
#include <cstdint>
#include <cstring>
#include <deque>
#include <vector>

#include "Vhwgen_accel.h"
#include "verilated.h"

#ifndef HW_DATA_BITS
#define HW_DATA_BITS 64
#endif
#define HW_DATA_WORDS ((HW_DATA_BITS + 31) / 32)

double sc_time_stamp() { return 0; }

namespace {

struct Beat {
    uint32_t words[HW_DATA_WORDS];
    uint8_t last;
};

struct OutBeat {
    uint32_t data;
    uint8_t last;
    uint64_t cycle;
};

struct Sim {
    VerilatedContext* ctx;
    Vhwgen_accel* top;
    uint64_t cycle = 0;
    std::deque<Beat> in;
    std::deque<OutBeat> out;
    std::vector<uint64_t> in_cycles;  // cycle at which each input beat was accepted
    double idle = 0.0, stall = 0.0;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    bool driving = false;  // s_axis_tvalid is up with the head beat
    int64_t out_limit = -1;  // m_axis_tready only while fewer output beats are queued (-1: always)
};

double uniform(Sim* s) {
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return (s->rng >> 11) * (1.0 / 9007199254740992.0);
}

template <typename T>
void set_data(T& port, const uint32_t* words) {
    uint64_t v = words[0];
    if (HW_DATA_WORDS > 1) v |= static_cast<uint64_t>(words[1]) << 32;
    port = static_cast<T>(v);
}

template <std::size_t N>
void set_data(VlWide<N>& port, const uint32_t* words) {
    for (std::size_t i = 0; i < N; ++i) port[i] = i < HW_DATA_WORDS ? words[i] : 0;
}

void eval(Sim* s) { s->top->eval(); }

// One clock cycle: inputs are set before the rising edge, sampled at it.
void tick(Sim* s) {
    s->top->ap_clk = 0;
    eval(s);
    s->top->ap_clk = 1;
    eval(s);
    s->cycle++;
    s->ctx->timeInc(1);
}

// Drive the stream ports for the next edge, clock it, and book the handshakes that happened.
void stream_cycle(Sim* s) {
    Vhwgen_accel* t = s->top;
    if (!s->driving && !s->in.empty() && !(s->idle > 0 && uniform(s) < s->idle)) {
        s->driving = true;
        set_data(t->s_axis_tdata, s->in.front().words);
        t->s_axis_tlast = s->in.front().last;
    }
    t->s_axis_tvalid = s->driving;
    t->m_axis_tready = !(s->stall > 0 && uniform(s) < s->stall) &&
                       (s->out_limit < 0 || static_cast<int64_t>(s->out.size()) < s->out_limit);
    t->ap_clk = 0;
    eval(s);
    bool in_fire = s->driving && t->s_axis_tready;
    bool out_fire = t->m_axis_tvalid && t->m_axis_tready;
    OutBeat ob{static_cast<uint32_t>(t->m_axis_tdata), static_cast<uint8_t>(t->m_axis_tlast), s->cycle};
    t->ap_clk = 1;
    eval(s);
    s->ctx->timeInc(1);
    if (in_fire) {
        s->in_cycles.push_back(s->cycle);
        s->in.pop_front();
        s->driving = false;
    }
    if (out_fire) s->out.push_back(ob);
    s->cycle++;
}

}  // namespace

extern "C" {

void* hw_new() {
    Sim* s = new Sim();
    s->ctx = new VerilatedContext;
    s->top = new Vhwgen_accel{s->ctx};
    Vhwgen_accel* t = s->top;
    t->ap_clk = 0;
    t->ap_rst_n = 0;
    t->s_axis_tvalid = 0;
    t->m_axis_tready = 0;
    t->s_axi_ctrl_awvalid = 0;
    t->s_axi_ctrl_wvalid = 0;
    t->s_axi_ctrl_bready = 0;
    t->s_axi_ctrl_arvalid = 0;
    t->s_axi_ctrl_rready = 0;
    eval(s);  // initial blocks: $readmemh of the weight files (relative to the working directory)
    return s;
}

void hw_free(void* h) {
    Sim* s = static_cast<Sim*>(h);
    s->top->final();
    delete s->top;
    delete s->ctx;
    delete s;
}

// Hold ap_rst_n low for `cycles` cycles; the queues and the cycle counter are cleared.
void hw_reset(void* h, int cycles) {
    Sim* s = static_cast<Sim*>(h);
    s->top->ap_rst_n = 0;
    s->top->s_axis_tvalid = 0;
    for (int i = 0; i < cycles; ++i) tick(s);
    s->top->ap_rst_n = 1;
    tick(s);
    s->in.clear();
    s->out.clear();
    s->in_cycles.clear();
    s->driving = false;
    s->cycle = 0;
}

void hw_random(void* h, double idle, double stall, uint64_t seed) {
    Sim* s = static_cast<Sim*>(h);
    s->idle = idle;
    s->stall = stall;
    s->rng = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    if (!s->rng) s->rng = 1;
}

int hw_data_bits() { return HW_DATA_BITS; }

// Queue n beats: words[n * HW_DATA_WORDS], last[n].
void hw_push(void* h, const uint32_t* words, const uint8_t* last, int64_t n) {
    Sim* s = static_cast<Sim*>(h);
    for (int64_t i = 0; i < n; ++i) {
        Beat b;
        std::memcpy(b.words, words + i * HW_DATA_WORDS, sizeof(b.words));
        b.last = last[i];
        s->in.push_back(b);
    }
}

// Clock until `want_out` output beats are queued (want_out < 0: until the input queue is empty and no
// beat moved for `quiet` cycles), or `max_cycles` passed. Returns the cycles run.
int64_t hw_run(void* h, int64_t want_out, int64_t max_cycles, int64_t quiet) {
    Sim* s = static_cast<Sim*>(h);
    int64_t ran = 0, still = 0;
    while (ran < max_cycles) {
        if (want_out >= 0 && static_cast<int64_t>(s->out.size()) >= want_out) break;
        std::size_t before = s->in.size() + s->out.size();
        stream_cycle(s);
        ran++;
        if (want_out < 0) {
            still = (s->in.empty() && s->in.size() + s->out.size() == before) ? still + 1 : 0;
            if (still >= quiet) break;
        }
    }
    return ran;
}

int64_t hw_out_count(void* h) { return static_cast<int64_t>(static_cast<Sim*>(h)->out.size()); }
int64_t hw_in_pending(void* h) { return static_cast<int64_t>(static_cast<Sim*>(h)->in.size()); }

// Pop up to `max` output beats.
int64_t hw_pop(void* h, uint32_t* data, uint8_t* last, uint64_t* cycles, int64_t max) {
    Sim* s = static_cast<Sim*>(h);
    int64_t n = 0;
    while (n < max && !s->out.empty()) {
        data[n] = s->out.front().data;
        last[n] = s->out.front().last;
        cycles[n] = s->out.front().cycle;
        s->out.pop_front();
        n++;
    }
    return n;
}

int64_t hw_in_cycles(void* h, uint64_t* cycles, int64_t max) {
    Sim* s = static_cast<Sim*>(h);
    int64_t n = 0;
    for (uint64_t c : s->in_cycles) {
        if (n >= max) break;
        cycles[n++] = c;
    }
    s->in_cycles.clear();
    return n;
}

uint64_t hw_cycle(void* h) { return static_cast<Sim*>(h)->cycle; }

void hw_out_limit(void* h, int64_t n) { static_cast<Sim*>(h)->out_limit = n; }

void hw_drop_input(void* h) {
    Sim* s = static_cast<Sim*>(h);
    s->in.clear();
    s->driving = false;
}

// Clock n cycles with the streams idle (no input offered, output ready).
void hw_step(void* h, int64_t n) {
    Sim* s = static_cast<Sim*>(h);
    for (int64_t i = 0; i < n; ++i) stream_cycle(s);
}

// One AXI4-Lite read; -1 (as uint64) after `limit` cycles without a response.
uint64_t hw_axil_read(void* h, uint32_t addr, int limit) {
    Sim* s = static_cast<Sim*>(h);
    Vhwgen_accel* t = s->top;
    t->s_axi_ctrl_araddr = addr;
    t->s_axi_ctrl_arvalid = 1;
    t->s_axi_ctrl_rready = 1;
    bool addressed = false;
    for (int i = 0; i < limit; ++i) {
        t->ap_clk = 0;
        eval(s);
        bool ar = t->s_axi_ctrl_arvalid && t->s_axi_ctrl_arready;
        bool r = t->s_axi_ctrl_rvalid && t->s_axi_ctrl_rready;
        uint32_t data = t->s_axi_ctrl_rdata;
        stream_cycle(s);
        if (ar) {
            addressed = true;
            t->s_axi_ctrl_arvalid = 0;
        }
        if (r && addressed) {
            t->s_axi_ctrl_rready = 0;
            return data;
        }
    }
    t->s_axi_ctrl_arvalid = 0;
    t->s_axi_ctrl_rready = 0;
    return ~0ull;
}

// One AXI4-Lite write; returns 0 when the response came, -1 after `limit` cycles.
int hw_axil_write(void* h, uint32_t addr, uint32_t data, int limit) {
    Sim* s = static_cast<Sim*>(h);
    Vhwgen_accel* t = s->top;
    t->s_axi_ctrl_awaddr = addr;
    t->s_axi_ctrl_awvalid = 1;
    t->s_axi_ctrl_wdata = data;
    t->s_axi_ctrl_wstrb = 0xF;
    t->s_axi_ctrl_wvalid = 1;
    t->s_axi_ctrl_bready = 1;
    for (int i = 0; i < limit; ++i) {
        t->ap_clk = 0;
        eval(s);
        bool aw = t->s_axi_ctrl_awvalid && t->s_axi_ctrl_awready;
        bool w = t->s_axi_ctrl_wvalid && t->s_axi_ctrl_wready;
        bool b = t->s_axi_ctrl_bvalid && t->s_axi_ctrl_bready;
        stream_cycle(s);
        if (aw) t->s_axi_ctrl_awvalid = 0;
        if (w) t->s_axi_ctrl_wvalid = 0;
        if (b) {
            t->s_axi_ctrl_bready = 0;
            return 0;
        }
    }
    t->s_axi_ctrl_awvalid = 0;
    t->s_axi_ctrl_wvalid = 0;
    t->s_axi_ctrl_bready = 0;
    return -1;
}

}  // extern "C"
