#!/usr/bin/python3
"""The machine's facts for bench_peers.sh, measured here rather than assumed.

    /usr/bin/python3 machine_facts.py facts           key<TAB>value lines: CPU, cores, vector
                                                      extensions, OpenBLAS core type and config
    /usr/bin/python3 machine_facts.py sgemm THREADS   the best GFLOP/s of OpenBLAS's cblas_sgemm
                                                      (2048×2048×2048, float32) with THREADS threads
    /usr/bin/python3 machine_facts.py torch-kernels   the vector kernels PyTorch runs here: ATen's CPU
                                                      capability and oneDNN's ISA (its convolutions)

SGEMM goes through the same libopenblas.so.0 that Curvature links (ctypes, no NumPy), so the
"% of sgemm bound" column compares Curvature with its own BLAS on this machine. Never sets
OPENBLAS_CORETYPE: the core type reported is the one OpenBLAS picks by itself (or the caller's).
"""
import ctypes, ctypes.util, os, subprocess, sys, time

INTERESTING_FLAGS = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl",
                     "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"]


def openblas():
    name = "libopenblas.so.0"
    try:
        return ctypes.CDLL(name)
    except OSError:
        found = ctypes.util.find_library("openblas")
        if not found:
            sys.exit(f"machine_facts: cannot load {name} (install libopenblas0)")
        return ctypes.CDLL(found)


def cpu_facts():
    facts = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        facts["cpu"] = fields.get("Model name", "unknown")
        sockets = int(fields.get("Socket(s)", "1") or 1)
        cores = int(fields.get("Core(s) per socket", "0") or 0) * sockets
        facts["cores"] = f"{os.cpu_count()} logical CPU(s), {cores or '?'} core(s), {fields.get('Thread(s) per core', '?')} thread(s) per core"
    except (OSError, subprocess.CalledProcessError, ValueError):
        facts["cpu"], facts["cores"] = "unknown (no lscpu)", f"{os.cpu_count()} logical CPU(s)"
    flags, ident = set(), {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("vendor_id", "cpu family", "model", "stepping") and key not in ident:
                ident[key] = value.strip()
            if key == "flags":
                flags = set(value.split())
                break
    # OpenBLAS's DYNAMIC_ARCH picks kernels by vendor/family/model; before 0.3.25 an Intel model it
    # did not know fell back to Prescott (SSE3) kernels (OpenMathLib/OpenBLAS#4267).
    facts["cpuid"] = (f"{ident.get('vendor_id', '?')} family {ident.get('cpu family', '?')} model {ident.get('model', '?')} "
                      f"stepping {ident.get('stepping', '?')}" + (", under a hypervisor" if "hypervisor" in flags else ""))
    facts["flags"] = flags
    facts["vector extensions"] = " ".join(f for f in INTERESTING_FLAGS if f in flags) or "none of " + " ".join(INTERESTING_FLAGS)
    return facts


def openblas_facts(lib, flags):
    facts = {}
    for key, fn in (("openblas core", "openblas_get_corename"), ("openblas config", "openblas_get_config")):
        f = getattr(lib, fn, None)
        if f is None:
            facts[key] = "unknown"
            continue
        f.restype = ctypes.c_char_p
        facts[key] = f().decode().strip()
    facts["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE", "not set")
    if facts["openblas core"].lower() in ("prescott", "core2", "nehalem", "katmai", "atom") and "avx2" in flags:
        facts["openblas core"] += (" (pre-AVX kernels on a CPU with " + ("AVX-512" if "avx512f" in flags else "AVX2")
                                   + ": its run-time dispatch did not recognise this CPU model)")
    return facts


def sgemm_gflops(lib, threads, n=2048, repeats=5):
    """Best of `repeats` timed calls after one warm-up: the rate the hardware allows right now."""
    lib.openblas_set_num_threads(ctypes.c_int(threads))
    size = n * n
    a, b, c = ((ctypes.c_float * size)() for _ in range(3))
    ctypes.memset(a, 0x3C, size * 4)  # every float 0x3C3C3C3C ≈ 0.0115: normal numbers, no denormal slow path
    ctypes.memset(b, 0x3C, size * 4)
    lib.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                                     ctypes.c_int, ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
    call = lambda: lib.cblas_sgemm(101, 111, 111, n, n, n, 1.0, a, n, b, n, 0.0, c, n)  # row-major, no transposes
    call()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter(); call(); best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def torch_kernels():
    """ATen's dispatch level (ATEN_CPU_CAPABILITY) and the ISA oneDNN runs PyTorch's float32
    convolutions with (ONEDNN_MAX_CPU_ISA): the two CPU dispatches of PyTorch besides OpenBLAS.
    oneDNN names its ISA only in its verbose log, so one small convolution runs in a child."""
    code = ("import torch; torch.set_num_threads(1)\n"
            "print('capability:' + next(l.split(':', 1)[1].strip() for l in torch.__config__.show().splitlines()"
            " if 'CPU capability usage' in l))\n"
            "torch.nn.Conv2d(1, 32, 5, padding=2)(torch.ones(8, 1, 28, 28))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "ONEDNN_VERBOSE": "1"},
                         capture_output=True, text=True).stdout
    capability = next((l.split(":", 1)[1] for l in out.splitlines() if l.startswith("capability:")), "unknown")
    onednn = next((l.split("isa:", 1)[1] for l in out.splitlines() if ",info,cpu,isa:" in l), "not used")
    env = lambda name: f"{name}={os.environ[name]}" if os.environ.get(name) else f"{name} not set"
    return (f"ATen CPU capability {capability} ({env('ATEN_CPU_CAPABILITY')}); oneDNN convolutions {onednn} "
            f"({env('ONEDNN_MAX_CPU_ISA')}); GEMMs on OpenBLAS")


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "facts":
        facts = cpu_facts()
        facts.update(openblas_facts(openblas(), facts.pop("flags")))
        for k, v in facts.items():
            print(f"{k}\t{v}")
    elif len(sys.argv) == 3 and sys.argv[1] == "sgemm" and sys.argv[2].isdigit() and int(sys.argv[2]) >= 1:
        print(f"{sgemm_gflops(openblas(), int(sys.argv[2])):.1f}")
    elif len(sys.argv) == 2 and sys.argv[1] == "torch-kernels":
        print(torch_kernels())
    else:
        sys.exit("usage: machine_facts.py facts | sgemm THREADS | torch-kernels")


if __name__ == "__main__":
    main()
