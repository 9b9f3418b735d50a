"""Window geometry of convolutions and pools, in one place (the graph's shapes, the simulator, the
float reference and the hls4ml rewrite of ceil-mode pools all read it).

PyTorch's rules: a convolution or floor-mode pool gives floor((n + 2p - k) / s) + 1 outputs; a
ceil-mode pool rounds up, but drops a last window that would start in the right padding. Windows
that reach past the input's far edge (ceil mode) see `far_padding` extra positions there.
"""
from __future__ import annotations


def conv_out(n: int, k: int, s: int, p: int) -> int:
    """Outputs along one axis of a convolution (or floor-mode pool) over n inputs."""
    return (n + 2 * p - k) // s + 1


def pool_out(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size, including its ceil-mode rule."""
    span = n + 2 * p - k
    if span < 0:
        raise ValueError(f"pool kernel {k} larger than padded input {n + 2 * p}")
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def out_hw(h: int, w: int, kernel, stride, padding) -> tuple[int, int]:
    """(OH, OW) of a convolution with (kh, kw) kernel, stride and padding."""
    return (conv_out(h, kernel[0], stride[0], padding[0]), conv_out(w, kernel[1], stride[1], padding[1]))


def far_padding(h: int, w: int, out: tuple[int, int], kernel, stride, padding) -> tuple[int, int]:
    """(bottom, right): positions past the input's last row and column that a grid of out = (OH, OW)
    windows reads, the symmetric padding included (0 when the windows end inside it)."""
    (oh, ow), (kh, kw), (sh, sw), (ph, pw) = out, kernel, stride, padding
    return max(0, (oh - 1) * sh + kh - h - ph), max(0, (ow - 1) * sw + kw - w - pw)
