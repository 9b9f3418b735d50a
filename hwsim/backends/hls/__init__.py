"""HLS code generation: IR + config -> view-model -> Jinja -> {path: text}; writing is separate.

- `render(graph, config, tool="vitis")`: the project files, pure and deterministic.
- `hwsim.backends.writer.write_project(...)`: atomic write of a project folder.
- `hwsim.backends.hls.lint.lint(dir)`: synthesizability lint of a generated project.
- `hwsim.backends.registry`: backend name -> generator / C-simulation runner registries.
"""
from hwsim.backends.hls.render import render

__all__ = ["render"]
