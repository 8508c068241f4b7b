# A stand-in for Vivado under plain tclsh: runs hwgen's generated Tcl and builds an in-memory model of
# the project, the block design (cells, CONFIG, pins, nets, interface connections, address map), the
# runs and the packaged IP, then writes it as JSON for hwgen.boards.bdmodel.
#
#   tclsh vivado_stub.tcl MODEL.json SCRIPT.tcl [CATALOG.tcl ...]
#
# Any command it does not know fails (`unknown`), and so does any option a command does not take: the
# generated scripts may only use what is modelled here. The IP models (pins, interfaces, widths, clock
# associations, address segments) follow the product guides: processing_system7 (PG082),
# zynq_ultra_ps_e (PG201), axi_dma (PG021), smartconnect (PG247), proc_sys_reset (PG164). Extra
# catalog files define more IP (the accelerator: stub::define_ip VLNV {...}).
#
# Behaviour switches (environment): HWGEN_STUB_VERSION (Vivado version, default 2023.2),
# HWGEN_STUB_RUN (ok | synth_error | impl_error | no_bitstream), HWGEN_STUB_WNS / HWGEN_STUB_WHS
# (slack reported by impl_1), HWGEN_STUB_BOARD_PARTS (installed board parts, space separated).

namespace eval stub {
    variable cells [dict create]          ;# name -> {vlnv ip config}
    variable nets [dict create]           ;# net -> list of pin paths (cell/pin or port name)
    variable pin_net [dict create]        ;# pin path -> net
    variable intf_peer [dict create]      ;# interface pin path -> connected interface pin path
    variable ports [dict create]          ;# external port -> {kind dir vlnv mode}
    variable assigned {}                  ;# {space seg offset range}
    variable excluded {}                  ;# {space seg}
    variable project [dict create]
    variable bd [dict create]
    variable files {}
    variable added {}
    variable runs [dict create]
    variable reads {}                     ;# "object property" read by the script
    variable log {}
    variable catalog [dict create]        ;# VLNV -> description proc
    variable ipx [dict create]            ;# packaged IP model
    variable created {}                   ;# files the stub wrote
    variable netcount 0
    variable pin_props [dict create]    ;# cell/pin -> {property value} set by the script
}

namespace eval json {}
namespace eval ipx {}

proc stub::env {name default} {
    if {[info exists ::env($name)] && $::env($name) ne ""} { return $::env($name) }
    return $default
}

proc stub::fail {message} {
    error "vivado stub: $message"
}

proc unknown {args} {
    stub::fail "unknown command '[lindex $args 0]' (called as: [string range $args 0 200])"
}

# Parse options: spec is a dict flag -> 1 (takes a value) or 0 (switch). Returns {options positional}.
proc stub::opts {command arguments spec} {
    set options [dict create]
    set positional {}
    for {set i 0} {$i < [llength $arguments]} {incr i} {
        set a [lindex $arguments $i]
        if {[string index $a 0] eq "-" && ![string is double -strict $a]} {
            if {![dict exists $spec $a]} { fail "$command: unknown option $a" }
            if {[dict get $spec $a]} {
                incr i
                if {$i >= [llength $arguments]} { fail "$command: option $a needs a value" }
                dict set options $a [lindex $arguments $i]
            } else {
                dict set options $a 1
            }
        } else {
            lappend positional $a
        }
    }
    lappend stub::log [concat $command $arguments]
    return [list $options $positional]
}

proc stub::strip {path} { return [string trimleft $path /] }

# --------------------------------------------------------------------------------------------- IP models
# Each model proc takes the cell's CONFIG dict and returns
#   pins   {name {dir I|O type clk|rst|intr|data required 0|1}}
#   intf   {name {mode Master|Slave kind aximm|axis|ddrx|fixedio protocol P width W clock CLKPIN}}
#   spaces {name {intf INTF width ADDRESS_BITS windows {{base size} ...}}}   (master address spaces)
#   segs   {INTF/BLOCK {offset FIXED|"" range R usage memory|register}}       (slave segments)
proc stub::c {config key default} {
    if {[dict exists $config $key]} { return [dict get $config $key] }
    return $default
}

proc stub::defaults {ip} {
    switch -- $ip {
        processing_system7 {
            return {PCW_USE_M_AXI_GP0 1 PCW_USE_M_AXI_GP1 0 PCW_USE_S_AXI_HP0 0 PCW_USE_S_AXI_HP1 0
                    PCW_USE_S_AXI_HP2 0 PCW_USE_S_AXI_HP3 0 PCW_S_AXI_HP0_DATA_WIDTH 64 PCW_EN_CLK0_PORT 1
                    PCW_EN_RST0_PORT 1 PCW_FPGA_FCLK0_ENABLE 1 PCW_FPGA0_PERIPHERAL_FREQMHZ 50
                    PCW_USE_FABRIC_INTERRUPT 0 PCW_DDR_RAM_HIGHADDR 0x1FFFFFFF
                    PCW_CRYSTAL_PERIPHERAL_FREQMHZ 33.333333 PCW_IMPORT_BOARD_PRESET None}
        }
        zynq_ultra_ps_e {
            return {PSU__USE__M_AXI_GP0 1 PSU__USE__M_AXI_GP1 1 PSU__USE__M_AXI_GP2 1 PSU__USE__S_AXI_GP2 0
                    PSU__USE__S_AXI_GP3 0 PSU__USE__S_AXI_GP4 0 PSU__USE__S_AXI_GP5 0
                    PSU__MAXIGP0__DATA_WIDTH 128 PSU__MAXIGP1__DATA_WIDTH 128 PSU__MAXIGP2__DATA_WIDTH 32
                    PSU__SAXIGP2__DATA_WIDTH 128 PSU__FPGA_PL0_ENABLE 1 PSU__NUM_FABRIC_RESETS 1
                    PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 100 PSU__USE__IRQ0 1}
        }
        axi_dma {
            return {c_include_sg 1 c_sg_length_width 14 c_sg_include_stscntrl_strm 1 c_addr_width 32
                    c_include_mm2s 1 c_include_s2mm 1 c_m_axi_mm2s_data_width 32 c_m_axis_mm2s_tdata_width 32
                    c_m_axi_s2mm_data_width 32 c_s_axis_s2mm_tdata_width 32 c_mm2s_burst_size 16
                    c_s2mm_burst_size 16 c_micro_dma 0 c_include_mm2s_dre 0 c_include_s2mm_dre 0
                    c_enable_multi_channel 0 c_num_mm2s_channels 1 c_num_s2mm_channels 1}
        }
        smartconnect { return {NUM_SI 1 NUM_MI 2 NUM_CLKS 1} }
        proc_sys_reset { return {C_EXT_RESET_HIGH 0 C_AUX_RESET_HIGH 0 C_NUM_PERP_ARESETN 1} }
        default { return {} }
    }
}

proc stub::clk {} { return {dir I type clk required 1} }
proc stub::rst {} { return {dir I type rst required 1} }

proc stub::model_processing_system7 {config} {
    set pins [dict create]
    set intf [dict create DDR {mode Master kind ddrx} FIXED_IO {mode Master kind fixedio}]
    foreach i {0 1 2 3} {
        if {[c $config PCW_EN_CLK${i}_PORT [expr {$i == 0}]] && [c $config PCW_FPGA_FCLK${i}_ENABLE [expr {$i == 0}]]} {
            dict set pins FCLK_CLK$i {dir O type clk required 0}
        }
    }
    if {[c $config PCW_EN_RST0_PORT 1]} { dict set pins FCLK_RESET0_N {dir O type rst required 0} }
    set spaces [dict create]
    set windows {}
    foreach {port base} {GP0 0x40000000 GP1 0x80000000} {
        if {[c $config PCW_USE_M_AXI_$port 0]} {
            dict set pins M_AXI_${port}_ACLK [clk]
            dict set intf M_AXI_$port [list mode Master kind aximm protocol AXI3 width 32 clock M_AXI_${port}_ACLK]
            lappend windows [list M_AXI_$port $base 0x40000000]
        }
    }
    if {[llength $windows]} { dict set spaces Data [list width 32 windows $windows] }
    set segs [dict create]
    set ddr [expr {[c $config PCW_DDR_RAM_HIGHADDR 0x1FFFFFFF] + 1}]
    foreach i {0 1 2 3} {
        if {[c $config PCW_USE_S_AXI_HP$i 0]} {
            dict set pins S_AXI_HP${i}_ACLK [clk]
            dict set intf S_AXI_HP$i [list mode Slave kind aximm protocol AXI3 \
                width [c $config PCW_S_AXI_HP${i}_DATA_WIDTH 64] clock S_AXI_HP${i}_ACLK]
            dict set segs S_AXI_HP$i/HP${i}_DDR_LOWOCM [list intf S_AXI_HP$i offset 0x00000000 range $ddr usage memory]
        }
    }
    if {[c $config PCW_USE_FABRIC_INTERRUPT 0]} { dict set pins IRQ_F2P {dir I type intr required 0} }
    return [list pins $pins intf $intf spaces $spaces segs $segs]
}

