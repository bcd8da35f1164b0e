#!/usr/bin/python3
"""PyTorch re-implementation of Curvature's training recipes, for timing and cross-checking.

    /usr/bin/python3 torch_train.py --mode standard|pgd|fgsm|cure [--epochs 5] [--batch-size 128]
                     [--lr 1e-3] [--epsilon 0.1] [--pgd-steps 7] [--lambda 1] [--h 1]
                     [--threads 2] [--limit N] [--data fashion-mnist|mnist5k|DIR] [--out M.safetensors]

Recipes (as `curvature train`, Sources/Robustness/TrainingMode.swift):
  standard  mean cross-entropy on the clean batch.
  pgd       Madry PGD-k in the ℓ∞ ball (k = 7, α = 2.5ε/k, random start U(−ε, ε), clipped to the
            ball and [0, 1]); the model is trained on the adversarial batch.
  fgsm      "fast" adversarial training (Wong et al. 2020): random start U(−ε, ε) (clipped), one
            step of 1.25ε·sign(∇), clipped to the ball and [0, 1]; train on the result.
  cure      CE + λ‖∇ℓ(x + hz) − ∇ℓ(x)‖² with per-sample input gradients of the summed CE,
            z = sign(∇ℓ(x))/‖sign(∇ℓ(x))‖ per sample (a constant), both gradients taken with
            create_graph=True, the penalty averaged over the batch.
Adam (β 0.9/0.999, eps 1e-8), PyTorch's default initialisation, seeded shuffling; the last,
partial batch is kept (as Curvature). Prints one line per epoch with its wall time (training
only; evaluation is timed apart) and the final clean test accuracy. `--out` saves the model in
Curvature's format (architecture JSON in the metadata), so `curvature eval --model` reads it.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_eval import (build_sequential, builtin_architecture, input_gradient, load_data,  # noqa: E402
                        pgd_linf, predict, project, write_safetensors)


def batch_loss(mode, model, x, y, a, generator):
    """(total loss to differentiate, mean CE, mean penalty, logits trained on)."""
    if mode == "standard":
        logits = model(x)
        ce = F.cross_entropy(logits, y)
        return ce, ce.item(), 0.0, logits
    if mode in ("pgd", "fgsm"):
        was_training = model.training
        model.eval()  # no-op for cnn-small; keeps BN/dropout fixed while attacking
        if mode == "pgd":
            adv = pgd_linf(model, x, y, a.epsilon, a.pgd_steps, alpha=a.alpha, generator=generator)
        else:
            noise = torch.rand(x.shape, generator=generator, dtype=x.dtype) * (2 * a.epsilon) - a.epsilon
            start = project(x + noise, x, a.epsilon)
            adv = project(start + 1.25 * a.epsilon * input_gradient(model, start, y).sign(), x, a.epsilon)
        model.train(was_training)
        logits = model(adv.detach())
        ce = F.cross_entropy(logits, y)
        return ce, ce.item(), 0.0, logits
    if mode == "cure":
        n = x.shape[0]
        xx = x.clone().requires_grad_(True)
        logits = model(xx)
        summed = F.cross_entropy(logits, y, reduction="sum")
        g, = torch.autograd.grad(summed, xx, create_graph=True)
        signs = g.detach().sign()
        norms = signs.flatten(1).norm(dim=1).clamp_min(1e-12).view(n, *([1] * (x.dim() - 1)))
        shifted = (x + a.h * signs / norms).requires_grad_(True)
        g_shifted, = torch.autograd.grad(F.cross_entropy(model(shifted), y, reduction="sum"), shifted,
                                         create_graph=True)
        penalty = (g_shifted - g).pow(2).sum() / n
        ce = summed / n
        return ce + a.lam * penalty, ce.item(), penalty.item(), logits
    raise ValueError(mode)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", default="standard", choices=["standard", "pgd", "fgsm", "cure"])
    p.add_argument("--arch", default="cnn-small", help="a Curvature built-in name (cnn-small, cnn, mlp, *-softplus) or JSON file")
    p.add_argument("--data", default="fashion-mnist", help="fashion-mnist, mnist5k, or a directory of IDX files")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epsilon", type=float, default=0.1)
    p.add_argument("--pgd-steps", type=int, default=7)
    p.add_argument("--alpha", type=float, help="PGD step (default 2.5ε/steps)")
    p.add_argument("--lambda", dest="lam", type=float, default=1.0, help="CURE weight λ")
    p.add_argument("--h", type=float, default=1.0, help="CURE scale h (ℓ2 length of hz)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, help="train on the first N training images only")
    p.add_argument("--test-limit", type=int, help="evaluate on the first N test images only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="save the trained model here (.safetensors, Curvature's layout)")
    a = p.parse_args()
    if a.epochs < 1 or a.batch_size < 1 or a.pgd_steps < 1 or a.h <= 0 or a.lam < 0 or a.epsilon < 0:
        p.error("--epochs, --batch-size, --pgd-steps ≥ 1; --h > 0; --lambda, --epsilon ≥ 0")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    architecture = json.load(open(a.arch)) if os.path.exists(a.arch) else builtin_architecture(a.arch)
    model = build_sequential(architecture)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)

    train_x, train_y = load_data(a.data, "train")
    test_x, test_y = load_data(a.data, "test")
    if a.limit:
        train_x, train_y = train_x[:a.limit], train_y[:a.limit]
    if a.test_limit:
        test_x, test_y = test_x[:a.test_limit], test_y[:a.test_limit]
    n = len(train_y)
    print(f"# {a.mode} training of {a.arch} on {a.data}: {n} train / {len(test_y)} test images, batch {a.batch_size}, "
          f"Adam lr {a.lr}, {torch.get_num_threads()} thread(s), torch {torch.__version__}", file=sys.stderr)
    details = {"pgd": f"ε {a.epsilon}, {a.pgd_steps} steps, α {a.alpha or 2.5 * a.epsilon / a.pgd_steps:.5g}",
               "fgsm": f"ε {a.epsilon}, step 1.25ε", "cure": f"λ {a.lam}, h {a.h}", "standard": ""}[a.mode]
    if details:
        print(f"# {details}", file=sys.stderr)

    generator = torch.Generator().manual_seed(a.seed + 1)
    print("epoch,loss,penalty,train_accuracy,test_accuracy,seconds,eval_seconds,images_per_s", flush=True)
    total_train = 0.0
    accuracy = float("nan")
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator)
        loss_sum = penalty_sum = 0.0
        correct = 0
        start = time.perf_counter()
        for i in range(0, n, a.batch_size):
            idx = order[i:i + a.batch_size]
            x, y = train_x[idx], train_y[idx]
            total, ce, penalty, logits = batch_loss(a.mode, model, x, y, a, generator)
            if not torch.isfinite(total):
                sys.exit(f"epoch {epoch}, batch {i // a.batch_size + 1}: non-finite loss")
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            loss_sum += ce * len(idx)
            penalty_sum += penalty * len(idx)
            correct += int((logits.detach().argmax(1) == y).sum())
        seconds = time.perf_counter() - start
        total_train += seconds
        model.eval()
        eval_start = time.perf_counter()
        accuracy = float((predict(model, test_x).argmax(1) == test_y).float().mean())
        eval_seconds = time.perf_counter() - eval_start
        print(f"{epoch},{loss_sum / n:.4f},{penalty_sum / n:.4f},{correct / n:.4f},{accuracy:.4f},"
              f"{seconds:.2f},{eval_seconds:.2f},{n / seconds:.1f}", flush=True)

    print(f"# final clean test accuracy {accuracy:.4f} on {len(test_y)} images; "
          f"training wall time {total_train:.1f} s ({total_train / a.epochs:.1f} s/epoch)", flush=True)
    if a.out:
        state = {k: v for k, v in model.state_dict().items()}
        write_safetensors(a.out, state, {
            "architecture": json.dumps(architecture, sort_keys=True, separators=(",", ":")),
            "format": "pt", "trained_by": f"torch_train.py {torch.__version__}",
            "training": f"mode={a.mode} epochs={a.epochs} batch={a.batch_size} lr={a.lr} eps={a.epsilon} "
                        f"pgd_steps={a.pgd_steps} lambda={a.lam} h={a.h} seed={a.seed} limit={a.limit}",
            "data": a.data})
        print(f"# saved {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
