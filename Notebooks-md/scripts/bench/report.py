#!/usr/bin/python3
"""bench_peers.sh's one Markdown report, from the rows its runs wrote.

    /usr/bin/python3 report.py --work DIR --threads 2 --workloads mlp:1,... --runs 3
                               [--sgemm 2=130,...] [--csv FILE] [--md FILE]

DIR holds facts.tsv (key<TAB>value, the machine), phases.tsv (phase, date, load before, load
after), runs.csv (one row per HVP run, idle and loaded), training.csv (one row per epoch timed)
and autoattack.csv (one row per AutoAttack evaluation, autoattack_crosscheck.py's columns after
round and threads). Tables: input-HVPs on the idle machine; the same under one competing busy
process (kept share = loaded ÷ idle); training epochs against PyTorch; AutoAttack against
torchattacks; the issue's targets. Each table has the machine's facts above it, headed by the
kernels emulated when --gemm-kernel asked for narrower ones than the CPU's.
"""
import argparse, csv, os, statistics, sys

# FLOP per sample HVP = 2 · MACs of the convolutions and linear layers (biases, BN, activations,
# pooling ignored) in the passes an HVP needs: the forward, the tangent's forward and the tangent's
# backward (3 × forward), and, for the softplus mlp, the primal backward's products above the
# input (512·10 + 512·512), whose values the tangent reads through softplus's second derivative.
# A ReLU network's primal backward is not needed (ReLU's second derivative is zero): JAX's XLA
# drops it, Curvature's deferred values never compute it. Forward MACs:
#   mlp       784·512 + 512·512 + 512·10                                      =     668,672
#   cnn       28²·32·25 + 14²·64·32·25 + 3136·1024 + 1024·10                   =  13,883,904
#   resnet18  stem 32²·64·27 = 1,769,472; layer1 4 × 32²·64·576 = 150,994,944;
#             layer2–4 each (first conv + 3 full convs + 1×1 shortcut) = 134,217,728, × 3;
#             linear 5,120                                                     = 555,422,720
FLOP = {"mlp": 2 * (3 * 668_672 + 512 * 10 + 512 * 512), "cnn": 2 * 3 * 13_883_904, "resnet18": 2 * 3 * 555_422_720}
# The targets of issue #32 (Performance III): Curvature HVP/s ÷ JAX HVP/s at least this, per workload.
HVP_TARGET = {"mlp B=128": 1.3, "cnn B=1": 1.0, "cnn B=128": 2.0, "resnet18 B=32": 1.5}
BOUND_TARGET = {"cnn B=128": 60.0, "resnet18 B=32": 60.0}  # % of the measured SGEMM bound
LOADED_TARGET = 0.9     # Curvature's kept share ÷ JAX's
TRAINING_TARGET = 1.5   # PyTorch s/epoch ÷ Curvature s/epoch
AUTOATTACK_TARGET = 2.0  # torchattacks s ÷ Curvature s, AutoAttack evaluation of a robust model
TOOLS = ["curvature", "jax", "pytorch"]
NAMES = {"curvature": "Curvature", "jax": "JAX", "pytorch": "PyTorch"}


def rate(x):
    return "n/a" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