proc stub::model_zynq_ultra_ps_e {config} {
    set pins [dict create]
    set intf [dict create]
    if {[c $config PSU__FPGA_PL0_ENABLE 1]} { dict set pins pl_clk0 {dir O type clk required 0} }
    if {[c $config PSU__NUM_FABRIC_RESETS 1] >= 1} { dict set pins pl_resetn0 {dir O type rst required 0} }
    if {[c $config PSU__USE__IRQ0 1]} { dict set pins pl_ps_irq0 {dir I type intr required 0} }
    set windows {}
    foreach {gp name clock base size} {
        0 M_AXI_HPM0_FPD maxihpm0_fpd_aclk 0xA0000000 0x10000000
        1 M_AXI_HPM1_FPD maxihpm1_fpd_aclk 0xB0000000 0x10000000
        2 M_AXI_HPM0_LPD maxihpm0_lpd_aclk 0x80000000 0x20000000
    } {
        if {[c $config PSU__USE__M_AXI_GP$gp 0]} {
            dict set pins $clock [clk]
            dict set intf $name [list mode Master kind aximm protocol AXI4 \
                width [c $config PSU__MAXIGP${gp}__DATA_WIDTH 128] clock $clock]
            lappend windows [list $name $base $size]
        }
    }
    set spaces [dict create]
    if {[llength $windows]} { dict set spaces Data [list width 40 windows $windows] }
    set segs [dict create]
    foreach {gp name clock hp} {
        2 S_AXI_HP0_FPD saxihp0_fpd_aclk HP0 3 S_AXI_HP1_FPD saxihp1_fpd_aclk HP1
        4 S_AXI_HP2_FPD saxihp2_fpd_aclk HP2 5 S_AXI_HP3_FPD saxihp3_fpd_aclk HP3
    } {
        if {[c $config PSU__USE__S_AXI_GP$gp 0]} {
            dict set pins $clock [clk]
            dict set intf $name [list mode Slave kind aximm protocol AXI4 \
                width [c $config PSU__SAXIGP${gp}__DATA_WIDTH 128] clock $clock]
            foreach {seg offset range} [list ${hp}_DDR_LOW 0x00000000 0x80000000 \
                    ${hp}_QSPI 0xC0000000 0x20000000 ${hp}_LPS_OCM 0xFF000000 0x01000000 \
                    ${hp}_DDR_HIGH 0x800000000 0x800000000] {
                dict set segs SAXIGP$gp/$seg [list intf $name offset $offset range $range usage memory]
            }
        }
    }
    return [list pins $pins intf $intf spaces $spaces segs $segs]
}

proc stub::model_axi_dma {config} {
    set length [c $config c_sg_length_width 14]
    if {$length < 8 || $length > 26} { fail "axi_dma: c_sg_length_width $length outside 8..26" }
    set pins [dict create s_axi_lite_aclk [clk] axi_resetn [rst] \
        mm2s_introut {dir O type intr required 0} s2mm_introut {dir O type intr required 0}]
    set intf [dict create S_AXI_LITE {mode Slave kind aximm protocol AXI4LITE width 32 clock s_axi_lite_aclk}]
    set spaces [dict create]
    set width [c $config c_addr_width 32]
    if {[c $config c_include_sg 1]} {
        dict set pins m_axi_sg_aclk [clk]
        dict set intf M_AXI_SG {mode Master kind aximm protocol AXI4 width 32 clock m_axi_sg_aclk}
        dict set spaces Data_SG [list intf M_AXI_SG width $width]
        if {[c $config c_sg_include_stscntrl_strm 1]} {
            dict set intf M_AXIS_CNTRL {mode Master kind axis width 32 clock m_axi_mm2s_aclk}
            dict set intf S_AXIS_STS {mode Slave kind axis width 32 clock m_axi_s2mm_aclk}
        }
    } elseif {[c $config c_sg_include_stscntrl_strm 1]} {
        fail "axi_dma: c_sg_include_stscntrl_strm needs scatter-gather (c_include_sg 1)"
    }
    foreach {dir clock mm stream mode} {mm2s m_axi_mm2s_aclk M_AXI_MM2S M_AXIS_MM2S Master
                                         s2mm m_axi_s2mm_aclk M_AXI_S2MM S_AXIS_S2MM Slave} {
        if {[c $config c_include_$dir 1]} {
            set mm_width [c $config c_m_axi_${dir}_data_width 32]
            set key [expr {$dir eq "mm2s" ? "c_m_axis_mm2s_tdata_width" : "c_s_axis_s2mm_tdata_width"}]
            set st_width [c $config $key 32]
            if {$st_width > $mm_width} { fail "axi_dma: $key $st_width wider than c_m_axi_${dir}_data_width $mm_width" }
            dict set pins $clock [clk]
            dict set intf $mm [list mode Master kind aximm protocol AXI4 width $mm_width clock $clock]
            dict set intf $stream [list mode $mode kind axis width $st_width clock $clock]
            dict set spaces Data_[string toupper $dir] [list intf $mm width $width]
        }
    }
    set segs [dict create S_AXI_LITE/Reg {intf S_AXI_LITE offset {} range 0x10000 usage register}]
    return [list pins $pins intf $intf spaces $spaces segs $segs]
}

proc stub::model_smartconnect {config} {
    set pins [dict create aclk [clk] aresetn [rst]]
    set intf [dict create]
    for {set i 0} {$i < [c $config NUM_SI 1]} {incr i} {
        dict set intf [format S%02d_AXI $i] {mode Slave kind aximm protocol any width any clock aclk}
    }
    for {set i 0} {$i < [c $config NUM_MI 2]} {incr i} {
        dict set intf [format M%02d_AXI $i] {mode Master kind aximm protocol any width any clock aclk}
    }
    return [list pins $pins intf $intf spaces {} segs {} interconnect 1]
}

proc stub::model_proc_sys_reset {config} {
    set pins [dict create slowest_sync_clk [clk] ext_reset_in [rst] \
        aux_reset_in {dir I type rst required 0} mb_debug_sys_rst {dir I type rst required 0} \
        dcm_locked {dir I type data required 0} mb_reset {dir O type rst required 0} \
        bus_struct_reset {dir O type rst required 0} peripheral_reset {dir O type rst required 0} \
        interconnect_aresetn {dir O type rst required 0} peripheral_aresetn {dir O type rst required 0}]
    return [list pins $pins intf {} spaces {} segs {}]
}

# An IP described by a catalog file: the description is returned as is.
proc stub::define_ip {vlnv description} {
    dict set stub::catalog $vlnv $description
}

proc stub::builtin_vlnvs {} {
    return {xilinx.com:ip:processing_system7:5.5 xilinx.com:ip:zynq_ultra_ps_e:3.5 xilinx.com:ip:axi_dma:7.1
            xilinx.com:ip:smartconnect:1.0 xilinx.com:ip:proc_sys_reset:5.0}
}

proc stub::model {cell} {
    set info [dict get $stub::cells $cell]
    set vlnv [dict get $info vlnv]
    if {[dict exists $stub::catalog $vlnv]} { return [dict get $stub::catalog $vlnv] }
    return [model_[dict get $info ip] [dict get $info config]]
}

# ------------------------------------------------------------------------------------------- project
proc version {args} {
    lassign [stub::opts version $args {-short 0}] o p
    return [stub::env HWGEN_STUB_VERSION 2023.2]
}

proc create_project {args} {
    lassign [stub::opts create_project $args {-force 0 -part 1 -in_memory 0}] o p
    lassign $p name dir
    if {$dir eq ""} { set dir $name }
    if {![dict exists $o -part]} { stub::fail "create_project: no -part" }
    if {[dict size $stub::project] && [dict get $stub::project open]} { stub::fail "create_project: a project is open" }
    set stub::project [dict create name $name dir [file normalize $dir] part [dict get $o -part] \
        board_part "" ip_repo_paths {} open 1 top "" kind project]
    file mkdir $dir
    return $name
}

proc current_project {args} {
    lassign [stub::opts current_project $args {-quiet 0}] o p
    if {![dict size $stub::project] || ![dict get $stub::project open]} {
        if {[dict exists $o -quiet]} { return "" }
        stub::fail "current_project: no open project"
    }
    return "project:[dict get $stub::project name]"
}

proc current_fileset {args} {
    lassign [stub::opts current_fileset $args {-simset 0 -constrset 0}] o p
    return fileset:sources_1
}

proc get_board_parts {args} {
    lassign [stub::opts get_board_parts $args {-quiet 0 -latest_file_version 0}] o p
    set installed [stub::env HWGEN_STUB_BOARD_PARTS ""]
    set found {}
    foreach part $installed { if {[string match [lindex $p 0] $part]} { lappend found $part } }
    return $found
}

proc update_ip_catalog {args} {
    lassign [stub::opts update_ip_catalog $args {-rebuild 0 -scan_changes 0 -quiet 0}] o p
    return ""
}

proc get_ipdefs {args} {
    lassign [stub::opts get_ipdefs $args {-all 0 -quiet 0 -filter 1}] o p
    set found {}
    foreach vlnv [concat [stub::builtin_vlnvs] [dict keys $stub::catalog]] {
        if {[string match [lindex $p 0] $vlnv]} { lappend found $vlnv }
    }
    if {![llength $found] && ![dict exists $o -quiet]} { stub::fail "get_ipdefs: nothing matches [lindex $p 0]" }
    return $found
}

proc update_compile_order {args} {
    lassign [stub::opts update_compile_order $args {-fileset 1 -quiet 0}] o p
    return ""
}

