# mobilenet_tiny: Vitis HLS project.
#   vitis_hls -f build_prj.tcl [-tclargs csim=1 synth=1 cosim=0 export=0]
# csim runs tb/testbench.cpp on tb_data/input.bin and compares with tb_data/expected.bin (written by
# `hwsim csim`); synth = csynth_design; cosim = RTL co-simulation; export = IP catalog.
array set opt {csim 1 synth 1 cosim 0 export 0}
foreach arg $argv {
    set kv [split $arg =]
    if {[llength $kv] != 2 || ![info exists opt([lindex $kv 0])]} {
        puts "build_prj.tcl: unknown option '$arg' (use csim=0|1 synth=0|1 cosim=0|1 export=0|1)"
        exit 2
    }
    set opt([lindex $kv 0]) [lindex $kv 1]
}
set here [file normalize [file dirname [info script]]]
set cflags "-std=c++14 -I$here/firmware -I$here/firmware/kernels"
set tb_args "$here/tb_data/input.bin $here/tb_data/hls_output.bin $here/tb_data/expected.bin"

open_project -reset top_mobilenet_tiny_prj
set_top top_mobilenet_tiny
add_files $here/firmware/top.cpp -cflags $cflags
foreach f [lsort [glob -nocomplain $here/firmware/weights/*.cpp]] {
    add_files $f -cflags $cflags
}
add_files -tb $here/tb/testbench.cpp -cflags $cflags
open_solution -reset solution1 -flow_target vivado
set_part xczu3eg-sbva484-1-e
create_clock -period 5 -name default

if {$opt(csim)} {
    csim_design -argv $tb_args
}
if {$opt(synth)} {
    csynth_design
}
if {$opt(cosim)} {
    cosim_design -argv $tb_args
}
if {$opt(export)} {
    export_design -format ip_catalog
}
exit
