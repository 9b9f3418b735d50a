"""The budget chart: rows per module, the SVG and the PNG (hwsim.report.budget_chart)."""
import struct
import xml.etree.ElementTree as ET

from hwsim.spec.units import format_bits

import pytest

from hwsim.report import budget_chart
from hwsim.hw import estimate as memory
from hwsim.ir import zoo


@pytest.fixture(scope="module")
def sq11():
    return memory.estimate(zoo.build("squeezenet1_1", weights=False))


def test_one_row_per_module_in_network_order_summing_to_the_total(sq11):
    rows = budget_chart.rows(sq11)
    assert [r.label for r in rows] == ["conv1", "pool1", "fire2", "fire3", "pool3", "fire4", "fire5", "pool5",
                                       "fire6", "fire7", "fire8", "fire9", "conv10", "pool10"]
    assert sum(r.bits for r in rows) == sq11.totals.onchip_bits
    fire9 = [l for l in sq11.layers if l.name.startswith("fire9.")]
    row = next(r for r in rows if r.label == "fire9")
    assert row.weight_bits == sum(l.weight_bits for l in fire9)
    assert row.activation_bits == sum(l.activation_bits for l in fire9)


def test_single_module_net_is_shown_per_layer_and_layer_arch_adds_the_pool():
    g = zoo.build("fire", weights=False)
    rows = budget_chart.rows(memory.estimate(g, arch="layer"))
    assert [r.label for r in rows] == ["fire.squeeze1x1", "fire.expand1x1", "fire.expand3x3", "feature maps"]
    assert rows[-1].weight_bits == 0 and rows[-1].activation_bits > 0
    off = budget_chart.rows(memory.estimate(g, weights="offchip"))
    assert all(r.weight_bits == 0 for r in off)


def test_unit_follows_the_largest_value():
    assert budget_chart.unit(8 * 2**20 - 1) == ("KiB", 8192)
    assert budget_chart.unit(8 * 2**20) == ("MiB", 8 * 2**20)


def test_svg_is_well_formed_with_one_bar_per_segment_and_the_verdict(sq11):
    text = budget_chart.svg(sq11)
    root = ET.fromstring(text)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    rows = budget_chart.rows(sq11)
    assert len(titles) == sum((r.weight_bits > 0) + (r.activation_bits > 0) for r in rows)
    # the verdict line prints the report's on-chip total and its share of the budget
    onchip = sq11.totals.onchip_bits
    assert f"FITS: {format_bits(onchip)} = {100 * onchip / sq11.budget_bits:.1f}% of the 10 MiB budget" in text
    assert "budget 10 MiB" in text
    over = budget_chart.svg(memory.estimate(zoo.build("squeezenet1_1", weights=False), device="zu3eg"))
    assert "EXCEEDS ZU3EG: BRAM18" in over


def test_png_height_grows_with_the_rows(sq11):
    def size(png):
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        return struct.unpack(">II", png[16:24])
    w1, h1 = size(budget_chart.png(sq11))
    w2, h2 = size(budget_chart.png(memory.estimate(zoo.build("fire", weights=False))))
    assert w1 == w2 and h1 > h2