proc add_files {args} {
    lassign [stub::opts add_files $args {-norecurse 0 -fileset 1 -quiet 0}] o p
    foreach path [concat {*}$p] {
        if {![file exists $path]} { stub::fail "add_files: no file $path" }
        lappend stub::added [file normalize $path]
        lappend stub::files [file normalize $path]
    }
    return [concat {*}$p]
}

proc get_files {args} {
    lassign [stub::opts get_files $args {-all 0 -quiet 0 -of_objects 1 -filter 1}] o p
    set found {}
    foreach path $stub::files {
        if {[string match [lindex $p 0] [file tail $path]] || [string match [lindex $p 0] $path]} {
            lappend found $path
        }
    }
    if {![llength $found] && ![dict exists $o -quiet]} { stub::fail "get_files: nothing matches [lindex $p 0]" }
    return $found
}

proc close_project {args} {
    lassign [stub::opts close_project $args {-delete 0 -quiet 0}] o p
    if {[dict size $stub::project]} { dict set stub::project open 0 }
    return ""
}

# --------------------------------------------------------------------------------------- block design
proc create_bd_design {args} {
    lassign [stub::opts create_bd_design $args {-dir 1}] o p
    if {![dict size $stub::project]} { stub::fail "create_bd_design: no project" }
    set name [lindex $p 0]
    set dir [file join [dict get $stub::project dir] "[dict get $stub::project name].srcs" sources_1 bd $name]
    file mkdir $dir
    set path [file join $dir $name.bd]
    set stub::bd [dict create name $name file $path saved 0 validated 0]
    lappend stub::files $path
    return "bd:$name"
}

proc current_bd_design {args} {
    lassign [stub::opts current_bd_design $args {-quiet 0}] o p
    if {[dict size $stub::bd]} { return "bd:[dict get $stub::bd name]" }
    return ""
}

proc create_bd_cell {args} {
    lassign [stub::opts create_bd_cell $args {-type 1 -vlnv 1}] o p
    set name [stub::strip [lindex $p 0]]
    if {![dict size $stub::bd]} { stub::fail "create_bd_cell: no block design" }
    if {[dict exists $stub::cells $name]} { stub::fail "create_bd_cell: cell $name exists" }
    set vlnv [dict get $o -vlnv]
    if {[string first * $vlnv] >= 0} { stub::fail "create_bd_cell: -vlnv $vlnv is a pattern, not a VLNV" }
    if {[lsearch -exact [concat [stub::builtin_vlnvs] [dict keys $stub::catalog]] $vlnv] < 0} {
        stub::fail "create_bd_cell: $vlnv is not in the IP catalog"
    }
    set ip [lindex [split $vlnv :] 2]
    dict set stub::cells $name [dict create vlnv $vlnv ip $ip config [stub::defaults $ip] set {}]
    return "/$name"
}

proc get_bd_cells {args} {
    lassign [stub::opts get_bd_cells $args {-quiet 0 -hierarchical 0}] o p
    if {![llength $p]} { return [lmap c [dict keys $stub::cells] {string cat / $c}] }
    set found {}
    foreach pattern $p {
        set pattern [stub::strip $pattern]
        foreach c [dict keys $stub::cells] { if {[string match $pattern $c]} { lappend found /$c } }
    }
    if {![llength $found] && ![dict exists $o -quiet]} { stub::fail "get_bd_cells: no cell $p" }
    return $found
}

proc stub::split_pin {path command} {
    set path [stub::strip $path]
    set cell [file dirname $path]
    set pin [file tail $path]
    if {![dict exists $stub::cells $cell]} { stub::fail "$command: no cell $cell (in $path)" }
    return [list $cell $pin]
}

proc get_bd_pins {args} {
    lassign [stub::opts get_bd_pins $args {-quiet 0 -of_objects 1}] o p
    set found {}
    foreach path $p {
        lassign [stub::split_pin $path get_bd_pins] cell pin
        set pins [dict get [stub::model $cell] pins]
        if {![dict exists $pins $pin]} {
            if {[dict exists $o -quiet]} { continue }
            stub::fail "get_bd_pins: $cell has no pin $pin with its CONFIG (pins: [lsort [dict keys $pins]])"
        }
        lappend found "/$cell/$pin"
    }
    return $found
}

proc get_bd_intf_pins {args} {
    lassign [stub::opts get_bd_intf_pins $args {-quiet 0 -of_objects 1}] o p
    set found {}
    foreach path $p {
        lassign [stub::split_pin $path get_bd_intf_pins] cell pin
        set intf [dict get [stub::model $cell] intf]
        if {![dict exists $intf $pin]} {
            if {[dict exists $o -quiet]} { continue }
            stub::fail "get_bd_intf_pins: $cell has no interface $pin with its CONFIG (interfaces: [lsort [dict keys $intf]])"
        }
        lappend found "intf:/$cell/$pin"
    }
    return $found
}

proc create_bd_intf_port {args} {
    lassign [stub::opts create_bd_intf_port $args {-mode 1 -vlnv 1}] o p
    set name [lindex $p 0]
    dict set stub::ports $name [dict create kind intf mode [dict get $o -mode] vlnv [dict get $o -vlnv]]
    return "intf_port:/$name"
}

proc create_bd_port {args} {
    lassign [stub::opts create_bd_port $args {-dir 1 -type 1 -from 1 -to 1 -freq_hz 1}] o p
    set name [lindex $p 0]
    dict set stub::ports $name [dict create kind port dir [dict get $o -dir] type [stub::c $o -type data]]
    return "port:/$name"
}

proc get_bd_intf_ports {args} {
    lassign [stub::opts get_bd_intf_ports $args {-quiet 0}] o p
    set found {}
    foreach name $p {
        set name [stub::strip $name]
        if {![dict exists $stub::ports $name]} { stub::fail "get_bd_intf_ports: no port $name" }
        lappend found "intf_port:/$name"
    }
    return $found
}

