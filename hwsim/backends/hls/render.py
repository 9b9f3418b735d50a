"""Render an HLS project as {relative path: text}: pure and deterministic.

`render(graph, config)` builds the view-model (hwsim.backends.hls.viewmodel), renders the Jinja templates
in templates/hls with StrictUndefined, and adds copies of the hand-written kernel headers
(templates/kernels/**/*.h), the resolved config and the memory estimator's report. Equal inputs give
byte-identical output.
"""
from __future__ import annotations

from functools import lru_cache

import jinja2

from hwsim.spec.config import Config
from hwsim.ir.graph import Graph
from hwsim.backends.hls import viewmodel


# project path -> template (weight files are added per layer)
FILES = {
    "firmware/parameters.h": "parameters.h.j2",
    "firmware/weights.h": "weights.h.j2",
    "firmware/top.h": "top.h.j2",
    "firmware/top.cpp": "top.cpp.j2",
    "tb/testbench.cpp": "testbench.cpp.j2",
    "build_prj.tcl": "build_prj.tcl.j2",
    "Makefile": "Makefile.j2",
    "README.md": "README.md.j2",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    from hwsim.util.toolchain import templates_dir
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "hls")),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


def kernel_headers() -> dict[str, str]:
    """templates/kernels/**/*.h by path under it (bounded/hls_stream.h: the bounded C simulation's
    stream, on no include path but its own build's), sorted."""
    from hwsim.util.toolchain import kernels_dir
    root = kernels_dir()
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.h"))}


def render(graph: Graph, config: Config, tool: str = "vitis") -> dict[str, str]:
    """The project's files as {relative path: text}."""
    if not isinstance(graph, Graph):
        raise TypeError(f"render needs a hwsim Graph, got {type(graph).__name__}")
    if not isinstance(config, Config):
        raise TypeError(f"render needs a hwsim Config, got {type(config).__name__}")
    view = viewmodel.build(graph, config, tool)
    env = environment()
    files = {path: env.get_template(name).render(v=view) for path, name in FILES.items()}
    weights = env.get_template("weights.cpp.j2")
    for f in view.weight_files:
        files[f.path] = weights.render(v=view, f=f)
    for name, text in kernel_headers().items():
        files[f"firmware/kernels/{name}"] = text
    files["config.json"] = config.to_json()
    files["memory.json"] = view.memory_json
    files["plan.json"] = view.plan_json
    return dict(sorted(files.items()))
