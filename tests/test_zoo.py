"""Zoo topologies against torchvision's (transcribed by hand below) and the SqueezeNet paper."""
import math

import numpy as np
import pytest

from hwsim.sim import reference
from hwsim.ir import zoo
from hwsim.ir.weights import from_state_dict, state_dict_keys

torch = pytest.importorskip("torch")
nn = torch.nn

# Paper Table 1 / torchvision: parameters per fire module of SqueezeNet v1.0.
FIRE_PARAMS_V10 = {2: 11920, 3: 12432, 4: 45344, 5: 49440, 6: 104880, 7: 111024, 8: 188992,
                   9: 197184}


# --- torchvision's squeezenet.py / alexnet.py, transcribed (torchvision cannot be imported here) ---
class Fire(nn.Module):
    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, version="1_0", num_classes=1000):
        super().__init__()
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256))
        else:
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256))
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))


def rel_err(a, b):
    """max|a - b| / max|b| (b is the PyTorch result)."""
    return float(np.abs(a - b).max() / np.abs(b).max())


def _conv_macs(module, shape):
    """MACs of every Conv2d / Linear in a torch module at input `shape`, counted with hooks."""
    total = []

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            total.append(out[0].numel() * m.in_channels * math.prod(m.kernel_size))
        elif isinstance(m, nn.Linear):
            total.append(m.in_features * m.out_features)
    handles = [m.register_forward_hook(hook) for m in module.modules()]
    with torch.no_grad():
        module.eval()(torch.zeros((1,) + shape))
    for h in handles:
        h.remove()
    return sum(total)


# --- tests ----------------------------------------------------------------------------------------
def test_names_and_unknown():
    assert set(zoo.names()) == {"squeezenet1_0", "squeezenet1_1", "squeezenet1_0_simple_bypass",
                                "squeezenet1_0_complex_bypass", "fire", "alexnet", "squeezenet_mini",
                                "mobilenet_v1", "mobilenet_mini"}
    with pytest.raises(ValueError, match="unknown model 'resnet18'.*squeezenet1_1"):
        zoo.build("resnet18")


@pytest.mark.parametrize("version,params", [("1_0", 1248424), ("1_1", 1235496)])
def test_squeezenet_params_match_torchvision(version, params):
    g = zoo.build("squeezenet" + version)
    tv = SqueezeNet(version)
    assert g.params() == params == sum(p.numel() for p in tv.parameters())
    assert g.output_shape == (1000, 1, 1)


def test_shapes_only_build_has_the_same_graph_and_no_weights():
    full, bare = zoo.build("alexnet"), zoo.build("alexnet", weights=False)
    assert str(bare) == str(full) and bare.params() == full.params()
    assert full.has_weights and not bare.has_weights


def test_per_fire_params_match_paper_table():
    g = zoo.build("squeezenet1_0")
    for i, expected in FIRE_PARAMS_V10.items():
        assert sum(g.params(l) for l in g.layers if l.name.startswith(f"fire{i}.")) == expected
    assert g.params("conv1") == 14208 and g.params("conv10") == 513000


def test_imagenet_nets_default_to_227():
    for name in ("squeezenet1_0", "squeezenet1_1", "squeezenet1_0_simple_bypass", "alexnet"):
        assert zoo.build(name, weights=False).input_shape == (3, 227, 227) == zoo.default_input_shape(name)
    assert zoo.default_input_shape("squeezenet_mini") == (1, 16, 16)
    assert zoo.default_input_shape("fire", size=7, in_channels=4) == (4, 7, 7)


def test_shapes_at_224_and_227():
    g = zoo.build("squeezenet1_0", input_shape=(3, 224, 224))
    assert g.shape("conv1") == (96, 109, 109)
    assert (g.shape("pool1"), g.shape("pool4"), g.shape("pool8")) == \
        ((96, 54, 54), (256, 27, 27), (512, 13, 13))  # pool4 is 27 only in ceil mode
    assert zoo.build("squeezenet1_0", input_shape=(3, 227, 227)).shape("conv1") == (96, 111, 111)
    g = zoo.build("squeezenet1_1", input_shape=(3, 224, 224))
    assert (g.shape("conv1"), g.shape("pool1"), g.shape("pool3"), g.shape("pool5")) == \
        ((64, 111, 111), (64, 55, 55), (128, 27, 27), (256, 13, 13))
    assert zoo.build("alexnet", input_shape=(3, 224, 224)).shape("pool5") == (256, 6, 6)
    assert zoo.build("alexnet").shape("pool5") == (256, 6, 6)


@pytest.mark.parametrize("name,shape", [("squeezenet1_0", (3, 224, 224)),
                                        ("squeezenet1_0", (3, 227, 227)),
                                        ("squeezenet1_1", (3, 224, 224))])