proc stub::intf_of {object command} {
    if {[string match intf:/* $object]} {
        lassign [stub::split_pin [string range $object 5 end] $command] cell pin
        return [list pin $cell $pin [dict get [dict get [stub::model $cell] intf] $pin]]
    }
    if {[string match intf_port:/* $object]} {
        set name [string range $object 11 end]
        return [list port "" $name [dict get $stub::ports $name]]
    }
    stub::fail "$command: '$object' is not an interface pin (use get_bd_intf_pins)"
}

proc connect_bd_intf_net {args} {
    lassign [stub::opts connect_bd_intf_net $args {-intf_net 1 -boundary_type 1}] o p
    if {[llength $p] != 2} { stub::fail "connect_bd_intf_net: needs two interface objects, got [llength $p]: $p" }
    set ends {}
    foreach object $p {
        lassign [stub::intf_of $object connect_bd_intf_net] kind cell pin info
        set key [expr {$kind eq "pin" ? "$cell/$pin" : $pin}]
        if {[dict exists $stub::intf_peer $key]} { stub::fail "connect_bd_intf_net: $key is already connected" }
        lappend ends $key
    }
    dict set stub::intf_peer [lindex $ends 0] [lindex $ends 1]
    dict set stub::intf_peer [lindex $ends 1] [lindex $ends 0]
    return "intf_net:[join $ends -]"
}

proc connect_bd_net {args} {
    lassign [stub::opts connect_bd_net $args {-net 1}] o p
    set pins {}
    foreach object [concat {*}$p] {
        if {![string match /* $object] || [string match intf* $object]} {
            stub::fail "connect_bd_net: '$object' is not a pin (use get_bd_pins)"
        }
        lassign [stub::split_pin $object connect_bd_net] cell pin
        lappend pins "$cell/$pin"
    }
    if {[llength $pins] < 2} { stub::fail "connect_bd_net: needs at least two pins, got $pins" }
    set net ""
    foreach pin $pins { if {[dict exists $stub::pin_net $pin]} { set net [dict get $stub::pin_net $pin] } }
    if {$net eq ""} { set net "net[incr stub::netcount]" ; dict set stub::nets $net {} }
    foreach pin $pins {
        if {[dict exists $stub::pin_net $pin] && [dict get $stub::pin_net $pin] ne $net} {
            stub::fail "connect_bd_net: $pin is already on another net"
        }
        if {![dict exists $stub::pin_net $pin]} {
            dict set stub::pin_net $pin $net
            dict lappend stub::nets $net $pin
        }
    }
    return "net:$net"
}

proc stub::config_value {value} {
    # Vivado keeps CONFIG values as strings; numbers given in hex stay as written.
    return $value
}

proc set_property {args} {
    lassign [stub::opts set_property $args {-dict 1 -name 1 -value 1 -objects 1 -quiet 0}] o p
    if {[dict exists $o -dict]} {
        set pairs [dict get $o -dict]
        set objects [lindex $p 0]
    } elseif {[dict exists $o -name]} {
        set pairs [list [dict get $o -name] [dict get $o -value]]
        set objects [dict get $o -objects]
    } else {
        if {[llength $p] != 3} { stub::fail "set_property: expected NAME VALUE OBJECTS, got $p" }
        lassign $p name value objects
        set pairs [list $name $value]
    }
    if {[llength $pairs] % 2} { stub::fail "set_property: odd -dict list" }
    if {![llength $objects]} { stub::fail "set_property: no objects" }
    foreach object $objects {
        foreach {name value} $pairs { stub::set_one $object $name $value }
    }
    return ""
}

proc stub::set_one {object name value} {
    if {[string match project:* $object]} {
        switch -- $name {
            board_part { dict set stub::project board_part $value }
            ip_repo_paths {
                foreach path $value { if {![file isdirectory $path]} { puts "WARNING: stub: IP repository $path does not exist" } }
                dict set stub::project ip_repo_paths $value
            }
            default { stub::fail "set_property: project property $name is not modelled" }
        }
    } elseif {[string match fileset:* $object]} {
        if {$name ne "top"} { stub::fail "set_property: fileset property $name is not modelled" }
        dict set stub::project top $value
    } elseif {[string match /*/* $object] && [dict exists $stub::cells [file dirname [stub::strip $object]]]} {
        lassign [stub::split_pin $object set_property] cell pin
        if {$name ne "CONFIG.FREQ_HZ"} { stub::fail "set_property: pin property $name is not modelled" }
        dict set stub::pin_props $cell/$pin FREQ_HZ $value
    } elseif {[string match /* $object]} {
        set cell [stub::strip $object]
        if {![dict exists $stub::cells $cell]} { stub::fail "set_property: no cell $cell" }
        if {![string match CONFIG.* $name]} { stub::fail "set_property: cell property $name is not modelled" }
        set key [string range $name 7 end]
        if {[string match *.VALUE_SRC $key]} { return }
        set config [dict get $stub::cells $cell config]
        dict set config $key [stub::config_value $value]
        dict set stub::cells $cell config $config
        dict set stub::cells $cell set [concat [dict get $stub::cells $cell set] [list $key]]
    } elseif {[string match ipx:* $object]} {
        stub::ipx_set $object $name $value
    } else {
        stub::fail "set_property: cannot set $name on '$object'"
    }
}

proc get_property {args} {
    lassign [stub::opts get_property $args {-quiet 0}] o p
    lassign $p name objects
    lappend stub::reads [list $objects $name]
    set values {}
    foreach object $objects { lappend values [stub::get_one $object $name] }
    if {[llength $objects] == 1} { return [lindex $values 0] }
    return $values
}

# A clock pin's frequency: a PS clock from its CONFIG (PS8's PLL gives 99.999001 MHz for 100), an IP's
# clock input as its IP states it (100 MHz unless the catalog says freq_hz) or as the script set it.
proc stub::pin_freq {cell pin} {
    if {[dict exists $stub::pin_props $cell/$pin FREQ_HZ]} { return [dict get $stub::pin_props $cell/$pin FREQ_HZ] }
    set desc [dict get [dict get [stub::model $cell] pins] $pin]
    if {[dict get $desc type] ne "clk"} { return "" }
    set config [dict get $stub::cells $cell config]
    switch -- [dict get $stub::cells $cell ip] {
        processing_system7 {
            if {[regexp {FCLK_CLK(\d)} $pin -> i]} { return [expr {round([stub::c $config PCW_FPGA${i}_PERIPHERAL_FREQMHZ 50] * 1e6)}] }
        }
        zynq_ultra_ps_e {
            if {[regexp {pl_clk(\d)} $pin -> i]} { return [expr {round([stub::c $config PSU__CRL_APB__PL${i}_REF_CTRL__FREQMHZ 100] * 999990.01)}] }
        }
    }
    if {[dict get $desc dir] eq "O"} { return "" }
    set drivers {}
    if {[dict exists $stub::pin_net $cell/$pin]} {
        foreach other [dict get $stub::nets [dict get $stub::pin_net $cell/$pin]] {
            set ocell [file dirname $other]
            if {[dict get [dict get [dict get [stub::model $ocell] pins] [file tail $other]] dir] eq "O"} { lappend drivers $other }
        }
    }
    set fixed [stub::c $desc freq_hz ""]
    if {$fixed ne ""} { return $fixed }
    if {[llength $drivers] == 1} { return [stub::pin_freq [file dirname [lindex $drivers 0]] [file tail [lindex $drivers 0]]] }
    return ""
}

proc stub::get_one {object name} {
    if {[regexp {^[a-z0-9.]+:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+:[0-9.]+$} $object] && $name eq "VLNV"} { return $object }
    if {[string match run:* $object]} { return [stub::run_property [string range $object 4 end] $name] }
    if {[string match intf:/* $object] && [string match CONFIG.* $name]} {
        lassign [stub::intf_of $object get_property] kind cell pin info
        switch -- [string range $name 7 end] {
            TDATA_NUM_BYTES {
                if {[dict get $info kind] ne "axis"} { stub::fail "get_property: $cell/$pin is not a stream" }
                return [expr {[dict get $info width] / 8}]
            }
            DATA_WIDTH { return [dict get $info width] }
            PROTOCOL { return [dict get $info protocol] }
            default { stub::fail "get_property: interface property $name is not modelled" }
        }
    }
    if {[string match /*/* $object] && [dict exists $stub::cells [file dirname [stub::strip $object]]]} {
        lassign [stub::split_pin $object get_property] cell pin
        if {$name ne "CONFIG.FREQ_HZ"} { stub::fail "get_property: pin property $name is not modelled" }
        return [stub::pin_freq $cell $pin]
    }
    if {[string match /* $object] && [string match CONFIG.* $name]} {
        return [stub::c [dict get $stub::cells [stub::strip $object] config] [string range $name 7 end] ""]
    }
    stub::fail "get_property: $name of '$object' is not modelled"
}

# ----------------------------------------------------------------------------------------- addressing
proc stub::spaces {} {
    set result [dict create]
    dict for {cell info} $stub::cells {
        dict for {space desc} [dict get [stub::model $cell] spaces] { dict set result $cell/$space $desc }
    }
    return $result
}

proc stub::segments {} {
    set result [dict create]
    dict for {cell info} $stub::cells {
        dict for {seg desc} [dict get [stub::model $cell] segs] { dict set result $cell/$seg $desc }
    }
    return $result
}

# Slave segments a master interface pin reaches through its interface net (and interconnects).
proc stub::reach {cell intf {depth 0}} {
    if {$depth > 8} { stub::fail "address path through more than 8 interconnects from $cell/$intf" }
    if {![dict exists $stub::intf_peer $cell/$intf]} { return {} }
    set peer [dict get $stub::intf_peer $cell/$intf]
    set pcell [file dirname $peer]
    set pintf [file tail $peer]
    if {![dict exists $stub::cells $pcell]} { return {} }
    set model [stub::model $pcell]
    if {[dict exists $model interconnect]} {
        set found {}
        dict for {name desc} [dict get $model intf] {
            if {[dict get $desc mode] eq "Master"} { lappend found {*}[stub::reach $pcell $name [expr {$depth + 1}]] }
        }
        return $found
    }
    set found {}
    dict for {seg desc} [dict get $model segs] {
        if {[dict get $desc intf] eq $pintf} { lappend found $pcell/$seg }
    }
    return $found
}

# Reachable segments of an address space, with the window (base size) of the master port each comes through.
proc stub::reachable {space} {
    set desc [dict get [stub::spaces] $space]
    set cell [file dirname $space]
    set result [dict create]
    if {[dict exists $desc windows]} {
        foreach window [dict get $desc windows] {
            lassign $window intf base size
            foreach seg [stub::reach $cell $intf] { dict set result $seg [list $base $size] }
        }
    } else {
        foreach seg [stub::reach $cell [dict get $desc intf]] {
            dict set result $seg [list 0 [expr {2 ** [dict get $desc width]}]]
        }
    }
    return $result
}

proc stub::size {text} {
    if {[regexp {^([0-9]+)([KMG])$} $text -> n unit]} {
        return [expr {$n * (1 << ([string first $unit KMG] * 10 + 10))}]
    }
    return [expr {$text + 0}]
}

proc get_bd_addr_spaces {args} {
    lassign [stub::opts get_bd_addr_spaces $args {-quiet 0 -of_objects 1}] o p
    set all [dict keys [stub::spaces]]
    if {![llength $p]} { return [lmap s $all {string cat space:/ $s}] }
    set found {}
    foreach s $all { if {[string match [stub::strip [lindex $p 0]] $s]} { lappend found space:/$s } }
    if {![llength $found] && ![dict exists $o -quiet]} { stub::fail "get_bd_addr_spaces: no space [lindex $p 0] (spaces: $all)" }
    return $found
}

proc get_bd_addr_segs {args} {
    lassign [stub::opts get_bd_addr_segs $args {-quiet 0 -excluded 0 -unaddressed 0 -of_objects 1 -addressed 0}] o p
    if {[dict exists $o -excluded] || [dict exists $o -unaddressed] || [dict exists $o -addressed]} {
        if {![dict exists $o -of_objects]} { stub::fail "get_bd_addr_segs: -excluded/-unaddressed need -of_objects" }
        set space [string range [dict get $o -of_objects] 7 end]
        set found {}
        if {[dict exists $o -excluded]} {
            foreach e $stub::excluded { if {[lindex $e 0] eq $space} { lappend found seg:/[lindex $e 1] } }
        } elseif {[dict exists $o -addressed]} {
            foreach a $stub::assigned { if {[lindex $a 0] eq $space} { lappend found seg:/[lindex $a 1] } }
        } else {
            dict for {seg window} [stub::reachable $space] {
                if {![stub::is_mapped $space $seg]} { lappend found seg:/$seg }
            }
        }
        return $found
    }
    set found {}
    foreach seg [dict keys [stub::segments]] {
        if {[string match [stub::strip [lindex $p 0]] $seg]} { lappend found seg:/$seg }
    }
    if {![llength $found] && ![dict exists $o -quiet]} { stub::fail "get_bd_addr_segs: no segment [lindex $p 0]" }
    return $found
}

proc stub::is_mapped {space seg} {
    foreach a $stub::assigned { if {[lindex $a 0] eq $space && [lindex $a 1] eq $seg} { return 1 } }
    foreach e $stub::excluded { if {[lindex $e 0] eq $space && [lindex $e 1] eq $seg} { return 1 } }
    return 0
}

proc stub::place {space seg offset range} {
    set window [dict get [stub::reachable $space] $seg]
    lassign $window base size
    set top [expr {2 ** [dict get [dict get [stub::spaces] $space] width]}]
    if {$range < 4096 || ($range & ($range - 1))} { stub::fail "assign_bd_address: range $range of $seg is not a power of two >= 4K" }
    if {$offset % $range} { stub::fail "assign_bd_address: $seg at [format %#x $offset] is not aligned to its range [format %#x $range]" }
    if {$offset < $base || $offset + $range > $base + $size || $offset + $range > $top} {
        return excluded
    }
    foreach a $stub::assigned {
        lassign $a s other o r
        if {$s eq $space && $offset < $o + $r && $o < $offset + $range} {
            stub::fail "assign_bd_address: $seg [format %#x $offset] overlaps $other [format %#x $o] in $space"
        }
    }
    lappend stub::assigned [list $space $seg [expr {$offset + 0}] [expr {$range + 0}]]
    return assigned
}

proc assign_bd_address {args} {
    lassign [stub::opts assign_bd_address $args {-offset 1 -range 1 -target_address_space 1 -force 0 -quiet 0}] o p
    if {[llength $p]} {
        if {![dict exists $o -target_address_space]} { stub::fail "assign_bd_address: give -target_address_space" }
        set space [string range [dict get $o -target_address_space] 7 end]
        set seg [string range [lindex $p 0] 5 end]
        if {![dict exists [stub::reachable $space] $seg]} { stub::fail "assign_bd_address: $seg is not reachable from $space" }
        set desc [dict get [stub::segments] $seg]
        set offset [expr {[dict exists $o -offset] ? [dict get $o -offset] : [dict get $desc offset]}]
        set range [stub::size [expr {[dict exists $o -range] ? [dict get $o -range] : [dict get $desc range]}]]
        if {[stub::place $space $seg $offset $range] eq "excluded"} {
            stub::fail "assign_bd_address: $seg at [format %#x $offset] is outside the window of $space"
        }
        return seg:/$space/$seg
    }
    # No arguments: map every reachable, unmapped segment at its fixed offset; exclude what does not fit.
    dict for {space desc} [stub::spaces] {
        dict for {seg window} [stub::reachable $space] {
            if {[stub::is_mapped $space $seg]} { continue }
            set sdesc [dict get [stub::segments] $seg]
            if {[dict get $sdesc offset] eq ""} { stub::fail "assign_bd_address: automatic placement of $seg is not modelled: give -offset" }
            if {[stub::place $space $seg [dict get $sdesc offset] [dict get $sdesc range]] eq "excluded"} {
                lappend stub::excluded [list $space $seg]
            }
        }
    }
    return ""
}

# ----------------------------------------------------------------------------------------- validation
proc stub::problems {} {
    set problems {}
    dict for {cell info} $stub::cells {
        set model [stub::model $cell]
        dict for {pin desc} [dict get $model pins] {
            if {[dict get $desc dir] eq "I" && [dict get $desc required] && ![dict exists $stub::pin_net $cell/$pin]} {
                lappend problems "[dict get $desc type] pin $cell/$pin is not connected"
            }
        }
        dict for {intf desc} [dict get $model intf] {
            if {![dict exists $stub::intf_peer $cell/$intf]} { lappend problems "interface $cell/$intf is not connected" }
        }
    }
    dict for {net pins} $stub::nets {
        set drivers {}
        set types {}
        foreach pin $pins {
            set cell [file dirname $pin]
            set desc [dict get [dict get [stub::model $cell] pins] [file tail $pin]]
            if {[dict get $desc dir] eq "O"} { lappend drivers $pin }
            lappend types [dict get $desc type]
        }
        if {[llength $drivers] != 1} { lappend problems "net $net ($pins) has [llength $drivers] drivers" }
        if {[llength $drivers] == 1 && [lindex $types 0] eq "clk"} {
            set source [stub::pin_freq [file dirname [lindex $drivers 0]] [file tail [lindex $drivers 0]]]
            foreach pin $pins {
                set freq [stub::pin_freq [file dirname $pin] [file tail $pin]]
                if {$freq ne "" && $freq != $source} { lappend problems "FREQ_HZ of $pin ($freq) does not match its source ($source)" }
            }
        }
        if {[llength [lsort -unique $types]] > 1} { lappend problems "net $net mixes pin types [lsort -unique $types]" }
    }
    dict for {a b} $stub::intf_peer {
        if {$a > $b} { continue }
        set ends {}
        foreach key [list $a $b] {
            set cell [file dirname $key]
            if {[dict exists $stub::cells $cell]} {
                lappend ends [list $key [dict get [dict get [stub::model $cell] intf] [file tail $key]] $cell]
            } else {
                lappend ends [list $key [dict get $stub::ports $key] ""]
            }
        }
        lassign $ends ea eb
        set da [lindex $ea 1]
        set db [lindex $eb 1]
        if {[lindex $ea 2] eq "" || [lindex $eb 2] eq ""} { continue }
        if {[dict get $da mode] eq [dict get $db mode]} { lappend problems "$a and $b are both [dict get $da mode]s" }
        if {[dict get $da kind] ne [dict get $db kind]} { lappend problems "$a ([dict get $da kind]) connected to $b ([dict get $db kind])" }
        if {[dict get $da kind] eq "axis" && [dict get $da width] != [dict get $db width]} {
            lappend problems "stream $a is [dict get $da width] bits, $b is [dict get $db width] bits"
        }
        if {[dict exists $da clock] && [dict exists $db clock]} {
            set ca [lindex $ea 2]/[dict get $da clock]
            set cb [lindex $eb 2]/[dict get $db clock]
            set na [expr {[dict exists $stub::pin_net $ca] ? [dict get $stub::pin_net $ca] : "none"}]
            set nb [expr {[dict exists $stub::pin_net $cb] ? [dict get $stub::pin_net $cb] : "none"}]
            if {$na ne $nb || $na eq "none"} { lappend problems "$a and $b are clocked by different nets ($ca: $na, $cb: $nb)" }
        }
    }
    dict for {space desc} [stub::spaces] {
        dict for {seg window} [stub::reachable $space] {
            if {![stub::is_mapped $space $seg]} { lappend problems "segment $seg is not mapped in $space" }
        }
    }
    return $problems
}

proc validate_bd_design {args} {
    lassign [stub::opts validate_bd_design $args {-force 0 -quiet 0}] o p
    set problems [stub::problems]
    if {[llength $problems]} { stub::fail "validate_bd_design: [join $problems {; }]" }
    dict set stub::bd validated 1
    return ""
}

proc save_bd_design {args} {
    lassign [stub::opts save_bd_design $args {-quiet 0}] o p
    dict set stub::bd saved 1
    set f [open [dict get $stub::bd file] w]
    puts $f "stub block design [dict get $stub::bd name]"
    close $f
    return ""
}

# The wrapper lands in .gen (2020.2 and newer) or .srcs (older): scripts must use the returned path.
proc stub::gen_dir {} {
    set version [stub::env HWGEN_STUB_VERSION 2023.2]
    set p [dict get $stub::project dir]
    set kind [expr {[package vcompare $version 2020.2] >= 0 ? "gen" : "srcs"}]
    return [file join $p "[dict get $stub::project name].$kind" sources_1 bd [dict get $stub::bd name]]
}

proc make_wrapper {args} {
    lassign [stub::opts make_wrapper $args {-files 1 -top 0 -import 0 -fileset 1 -force 0}] o p
    set files [dict get $o -files]
    if {$files ne [dict get $stub::bd file]} { stub::fail "make_wrapper: -files '$files' is not the block design" }
    if {![dict get $stub::bd validated] || ![dict get $stub::bd saved]} { stub::fail "make_wrapper: validate and save the design first" }
    set dir [file join [stub::gen_dir] hdl]
    file mkdir $dir
    set path [file join $dir "[dict get $stub::bd name]_wrapper.v"]
    set f [open $path w]
    puts $f "module [dict get $stub::bd name]_wrapper(); endmodule"
    close $f
    dict set stub::bd wrapper $path
    lappend stub::created $path
    return $path
}

# ------------------------------------------------------------------------------------------------ runs
proc get_runs {args} {
    lassign [stub::opts get_runs $args {-quiet 0}] o p
    set name [lindex $p 0]
    if {$name ni {synth_1 impl_1}} { stub::fail "get_runs: no run $name" }
    return run:$name
}

proc stub::run_property {run name} {
    set dir [file join [dict get $stub::project dir] "[dict get $stub::project name].runs" $run]
    if {$name eq "DIRECTORY"} { return $dir }
    if {![dict exists $stub::runs $run]} {
        if {$name in {STATUS PROGRESS}} { return [expr {$name eq "STATUS" ? "Not started" : "0%"}] }
        stub::fail "get_property: $name of $run before it ran"
    }
    set info [dict get $stub::runs $run]
    if {![dict exists $info $name]} { stub::fail "get_property: run property $name is not modelled" }
    return [dict get $info $name]
}

proc launch_runs {args} {
    lassign [stub::opts launch_runs $args {-to_step 1 -jobs 1 -quiet 0}] o p
    if {[lindex $p 0] ne "impl_1" || [dict get $o -to_step] ne "write_bitstream"} {
        stub::fail "launch_runs: only 'launch_runs impl_1 -to_step write_bitstream' is modelled"
    }
    set wrapper [expr {[dict exists $stub::bd wrapper] ? [dict get $stub::bd wrapper] : ""}]
    if {$wrapper eq "" || [lsearch -exact $stub::added [file normalize $wrapper]] < 0} {
        stub::fail "launch_runs: the block design's wrapper was not added to the project"
    }
    if {[dict get $stub::project top] ne "[dict get $stub::bd name]_wrapper"} {
        stub::fail "launch_runs: the top module is '[dict get $stub::project top]', not the wrapper"
    }
    set mode [stub::env HWGEN_STUB_RUN ok]
    set wns [stub::env HWGEN_STUB_WNS 1.234]
    set whs [stub::env HWGEN_STUB_WHS 0.045]
    dict set stub::runs synth_1 [dict create STATUS "synth_design Complete!" PROGRESS 100%]
    dict set stub::runs impl_1 [dict create STATUS "write_bitstream Complete!" PROGRESS 100% STATS.WNS $wns STATS.WHS $whs]
    switch -- $mode {
        synth_error {
            dict set stub::runs synth_1 [dict create STATUS "synth_design ERROR" PROGRESS 0%]
            dict set stub::runs impl_1 [dict create STATUS "Not started" PROGRESS 0% STATS.WNS "" STATS.WHS ""]
            return ""
        }
        impl_error {
            dict set stub::runs impl_1 [dict create STATUS "route_design ERROR" PROGRESS 0% STATS.WNS "" STATS.WHS ""]
            return ""
        }
        ok - no_bitstream {}
        default { stub::fail "HWGEN_STUB_RUN=$mode is not one of ok synth_error impl_error no_bitstream" }
    }
    set run_dir [stub::run_property impl_1 DIRECTORY]
    file mkdir $run_dir
    if {$mode ne "no_bitstream"} {
        set bit [file join $run_dir "[dict get $stub::bd name]_wrapper.bit"]
        set f [open $bit w] ; puts $f "stub bitstream" ; close $f
        lappend stub::created $bit
    }
    set handoff [file join [stub::gen_dir] hw_handoff]
    file mkdir $handoff
    set hwh [file join $handoff "[dict get $stub::bd name].hwh"]
    set f [open $hwh w] ; puts $f "<!-- stub hardware handoff -->" ; close $f
    lappend stub::files $hwh
    lappend stub::created $hwh
    return ""
}

proc wait_on_run {args} {
    lassign [stub::opts wait_on_run $args {-timeout 1 -quiet 0}] o p
    if {![dict exists $stub::runs [lindex $p 0]]} { stub::fail "wait_on_run: [lindex $p 0] was not launched" }
    return ""
}

proc open_run {args} {
    lassign [stub::opts open_run $args {-name 1}] o p
    if {[stub::run_property [lindex $p 0] PROGRESS] ne "100%"} { stub::fail "open_run: [lindex $p 0] did not complete" }
    return ""
}

proc stub::report {path lines} {
    file mkdir [file dirname $path]
    set f [open $path w]
    puts $f [join $lines \n]
    close $f
    lappend stub::created $path
}

proc report_utilization {args} {
    lassign [stub::opts report_utilization $args {-file 1 -hierarchical 0 -hierarchical_depth 1}] o p
    set part [dict get $stub::project part]
    stub::report [dict get $o -file] [list \
        "| Tool Version : Vivado v.[stub::env HWGEN_STUB_VERSION 2023.2] (lin64) (vivado stub)" \
        "| Device       : $part" "" "1. Slice Logic" "--------------" "" \
        "+----------------------------+------+-------+------------+-----------+-------+" \
        "|          Site Type         | Used | Fixed | Prohibited | Available | Util% |" \
        "+----------------------------+------+-------+------------+-----------+-------+" \
        "| Slice LUTs                 | 4321 |     0 |          0 |     53200 |  8.12 |" \
        "| Slice Registers            | 5678 |     0 |          0 |    106400 |  5.34 |" \
        "+----------------------------+------+-------+------------+-----------+-------+" "" \
        "3. Memory" "---------" "" \
        "| Block RAM Tile    |  6.5 |     0 |          0 |       140 |  4.64 |" "" \
        "4. DSP" "------" "" \
        "| DSPs           |   12 |     0 |          0 |       220 |  5.45 |"]
    return ""
}

proc report_timing_summary {args} {
    lassign [stub::opts report_timing_summary $args {-file 1 -max_paths 1 -delay_type 1}] o p
    set wns [stub::run_property impl_1 STATS.WNS]
    set whs [stub::run_property impl_1 STATS.WHS]
    stub::report [dict get $o -file] [list "| Design Timing Summary" "| ---------------------" "" \
        "    WNS(ns)      TNS(ns)  TNS Failing Endpoints  TNS Total Endpoints      WHS(ns)      THS(ns)  THS Failing Endpoints  THS Total Endpoints" \
        "    -------      -------  ---------------------  -------------------      -------      -------  ---------------------  -------------------" \
        "      $wns        0.000                      0                 1000        $whs        0.000                      0                 1000"]
    return ""
}

# ----------------------------------------------------------------------------------- IP packager (ipx)
# Ports of an ANSI-style Verilog module: {name {dir input|output width N}}. Widths may use the module's
# parameters (their default values) and integer arithmetic.
proc stub::verilog_ports {path top} {
    set f [open $path r] ; set text [read $f] ; close $f
    regsub -all {//[^\n]*} $text {} text
    regsub -all {/\*.*?\*/} $text {} text
    if {![regexp -indices "module\\s+$top\\M" $text where]} { return {} }
    set i [expr {[lindex $where 1] + 1}]
    set params [dict create]
    set i [stub::skip_space $text $i]
    if {[string index $text $i] eq "#"} {
        set i [stub::skip_space $text [expr {$i + 1}]]
        lassign [stub::balanced $text $i] body i
        foreach decl [stub::split_top $body] {
            if {[regexp {(\w+)\s*=\s*(.+)$} [string trim $decl] -> name value]} {
                dict set params $name [stub::eval_width [string trim $value] $params]
            }
        }
        set i [stub::skip_space $text $i]
    }
    if {[string index $text $i] ne "("} { stub::fail "module $top in $path: ANSI-style port list expected" }
    lassign [stub::balanced $text $i] body i
    set ports [dict create]
    set dir "" ; set width 1
    foreach decl [stub::split_top $body] {
        set decl [string trim $decl]
        if {[regexp {^(input|output|inout)\s+(?:wire\s+|reg\s+|logic\s+)?(?:signed\s+)?(?:\[([^:\]]+):([^\]]+)\])?\s*(\w+)$} $decl -> dir hi lo name]} {
            set width [expr {$hi eq "" ? 1 : [stub::eval_width $hi $params] - [stub::eval_width $lo $params] + 1}]
        } elseif {[regexp {^(\w+)$} $decl -> name] && $dir ne ""} {
        } else {
            stub::fail "module $top in $path: cannot read the port declaration '$decl'"
        }
        dict set ports $name [list dir $dir width $width]
    }
    return $ports
}

