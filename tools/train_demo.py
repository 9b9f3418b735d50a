"""Train a mini net (squeezenet_mini, the demo net, or mobilenet_mini) on scikit-learn's digits
(16x16, [0, 1]), CPU only.

    .venv/bin/python tools/train_demo.py [--model squeezenet_mini|mobilenet_mini] [--epochs 60] [--seed 0] [--out hwsim/data]

Trains on the train split with Adam (weight decay 5e-4), cross-entropy with label smoothing 0.1,
small random shifts (+-1 pixel) as augmentation and a cosine learning-rate schedule; after every step
the weights are clipped to +-0.99 so that hwsim's default weight type ap_fixed<8,1> holds them without
saturating (label smoothing keeps the logits well inside the default result range +-32). Keeps the weights of the epoch with the best validation accuracy; measures
the float top-1 on the test split with hwsim's own numpy reference (not torch), the fixed-point
top-1 at the default precision with hwsim's simulator, and writes
`<model>_digits.npz` (hwsim's state-dict keys, hwsim.ir.weights.save_npz) and
`<model>_digits.json` (accuracies, split seed, preprocessing, training settings, wall time).
Deterministic for a given seed on one machine (torch uses one thread here).
"""
from __future__ import annotations

import argparse
import json
import os
import time


WEIGHT_LIMIT = 0.99   # below ap_fixed<8,1>'s largest value 127/128


def _augment(torch, xb, gen):
    """Shift each image by -1, 0 or +1 pixel in each direction (zero fill)."""
    n = xb.shape[0]
    shifts = torch.randint(-1, 2, (n, 2), generator=gen)
    padded = torch.nn.functional.pad(xb, (1, 1, 1, 1))
    h, w = xb.shape[2:]
    out = torch.empty_like(xb)
    for i in range(n):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = padded[i, :, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
    return out


def _accuracy(torch, model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).flatten(1)
    return float((logits.argmax(1).numpy() == y).mean())


def train(epochs: int, seed: int, batch: int = 64, lr: float = 3e-3, model_name: str = "squeezenet_mini"):
    import torch
    from hwsim.study import data
    from hwsim.ir import zoo
    from hwsim.backends.hls4ml.torch_export import to_torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    graph = zoo.build(model_name, seed=seed)
    splits = {s: data.digits(s, graph.input_shape, data.DEFAULT_SEED) for s in data.SPLITS}
    model = to_torch(graph)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(seed)
    xt = torch.from_numpy(splits["train"].x)
    yt = torch.from_numpy(splits["train"].y)
    best = (-1.0, None, -1)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(yt), generator=gen)
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            xb = _augment(torch, xt[idx], gen)
            loss = torch.nn.functional.cross_entropy(model(xb).flatten(1), yt[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():   # keep weights inside ap_fixed<8,1>'s range (-1, 1)
                for name, prm in model.named_parameters():
                    if name.endswith("weight"):
                        prm.clamp_(-WEIGHT_LIMIT, WEIGHT_LIMIT)
        sched.step()
        val = _accuracy(torch, model, splits["val"].x, splits["val"].y)
        if val > best[0]:
            best = (val, {k: v.detach().clone() for k, v in model.state_dict().items()}, epoch)
        print(f"epoch {epoch + 1:3d}  loss {loss.item():.4f}  val {100 * val:.2f}%", flush=True)
    model.load_state_dict(best[1])
    weights = {}
    for layer, attr in model.module_names.items():
        m = getattr(model, attr)
        if hasattr(m, "weight") and m.weight is not None:
            weights[layer] = {"weight": m.weight.detach().numpy().copy(),
                              "bias": m.bias.detach().numpy().copy()}
    return graph.with_weights(weights), splits, best[2] + 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=("squeezenet_mini", "mobilenet_mini"), default="squeezenet_mini")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "hwsim", "data"))
    args = ap.parse_args(argv)
    from hwsim.study import data
    from hwsim.sim import reference
    from hwsim.ir.weights import save_npz

    t0 = time.perf_counter()
    graph, splits, best_epoch = train(args.epochs, args.seed, model_name=args.model)
    seconds = time.perf_counter() - t0
    acc = {}
    for s, ds in splits.items():
        logits = reference.run(graph, ds.x).reshape(len(ds), -1)
        acc[s] = float((logits.argmax(1) == ds.y).mean())
    from hwsim.sim import simulate
    fixed = simulate.run(graph, splits["test"].x, reference=False).values.reshape(len(splits["test"]), -1)
    acc["fixed_test"] = float((fixed.argmax(1) == splits["test"].y).mean())     # the default precision
    os.makedirs(args.out, exist_ok=True)
    save_npz(graph, os.path.join(args.out, f"{args.model}_digits.npz"))
    info = {
        "model": args.model, "model_args": {"num_classes": 10, "input_shape": list(graph.input_shape)},
        "data": "scikit-learn digits, pixels / 16 in [0, 1], bilinear 8x8 -> 16x16 (half-pixel centres)",
        "split": {"seed": data.DEFAULT_SEED, "fractions": list(data.FRACTIONS),
                  "sizes": {s: len(ds) for s, ds in splits.items()}, "stratified": True},
        "float_test_top1": acc["test"], "float_val_top1": acc["val"], "float_train_top1": acc["train"],
        "fixed_test_top1_default_precision": acc["fixed_test"],
        "training": {"epochs": args.epochs, "best_epoch": best_epoch, "seed": args.seed,
                     "optimizer": "Adam lr 3e-3 wd 5e-4, cosine schedule, batch 64, +-1 px shifts, "
                                  "label smoothing 0.1, weights clipped to +-0.99",
                     "seconds": round(seconds, 1), "threads": 1},
    }
    with open(os.path.join(args.out, f"{args.model}_digits.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"float top-1: train {100 * acc['train']:.2f}%  val {100 * acc['val']:.2f}%  "
          f"test {100 * acc['test']:.2f}%; fixed point at the default precision: test {100 * acc['fixed_test']:.2f}%  "
          f"({seconds:.0f} s training, best epoch {best_epoch})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
