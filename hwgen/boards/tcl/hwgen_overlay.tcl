# hwgen overlay: block design (PS + AXI DMA + accelerator), implementation, checks and outputs.
#
# Sourced by build_overlay.tcl after config.tcl has filled the array hwgen::cfg (one board, one model).
# The same file for every board: PS7 and PS8 differ only in the settings config.tcl gives.
# Every failure raises `error "hwgen: ..."`, so `vivado -mode batch` stops with a non-zero exit status
# and the reason on its last line.

namespace eval hwgen {
    variable cfg
}

proc hwgen::fail {message} {
    error "hwgen: $message"
}

proc hwgen::check_version {} {
    variable cfg
    set version [version -short]
    set cfg(vivado_version) $version
    set release [join [lrange [split $version .] 0 1] .]
    if {[lsearch -exact $cfg(tested_versions) $release] < 0} {
        puts "WARNING: hwgen: these scripts were written for Vivado $cfg(tested_versions); this is Vivado $version"
    }
}

# The newest VLNV of the catalog matching pattern; a clear error when the IP is missing.
proc hwgen::ipdef {pattern what} {
    variable cfg
    set defs [get_ipdefs -quiet $pattern]
    if {[llength $defs] == 0} {
        fail "$what ($pattern) is not in the IP catalog (IP repositories: $cfg(ip_repo))"
    }
    return [lindex [lsort -dictionary [get_property VLNV $defs]] end]
}

proc hwgen::config_list {settings} {
    set result {}
    dict for {key value} $settings {
        lappend result CONFIG.$key $value
    }
    return $result
}

proc hwgen::stream_bits {pin} {
    set bytes [get_property CONFIG.TDATA_NUM_BYTES [get_bd_intf_pins $pin]]
    if {![string is integer -strict $bytes] || $bytes < 1} {
        fail "$pin gives no stream width (TDATA_NUM_BYTES '$bytes'): repackage the IP"
    }
    return [expr {8 * $bytes}]
}

# A PLL rarely gives the exact frequency asked for (PS8: 99.999 MHz for 100): an IP whose clock interface
# states another frequency fails validation, so the accelerator's clock takes the PS clock's.
proc hwgen::align_clock_frequency {} {
    variable cfg
    set source [get_property CONFIG.FREQ_HZ [get_bd_pins $cfg(ps_cell)/$cfg(ps_clock)]]
    set sink [get_bd_pins $cfg(accel_cell)/ap_clk]
    if {$source ne "" && [get_property CONFIG.FREQ_HZ $sink] ne $source} {
        if {[catch {set_property CONFIG.FREQ_HZ $source $sink} message]} {
            puts "WARNING: hwgen: could not set the accelerator clock to $source Hz: $message"
        }
    }
}

proc hwgen::jobs {} {
    variable cfg
    if {$cfg(jobs) ne "auto"} { return $cfg(jobs) }
    if {[catch {exec nproc} n] || ![string is integer -strict $n] || $n < 1} { return 2 }
    return $n
}

proc hwgen::new_project {} {
    variable cfg
    file mkdir $cfg(project_dir)
    create_project -force $cfg(project) $cfg(project_dir) -part $cfg(part)
    if {$cfg(board_part) ne ""} {
        if {[llength [get_board_parts -quiet $cfg(board_part)]]} {
            set_property board_part $cfg(board_part) [current_project]
        } else {
            puts "INFO: hwgen: board files $cfg(board_part) are not installed; not needed: the PS is configured explicitly"
        }
    }
    set_property ip_repo_paths [list $cfg(ip_repo)] [current_project]
    update_ip_catalog
}