proc tcl::mathfunc::clog2 {x} {
    set bits 0
    while {(1 << $bits) < $x} { incr bits }
    return $bits
}

proc stub::skip_space {text i} {
    while {$i < [string length $text] && [string is space [string index $text $i]]} { incr i }
    return $i
}

# The text inside the parentheses starting at i, and the index after the closing one.
proc stub::balanced {text i} {
    set depth 0
    for {set j $i} {$j < [string length $text]} {incr j} {
        set ch [string index $text $j]
        if {$ch eq "("} { incr depth }
        if {$ch eq ")"} { incr depth -1 ; if {$depth == 0} { return [list [string range $text [expr {$i + 1}] [expr {$j - 1}]] [expr {$j + 1}]] } }
    }
    stub::fail "unbalanced parentheses in a module header"
}

proc stub::split_top {body} {
    set parts {} ; set current "" ; set depth 0
    foreach ch [split $body ""] {
        if {$ch in {( [ \{}} { incr depth }
        if {$ch in {) ] \}}} { incr depth -1 }
        if {$ch eq "," && $depth == 0} { lappend parts $current ; set current "" } else { append current $ch }
    }
    if {[string trim $current] ne ""} { lappend parts $current }
    return $parts
}

proc stub::eval_width {text params} {
    regsub -all {\$clog2} $text {clog2} text
    set expression [regsub -all {[A-Za-z_]\w*} $text {[stub::param_value & $params]}]
    return [expr [subst $expression]]
}

