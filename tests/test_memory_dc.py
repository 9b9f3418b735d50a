"""Deep Compression storage model against the SqueezeNet paper's Table 1 and its compressed sizes."""
import math

import pytest

from hwsim.hw import estimate as memory
from hwsim.ir import zoo
from hwsim.hw.compression import TABLE1, expected_fillers, make, parse_density, tensor_storage


@pytest.fixture(scope="module")
def sq10():
    return zoo.build("squeezenet1_0", input_shape=(3, 227, 227))


def test_table1_densities_give_the_papers_pruned_count(sq10):
    # SqueezeNet paper, Table 1: 1,248,424 parameters before pruning, 421,098 after
    r = memory.estimate(sq10, prune="table1")
    assert r.totals.stored_params == 421_098
    # per-module "after pruning" column of Table 1
    after = {"conv1": 14208, "fire2": 5746, "fire3": 6258, "fire4": 20646, "fire5": 24742,
             "fire6": 44700, "fire7": 46236, "fire8": 77581, "fire9": 77581, "conv10": 103400}
    got = {}
    for l in r.layers:
        got[l.name.split(".")[0]] = got.get(l.name.split(".")[0], 0) + l.stored_params
    assert {k: v for k, v in got.items() if v} == after


@pytest.mark.parametrize("bits,paper_mb", [(8, 0.66), (6, 0.47)])
def test_compressed_squeezenet_size_near_the_paper(sq10, bits, paper_mb):
    r = memory.estimate(sq10, prune="table1", codebook_bits=bits)
    mb = r.totals.weight_bits / 8 / 1e6
    assert abs(mb - paper_mb) / paper_mb < 0.15, mb


def test_tensor_storage_by_hand():
    comp = make(["l"], prune=0.2, codebook_bits=6, index_bits=4)
    st = tensor_storage(512_000, 8, 0.2, comp)
    q = 0.8 ** 16
    assert st.nnz == 102_400
    assert st.fillers == math.ceil(102_400 * q / (1 - q))
    assert st.entry_bits == 6 + 4
    assert st.codebook_bits == 64 * 8
    assert st.bits == (st.nnz + st.fillers) * 10 + 512
    dense = tensor_storage(1000, 8, 1.0, comp)                 # density 1: no index
    assert (dense.nnz, dense.fillers, dense.entry_bits) == (1000, 0, 6)
    plain = tensor_storage(1000, 8, 0.5, make(["l"], prune=0.5))
    assert (plain.entry_bits, plain.codebook_bits) == (8 + 4, 0)


def test_filler_expectation_against_enumeration():
    # exact expectation of floor(R / 2^k) for a geometric zero run R, summed directly
    d, k = 0.3, 2
    exact = sum((1 - d) ** r * d * (r // 2 ** k) for r in range(2000))
    assert expected_fillers(10_000, d, k) == math.ceil(10_000 * exact - 1e-9)


def test_codebook_only_and_uniform_density(sq10):
    base = memory.estimate(sq10)
    cb = memory.estimate(sq10, codebook_bits=4)
    assert cb.totals.stored_params == base.totals.params
    assert cb.totals.weight_bits < base.totals.weight_bits
    half = memory.estimate(sq10, prune="50%")
    conv10 = half.layer("conv10")
    assert conv10.stored_params == 256_000 + 1000


def test_table1_rejects_unknown_layers():
    with pytest.raises(ValueError, match="fire2.bypass_conv"):
        memory.estimate(zoo.build("squeezenet1_0_complex_bypass"), prune="table1")


@pytest.mark.parametrize("text,value", [("0.33", 0.33), ("33%", 0.33), ("1", 1.0), (0.5, 0.5)])
def test_parse_density(text, value):
    assert parse_density(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["0", "1.5", "abc", "-0.2", "nan", "150%"])
def test_parse_density_errors(text):
    with pytest.raises(ValueError, match="--prune"):
        parse_density(text)


def test_table1_covers_squeezenet_10_weight_layers(sq10):
    assert sorted(TABLE1) == sorted(l.name for l in sq10.layers if l.has_weights)