proc hwgen::create_block_design {} {
    variable cfg
    set ps $cfg(ps_cell)
    set accel $cfg(accel_cell)
    create_bd_design $cfg(bd_name)

    # Processing system, configured without board files: every setting comes from the board file.
    create_bd_cell -type ip -vlnv [ipdef $cfg(ps_vlnv) "the processing system"] $ps
    set_property -dict [config_list $cfg(ps_config)] [get_bd_cells $ps]
    foreach {intf vlnv} $cfg(ps_external) {
        create_bd_intf_port -mode Master -vlnv $vlnv $intf
        connect_bd_intf_net [get_bd_intf_pins $ps/$intf] [get_bd_intf_ports $intf]
    }

    create_bd_cell -type ip -vlnv [ipdef xilinx.com:ip:proc_sys_reset:* "the reset controller"] rst_ps
    create_bd_cell -type ip -vlnv [ipdef $cfg(accel_vlnv) "the accelerator IP (run the IP step first)"] $accel
    create_bd_cell -type ip -vlnv [ipdef xilinx.com:ip:axi_dma:* "the AXI DMA"] axi_dma_0
    create_bd_cell -type ip -vlnv [ipdef xilinx.com:ip:smartconnect:* "SmartConnect"] ctrl_interconnect
    create_bd_cell -type ip -vlnv [ipdef xilinx.com:ip:smartconnect:* "SmartConnect"] mem_interconnect
    set_property -dict [list CONFIG.NUM_SI 1 CONFIG.NUM_MI 2] [get_bd_cells ctrl_interconnect]
    set_property -dict [list CONFIG.NUM_SI 2 CONFIG.NUM_MI 1] [get_bd_cells mem_interconnect]

    # The DMA's stream widths follow the accelerator's ports, as packaged.
    set in_width [stream_bits $accel/s_axis]
    set out_width [stream_bits $accel/m_axis]
    if {$in_width != $cfg(in_width) || $out_width != $cfg(out_width)} {
        fail "the accelerator IP streams $in_width/$out_width bits in/out, the model's stream format\
              says $cfg(in_width)/$cfg(out_width): rebuild the IP"
    }
    # Simple (register) mode; the length register holds a whole frame (default 14 bits: 16383 bytes).
    set_property -dict [list \
        CONFIG.c_include_sg 0 \
        CONFIG.c_sg_include_stscntrl_strm 0 \
        CONFIG.c_sg_length_width $cfg(dma_length_width) \
        CONFIG.c_addr_width $cfg(dma_addr_width) \
        CONFIG.c_include_mm2s 1 \
        CONFIG.c_include_s2mm 1 \
        CONFIG.c_m_axi_mm2s_data_width [expr {max(32, $in_width)}] \
        CONFIG.c_m_axis_mm2s_tdata_width $in_width \
        CONFIG.c_m_axi_s2mm_data_width [expr {max(32, $out_width)}] \
        CONFIG.c_s_axis_s2mm_tdata_width $out_width \
        CONFIG.c_mm2s_burst_size 16 \
        CONFIG.c_s2mm_burst_size 16 \
    ] [get_bd_cells axi_dma_0]

    # Control: PS master -> DMA registers and accelerator registers.
    connect_bd_intf_net [get_bd_intf_pins $ps/$cfg(ctrl_port)] [get_bd_intf_pins ctrl_interconnect/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins ctrl_interconnect/M00_AXI] [get_bd_intf_pins axi_dma_0/S_AXI_LITE]
    connect_bd_intf_net [get_bd_intf_pins ctrl_interconnect/M01_AXI] [get_bd_intf_pins $accel/s_axi_ctrl]
    # Data: DMA <-> DDR through the PS slave port; DMA <-> accelerator as streams.
    connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXI_MM2S] [get_bd_intf_pins mem_interconnect/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXI_S2MM] [get_bd_intf_pins mem_interconnect/S01_AXI]
    connect_bd_intf_net [get_bd_intf_pins mem_interconnect/M00_AXI] [get_bd_intf_pins $ps/$cfg(data_port)]
    connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXIS_MM2S] [get_bd_intf_pins $accel/s_axis]
    connect_bd_intf_net [get_bd_intf_pins $accel/m_axis] [get_bd_intf_pins axi_dma_0/S_AXIS_S2MM]

    # One clock, named by its pin: the PS fabric clock drives every clock input.
    connect_bd_net [get_bd_pins $ps/$cfg(ps_clock)] \
        [get_bd_pins $ps/$cfg(ctrl_clock)] [get_bd_pins $ps/$cfg(data_clock)] \
        [get_bd_pins rst_ps/slowest_sync_clk] \
        [get_bd_pins axi_dma_0/s_axi_lite_aclk] [get_bd_pins axi_dma_0/m_axi_mm2s_aclk] \
        [get_bd_pins axi_dma_0/m_axi_s2mm_aclk] \
        [get_bd_pins $accel/ap_clk] \
        [get_bd_pins ctrl_interconnect/aclk] [get_bd_pins mem_interconnect/aclk]
    align_clock_frequency
    # One reset: the PS fabric reset through proc_sys_reset to every reset input.
    connect_bd_net [get_bd_pins $ps/$cfg(ps_reset)] [get_bd_pins rst_ps/ext_reset_in]
    connect_bd_net [get_bd_pins rst_ps/peripheral_aresetn] \
        [get_bd_pins axi_dma_0/axi_resetn] [get_bd_pins $accel/ap_rst_n] \
        [get_bd_pins ctrl_interconnect/aresetn] [get_bd_pins mem_interconnect/aresetn]
}

proc hwgen::assign_addresses {} {
    variable cfg
    set space [get_bd_addr_spaces $cfg(ps_cell)/Data]
    assign_bd_address -offset $cfg(dma_offset) -range $cfg(reg_range) -target_address_space $space \
        [get_bd_addr_segs axi_dma_0/S_AXI_LITE/Reg]
    assign_bd_address -offset $cfg(accel_offset) -range $cfg(reg_range) -target_address_space $space \
        [get_bd_addr_segs $cfg(accel_cell)/s_axi_ctrl/Reg]
    # The DMA's views of PS memory sit at the PS's fixed addresses.
    assign_bd_address
    foreach space [get_bd_addr_spaces] {
        set excluded [get_bd_addr_segs -quiet -excluded -of_objects $space]
        if {[llength $excluded]} {
            fail "address segments excluded from $space: $excluded (widen the master's address)"
        }
        set unmapped [get_bd_addr_segs -quiet -unaddressed -of_objects $space]
        if {[llength $unmapped]} {
            puts "CRITICAL WARNING: hwgen: address segments not mapped in $space: $unmapped"
        }
    }
}