proc stub::param_value {name params} {
    if {$name eq "clog2"} { return clog2 }
    if {![dict exists $params $name]} { stub::fail "width uses unknown parameter $name" }
    return [dict get $params $name]
}

# Bus interfaces the packager infers from port names (prefix_tdata..., prefix_awaddr..., ap_clk, ap_rst_n).
proc stub::infer_interfaces {ports} {
    set busifs [dict create]
    dict for {name desc} $ports {
        if {[regexp {^(.*)_(tdata|tvalid|tready|tlast|tkeep|tstrb)$} [string tolower $name] -> prefix sig]} {
            dict set busifs $prefix kind axis
            dict set busifs $prefix ports $sig $name
        } elseif {[regexp {^(.*)_(awaddr|awvalid|awready|wdata|wstrb|wvalid|wready|bresp|bvalid|bready|araddr|arvalid|arready|rdata|rresp|rvalid|rready|awprot|arprot)$} [string tolower $name] -> prefix sig]} {
            dict set busifs $prefix kind aximm
            dict set busifs $prefix ports $sig $name
        } elseif {[string match -nocase *clk $name]} {
            dict set busifs $name [dict create kind clock ports [dict create clk $name]]
        } elseif {[string match -nocase *rst_n $name] || [string match -nocase *resetn $name]} {
            dict set busifs $name [dict create kind reset ports [dict create rst $name] params [dict create POLARITY [dict create value ACTIVE_LOW]]]
        }
    }
    dict for {name desc} $busifs {
        set sigs [dict keys [dict get $desc ports]]
        switch -- [dict get $desc kind] {
            axis {
                set tdata [dict get $desc ports tdata]
                dict set busifs $name width [dict get $ports $tdata width]
                dict set busifs $name mode [expr {[dict get $ports $tdata dir] eq "input" ? "slave" : "master"}]
            }
            aximm {
                dict set busifs $name mode [expr {[dict get $ports [dict get $desc ports awaddr] dir] eq "input" ? "slave" : "master"}]
                dict set busifs $name addr_width [dict get $ports [dict get $desc ports awaddr] width]
                dict set busifs $name data_width [dict get $ports [dict get $desc ports wdata] width]
                dict set busifs $name protocol [expr {"awlen" in $sigs ? "AXI4" : "AXI4LITE"}]
            }
        }
    }
    return $busifs
}

