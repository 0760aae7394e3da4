"""GPU readiness check: kernels, modules and training on one device, in one run.

    python tools/gpu_check.py --device {cuda,cpu} --out DIR [--steps kernels,modules,training]
        [--quick]

Writes DIR/gpu_check.json and DIR/gpu_check.md (step, check, status, measured value,
tolerance or reason) and prints each step's wall time. Steps:

* ``kernels``: on CUDA, builds ``mmlean._ext`` with its CUDA kernels into a scratch folder
  and loads it; compares ``sign_pack`` and ``binary_conv2d`` on the device with the
  pure-PyTorch reference on the CPU (exact integer equality; dense, grouped, depthwise,
  dilated, stride 1/2, 1x1, padding, odd channel counts, the scale/bias/residual/clamp
  epilogue), and times the binary conv against torch's FP32 conv (and FP16 channels-last on
  CUDA) at ResNet-18 layer shapes. On the CPU the installed extension is compared and timed.
* ``modules``: each trainable module of the methods runs forward and backward on the
  device and on the CPU from the same seed and weights; outputs and gradients are compared
  with the module's stated tolerance (``MODULE_CASES``).
* ``training``: short ``tools/train.py`` runs (mmengine's Runner) of small configs, a
  resume after half the iterations checked bit-identical with an uninterrupted run, AMP on
  CUDA, and ``tools/dist_train.sh CONFIG 1`` (nccl on CUDA, gloo on the CPU).

A check that cannot run (a package that does not import, no CUDA, no nvcc) is ``skipped``
with its reason and never counted as passed; the exit code is 1 when any check failed.
"""
import argparse
import glob
import importlib
import importlib.abc
import importlib.util
import json
import os
import os.path as osp
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
STEPS = ('kernels', 'modules', 'training')
PASSED, FAILED, SKIPPED = 'passed', 'failed', 'skipped'


class Skip(Exception):
    """Raised by a check that cannot run here; its message is the reason."""


class Outcome(NamedTuple):
    """What a check measured: whether it passed, the value, and the tolerance it met."""
    ok: bool
    value: str
    tolerance: str = ''


def last_line(err: BaseException) -> str:
    """The last non-empty line of an exception's message, with its type."""
    lines = [line for line in str(err).strip().splitlines() if line.strip()]
    return f'{type(err).__name__}: {lines[-1] if lines else ""}'.strip()


class CheckRunner:
    """Runs checks one by one and records each as passed, failed or skipped.

    A check is a callable returning an :class:`Outcome`; it raises :class:`Skip` when it
    cannot run. Any other exception fails that check only (its last line is recorded).
    """

    def __init__(self, echo: bool = True):
        self.results: List[Dict] = []
        self.step_times: Dict[str, float] = {}
        self.echo = echo

    def record(self, step: str, check: str, status: str, value: str = '',
               detail: str = '') -> Dict:
        """Add one result row; returns it."""
        row = dict(step=step, check=check, status=status, value=value, detail=detail)
        self.results.append(row)
        if self.echo:
            print(f'[gpu_check] {step}/{check}: {status} {value} {detail}'.rstrip(), flush=True)
        return row

    def run(self, step: str, check: str, fn: Callable[[], Outcome]) -> Dict:
        """Run ``fn`` as one check of ``step``."""
        try:
            out = fn()
        except Skip as why:
            return self.record(step, check, SKIPPED, '', str(why) or 'skipped (no reason)')
        except Exception as err:  # noqa: BLE001 (one failing check must not stop the others)
            if os.environ.get('MMLEAN_TRACEBACK'):
                traceback.print_exc()
            return self.record(step, check, FAILED, '', last_line(err))
        if not isinstance(out, Outcome):
            return self.record(step, check, FAILED, '', f'check returned {type(out).__name__}, '
                               'not an Outcome')
        return self.record(step, check, PASSED if out.ok else FAILED, out.value, out.tolerance)

    def skip_all(self, step: str, checks: Sequence[str], reason: str) -> None:
        """Record every check in ``checks`` as skipped for ``reason``."""
        for check in checks:
            self.record(step, check, SKIPPED, '', reason)

    def counts(self) -> Dict[str, int]:
        """How many checks passed, failed and were skipped."""
        return {s: sum(r['status'] == s for r in self.results) for s in (PASSED, FAILED, SKIPPED)}

    def exit_code(self) -> int:
        """1 when any check failed, else 0 (skips do not fail the run)."""
        return 1 if self.counts()[FAILED] else 0


# ---------------------------------------------------------------------------------------------
# environment: mmlean importable without an install (the device has the repo and wheels only)

class _RepoFinder(importlib.abc.MetaPathFinder):
    """Finds ``mmlean.projects`` in the repo's projects/ (setup.py's package_dir does this
    for an install) and, when set, ``mmlean._ext`` at a scratch-built library."""

    def __init__(self, repo: str, ext_path: Optional[str] = None):
        self.repo, self.ext_path = repo, ext_path

    def find_spec(self, name, path=None, target=None):
        if name == 'mmlean.projects':
            projects = osp.join(self.repo, 'projects')
            return importlib.util.spec_from_file_location(
                name, osp.join(projects, '__init__.py'), submodule_search_locations=[projects])
        if name == 'mmlean._ext' and self.ext_path:
            return importlib.util.spec_from_file_location(name, self.ext_path)
        return None


SITECUSTOMIZE = '''# written by tools/gpu_check.py: mmlean.projects (and a scratch-built _ext)
# importable in subprocesses without installing mmlean
import importlib.abc, importlib.util, os.path as osp, sys
REPO, EXT = {repo!r}, {ext!r}
class _RepoFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == 'mmlean.projects':
            p = osp.join(REPO, 'projects')
            return importlib.util.spec_from_file_location(
                name, osp.join(p, '__init__.py'), submodule_search_locations=[p])
        if name == 'mmlean._ext' and EXT:
            return importlib.util.spec_from_file_location(name, EXT)
        return None
sys.meta_path.insert(0, _RepoFinder())
'''