# Validate, save, and add the HDL wrapper at the path make_wrapper returns (.srcs or .gen by version).
proc hwgen::finish_block_design {} {
    variable cfg
    validate_bd_design
    save_bd_design
    set bd_file [get_files -quiet $cfg(bd_name).bd]
    if {[llength $bd_file] != 1} {
        fail "expected one block design file $cfg(bd_name).bd, found [llength $bd_file]"
    }
    set wrapper [make_wrapper -files $bd_file -top]
    add_files -norecurse $wrapper
    set_property top $cfg(bd_name)_wrapper [current_fileset]
    update_compile_order -fileset sources_1
    return $wrapper
}

proc hwgen::run_implementation {} {
    variable cfg
    launch_runs impl_1 -to_step write_bitstream -jobs [jobs]
    wait_on_run impl_1
    foreach {run step} {synth_1 synth_design impl_1 write_bitstream} {
        set status [get_property STATUS [get_runs $run]]
        set progress [get_property PROGRESS [get_runs $run]]
        if {$progress ne "100%" || ![string match "$step Complete*" $status]} {
            set log [file join [get_property DIRECTORY [get_runs $run]] runme.log]
            fail "$run did not complete: status '$status', progress $progress; see $log"
        }
    }
}

proc hwgen::write_reports {} {
    variable cfg
    file mkdir $cfg(report_dir)
    open_run impl_1
    report_utilization -file [file join $cfg(report_dir) utilization.rpt]
    report_utilization -hierarchical -file [file join $cfg(report_dir) utilization_hierarchical.rpt]
    report_timing_summary -max_paths 10 -file [file join $cfg(report_dir) timing_summary.rpt]
}

proc hwgen::check_slack {} {
    variable cfg
    set wns [get_property STATS.WNS [get_runs impl_1]]
    set whs [get_property STATS.WHS [get_runs impl_1]]
    set cfg(wns) $wns
    set cfg(whs) $whs
    if {![string is double -strict $wns] || ![string is double -strict $whs]} {
        fail "impl_1 reports no timing (WNS '$wns', WHS '$whs')"
    }
    if {$wns < 0 || $whs < 0} {
        fail "timing not met at $cfg(clock_mhz) MHz: WNS $wns ns, WHS $whs ns; see\
              [file join $cfg(report_dir) timing_summary.rpt] (lower the clock or raise the reuse factor)"
    }
}

# Find the bitstream and the hardware handoff wherever this Vivado version puts them; copy both to one
# base name (PYNQ finds the .hwh by swapping the extension).
proc hwgen::collect_outputs {} {
    variable cfg
    set bits [glob -nocomplain -directory [get_property DIRECTORY [get_runs impl_1]] *.bit]
    if {[llength $bits] != 1} {
        fail "expected one bitstream in [get_property DIRECTORY [get_runs impl_1]], found [llength $bits]"
    }
    set candidates [get_files -all -quiet $cfg(bd_name).hwh]
    foreach dir {gen srcs} {
        lappend candidates {*}[glob -nocomplain [file join $cfg(project_dir) $cfg(project).$dir sources_1 bd \
            $cfg(bd_name) hw_handoff $cfg(bd_name).hwh]]
    }
    set hwhs {}
    foreach path $candidates {
        lappend hwhs [file normalize $path]
    }
    set hwhs [lsort -unique $hwhs]
    if {[llength $hwhs] != 1} {
        fail "expected one hardware handoff $cfg(bd_name).hwh, found [llength $hwhs]: $hwhs"
    }
    file mkdir $cfg(output_dir)
    file copy -force [lindex $bits 0] [file join $cfg(output_dir) $cfg(name).bit]
    file copy -force [lindex $hwhs 0] [file join $cfg(output_dir) $cfg(name).hwh]
    set result [open [file join $cfg(output_dir) result.txt] w]
    puts $result "vivado_version $cfg(vivado_version)"
    puts $result "wns $cfg(wns)"
    puts $result "whs $cfg(whs)"
    puts $result "bit [lindex $bits 0]"
    puts $result "hwh [lindex $hwhs 0]"
    close $result
}

proc hwgen::build {} {
    check_version
    new_project
    create_block_design
    assign_addresses
    finish_block_design
    run_implementation
    write_reports
    check_slack
    collect_outputs
    puts "hwgen: overlay written: [file join $hwgen::cfg(output_dir) $hwgen::cfg(name)].bit and .hwh"
}