proc ipx::package_project {args} {
    lassign [stub::opts ipx::package_project $args {-root_dir 1 -vendor 1 -library 1 -taxonomy 1 -import_files 0 -set_current 1 -module 1}] o p
    set top [dict get $stub::project top]
    if {$top eq ""} { stub::fail "ipx::package_project: set the top module first" }
    set ports {}
    foreach path $stub::added {
        if {[file extension $path] in {.v .sv}} {
            set found [stub::verilog_ports $path $top]
            if {[dict size $found]} { set ports $found }
        }
    }
    if {![dict size $ports]} { stub::fail "ipx::package_project: module $top not found in the project's Verilog" }
    set stub::ipx [dict create root_dir [file normalize [dict get $o -root_dir]] vendor [dict get $o -vendor] \
        library [dict get $o -library] name $top version 1.0 ports $ports busifs [stub::infer_interfaces $ports] \
        memory_maps [dict create] files $stub::added saved 0 integrity 0 xgui 0 checksums 0 properties [dict create]]
    file mkdir [dict get $stub::ipx root_dir]
    return ipx:core
}

proc ipx::current_core {args} {
    lassign [stub::opts ipx::current_core $args {}] o p
    if {![dict size $stub::ipx]} { stub::fail "ipx::current_core: no core packaged" }
    return ipx:core
}

proc ipx::get_bus_interfaces {args} {
    lassign [stub::opts ipx::get_bus_interfaces $args {-of_objects 1 -quiet 0}] o p
    set found {}
    foreach name [dict keys [dict get $stub::ipx busifs]] {
        if {![llength $p] || [string match [lindex $p 0] $name]} { lappend found ipx:busif:$name }
    }
    return $found
}

proc ipx::associate_bus_interfaces {args} {
    lassign [stub::opts ipx::associate_bus_interfaces $args {-busif 1 -clock 1 -reset 1 -remove 0}] o p
    set busifs [dict get $stub::ipx busifs]
    set clock [dict get $o -clock]
    if {![dict exists $busifs $clock] || [dict get $busifs $clock kind] ne "clock"} { stub::fail "ipx::associate_bus_interfaces: no clock interface $clock" }
    if {[dict exists $o -busif]} {
        set busif [dict get $o -busif]
        if {![dict exists $busifs $busif]} { stub::fail "ipx::associate_bus_interfaces: no bus interface $busif" }
        set old [expr {[dict exists $busifs $clock ASSOCIATED_BUSIF] ? [dict get $busifs $clock ASSOCIATED_BUSIF] : ""}]
        dict set busifs $clock ASSOCIATED_BUSIF [string trim "$old:$busif" :]
    }
    if {[dict exists $o -reset]} {
        set reset [dict get $o -reset]
        if {![dict exists $busifs $reset] || [dict get $busifs $reset kind] ne "reset"} { stub::fail "ipx::associate_bus_interfaces: no reset interface $reset" }
        dict set busifs $clock ASSOCIATED_RESET $reset
    }
    dict set stub::ipx busifs $busifs
    return ""
}

proc ipx::add_bus_parameter {args} {
    lassign [stub::opts ipx::add_bus_parameter $args {-quiet 0}] o p
    lassign $p name busif
    set busif [string range $busif 10 end]
    if {![dict exists $stub::ipx busifs $busif]} { stub::fail "ipx::add_bus_parameter: no bus interface $busif" }
    if {[dict exists $stub::ipx busifs $busif params $name]} { stub::fail "ipx::add_bus_parameter: $busif already has $name" }
    dict set stub::ipx busifs $busif params $name [dict create]
    return ipx:param:$busif/$name
}

proc ipx::get_bus_parameters {args} {
    lassign [stub::opts ipx::get_bus_parameters $args {-of_objects 1 -quiet 0}] o p
    set found {}
    foreach busif [dict get $o -of_objects] {
        set busif [string range $busif 10 end]
        foreach name $p {
            if {[dict exists $stub::ipx busifs $busif params $name]} { lappend found ipx:param:$busif/$name }
        }
    }
    return $found
}

proc ipx::add_memory_map {args} {
    lassign [stub::opts ipx::add_memory_map $args {-quiet 0}] o p
    set name [lindex $p 0]
    dict set stub::ipx memory_maps $name [dict create blocks [dict create]]
    return ipx:mmap:$name
}

proc ipx::add_address_block {args} {
    lassign [stub::opts ipx::add_address_block $args {-quiet 0}] o p
    lassign $p name mmap
    set mmap [string range $mmap 9 end]
    if {![dict exists $stub::ipx memory_maps $mmap]} { stub::fail "ipx::add_address_block: no memory map $mmap" }
    dict set stub::ipx memory_maps $mmap blocks $name [dict create range 0 usage memory registers [dict create]]
    return ipx:block:$mmap/$name
}

proc ipx::add_register {args} {
    lassign [stub::opts ipx::add_register $args {-quiet 0}] o p
    lassign $p name block
    lassign [split [string range $block 10 end] /] mmap blk
    dict set stub::ipx memory_maps $mmap blocks $blk registers $name [dict create fields [dict create]]
    return ipx:reg:$mmap/$blk/$name
}

proc ipx::add_field {args} {
    lassign [stub::opts ipx::add_field $args {-quiet 0}] o p
    lassign $p name reg
    lassign [split [string range $reg 8 end] /] mmap blk rname
    dict set stub::ipx memory_maps $mmap blocks $blk registers $rname fields $name [dict create]
    return ipx:field:$mmap/$blk/$rname/$name
}

proc stub::ipx_set {object name value} {
    set name [string tolower $name]
    if {$object eq "ipx:core"} {
        dict set stub::ipx properties $name $value
        if {$name in {vendor library name version}} { dict set stub::ipx $name $value }
    } elseif {[string match ipx:busif:* $object]} {
        set busif [string range $object 10 end]
        if {$name ne "slave_memory_map_ref"} { stub::fail "set_property: bus interface property $name is not modelled" }
        if {![dict exists $stub::ipx memory_maps $value]} { stub::fail "set_property: no memory map $value" }
        dict set stub::ipx busifs $busif memory_map $value
    } elseif {[string match ipx:param:* $object]} {
        lassign [split [string range $object 10 end] /] busif param
        dict set stub::ipx busifs $busif params $param $name $value
    } elseif {[string match ipx:block:* $object]} {
        lassign [split [string range $object 10 end] /] mmap blk
        dict set stub::ipx memory_maps $mmap blocks $blk $name $value
    } elseif {[string match ipx:reg:* $object]} {
        lassign [split [string range $object 8 end] /] mmap blk reg
        dict set stub::ipx memory_maps $mmap blocks $blk registers $reg $name $value
    } elseif {[string match ipx:field:* $object]} {
        lassign [split [string range $object 10 end] /] mmap blk reg field
        dict set stub::ipx memory_maps $mmap blocks $blk registers $reg fields $field $name $value
    } else {
        stub::fail "set_property: cannot set $name on $object"
    }
}