class Env:
    """Where this run works, and how subprocesses see mmlean."""

    def __init__(self, device: str, out: str, quick: bool):
        self.device, self.out, self.quick = device, out, quick
        self.scratch = tempfile.mkdtemp(prefix='gpu_check_')
        self.ext_path: Optional[str] = None
        self.finder: Optional[_RepoFinder] = None
        self.shim: Optional[str] = None

    def setup_imports(self) -> None:
        """Make ``import mmlean.projects`` work here and in subprocesses without an install."""
        if REPO not in sys.path:
            sys.path.insert(0, REPO)
        need_shim = importlib.util.find_spec('mmlean') is None or \
            osp.dirname(osp.dirname(importlib.util.find_spec('mmlean').origin)) != REPO
        try:
            need_shim = need_shim or importlib.util.find_spec('mmlean.projects') is None
        except ImportError:
            need_shim = True
        if need_shim:
            self.finder = _RepoFinder(REPO)
            sys.meta_path.insert(0, self.finder)
            self.write_shim()

    def use_ext(self, path: str) -> None:
        """Use the extension built at ``path`` as ``mmlean._ext`` (here and in subprocesses)."""
        self.ext_path = path
        if self.finder is None:
            self.finder = _RepoFinder(REPO)
            sys.meta_path.insert(0, self.finder)
        self.finder.ext_path = path
        self.write_shim()

    def write_shim(self) -> None:
        self.shim = osp.join(self.scratch, 'shim')
        os.makedirs(self.shim, exist_ok=True)
        with open(osp.join(self.shim, 'sitecustomize.py'), 'w') as f:
            f.write(SITECUSTOMIZE.format(repo=REPO, ext=self.ext_path))

    def subprocess_env(self, **extra) -> Dict[str, str]:
        """The environment of a subprocess: the shim and the repo on PYTHONPATH."""
        env = dict(os.environ, **extra)
        paths = [REPO] + ([self.shim] if self.shim else [])
        if env.get('PYTHONPATH'):
            paths.append(env['PYTHONPATH'])
        env['PYTHONPATH'] = os.pathsep.join(paths)
        return env


def require(module: str):
    """Import ``module`` or raise :class:`Skip` naming why it does not import."""
    try:
        return importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 (any import failure is a reason to skip)
        raise Skip(f'{module} does not import ({last_line(err)})')


def cuda_ready(device: str) -> None:
    """Raise :class:`Skip` when ``device`` is cuda but CUDA is not usable."""
    import torch
    if device == 'cuda' and not torch.cuda.is_available():
        raise Skip('CUDA is not available (torch.cuda.is_available() is False)')


def sync(device: str) -> None:
    import torch
    if device == 'cuda':
        torch.cuda.synchronize()


def median_ms(fn: Callable, device: str, warmup: int, repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds (device synchronized)."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


# ---------------------------------------------------------------------------------------------
# step a: kernels

def build_cuda_ext(env: Env) -> Outcome:
    """Build mmlean._ext with FORCE_CUDA=1 into the scratch folder and load it."""
    import torch
    if env.device != 'cuda':
        raise Skip('CPU run: the CUDA build of mmlean._ext is CUDA-only '
                   '(the installed CPU extension is checked instead)')
    cuda_ready(env.device)
    if torch.version.cuda is None:
        raise Skip('this torch is a CPU-only build')
    if shutil.which('nvcc') is None and not os.environ.get('CUDA_HOME'):
        raise Skip('no nvcc on PATH (and CUDA_HOME unset): cannot compile the CUDA kernels')
    major, minor = torch.cuda.get_device_capability()
    arch = os.environ.get('TORCH_CUDA_ARCH_LIST', f'{major}.{minor}')
    build = osp.join(env.scratch, 'build')
    cmd = [sys.executable, 'setup.py', '-q', 'build_ext', '--build-temp', osp.join(build, 'tmp'),
           '--build-lib', osp.join(build, 'lib')]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          env=env.subprocess_env(FORCE_CUDA='1', TORCH_CUDA_ARCH_LIST=arch,
                                                 MAX_JOBS=str(os.cpu_count() or 4)))
    seconds = time.perf_counter() - t0
    with open(osp.join(env.out, 'cuda_build.log'), 'w') as f:
        f.write(proc.stdout + '\n' + proc.stderr)
    if proc.returncode != 0:
        tail = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ['']
        raise RuntimeError(f'setup.py build_ext exited {proc.returncode}: {tail[0]} '
                           '(cuda_build.log)')
    found = glob.glob(osp.join(build, 'lib', 'mmlean', '_ext*.so'))
    if not found:
        raise RuntimeError('setup.py build_ext produced no mmlean/_ext*.so')
    load_ext_module(env, found[0])
    ext = sys.modules['mmlean._ext']
    if not ext.built_with_cuda():
        raise RuntimeError(f'{found[0]} was built without CUDA')
    return Outcome(True, f'{seconds:.0f} s, arch {arch}', 'builds and reports built_with_cuda()')


