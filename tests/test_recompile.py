"""Nothing is compiled twice for one model type.

Every array that reaches compiled code arrives with one layout (C-contiguous, read-only
float64), whatever its source: the model's own, a user's writeable copy passed as params=,
a replace()d model, an unpickled one. And the on-disk cache is keyed on the kernel's own code
(and what it calls), not on its file: editing an unrelated line of a user's script must load
the compiled loop from the cache, while editing the kernel, a helper it calls or a constant it
reads must compile anew.
"""
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import neurodyn
from solvers import compiled_loop, solve


def _ctrnn(n, seed):
    rng = np.random.default_rng(seed)
    return neurodyn.CTRNN(rng.normal(0.0, 1.0, (n, n)), tau=rng.uniform(0.5, 2.0, n),
                          bias=rng.normal(0.0, 1.0, n), blas=False)


def _writeable_copy(params):
    return tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in params)


@pytest.mark.parametrize("method", ["dopri5", "rk4"])
def test_one_signature_across_every_source_of_arrays(method):
    kw = dict(dt=0.01) if method == "rk4" else {}
    model = _ctrnn(6, 1)
    y0 = np.zeros(6)
    loop = compiled_loop(model, method)
    reference = solve(model, (0.0, 2.0), y0, method=method, **kw)
    # compiled_loop waits for a compilation the first solve may have left in the background
    n_sig = len(compiled_loop(model, method).signatures)
    assert n_sig == 1

    user = _writeable_copy(model.params)
    assert all(a.flags.writeable for a in user if isinstance(a, np.ndarray))
    via_user = solve(model, (0.0, 2.0), y0, method=method, params=user, **kw)
    np.testing.assert_array_equal(via_user.y, reference.y)  # same process: bit for bit

    replaced = model.replace(bias=np.ones(6))
    solve(replaced, (0.0, 2.0), y0, method=method, **kw)
    unpickled = pickle.loads(pickle.dumps(model))
    again = solve(unpickled, (0.0, 2.0), y0, method=method, **kw)
    np.testing.assert_array_equal(again.y, reference.y)
    other_size = _ctrnn(11, 2)
    solve(other_size, (0.0, 2.0), np.zeros(11), method=method, **kw)
    # a user's y0 list, t_eval list and integer t_span
    solve(model, (0, 2), [0.0] * 6, method=method, t_eval=[0.5, 1, 2], **kw)

    assert compiled_loop(replaced, method) is loop
    assert compiled_loop(unpickled, method) is loop
    assert compiled_loop(other_size, method) is loop
    assert len(loop.signatures) == n_sig


def test_user_params_are_not_frozen_in_place_and_changes_take_effect():
    model = _ctrnn(4, 3)
    user = _writeable_copy(model.params)
    a = solve(model, (0.0, 1.0), np.zeros(4), params=user)
    assert all(x.flags.writeable for x in user if isinstance(x, np.ndarray))  # theirs, untouched
    user[1][:] += 1.0  # theta: the bias
    b = solve(model, (0.0, 1.0), np.zeros(4), params=user)
    c = solve(model.replace(bias=np.asarray(model.params[1]) + 1.0), (0.0, 1.0), np.zeros(4))
    assert not np.allclose(a.y[-1], b.y[-1])
    np.testing.assert_allclose(b.y[-1], c.y[-1], rtol=1e-12)


def test_params_of_another_layout_are_refused_naming_the_entry():
    small, big = _ctrnn(3, 4), _ctrnn(5, 5)
    with pytest.raises(ValueError, match=r"params\[0\] must be a float64 array of shape \(5,\)"):
        solve(big, (0.0, 1.0), np.zeros(5), params=small.params)
    with pytest.raises(ValueError, match=r"params must be a tuple of 13 entries like the system's, got tuple of 12"):
        solve(big, (0.0, 1.0), np.zeros(5), params=big.params[:-1])


# --- the on-disk cache across processes -------------------------------------------------------

_SCRIPT = '''
import numba
import numpy as np
from solvers import ODESystem, compiled_loop, solve

# an unrelated comment: line A
RATE = {rate}


@numba.njit
def helper(x):
    return {helper}


def kernel(t, y, p, dydt):
    dydt[0] = -RATE * helper(y[0])


system = ODESystem(kernel, 1)
sol = solve(system, (0.0, 1.0), [1.0], rtol=1e-10, atol=1e-12)
stats = compiled_loop(system).stats
print(repr(float(sol.y[-1, 0])), sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))


def unrelated():
    return {unrelated}
'''


def _run(script, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache / "numba"),
               NEURODYN_CACHE_DIR=str(cache / "neurodyn"))
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    y, hits, misses = out.stdout.split()
    return float(y), int(hits), int(misses)


def test_editing_an_unrelated_line_loads_the_cache_and_editing_the_kernel_recompiles(tmp_path):
    script = tmp_path / "user_script.py"
    cache = tmp_path / "cache"

    def write(rate="1.0", helper="x", unrelated="1"):
        script.write_text(_SCRIPT.format(rate=rate, helper=helper, unrelated=unrelated))

    write()
    y, hits, misses = _run(script, cache)
    assert misses == 1 and hits == 0
    assert y == pytest.approx(np.exp(-1.0), rel=1e-9)

    # the same script again, and with unrelated edits: loaded from the cache
    y_again, hits, misses = _run(script, cache)
    assert (hits, misses) == (1, 0) and y_again == y
    write(unrelated="2")
    script.write_text(script.read_text().replace("line A", "line A, edited") + "\n# more\n")
    y_edited, hits, misses = _run(script, cache)
    assert (hits, misses) == (1, 0) and y_edited == y
    # a comment inside the kernel (its lines move too): the same code, loaded from the cache
    script.write_text(script.read_text().replace(
        "    dydt[0] = -RATE", "    # the decay, written as a rate\n\n    dydt[0] = -RATE"))
    y_commented, hits, misses = _run(script, cache)
    assert (hits, misses) == (1, 0) and y_commented == y

    # a helper the kernel calls, then a constant it reads: compiled anew, and the new code runs
    write(helper="2.0 * x")
    y2, hits, misses = _run(script, cache)
    assert misses == 1 and hits == 0
    assert y2 == pytest.approx(np.exp(-2.0), rel=1e-9)
    write(helper="2.0 * x", rate="1.5")
    y3, hits, misses = _run(script, cache)
    assert misses == 1 and hits == 0
    assert y3 == pytest.approx(np.exp(-3.0), rel=1e-9)