def verdict(value, target):
    return "n/a" if value is None else ("✓" if value >= target else "✗")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--threads", required=True)
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--sgemm", default="", help="T=GFLOP/s,… (measured or overridden)")
    ap.add_argument("--csv")
    ap.add_argument("--md")
    a = ap.parse_args()

    facts = [line.rstrip("\n").split("\t", 1) for line in open(os.path.join(a.work, "facts.tsv")) if "\t" in line]
    phases = {}
    if os.path.exists(os.path.join(a.work, "phases.tsv")):
        for line in open(os.path.join(a.work, "phases.tsv")):
            name, date, before, after = line.rstrip("\n").split("\t")
            phases[name] = (date, before, after)
    sgemm = {int(t): float(g) for t, g in (item.split("=") for item in a.sgemm.split(",") if item)}
    threads = [int(t) for t in a.threads.split(",")]
    workloads = [f"{w.split(':')[0]} B={w.split(':')[1]}" for w in a.workloads.split(",")]

    def header(phase, title):
        date, before, after = phases.get(phase, ("?", "?", "?"))
        lines = [f"### {title}", ""]
        # The kernels emulated (--gemm-kernel) come first, in bold: they change what every rate means.
        lines += [f"- **{v}**" for k, v in facts if k == "emulation"]
        lines.append(f"- date: {date}; load average (1/5/15 min) before {before}, after {after}")
        lines += [f"- {k}: {v}" for k, v in facts if k != "emulation"]
        if sgemm:
            lines.append("- SGEMM (OpenBLAS cblas_sgemm with the kernel set Curvature runs, 2048³ float32, best of 5): "
                         + ", ".join(f"{g:.1f} GFLOP/s at {t} thread(s)" for t, g in sorted(sgemm.items())))
        return lines + [""]

    # MARK: HVP rows
    runs_by = {}
    path = os.path.join(a.work, "runs.csv")
    for r in csv.DictReader(open(path)) if os.path.exists(path) else []:
        batch = int(r["workload"].split("B=")[1])
        grad_ms = float(r["grad_ms"])
        runs_by.setdefault((r["phase"], r["workload"], int(r["threads"]), r["tool"]), []).append({
            "grad_per_s": batch * 1e3 / grad_ms if grad_ms > 0 else float("nan"),
            "hvp_per_s": float(r["hvp_per_s"]),
            "rss": float(r["peak_rss_mb"]) if r["peak_rss_mb"] else None})

    def summary(phase, workload, t, tool):
        values = runs_by.get((phase, workload, t, tool))
        if not values:
            return None
        rss = [v["rss"] for v in values if v["rss"] is not None]
        return {"grad_per_s": statistics.median(v["grad_per_s"] for v in values),
                "hvp_per_s": statistics.median(v["hvp_per_s"] for v in values),
                "rss": max(rss) if rss else None, "n": len(values)}

    def hvp(phase, workload, t, tool):
        s = summary(phase, workload, t, tool)
        return s["hvp_per_s"] if s else None

    def ratio(x, y):
        return None if x is None or not y else x / y

    lines, targets, out_rows = [], [], []

    def speedup(name, speed, target):
        """Records a target's row; returns the table's two cells: the speed-up, and the target with ✓ or ✗."""
        targets.append((name, f"≥ {target:g}", "n/a" if speed is None else f"{speed:.2f}", verdict(speed, target)))
        return ("n/a" if speed is None else f"{speed:.2f}×"), f"≥ {target:g}× {verdict(speed, target)}"

    lines += ["## Input-gradients and input-HVPs, idle machine", ""] + header("idle", "Machine")
    lines.append("| workload | threads | Curvature grad/s | JAX grad/s | PyTorch grad/s | Curvature HVP/s | JAX HVP/s | "
                 "PyTorch HVP/s | ratio vs JAX | target vs JAX | ratio vs PyTorch | % of sgemm bound | "
                 "peak RSS MB (Curvature / JAX / PyTorch) |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | --- |")
    for t in threads:
        for w in workloads:
            s = {tool: summary("idle", w, t, tool) for tool in TOOLS}
            get = lambda tool, field: s[tool][field] if s[tool] else None
            for tool in TOOLS:
                if s[tool]:
                    rss = s[tool]["rss"]
                    out_rows.append([w, t, tool, f"{s[tool]['grad_per_s']:.2f}", f"{s[tool]['hvp_per_s']:.2f}",
                                     "" if rss is None else f"{rss:.1f}"])
            c = get("curvature", "hvp_per_s")
            vs_jax, vs_torch = ratio(c, get("jax", "hvp_per_s")), ratio(c, get("pytorch", "hvp_per_s"))
            fmt = lambda x: "n/a" if x is None else f"{x:.2f}×"
            target = HVP_TARGET.get(w)
            vs_jax_cell, target_cell = ((fmt(vs_jax), "—") if target is None else
                                        speedup(f"{w}, {t} thread(s): Curvature HVP/s ÷ JAX's", vs_jax, target))
            flop = FLOP[w.split()[0]]
            share = None if c is None or t not in sgemm else 100 * c * flop / (sgemm[t] * 1e9)
            percent = "n/a" if share is None else f"{share:.1f} %"
            if w in BOUND_TARGET:
                targets.append((f"{w}, {t} thread(s): % of the SGEMM bound", f"≥ {BOUND_TARGET[w]:g} %",
                                "n/a" if share is None else f"{share:.1f} %", verdict(share, BOUND_TARGET[w])))
            rss = (" / ".join("n/a" if get(tool, "rss") is None else f"{get(tool, 'rss'):.0f}" for tool in TOOLS)
                   if w == "cnn B=128" else "")
            lines.append(f"| {w} | {t} | {rate(get('curvature', 'grad_per_s'))} | {rate(get('jax', 'grad_per_s'))} | "
                         f"{rate(get('pytorch', 'grad_per_s'))} | {rate(c)} | {rate(get('jax', 'hvp_per_s'))} | "
                         f"{rate(get('pytorch', 'hvp_per_s'))} | {vs_jax_cell} | {target_cell} | {fmt(vs_torch)} | "
                         f"{percent} | {rss} |")
    lines += [
        "",
        f"Median over {a.runs} run(s) per tool of each tool's own median; runs interleaved per workload, tool order "
        "rotating. grad/s and HVP/s count samples (B per batched call); ratio = Curvature HVP/s ÷ peer HVP/s "
        "(> 1: Curvature faster).",
        "% of sgemm bound: Curvature HVP/s ÷ (measured SGEMM GFLOP/s at T threads ÷ FLOP per sample HVP); "
        f"FLOP per sample HVP = 2 × MACs of the forward, the tangent's forward and backward, and (mlp) the primal backward above the input: {FLOP['mlp']:,} (mlp), {FLOP['cnn']:,} (cnn), "
        f"{FLOP['resnet18']:,} (resnet18). Peak RSS: largest over the runs, MiB.",
        ""]

    # MARK: Loaded machine
    if any(k[0] == "loaded" for k in runs_by):
        lines += ["## The same, with one competing busy process", ""] + header("loaded", "Machine")
        lines.append("| workload | threads | " + " | ".join(
            f"{NAMES[tool]} idle HVP/s | {NAMES[tool]} loaded HVP/s | {NAMES[tool]} kept" for tool in TOOLS)
            + " | Curvature kept ÷ JAX kept | target |")
        lines.append("| --- | ---: |" + " ---: | ---: | ---: |" * len(TOOLS) + " ---: | :---: |")
        for t in threads:
            for w in workloads:
                kept = {tool: ratio(hvp("loaded", w, t, tool), hvp("idle", w, t, tool)) for tool in TOOLS}
                cells = []
                for tool in TOOLS:
                    k = kept[tool]
                    cells += [rate(hvp("idle", w, t, tool)), rate(hvp("loaded", w, t, tool)),
                              "n/a" if k is None else f"{k:.2f}"]
                relative = ratio(kept["curvature"], kept["jax"])
                targets.append((f"{w}, {t} thread(s), loaded: Curvature's kept share ÷ JAX's", f"≥ {LOADED_TARGET:g}",
                                "n/a" if relative is None else f"{relative:.2f}", verdict(relative, LOADED_TARGET)))
                lines.append(f"| {w} | {t} | " + " | ".join(cells) + " | "
                             + ("n/a" if relative is None else f"{relative:.2f}")
                             + f" | ≥ {LOADED_TARGET:g} {verdict(relative, LOADED_TARGET)} |")
        lines += ["",
                  "Loaded: the same rounds while one `yes > /dev/null` (unpinned) keeps one core busy. kept = loaded "
                  "HVP/s ÷ idle HVP/s (medians over the rounds).", ""]

    # MARK: Training
    path = os.path.join(a.work, "training.csv")
    if os.path.exists(path):
        epochs = {}
        meta = {}
        for r in csv.DictReader(open(path)):
            epochs.setdefault((r["mode"], int(r["threads"]), r["tool"]), []).append(float(r["seconds"]))
            meta[r["mode"]] = r["images"]
        lines += ["## Training epochs against PyTorch", ""] + header("training", "Machine")
        lines.append("| mode | threads | images | Curvature s/epoch | PyTorch s/epoch | Curvature speed ÷ PyTorch's | target |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | :---: |")
        for t in threads:
            for mode in dict.fromkeys(k[0] for k in epochs):
                ours = epochs.get((mode, t, "curvature"))
                theirs = epochs.get((mode, t, "pytorch"))
                ours = statistics.median(ours) if ours else None
                theirs = statistics.median(theirs) if theirs else None
                cells = speedup(f"training {mode}, {t} thread(s): PyTorch s/epoch ÷ Curvature's", ratio(theirs, ours),
                                TRAINING_TARGET)
                lines.append(f"| {mode} | {t} | {meta[mode]} | {'n/a' if ours is None else f'{ours:.2f}'} | "
                             f"{'n/a' if theirs is None else f'{theirs:.2f}'} | {' | '.join(cells)} |")
        n_rounds = max(len(v) for v in epochs.values())
        lines += ["",
                  f"One epoch, cnn-small, batch 128, Adam 1e-3, Fashion-MNIST training images (Curvature: a seeded "
                  f"class-stratified subset, --train-samples; PyTorch: the first N, --limit), CURE with λ 4, h 3; "
                  f"median over {n_rounds} round(s). Seconds are each tool's own epoch time (process start-up and "
                  "data loading excluded), the optimiser steps alone: Curvature's log column training_seconds, "
                  "PyTorch's seconds; neither includes its test evaluation.", ""]

    # MARK: AutoAttack
    path = os.path.join(a.work, "autoattack.csv")
    rows = list(csv.DictReader(open(path))) if os.path.exists(path) else []
    if rows:
        lines += ["## AutoAttack evaluation against torchattacks", ""] + header("autoattack", "Machine")
        lines.append("| model | threads | images | ε | clean % | Curvature robust % | torchattacks robust % | "
                     "Curvature s | torchattacks s | Curvature speed ÷ torchattacks' | target |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
        groups = {}
        for r in rows:
            groups.setdefault((r["model"], int(r["threads"])), []).append(r)
        for (model, t), rs in groups.items():
            med = lambda key: statistics.median(float(r[key]) for r in rs)
            ours, theirs = med("curvature_s"), med("torchattacks_s")
            cells = speedup(f"AutoAttack {model}, {t} thread(s): torchattacks s ÷ Curvature's", ratio(theirs, ours),
                            AUTOATTACK_TARGET)
            # Both attacks are seeded: the accuracies should not change between rounds; a range shows if they do.
            acc = lambda key: "–".join(dict.fromkeys(sorted((r[key] for r in rs), key=float)))
            lines.append(f"| {model} | {t} | {rs[0]['samples']} | {rs[0]['epsilon']} | {acc('clean')} | {acc('curvature')} | "
                         f"{acc('torchattacks')} | {ours:.1f} | {theirs:.1f} | {' | '.join(cells)} |")
        n_rounds = max(len(rs) for rs in groups.values())
        r0 = rows[0]
        lines += ["",
                  f"AutoAttack ({r0['norm'].replace('linf', 'L∞').replace('l2', 'L2')}, standard ensemble: APGD-CE, "
                  "APGD-T, FAB-T, Square, 10 classes) on the first N Fashion-MNIST test images, through "
                  f"autoattack_crosscheck.py (--reference {r0['reference']}: torchattacks' attacks with Croce & Hein's "
                  "settings, 100 iterations, 5,000 Square queries); Curvature first, then torchattacks, in each round; "
                  f"median over {n_rounds} round(s). Curvature s: the whole `curvature eval --attack autoattack-"
                  f"{r0['norm']}` process (start-up, loading the model and the test split included); torchattacks s: "
                  "the attack and the final prediction alone, in an interpreter that has already loaded torch, the "
                  "model and the images. The robust accuracies agree only statistically (different random starts). "
                  "torchattacks (PyTorch's OpenMP threads) can lose far more than Curvature to a competing load: trust the ratio only "
                  "with a low load average above.", ""]

    # MARK: Targets
    if targets:
        lines += ["## Targets", "", "| target | wanted | measured | met |", "| --- | ---: | ---: | :---: |"]
        lines += [f"| {name} | {want} | {got} | {ok} |" for name, want, got, ok in targets]
        met = sum(1 for *_, ok in targets if ok == "✓")
        lines += ["", f"{met} of {len(targets)} targets met.", ""]

    text = "\n".join(lines).rstrip("\n") + "\n"
    sys.stdout.write(text)
    if a.md:
        open(a.md, "w").write(text)
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["workload", "threads", "tool", "grad_per_s", "hvp_per_s", "peak_rss_mb"])
            w.writerows(out_rows)
        print(f"bench_peers.sh: wrote {a.csv}", file=sys.stderr)


if __name__ == "__main__":
    main()