def test_macs_match_hook_count(name, shape):
    g = zoo.build(name, input_shape=shape)
    assert g.macs() == _conv_macs(SqueezeNet(name[-3:]), shape)


def test_macs_near_published_figures():
    assert abs(zoo.build("squeezenet1_0", input_shape=(3, 227, 227)).macs() / 833e6 - 1) < 0.01
    assert abs(zoo.build("squeezenet1_1", input_shape=(3, 224, 224)).macs() / 349e6 - 1) < 0.01
    assert zoo.build("squeezenet1_1").macs() == 387_747_520          # at the default 227
    assert abs(zoo.build("alexnet", input_shape=(3, 224, 224)).macs() / 714e6 - 1) < 0.01


@pytest.mark.parametrize("version", ["1_0", "1_1"])
def test_state_dict_keys_and_outputs_match_torchvision(version):
    tv = SqueezeNet(version, num_classes=10).eval()
    g = zoo.build("squeezenet" + version, num_classes=10, input_shape=(3, 64, 64))
    sd = {k: v.numpy() for k, v in tv.state_dict().items()}
    keys = state_dict_keys(g)
    assert list(keys) == list(sd)
    assert all(g.weight_shapes(layer)[t] == sd[k].shape for k, (layer, t) in keys.items())
    g = from_state_dict(g, sd)
    x = np.random.default_rng(3).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want = tv(torch.from_numpy(x)).numpy()
    assert rel_err(reference.run(g, x).reshape(2, 10), want) <= 1e-5


def test_alexnet_params_and_keys_match_torchvision():
    with torch.device("meta"):
        tv = AlexNet()
    g = zoo.build("alexnet")
    assert g.params() == 61100840 == sum(p.numel() for p in tv.parameters())
    keys = state_dict_keys(g)
    assert list(keys) == list(tv.state_dict())
    assert all(g.weight_shapes(l)[t] == tuple(tv.state_dict()[k].shape) for k, (l, t) in keys.items())


def test_alexnet_needs_63_pixels():
    assert zoo.build("alexnet", input_shape=(3, 63, 63)).shape("pool5") == (256, 1, 1)
    with pytest.raises(ValueError, match="pool5"):
        zoo.build("alexnet", input_shape=(3, 62, 62))


def test_bypass_topology():
    simple = zoo.build("squeezenet1_0_simple_bypass")
    assert simple.params() == 1248424
    assert simple.layer("fire3.bypass").inputs == ("fire3.concat", "fire2.concat")
    assert simple.layer("fire5.bypass").inputs == ("fire5.concat", "pool4")
    assert simple.layer("fire7.bypass").inputs == ("fire7.concat", "fire6.concat")
    assert simple.layer("fire9.bypass").inputs == ("fire9.concat", "pool8")
    assert [l.name for l in simple.consumers("fire3.bypass")] == ["fire4.squeeze1x1"]
    assert simple.layer("dropout").inputs == ("fire9.bypass",)
    assert not any(l.kind == "add" and not l.name.startswith(("fire3", "fire5", "fire7", "fire9"))
                   for l in simple.layers)

    cx = zoo.build("squeezenet1_0_complex_bypass")
    channels = {2: (96, 128), 4: (128, 256), 6: (256, 384), 8: (384, 512)}
    assert cx.params() == 1248424 + sum(i * o + o for i, o in channels.values())
    for i, (c_in, c_out) in channels.items():
        conv = cx.layer(f"fire{i}.bypass_conv")
        assert conv.kernel == (1, 1) and cx.in_shapes(conv)[0][0] == c_in
        assert cx.shape(conv.name)[0] == c_out
        assert cx.layer(f"fire{i}.bypass").inputs == (f"fire{i}.concat", conv.name)
    assert cx.layer("fire2.bypass_conv").inputs == ("pool1",)
    assert cx.layer("pool4").inputs == ("fire4.bypass",)
    assert cx.layer("fire3.bypass").inputs == ("fire3.concat", "fire2.bypass")


def test_layer_names_follow_paper():
    names = zoo.build("squeezenet1_0").names()
    assert names[:11] == ["input", "conv1", "conv1.relu", "pool1", "fire2.squeeze1x1",
                          "fire2.squeeze1x1.relu", "fire2.expand1x1", "fire2.expand1x1.relu",
                          "fire2.expand3x3", "fire2.expand3x3.relu", "fire2.concat"]
    assert names[-4:] == ["dropout", "conv10", "conv10.relu", "pool10"]
    assert [n for n in names if n.startswith("pool")] == ["pool1", "pool4", "pool8", "pool10"]
    v11 = zoo.build("squeezenet1_1").names()
    assert [n for n in v11 if n.startswith("pool")] == ["pool1", "pool3", "pool5", "pool10"]