proc ipx::create_xgui_files {args} { lassign [stub::opts ipx::create_xgui_files $args {}] o p; dict set stub::ipx xgui 1 ; return "" }
proc ipx::update_checksums {args} { lassign [stub::opts ipx::update_checksums $args {}] o p; dict set stub::ipx checksums 1 ; return "" }
proc ipx::check_integrity {args} {
    lassign [stub::opts ipx::check_integrity $args {-quiet 0 -kernel 0}] o p
    set problems {}
    dict for {name desc} [dict get $stub::ipx busifs] {
        if {[dict get $desc kind] in {axis aximm}} {
            set clocked 0
            dict for {other odesc} [dict get $stub::ipx busifs] {
                if {[dict exists $odesc ASSOCIATED_BUSIF] && $name in [split [dict get $odesc ASSOCIATED_BUSIF] :]} { set clocked 1 }
            }
            if {!$clocked} { lappend problems "bus interface $name has no associated clock" }
        }
        if {[dict get $desc kind] eq "aximm" && [dict get $desc mode] eq "slave" && ![dict exists $desc memory_map]} {
            lappend problems "AXI slave $name has no memory map"
        }
    }
    if {[llength $problems]} { stub::fail "ipx::check_integrity: [join $problems {; }]" }
    dict set stub::ipx integrity 1
    return ""
}
proc ipx::save_core {args} {
    lassign [stub::opts ipx::save_core $args {}] o p
    dict set stub::ipx saved 1
    set f [open [file join [dict get $stub::ipx root_dir] component.xml] w]
    puts $f "<!-- stub component.xml for [dict get $stub::ipx vendor]:[dict get $stub::ipx library]:[dict get $stub::ipx name]:[dict get $stub::ipx version] -->"
    close $f
    lappend stub::created [file join [dict get $stub::ipx root_dir] component.xml]
    return ""
}

# ------------------------------------------------------------------------------------------- JSON dump
proc json::str {s} {
    set map [list \\ \\\\ \" \\\" \n \\n \r \\r \t \\t]
    return "\"[string map $map $s]\""
}
proc json::arr {items} { return "\[[join $items ,]\]" }
proc json::obj {pairs} {
    set out {}
    foreach {k v} $pairs { lappend out "[json::str $k]:$v" }
    return "\{[join $out ,]\}"
}
proc json::strings {items} { return [json::arr [lmap i $items {json::str $i}]] }
proc json::strdict {d} {
    set pairs {}
    dict for {k v} $d { lappend pairs $k [json::str $v] }
    return [json::obj $pairs]
}
proc stub::dump_ipx {} {
    set x $stub::ipx
    set ports {}
    dict for {name desc} [dict get $x ports] { lappend ports $name [json::strdict $desc] }
    set busifs {}
    dict for {name desc} [dict get $x busifs] {
        set pairs {}
        dict for {key value} $desc {
            switch -- $key {
                ports { lappend pairs ports [json::strdict $value] }
                params {
                    set params {}
                    dict for {param props} $value { lappend params $param [json::strdict $props] }
                    lappend pairs params [json::obj $params]
                }
                default { lappend pairs $key [json::str $value] }
            }
        }
        lappend busifs $name [json::obj $pairs]
    }
    set maps {}
    dict for {mmap mdesc} [dict get $x memory_maps] {
        set blocks {}
        dict for {blk bdesc} [dict get $mdesc blocks] {
            set bpairs {}
            dict for {key value} $bdesc {
                if {$key ne "registers"} { lappend bpairs $key [json::str $value] ; continue }
                set regs {}
                dict for {reg rdesc} $value {
                    set rpairs {}
                    dict for {rkey rvalue} $rdesc {
                        if {$rkey ne "fields"} { lappend rpairs $rkey [json::str $rvalue] ; continue }
                        set fields {}
                        dict for {field fdesc} $rvalue { lappend fields $field [json::strdict $fdesc] }
                        lappend rpairs fields [json::obj $fields]
                    }
                    lappend regs $reg [json::obj $rpairs]
                }
                lappend bpairs registers [json::obj $regs]
            }
            lappend blocks $blk [json::obj $bpairs]
        }
        lappend maps $mmap [json::obj [list blocks [json::obj $blocks]]]
    }
    set pairs [list ports [json::obj $ports] busifs [json::obj $busifs] memory_maps [json::obj $maps] \
        files [json::strings [dict get $x files]] properties [json::strdict [dict get $x properties]]]
    foreach key {root_dir vendor library name version saved integrity xgui checksums} {
        lappend pairs $key [json::str [dict get $x $key]]
    }
    return [json::obj $pairs]
}

proc stub::dump {path rc message} {
    set cells {}
    dict for {name info} $stub::cells {
        set model [stub::model $name]
        set pins {}
        dict for {pin desc} [dict get $model pins] {
            set net [expr {[dict exists $stub::pin_net $name/$pin] ? [dict get $stub::pin_net $name/$pin] : ""}]
            set freq [expr {[dict get $desc type] eq "clk" ? [stub::pin_freq $name $pin] : ""}]
            lappend pins $pin [json::obj [list dir [json::str [dict get $desc dir]] type [json::str [dict get $desc type]] \
                required [dict get $desc required] net [json::str $net] freq_hz [json::str $freq]]]
        }
        set intfs {}
        dict for {intf desc} [dict get $model intf] {
            set peer [expr {[dict exists $stub::intf_peer $name/$intf] ? [dict get $stub::intf_peer $name/$intf] : ""}]
            lappend intfs $intf [json::obj [list mode [json::str [dict get $desc mode]] kind [json::str [dict get $desc kind]] \
                protocol [json::str [stub::c $desc protocol ""]] width [json::str [stub::c $desc width ""]] \
                clock [json::str [stub::c $desc clock ""]] peer [json::str $peer]]]
        }
        set segs {}
        dict for {seg desc} [dict get $model segs] {
            lappend segs $seg [json::obj [list intf [json::str [dict get $desc intf]] offset [json::str [dict get $desc offset]] \
                range [json::str [dict get $desc range]] usage [json::str [dict get $desc usage]]]]
        }
        set spaces {}
        dict for {space desc} [dict get $model spaces] {
            set windows [lmap w [stub::c $desc windows {}] {json::obj [list intf [json::str [lindex $w 0]] \
                base [expr {[lindex $w 1] + 0}] size [expr {[lindex $w 2] + 0}]]}]
            lappend spaces $space [json::obj [list intf [json::str [stub::c $desc intf ""]] width [dict get $desc width] \
                windows [json::arr $windows]]]
        }
        lappend cells $name [json::obj [list vlnv [json::str [dict get $info vlnv]] ip [json::str [dict get $info ip]] \
            config [json::strdict [dict get $info config]] set [json::strings [dict get $info set]] \
            pins [json::obj $pins] intf [json::obj $intfs] segs [json::obj $segs] spaces [json::obj $spaces] \
            interconnect [expr {[dict exists $model interconnect] ? "true" : "false"}]]]
    }
    set nets {}
    dict for {net pins} $stub::nets { lappend nets $net [json::strings $pins] }
    set assigned [lmap a $stub::assigned {json::obj [list space [json::str [lindex $a 0]] seg [json::str [lindex $a 1]] \
        offset [lindex $a 2] range [lindex $a 3]]}]
    set excluded [lmap e $stub::excluded {json::obj [list space [json::str [lindex $e 0]] seg [json::str [lindex $e 1]]]}]
    set ports {}
    dict for {name desc} $stub::ports { lappend ports $name [json::strdict $desc] }
    set runs {}
    dict for {run info} $stub::runs { lappend runs $run [json::strdict $info] }
    set project [expr {[dict size $stub::project] ? [json::obj [list name [json::str [dict get $stub::project name]] \
        dir [json::str [dict get $stub::project dir]] part [json::str [dict get $stub::project part]] \
        board_part [json::str [dict get $stub::project board_part]] top [json::str [dict get $stub::project top]] \
        ip_repo_paths [json::strings [dict get $stub::project ip_repo_paths]]]] : "null"}]
    set bd [expr {[dict size $stub::bd] ? [json::strdict $stub::bd] : "null"}]
    set ipx [expr {[dict size $stub::ipx] ? [stub::dump_ipx] : "null"}]
    set out [json::obj [list \
        error [expr {$rc ? [json::str $message] : "null"}] \
        vivado_version [json::str [stub::env HWGEN_STUB_VERSION 2023.2]] \
        project $project bd $bd cells [json::obj $cells] nets [json::obj $nets] ports [json::obj $ports] \
        assigned [json::arr $assigned] excluded [json::arr $excluded] runs [json::obj $runs] \
        added_files [json::strings $stub::added] created [json::strings $stub::created] \
        reads [json::arr [lmap r $stub::reads {json::strings $r}]] \
        log [json::strings [lmap l $stub::log {string range $l 0 300}]] ipx $ipx]]
    set f [open $path w]
    puts $f $out
    close $f
}

# ------------------------------------------------------------------------------------------------ main
if {[info exists argv0] && [file tail $argv0] eq [file tail [info script]]} {
    lassign $argv model_path script
    foreach catalog [lrange $argv 2 end] { source $catalog }
    set rc [catch {uplevel #0 [list source $script]} message]
    stub::dump $model_path $rc $message
    if {$rc} { puts stderr $message }
    exit $rc
}
