"""HLS code generation: IR + config -> view-model -> Jinja -> {path: text}; writing is separate.

- `render(graph, config, tool="vitis")`: the project files, pure and deterministic.
- `hwsim.codegen.writer.write_project(...)`: atomic write of a project folder.
- `hwsim.codegen.lint.lint(dir)`: synthesizability lint of a generated project.
- `hwsim.codegen.backends`: backend name -> generator / C-simulation runner registries.
"""
from .render import render

__all__ = ["render"]