def load_ext_module(env: Env, path: str) -> None:
    """Load ``path`` as mmlean._ext and point every loaded mmlean op module at it."""
    env.use_ext(path)
    import mmlean  # noqa: F401
    spec = importlib.util.spec_from_file_location('mmlean._ext', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules['mmlean._ext'] = module
    for name, mod in list(sys.modules.items()):
        if name.startswith('mmlean.') and hasattr(mod, 'ext_module'):
            mod.ext_module = module


class ConvCase(NamedTuple):
    """One binary conv shape: batch, channels, size, kernel, stride, padding, dilation,
    groups and whether the float epilogue (scale, bias, residual, clamp) is used."""
    name: str
    n: int
    cin: int
    cout: int
    hw: int
    k: int
    stride: int = 1
    pad: int = 0
    dil: int = 1
    groups: int = 1
    epilogue: bool = False


CONV_CASES = [
    ConvCase('dense 3x3 s1 p1', 2, 64, 64, 14, 3, 1, 1),
    ConvCase('dense 3x3 s2 p1', 2, 64, 128, 15, 3, 2, 1),
    ConvCase('odd channels 3x3 (37->45)', 2, 37, 45, 9, 3, 1, 1),
    ConvCase('odd channels 1x1 s2 (70->33)', 2, 70, 33, 8, 1, 2, 0),
    ConvCase('1x1 s1 (128->256)', 1, 128, 256, 7, 1),
    ConvCase('no padding 3x3 (96->80)', 2, 96, 80, 10, 3, 1, 0),
    ConvCase('dilated 3x3 d2 p2', 2, 48, 40, 12, 3, 1, 2, 2),
    ConvCase('grouped g4 3x3 (64->32)', 2, 64, 32, 10, 3, 1, 1, 1, 4),
    ConvCase('grouped g2 3x3 s2 d2 (40->24)', 2, 40, 24, 13, 3, 2, 2, 2, 2),
    ConvCase('depthwise 3x3 (72)', 2, 72, 72, 11, 3, 1, 1, 1, 72),
    ConvCase('depthwise 5x5 s2 (130)', 1, 130, 130, 12, 5, 2, 2, 1, 130),
    ConvCase('epilogue 3x3 (scale, bias, residual, clamp)', 2, 64, 64, 9, 3, 1, 1, epilogue=True),
    ConvCase('epilogue 3x3 s2 odd (33->65)', 2, 33, 65, 9, 3, 2, 1, epilogue=True),
]


def conv_case_check(case: ConvCase, device: str) -> Outcome:
    """The device op against the CPU reference for one shape."""
    import torch

    from mmlean.ops import binary_conv as bc
    g = torch.Generator().manual_seed(hash(case.name) % 2**31)
    x = torch.randn(case.n, case.cin, case.hw, case.hw, generator=g)
    w = torch.randn(case.cout, case.cin // case.groups, case.k, case.k, generator=g)
    thr = torch.randn(case.n, generator=g) * 0.1
    packed = bc.pack_binary_weight(w, case.groups)
    dev_packed = bc.pack_binary_weight(w.to(device), case.groups)
    if not (torch.equal(dev_packed.blocked.cpu(), packed.blocked)
            and torch.equal(dev_packed.neg_count.cpu(), packed.neg_count)):
        return Outcome(False, 'packed weights differ', 'exact')
    kw = dict(stride=case.stride, padding=case.pad, dilation=case.dil)
    if not case.epilogue:
        ref = bc.binary_conv2d_reference(x, thr, packed, int_output=True, **kw)
        got = bc.binary_conv2d(x.to(device), thr.to(device), dev_packed, int_output=True, **kw)
        equal = torch.equal(got.cpu(), ref)
        diff = int((got.cpu() != ref).sum())
        return Outcome(equal, f'{diff} of {ref.numel()} int32 sums differ', 'exact')
    scale = torch.rand(case.cout, generator=g) + 0.5
    bias = torch.randn(case.cout, generator=g)
    ho = (case.hw + 2 * case.pad - case.dil * (case.k - 1) - 1) // case.stride + 1
    res = torch.randn(case.n, case.cout, ho, ho, generator=g)
    ep = dict(scale=scale, bias=bias, residual=res, clamp_min=-1.0, clamp_max=4.0)
    ref = bc.binary_conv2d_reference(x, thr, packed, **kw, **ep)
    got = bc.binary_conv2d(x.to(device), thr.to(device), dev_packed, **kw,
                           **{k: v.to(device) if torch.is_tensor(v) else v
                              for k, v in ep.items()}).cpu()
    ints = bc.binary_conv2d(x.to(device), thr.to(device), dev_packed, int_output=True, **kw)
    ref_ints = bc.binary_conv2d_reference(x, thr, packed, int_output=True, **kw)
    err = float((got - ref).abs().max())
    tol = 0.0 if device == 'cpu' else 1e-5
    ok = torch.equal(ints.cpu(), ref_ints) and err <= tol
    return Outcome(ok, f'int sums equal={torch.equal(ints.cpu(), ref_ints)}, '
                   f'float max |diff| {err:.2e}',
                   'int exact; float epilogue ' + ('exact' if tol == 0 else f'<= {tol:g}'))


def sign_pack_check(device: str) -> Outcome:
    """sign_pack / sign_unpack on the device against the reference, odd channel counts and
    the sign policy (0, -0.0 and NaN pack as +1)."""
    import torch

    from mmlean.ops import bitpack
    g = torch.Generator().manual_seed(0)
    bad = 0
    shapes = [(2, 1, 5, 5), (2, 63, 4, 3), (2, 64, 3, 3), (1, 65, 7, 2), (3, 200, 2, 2),
              (2, 130)]
    for shape in shapes:
        x = torch.randn(*shape, generator=g)
        x.view(-1)[:4] = torch.tensor([0.0, -0.0, float('nan'), -1e-30])
        ref = bitpack.sign_pack_reference(x)
        got = bitpack.sign_pack(x.to(device)).cpu()
        bad += int(not torch.equal(got, ref))
        back = bitpack.sign_unpack(got.to(device), shape[1]).cpu()
        bad += int(not torch.equal(back, bitpack.sign_unpack_reference(ref, shape[1])))
    return Outcome(bad == 0, f'{2 * len(shapes) - bad} of {2 * len(shapes)} pack/unpack equal',
                   'exact')


RESNET18_SHAPES = [  # (channels, spatial size) of ResNet-18's 3x3 convs at 224 px
    (64, 56), (128, 28), (256, 14), (512, 7)]


def timing_check(device: str, c: int, hw: int, n: int, quick: bool, half: bool) -> Outcome:
    """Binary conv vs torch FP32 (or FP16 channels-last) conv at one ResNet-18 shape."""
    import torch
    import torch.nn.functional as F

    from mmlean.ops import binary_conv as bc
    if half and device != 'cuda':
        raise Skip('CPU run: FP16 conv timing is CUDA-only')
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, hw, hw, generator=g).to(device)
    w = torch.randn(c, c, 3, 3, generator=g).to(device)
    packed = bc.pack_binary_weight(w)
    xb = x.contiguous(memory_format=torch.channels_last)
    thr = torch.zeros(n, device=device)
    if half:
        xf = x.half().contiguous(memory_format=torch.channels_last)
        wf = w.half().contiguous(memory_format=torch.channels_last)
    else:
        xf, wf = x, w
    repeats = 5 if quick else 20
    warm = 2 if quick else 5
    with torch.no_grad():
        t_bin = median_ms(lambda: bc.binary_conv2d(xb, thr, packed, 1, 1), device, warm, repeats)
        t_ref = median_ms(lambda: F.conv2d(xf, wf, None, 1, 1), device, warm, repeats)
    name = 'FP16 channels-last' if half else 'FP32'
    return Outcome(True, f'binary {t_bin:.3f} ms, {name} {t_ref:.3f} ms, '
                   f'speed-up {t_ref / t_bin:.2f}x', 'informational (same run; no threshold)')


def step_kernels(runner: CheckRunner, env: Env) -> None:
    """Step a: build (CUDA), exact comparisons, timings."""
    step = 'kernels'
    runner.run(step, 'build mmlean._ext with CUDA', lambda: build_cuda_ext(env))
    try:
        cuda_ready(env.device)
        from mmlean.ops import binary_conv as bc
        ext = bc.ext_module
        if ext is None:
            raise Skip('mmlean._ext is not built: the ops run their references')
        if env.device == 'cuda' and not ext.built_with_cuda():
            raise Skip('mmlean._ext has no CUDA kernels (the CUDA build did not succeed)')
    except Skip as why:
        names = ['sign_pack'] + [f'binary_conv2d {c.name}' for c in CONV_CASES]
        runner.skip_all(step, names, str(why))
        return
    print(f'[gpu_check] kernels: mmlean._ext at {ext.__file__} '
          f'({"CUDA" if env.device == "cuda" else "CPU " + ext.cpu_isa()})', flush=True)
    if env.device == 'cuda':
        import torch
        torch.backends.cudnn.allow_tf32 = False  # FP32 means FP32 in the timings below
        torch.backends.cuda.matmul.allow_tf32 = False
    runner.run(step, 'sign_pack', lambda: sign_pack_check(env.device))
    for case in CONV_CASES:
        runner.run(step, f'binary_conv2d {case.name}',
                   lambda case=case: conv_case_check(case, env.device))
    shapes = RESNET18_SHAPES[::2] if env.quick else RESNET18_SHAPES
    batches = (1, ) if env.quick else (1, 64)
    if env.device == 'cpu' and not env.quick:
        batches = (1, 8)  # batch 64 of FP32 convs takes minutes on one CPU core
    for n in batches:
        for c, hw in shapes:
            for half in (False, True):
                label = 'FP16-cl' if half else 'FP32'
                runner.run(step, f'time {c}ch {hw}px batch {n} vs {label}',
                           lambda c=c, hw=hw, n=n, half=half: timing_check(
                               env.device, c, hw, n, env.quick, half))


# ---------------------------------------------------------------------------------------------
# step b: modules on the device vs the CPU

class Tol(NamedTuple):
    """``|a - b| <= atol + rtol * |b|`` elementwise, for all but a ``mismatch`` fraction
    of the elements (binarized modules: a value on the sign boundary may flip)."""
    atol: float
    rtol: float
    mismatch: float = 0.0

    def __str__(self):
        s = f'atol {self.atol:g}, rtol {self.rtol:g}'
        return s + (f', <= {self.mismatch:.1%} elements off' if self.mismatch else '')


def compare(a: Dict, b: Dict, tol: Tol) -> Outcome:
    """Compare two dicts of tensors (device results vs CPU results)."""
    import torch
    if a.keys() != b.keys():
        return Outcome(False, f'different outputs: {sorted(a)} vs {sorted(b)}', str(tol))
    worst_key, worst_frac, worst_err = None, 0.0, 0.0
    for key in a:
        x, y = a[key].detach().double().cpu(), b[key].detach().double().cpu()
        if x.shape != y.shape:
            return Outcome(False, f'{key}: shape {tuple(x.shape)} vs {tuple(y.shape)}', str(tol))
        if not (torch.isfinite(x).all() and torch.isfinite(y).all()):
            return Outcome(False, f'{key}: non-finite values', str(tol))
        diff = (x - y).abs()
        off = diff > tol.atol + tol.rtol * y.abs()
        frac = float(off.float().mean()) if off.numel() else 0.0
        err = float(diff.max()) if diff.numel() else 0.0
        if frac > worst_frac or (worst_key is None) or (frac == worst_frac and err > worst_err):
            worst_key, worst_frac, worst_err = key, frac, err
    ok = worst_frac <= tol.mismatch
    return Outcome(ok, f'{len(a)} tensors; worst {worst_key}: max |diff| {worst_err:.2e}, '
                   f'{worst_frac:.2%} off', str(tol))


def _seed(seed: int = 0):
    import random

    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fwd_bwd(module, inputs: Sequence, device: str, extra_out: Callable = None) -> Dict:
    """Forward and backward of ``module`` (a copy moved to ``device``) on ``inputs``; returns
    the output, the input gradients and the parameter gradients on the CPU."""
    import copy

    import torch
    module = copy.deepcopy(module).to(device)
    xs = [x.detach().to(device).requires_grad_(x.is_floating_point()) for x in inputs]
    out = module(*xs)
    outs = out if isinstance(out, (tuple, list)) else [out]
    loss = sum((o.float() * torch.linspace(-1, 1, o.numel(), device=device)
                .view_as(o)).sum() for o in outs)
    loss.backward()
    res = {f'out{i}': o.detach().cpu() for i, o in enumerate(outs)}
    res.update({f'grad_in{i}': x.grad.cpu() for i, x in enumerate(xs) if x.grad is not None})
    res.update({f'grad.{k}': p.grad.cpu() for k, p in module.named_parameters()
                if p.grad is not None})
    if extra_out is not None:
        res.update(extra_out(module))
    return res


def _rand(*shape, seed=1, scale=1.0):
    import torch
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale


def case_rbnn_conv(device):
    import copy

    from mmlean.binary import RBNNConv2d
    _seed()
    conv = RBNNConv2d(8, 16, 3, padding=1, bias=False, seed=0)
    conv.weight.data.normal_()
    conv = copy.deepcopy(conv).to(device)
    conv.update_rotation()  # the bi-rotation step (RBNN's per-epoch update) on the device
    return _fwd_bwd(conv, [_rand(2, 8, 8, 8)], device,
                    lambda m: {'R1': m.R1.cpu(), 'R2': m.R2.cpu()})


def case_xnor_conv(device):
    from mmlean.binary import XNORConv2d
    _seed()
    return _fwd_bwd(XNORConv2d(8, 16, 3, stride=2, padding=1, bias=False),
                    [_rand(2, 8, 9, 9)], device)


def case_binary_conv(device):
    from mmlean.binary import BinaryConv2d
    _seed()
    return _fwd_bwd(BinaryConv2d(12, 20, 3, padding=2, dilation=2, bias=False),
                    [_rand(2, 12, 8, 8)], device)


def case_pams_quant_conv(device):
    from mmlean.quant import PAMSActQuantizer, QuantConv2d
    _seed()
    quant = PAMSActQuantizer(bits=4, init_alpha=2.0)
    conv = QuantConv2d(8, 8, 3, padding=1, bits=4, input_quant=quant)
    return _fwd_bwd(conv, [_rand(2, 8, 8, 8)], device)


def _mmagic_net(cfg):
    require('mmagic.models')
    pams = require('mmlean.projects.pams')
    from mmagic.registry import MODELS
    _seed()
    # _scope_: build in mmagic's registry whatever the current default scope is
    net = MODELS.build(dict(cfg, _scope_='mmagic'))
    quant = pams.quantize_edsr if cfg['type'] == 'EDSRNet' else pams.quantize_rdn
    net = quant(net, 4)
    import torch
    pams.set_calibrating(net, True)
    with torch.no_grad():
        net(_rand(1, 3, 8, 8, seed=5).abs())
    pams.set_calibrating(net, False)
    return net


def case_pams_edsr(device):
    net = _mmagic_net(dict(type='EDSRNet', in_channels=3, out_channels=3, mid_channels=16,
                           num_blocks=2, upscale_factor=2))
    return _fwd_bwd(net, [_rand(1, 3, 8, 8).abs()], device)


def case_pams_rdn(device):
    net = _mmagic_net(dict(type='RDNNet', in_channels=3, out_channels=3, mid_channels=8,
                           num_blocks=2, num_layers=3, channel_growth=4, upscale_factor=2))
    return _fwd_bwd(net, [_rand(1, 3, 8, 8).abs()], device)


def case_nas_mutable_pc(device):
    import torch
    import torch.nn as nn

    require('mmlean.nas')
    from mmlean.nas import ReducibleMutableOP
    _seed()
    candidates = dict(
        skip_connect=dict(type='mmrazor.DartsSkipConnect'),
        max_pool_3x3=dict(type='mmrazor.DartsPoolBN', pool_type='max',
                          norm_cfg=dict(type='BN', affine=False)),
        sep_conv_3x3=dict(type='mmrazor.DartsSepConv', kernel_size=3),
        xnor_sep_conv_3x3=dict(type='BinarySepConv', kernel_size=3),
        xnor_dil_conv_3x3=dict(type='BinaryDilConv', kernel_size=3),
        zero=dict(type='mmrazor.DartsZero'))
    op = ReducibleMutableOP(candidates=candidates, pc_k=4, alias='e0',
                            module_kwargs=dict(in_channels=16, out_channels=16, stride=1))

    class Edge(nn.Module):
        def __init__(self):
            super().__init__()
            self.op = op
            self.alpha = nn.Parameter(torch.linspace(-0.5, 0.5, len(candidates)))

        def forward(self, x):
            return self.op(x, self.alpha)

    return _fwd_bwd(Edge(), [_rand(2, 16, 8, 8)], device)


def case_nas_binary_ops(device):
    import torch.nn as nn
    require('mmlean.nas')
    from mmlean.nas import BinaryDilConv, BinarySepConv
    _seed()
    ops = nn.ModuleList([BinarySepConv(3, in_channels=8, out_channels=8, stride=1),
                         BinaryDilConv(3, in_channels=8, out_channels=16, stride=2)])

    class Both(nn.Module):
        def __init__(self):
            super().__init__()
            self.ops = ops

        def forward(self, x):
            return tuple(op(x) for op in self.ops)

    return _fwd_bwd(Both(), [_rand(2, 8, 8, 8)], device)


def case_gabor(device):
    require('mmlean.nas')
    from mmlean.nas import GaborFilter2d
    _seed()
    return _fwd_bwd(GaborFilter2d(4), [_rand(2, 4, 9, 9)], device)


def case_denoising_blocks(device):
    import torch.nn as nn
    require('mmlean.nas')
    from mmlean.nas import DenoisingBlock
    _seed()
    blocks = nn.ModuleList([DenoisingBlock(t, in_channels=8, out_channels=8)
                            for t in ('dotp', 'gabor')])

    class Both(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = blocks

        def forward(self, x):
            return tuple(b(x) for b in self.blocks)

    return _fwd_bwd(Both(), [_rand(2, 8, 8, 8)], device)


def _tiny_classifier():
    import torch.nn as nn
    _seed()
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(32, 10)).eval()


def case_mmlean_attacks(device):
    import torch
    require('mmlean.adversarial')
    from mmlean.adversarial import fgsm_random_start, pgd
    net = _tiny_classifier().to(device)
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    labels = torch.tensor([0, 3, 5, 9])
    start = (x + (torch.rand(x.shape, generator=torch.Generator().manual_seed(3)) - 0.5)
             * (2 * 8 / 255)).clamp(0, 1)
    xd, ld, sd = x.to(device), labels.to(device), start.to(device)
    return {'fgsm': fgsm_random_start(net, xd, ld, 8 / 255, 10 / 255, start=sd).cpu(),
            'pgd': pgd(net, xd, ld, 8 / 255, 2 / 255, 5, start=sd).cpu()}


def case_torchattacks(device):
    import torch
    torchattacks = require('torchattacks')
    net = _tiny_classifier().to(device)
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(2)).to(device)
    labels = torch.tensor([0, 3, 5, 9]).to(device)
    fgsm = torchattacks.FGSM(net, eps=8 / 255)
    pgd = torchattacks.PGD(net, eps=8 / 255, alpha=2 / 255, steps=5, random_start=False)
    return {'fgsm': fgsm(x, labels).cpu(), 'pgd': pgd(x, labels).cpu()}


