"""The names a project can be generated for, in one place: HLS tools and hls4ml io types.

Plain data with no imports, so that the command line's choices (and a fast `--help`) read the same
lists the generators check.
"""
# tool -> (display name, command, compiler language flag, open_solution options)
TOOLS = {"vitis": ("Vitis HLS", "vitis_hls", "-std=c++14", " -flow_target vivado"),
         "vivado": ("Vivado HLS", "vivado_hls", "-std=c++0x", "")}
DEFAULT_TOOL = "vitis"
IO_TYPES = ("stream", "parallel")      # hls4ml io types
DEFAULT_IO = "parallel"
