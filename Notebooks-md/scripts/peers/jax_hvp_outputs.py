"""What JAX's HVP costs when it also returns the input-gradient, as Curvature's does.

    python jax_hvp_outputs.py [THREADS [MODEL BATCH [ROUNDS]]]

jax_hvp.py times jit(x, v ↦ jvp(grad f, (x,), (v,))[1]): XLA then drops every operation only
the unreturned primal output (the gradient) needs. For a ReLU network that is the whole primal
backward pass (the tangent of the backward needs the activations' masks, not the primal
cotangents; only the loss's softmax needs its primal), so the HVP costs about three passes
instead of four. Curvature's `bench hvp` timed `hessianVectorProduct`, which also returns the
gradient, until 178897f; it now times the HVP alone, which skips the same work (its values are
computed when first read). This script times, in one process and interleaved, the forward pass,
the gradient, the HVP alone (as jax_hvp.py) and the gradient with the HVP (both outputs of one
jitted jvp), on jax_hvp.py's networks, weights and inputs.
Prints CSV: model,threads,batch,round,forward_ms,grad_ms,hvp_ms,grad_and_hvp_ms
"""
import os, sys, time
USAGE = "usage: jax_hvp_outputs.py [THREADS [MODEL BATCH [ROUNDS]]]  (MODEL: mlp, cnn, resnet18)"
if not all(a.isdigit() and int(a) > 0 for i, a in enumerate(sys.argv[1:]) if i != 1):
    print(USAGE, file=sys.stderr)
    sys.exit(2)
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
os.environ["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} intra_op_parallelism_threads={threads}"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jax
import jax_hvp as peer

def median_ms(fn):
    """Median of enough timed calls to fill about a second (5 to 51), after a compiling call."""
    jax.block_until_ready(fn())
    start = time.perf_counter(); jax.block_until_ready(fn()); once = time.perf_counter() - start
    return peer.timeit(fn, reps=min(max(int(1 / max(once, 1e-6)), 5), 51)) * 1e3

def run(name, batch, rounds):
    net, make_params, shape = peer.MODELS[name]
    p = make_params(jax.random.PRNGKey(0))  # the same keys as jax_hvp.run
    x = jax.random.uniform(jax.random.PRNGKey(1), (batch, *shape))
    y = jax.random.randint(jax.random.PRNGKey(2), (batch,), 0, 10)
    v = jax.random.normal(jax.random.PRNGKey(3), (batch, *shape))
    loss = lambda x: peer.loss(net, p, x, y)
    forward, gradient = jax.jit(loss), jax.jit(jax.grad(loss))
    hvp_only = jax.jit(peer.hvp_fn(net, p, y))
    gradient_and_hvp = jax.jit(lambda x, v: jax.jvp(jax.grad(loss), (x,), (v,)))
    for r in range(1, rounds + 1):
        times = [median_ms(f) for f in (lambda: forward(x), lambda: gradient(x),
                                                  lambda: hvp_only(x, v), lambda: gradient_and_hvp(x, v))]
        print(f"{name},{threads},{batch},{r}," + ",".join(f"{t:.2f}" for t in times), flush=True)

if __name__ == "__main__":
    args = sys.argv[2:]
    if len(args) not in (0, 2, 3) or (args and args[0] not in peer.MODELS):
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    print("model,threads,batch,round,forward_ms,grad_ms,hvp_ms,grad_and_hvp_ms")
    rounds = int(args[2]) if len(args) == 3 else 3
    for name, batch in (((args[0], int(args[1])),) if args else (("mlp", 128), ("cnn", 128), ("resnet18", 32))):
        run(name, batch, rounds)