def case_spp_loss(device):
    import torch
    import torch.nn as nn
    nc = require('mmlean.projects.nascount')

    class Loss(nn.Module):
        def __init__(self):
            super().__init__()
            self.avg = nc.SPPLoss(levels=3, pool='avg')
            self.sum = nc.SPPLoss(levels=2, pool='sum')

        def forward(self, pred, target):
            return self.avg(pred, target), self.sum(pred, target)

    target = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(4))
    return _fwd_bwd(Loss(), [_rand(2, 1, 16, 16).abs(), target], device)


def case_amsnet(device):
    import torch
    import torch.nn as nn
    require('mmlean.projects.nascount')
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope('mmengine')
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'nascount',
                                   'nascount_amsnet-supernet_1xb8-10e-search_synthetic-crowd.py'))
    _seed()
    algo = MODELS.build(cfg.model)
    arch = algo.architecture

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.arch = arch

        def forward(self, x):
            feats = self.arch.extract_feat(x)
            return feats if torch.is_tensor(feats) else tuple(feats)

    return _fwd_bwd(Net().train(), [_rand(2, 3, 32, 32)], device)


def case_cogd_step(device):
    import torch
    require('mmlean.engine')
    from mmlean.engine.optimizers import CoGD
    g = torch.Generator().manual_seed(0)
    # a Linear layer's (weight, bias) as the bilinear pair (A, x): rows along dim 0
    a = torch.randn(6, 5, generator=g).to(device).requires_grad_()
    x = torch.randn(6, generator=g).to(device).requires_grad_()
    inp = torch.randn(16, 5, generator=g).to(device)
    y = torch.randn(16, 6, generator=g).to(device)
    opt = CoGD([dict(params=[a, x], cogd_pair=True)], lr=0.05, momentum=0.9, total_steps=4)
    for _ in range(3):
        opt.zero_grad()
        ((inp @ a.t() + x - y)**2).mean().backward()
        opt.step()
    return {'A': a.detach().cpu(), 'x': x.detach().cpu()}