def test_fire_module():
    g = zoo.build("fire")
    assert g.input_shape == (96, 55, 55) and g.output_shape == (128, 55, 55)
    assert g.params() == FIRE_PARAMS_V10[2]
    assert g.names() == ["input", "fire.squeeze1x1", "fire.squeeze1x1.relu", "fire.expand1x1",
                         "fire.expand1x1.relu", "fire.expand3x3", "fire.expand3x3.relu",
                         "fire.concat"]
    g = zoo.build("fire", in_channels=512, squeeze=64, expand1x1=256, expand3x3=256, size=13)
    assert g.params() == FIRE_PARAMS_V10[9] and g.output_shape == (512, 13, 13)
    assert zoo.build("fire", input_shape=(8, 6, 6)).input_shape == (8, 6, 6)
    with pytest.raises(ValueError, match="unknown arguments.*'squeze'"):
        zoo.build("fire", squeze=3)
    with pytest.raises(ValueError, match="num_classes"):
        zoo.build("fire", num_classes=10)
    with pytest.raises(ValueError, match="disagrees with in_channels"):
        zoo.build("fire", in_channels=3, input_shape=(8, 6, 6))
    with pytest.raises(ValueError, match="squeeze must be a positive int"):
        zoo.build("fire", squeeze=0)


def test_mini_is_small_and_fits_digit_sizes():
    g = zoo.build("squeezenet_mini")
    assert g.input_shape == (1, 16, 16) and g.output_shape == (10, 1, 1)
    assert g.params() < 50_000
    assert any(l.kind == "concat" for l in g.layers)
    assert [l.ceil_mode for l in g.layers if l.kind == "maxpool"] == [True, True]
    for size in (8, 32):
        assert zoo.build("squeezenet_mini", input_shape=(1, size, size)).output_shape == (10, 1, 1)


def test_argument_errors():
    with pytest.raises(ValueError, match="unknown arguments"):
        zoo.build("squeezenet1_0", squeeze=3)
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        zoo.build("squeezenet1_1", num_classes=0)
    with pytest.raises(ValueError, match="input_shape must be three"):
        zoo.build("squeezenet1_1", input_shape=(224, 224))


def test_seeded_he_init():
    a, b = zoo.build("squeezenet1_1", seed=0), zoo.build("squeezenet1_1", seed=0)
    c = zoo.build("squeezenet1_1", seed=1)
    for name in a.weights:
        assert np.array_equal(a.weights[name]["weight"], b.weights[name]["weight"])
        assert not np.array_equal(a.weights[name]["weight"], c.weights[name]["weight"])
        assert not a.weights[name]["bias"].any()
    w = a.weights["fire9.expand3x3"]["weight"]  # 147,456 draws, fan_in = 64 * 9
    assert abs(w.std() / math.sqrt(2 / 576) - 1) < 0.02 and abs(w.mean()) < 0.01
    assert w.dtype == np.float32


def test_str_is_stable():
    a = str(zoo.build("squeezenet1_0", seed=0, input_shape=(3, 224, 224)))
    assert a == str(zoo.build("squeezenet1_0", seed=5, input_shape=(3, 224, 224)))
    lines = a.splitlines()
    assert lines[0] == "graph squeezenet1_0 params=1248424 macs=818924576"
    conv1 = next(line for line in lines if line.split()[0] == "conv1")
    assert "96x109x109" in conv1 and "params=14208" in conv1


@pytest.mark.parametrize("kwargs,msg", [
    ({"alpha": 0.3}, "alpha must be one of 1.0, 0.75, 0.5, 0.25"),
    ({"alpha": True}, "alpha must be one of"),
    ({"resolution": 0}, "resolution must be a positive int"),
    ({"resolution": 160, "input_shape": (3, 128, 128)}, "disagrees with resolution 160"),
    ({"depth": 2}, "unknown arguments"),
])
def test_mobilenet_arguments(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        zoo.build("mobilenet_v1", weights=False, **kwargs)


def test_mobilenet_resolution_and_alpha_shape_the_graph():
    g = zoo.build("mobilenet_v1", alpha=0.5, resolution=160, weights=False)
    assert g.input_shape == (3, 160, 160) and g.shape("conv_pw14.relu") == (512, 5, 5)
    assert g.shape("fc") == (1000, 1, 1) and [l.name for l in g.layers][-2:] == ["pool", "fc"]
    assert zoo.build("mobilenet_v1", input_shape=(3, 96, 96), weights=False).shape("pool") == (1024, 1, 1)