def case_hrank_ranks(device):
    import torch
    hrank = require('mmlean.projects.hrank')
    net = _tiny_classifier().to(device)
    collector = hrank.RankCollector(net, {'conv': '0', 'relu': '1'})
    with torch.no_grad():
        for seed in range(2):
            net(torch.rand(3, 3, 8, 8, generator=torch.Generator().manual_seed(seed)).to(device))
    ranks = {k: v.cpu() for k, v in collector.ranks().items()}
    collector.remove()
    return ranks


def case_iff_head(device):
    import torch
    import torch.nn as nn
    require('mmdet.models')
    require('mmlean.projects.iff')
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.structures import InstanceData
    register_all_modules(init_default_scope=True)
    anchors = dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                   ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32])
    head = dict(type='RetinaHead', num_classes=3, in_channels=8, feat_channels=8,
                stacked_convs=2, anchor_generator=anchors,
                bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                                target_stds=[1.0, 1.0, 1.0, 1.0]),
                loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                              loss_weight=1.0),
                loss_bbox=dict(type='L1Loss', loss_weight=1.0),
                train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                                             neg_iou_thr=0.4, min_pos_iou=0, ignore_iof_thr=-1),
                               sampler=dict(type='PseudoSampler'), allowed_border=-1,
                               pos_weight=-1, debug=False))
    _seed()
    iff = MODELS.build(dict(type='IFFHead', head=head))

    class Loss(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = iff

        def forward(self, *feats):
            gts = [InstanceData(bboxes=torch.tensor([[4., 4., 60., 50.]], device=feats[0].device),
                                labels=torch.tensor([1], device=feats[0].device))] * 2
            metas = [dict(img_shape=(128, 128), pad_shape=(128, 128), scale_factor=1)] * 2
            outs = self.head(feats)
            losses = self.head.loss_by_feat(*outs, gts, metas)
            total = sum(sum(v) if isinstance(v, list) else v for v in losses.values())
            return (total, ) + tuple(t for level in outs for t in level)

    feats = [_rand(2, 8, s, s, seed=s) for s in (16, 8, 4)]
    return _fwd_bwd(Loss(), feats, device)


class ModuleCase(NamedTuple):
    """A module check: ``build(device)`` returns named tensors compared device vs CPU."""
    name: str
    build: Callable[[str], Dict]
    tol: Tol


FP = Tol(1e-4, 1e-4)
BIN = Tol(1e-4, 1e-4, mismatch=0.01)  # a sign flip near 0 changes its element and grad
MODULE_CASES = [
    ModuleCase('RBNNConv2d + rotation update (mmlean.binary)', case_rbnn_conv, BIN),
    ModuleCase('XNORConv2d s2 (mmlean.binary)', case_xnor_conv, BIN),
    ModuleCase('BinaryConv2d dilated (mmlean.binary)', case_binary_conv, BIN),
    ModuleCase('PAMS QuantConv2d + PAMSActQuantizer 4-bit (mmlean.quant)', case_pams_quant_conv,
               Tol(1e-4, 1e-4, mismatch=0.01)),
    ModuleCase('PAMS 4-bit EDSR (mmagic EDSRNet)', case_pams_edsr, Tol(1e-3, 1e-3, 0.01)),
    ModuleCase('PAMS 4-bit RDN (mmagic RDNNet)', case_pams_rdn, Tol(1e-3, 1e-3, 0.01)),
    ModuleCase('ReducibleMutableOP pc_k=4 with XNOR ops (mmlean.nas)', case_nas_mutable_pc, BIN),
    ModuleCase('BinarySepConv / BinaryDilConv (mmlean.nas)', case_nas_binary_ops, BIN),
    ModuleCase('GaborFilter2d (mmlean.nas)', case_gabor, FP),
    ModuleCase('DenoisingBlock dotp + gabor (mmlean.nas)', case_denoising_blocks, FP),
    ModuleCase('FGSM / PGD-5 (mmlean.adversarial)', case_mmlean_attacks, Tol(1e-5, 0, 0.01)),
    ModuleCase('torchattacks FGSM / PGD-5', case_torchattacks, Tol(1e-5, 0, 0.01)),
    ModuleCase('SPPLoss avg + sum (nascount)', case_spp_loss, FP),
    ModuleCase('AMSNet supernet features (nascount)', case_amsnet, Tol(1e-3, 1e-3)),
    ModuleCase('CoGD 3 steps on a bilinear pair (mmlean.engine)', case_cogd_step, FP),
    ModuleCase('HRank RankCollector (hrank)', case_hrank_ranks, Tol(0, 0, mismatch=0.05)),
    ModuleCase('IFFHead(RetinaHead) loss (iff, mmdet)', case_iff_head, Tol(1e-4, 1e-3)),
]


def module_check(case: ModuleCase, device: str) -> Outcome:
    """Run a module case on the CPU and on ``device`` and compare."""
    cuda_ready(device)
    cpu = case.build('cpu')
    dev = case.build(device)
    return compare(dev, cpu, case.tol)


def step_modules(runner: CheckRunner, env: Env, cases: Sequence[ModuleCase] = None) -> None:
    """Step b: every module of ``cases`` (default MODULE_CASES), device vs CPU."""
    import torch
    if env.device == 'cuda' and torch.cuda.is_available():
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    for case in cases or MODULE_CASES:
        runner.run('modules', case.name, lambda case=case: module_check(case, env.device))


# ---------------------------------------------------------------------------------------------
# step c: training through tools/train.py

def _train_module():
    spec = importlib.util.spec_from_file_location('mmlean_tools_train',
                                                  osp.join(REPO, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TrainConfig(NamedTuple):
    """A config for the training step and the options that make it ~``iters`` iterations."""
    name: str
    path: str
    options: Sequence[str]
    amp: bool = True
    needs: Sequence[str] = ()


def digits_options(iters: int, epochs: int = 1) -> List[str]:
    """Digits configs: 16-sample batches over 16 * iters / epochs samples."""
    per_epoch = max(1, iters // epochs)
    return ['train_dataloader.batch_size=16',
            f'train_dataloader.dataset.indices={16 * per_epoch}',
            'val_dataloader.dataset.indices=64', f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={epochs}', 'default_hooks.logger.interval=5',
            'randomness.seed=0']


def train_configs(quick: bool) -> List[TrainConfig]:
    """The configs the training step runs (fewer with --quick)."""
    iters = 6 if quick else 20
    cfgs = [
        TrainConfig('demo ResNet-20 FP (digits)', 'configs/demo/resnet20_1xb64-15e_digits.py',
                    digits_options(iters)),
        TrainConfig('RBNN ResNet-20 1w1a (digits)',
                    'configs/rbnn/rbnn_resnet20-1w1a_1xb64-40e_digits.py', digits_options(iters)),
    ]
    if not quick:
        cfgs += [
            TrainConfig('BNAS XNOR eval network w1a32 (digits)',
                        'configs/bnas/bnas_xnor-c16l5-w1a32_1xb64-30e_digits.py',
                        digits_options(iters)),
            TrainConfig('ABanditNAS PGD-7 adversarial ResNet-20 (digits)',
                        'configs/abanditnas/resnet20_pgd7_1xb64-30e_digits.py',
                        digits_options(iters), amp=False),
        ]
    return cfgs


def _weights(path: str) -> Dict:
    from mmlean.compat.checkpoint import safe_load
    return safe_load(path)['state_dict']


def _last_ckpt(work: str) -> str:
    found = glob.glob(osp.join(work, 'epoch_*.pth')) + glob.glob(osp.join(work, 'iter_*.pth'))
    found = sorted(found,
                   key=lambda p: int(p.rsplit('_', 1)[1].split('.')[0]))
    if not found:
        raise RuntimeError(f'no checkpoint written in {work}')
    return found[-1]


def _train(train, args: List[str]) -> None:
    code = train.main(args)
    if code != 0:
        raise RuntimeError(f'tools/train.py exited {code} on {osp.basename(args[0])} '
                           '(its one-line error is in the output above)')


def train_check(env: Env, cfg: TrainConfig, train) -> Outcome:
    """A short run of one config; AMP on CUDA where the config allows it."""
    import torch
    cuda_ready(env.device)
    for mod in cfg.needs:
        require(mod)
    work = osp.join(env.scratch, 'train', cfg.name.split()[0].lower() + str(abs(hash(cfg.name))))
    args = [osp.join(REPO, cfg.path), '--work-dir', work]
    amp, why = env.device == 'cuda' and cfg.amp, ''
    if amp:
        from mmengine.config import Config
        wrapper = Config.fromfile(args[0]).get('optim_wrapper', {}).get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            amp, why = False, f' (optim_wrapper {wrapper} cannot switch to AMP)'
    elif env.device == 'cuda':
        why = ' (AMP not used for this config)'
    if amp:
        args.append('--amp')
    args += ['--cfg-options', *cfg.options]
    t0 = time.perf_counter()
    _train(train, args)
    seconds = time.perf_counter() - t0
    weights = _weights(_last_ckpt(work))
    finite = all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
    return Outcome(finite, f'{seconds:.1f} s, {"AMP (AmpOptimWrapper)" if amp else "FP32"}{why}',
                   'trains, writes a checkpoint, finite weights')


def resume_check(env: Env, train, quick: bool) -> Outcome:
    """Two epochs straight vs one epoch, then --resume: identical final weights."""
    import torch
    cuda_ready(env.device)
    iters = 6 if quick else 20
    opts = digits_options(iters, epochs=2)
    if env.device == 'cuda':
        opts.append('randomness.deterministic=True')
    config = osp.join(REPO, 'configs/demo/resnet20_1xb64-15e_digits.py')
    straight = osp.join(env.scratch, 'resume', 'straight')
    resumed = osp.join(env.scratch, 'resume', 'resumed')
    _train(train, [config, '--work-dir', straight, '--cfg-options', *opts])
    os.makedirs(resumed, exist_ok=True)
    shutil.copy(osp.join(straight, 'epoch_1.pth'), resumed)
    _train(train, [config, '--work-dir', resumed, '--resume', osp.join(resumed, 'epoch_1.pth'),
                   '--cfg-options', *opts])
    # a run that ignored --resume would also end equal (same seed): it must say it resumed
    logs = ''.join(open(p).read() for p in glob.glob(osp.join(resumed, '*', '*.log')))
    if 'resumed epoch: 1' not in logs:
        raise RuntimeError("the resumed run's log does not say 'resumed epoch: 1'")
    a, b = _weights(osp.join(straight, 'epoch_2.pth')), _weights(osp.join(resumed, 'epoch_2.pth'))
    first = _weights(osp.join(straight, 'epoch_1.pth'))
    if all(torch.equal(first[k], a[k]) for k in a):
        raise RuntimeError('epoch 2 did not change the weights: nothing to compare')
    differ = [k for k in a if k not in b or not torch.equal(a[k], b[k])]
    return Outcome(not differ and a.keys() == b.keys(),
                   f'{len(differ)} of {len(a)} tensors differ after {2 * (iters // 2)} iterations'
                   + (f' (e.g. {differ[0]})' if differ else ''),
                   'bit-identical (stop after epoch 1 of 2, --resume)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_check(env: Env, quick: bool, backend: str) -> Outcome:
    """tools/dist_train.sh CONFIG 1 (torchrun, world size 1) with the expected backend."""
    import torch
    if backend == 'nccl' and env.device != 'cuda':
        raise Skip('CPU run: NCCL is CUDA-only (the gloo run is checked instead)')
    if backend == 'gloo' and env.device == 'cuda':
        raise Skip('CUDA run: dist_train.sh uses nccl there (checked instead)')
    cuda_ready(env.device)
    if backend == 'nccl' and not torch.distributed.is_nccl_available():
        raise Skip('this torch has no NCCL')
    work = osp.join(env.scratch, 'dist_' + backend)
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
           osp.join(REPO, 'configs/demo/resnet20_1xb64-15e_digits.py'), '1', '--work-dir', work,
           '--cfg-options', *digits_options(4 if quick else 10)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=env.subprocess_env(PYTHON=sys.executable, PORT=str(_free_port())))
    seconds = time.perf_counter() - t0
    logs = proc.stdout + proc.stderr
    with open(osp.join(env.out, f'dist_train_{backend}.log'), 'w') as f:
        f.write(logs)
    if proc.returncode != 0:
        tail = [line for line in proc.stderr.splitlines() if line.strip()][-1:] or ['']
        raise RuntimeError(f'dist_train.sh exited {proc.returncode}: {tail[0]} '
                           f'(dist_train_{backend}.log)')
    _last_ckpt(work)
    if backend == 'gloo':
        seen = 'gloo' in logs
    else:
        seen = 'nccl' in logs.lower() and 'using the gloo backend' not in logs
    distributed = 'Distributed training: True' in logs or "'world_size': 1" in logs or \
        'world_size: 1' in logs
    return Outcome(seen and distributed,
                   f'{seconds:.1f} s, backend {backend} in log: {seen}, distributed: {distributed}',
                   f'exits 0, writes a checkpoint, {backend} backend')


def step_training(runner: CheckRunner, env: Env) -> None:
    """Step c: short runs, resume, AMP and dist_train.sh."""
    step = 'training'
    if env.device == 'cuda':
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')  # deterministic resume
    try:
        train = _train_module()
        require('mmlean.engine')
    except Skip as why:
        names = [c.name for c in train_configs(env.quick)] + [
            'resume bit-identical (demo)', 'dist_train.sh 1 process (nccl)',
            'dist_train.sh 1 process (gloo)']
        runner.skip_all(step, names, str(why))
        return
    cwd = os.getcwd()
    os.chdir(REPO)  # configs read data/ relative to where they run
    try:
        for cfg in train_configs(env.quick):
            runner.run(step, cfg.name, lambda cfg=cfg: train_check(env, cfg, train))
        runner.run(step, 'resume bit-identical (demo)', lambda: resume_check(env, train,
                                                                             env.quick))
        runner.run(step, 'dist_train.sh 1 process (nccl)', lambda: dist_check(env, env.quick,
                                                                              'nccl'))
        runner.run(step, 'dist_train.sh 1 process (gloo)', lambda: dist_check(env, env.quick,
                                                                              'gloo'))
    finally:
        os.chdir(cwd)


# ---------------------------------------------------------------------------------------------
# report

def write_report(runner: CheckRunner, env: Env, wall: float) -> Dict:
    """Write DIR/gpu_check.json and DIR/gpu_check.md; returns the JSON object."""
    import torch
    info = dict(device=env.device, quick=env.quick, python=platform.python_version(),
                torch=torch.__version__, torch_cuda=torch.version.cuda,
                gpu=(torch.cuda.get_device_name(0) if env.device == 'cuda'
                     and torch.cuda.is_available() else None),
                wall_s=round(wall, 1), step_wall_s={k: round(v, 1)
                                                    for k, v in runner.step_times.items()},
                counts=runner.counts(), checks=runner.results)
    with open(osp.join(env.out, 'gpu_check.json'), 'w') as f:
        json.dump(info, f, indent=1)
    lines = [f'# GPU check: device {env.device}{" (quick)" if env.quick else ""}', '',
             f'python {info["python"]}, torch {info["torch"]} (CUDA {info["torch_cuda"]}), '
             f'GPU {info["gpu"]}; {wall:.0f} s in all: ' +
             ', '.join(f'{k} {v:.0f} s' for k, v in runner.step_times.items()) + '.', '',
             'passed {passed}, failed {failed}, skipped {skipped} (skips are not passes)'
             .format(**info['counts']), '',
             '| step | check | status | measured | tolerance or reason |', '|---|---|---|---|---|']
    for r in runner.results:
        cells = [r['step'], r['check'], r['status'], r['value'], r['detail']]
        lines.append('| ' + ' | '.join(str(c).replace('|', '/') for c in cells) + ' |')
    with open(osp.join(env.out, 'gpu_check.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return info


STEP_FUNCS = dict(kernels=step_kernels, modules=step_modules, training=step_training)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', choices=['cuda', 'cpu'], default='cuda')
    parser.add_argument('--out', required=True, help='folder for gpu_check.json / .md')
    parser.add_argument('--steps', default=','.join(STEPS),
                        help=f'comma-separated subset of {",".join(STEPS)}')
    parser.add_argument('--quick', action='store_true',
                        help='fewer shapes, batch 1 timings, shorter training (CPU test)')
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(',') if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f'unknown step(s) {unknown}; choose from {", ".join(STEPS)}')
    args.steps = steps
    return args


def main(argv=None) -> int:
    """Run the chosen steps; returns 1 when any check failed, else 0."""
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    env = Env(args.device, osp.abspath(args.out), args.quick)
    env.setup_imports()
    runner = CheckRunner()
    t_all = time.perf_counter()
    try:
        for step in args.steps:
            t0 = time.perf_counter()
            print(f'[gpu_check] step {step} on {args.device}', flush=True)
            try:
                STEP_FUNCS[step](runner, env)
            except Exception as err:  # noqa: BLE001 (a broken step is one failed check)
                runner.record(step, '(step)', FAILED, '', last_line(err))
            runner.step_times[step] = time.perf_counter() - t0
            print(f'[gpu_check] step {step}: {runner.step_times[step]:.1f} s', flush=True)
        info = write_report(runner, env, time.perf_counter() - t_all)
    finally:
        shutil.rmtree(env.scratch, ignore_errors=True)
    print(f'[gpu_check] {info["counts"]} in {info["wall_s"]} s; report: '
          f'{osp.join(args.out, "gpu_check.md")}', flush=True)
    for r in runner.results:
        if r['status'] != PASSED:
            print(f'[gpu_check]   {r["status"]}: {r["step"]}/{r["check"]}: {r["detail"]}')
    return runner.exit_code()


if __name__ == '__main__':
    sys.exit(main())
