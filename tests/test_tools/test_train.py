"""tools/train.py, tools/test.py and tools/dist_train.sh end to end (CPU)."""
import os
import os.path as osp
import subprocess
import sys

import pytest

DEMO = 'configs/demo/resnet20_1xb64-15e_digits.py'
SHORT = ['--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1']


def run(repo_root, *args, env=None, timeout=900):
    full_env = dict(os.environ, OMP_NUM_THREADS='1', **(env or {}))
    return subprocess.run(list(args), cwd=repo_root, capture_output=True,
                          text=True, env=full_env, timeout=timeout)


@pytest.mark.slow
def test_single_process_train_then_test(repo_root, tmp_path):
    work = str(tmp_path / 'single')
    out = run(repo_root, sys.executable, 'tools/train.py', DEMO, '--work-dir', work,
              '--cfg-options', 'train_cfg.max_epochs=4', 'train_cfg.val_interval=4')
    assert out.returncode == 0, out.stderr[-3000:]
    assert osp.exists(osp.join(work, 'epoch_4.pth'))
    metrics = str(tmp_path / 'metrics.json')
    out = run(repo_root, sys.executable, 'tools/test.py', DEMO,
              osp.join(work, 'epoch_4.pth'), '--work-dir', work, '--out', metrics)
    assert out.returncode == 0, out.stderr[-3000:]
    import json
    acc = json.load(open(metrics))['accuracy/top1']
    # chance is 10%; four epochs reach about 75% (the full demo reaches 100%)
    assert 30.0 < acc <= 100.0


@pytest.mark.slow
def test_dist_train_two_cpu_processes(repo_root, tmp_path):
    work = str(tmp_path / 'dist')
    out = run(repo_root, 'bash', 'tools/dist_train.sh', DEMO, '2', '--work-dir', work,
              *SHORT, env=dict(PYTHON=sys.executable, PORT='29533'))
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    logs = out.stdout + out.stderr
    assert 'gloo' in logs  # the CPU fallback was taken
    assert ("'world_size': 2" in logs or 'world_size: 2' in logs
            or 'Distributed training: True' in logs)


def error_of(out):
    assert out.returncode != 0
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    return lines


def test_missing_dataset_path_names_path_and_format(repo_root, tmp_path):
    cfg = tmp_path / 'cifar.py'
    cfg.write_text(
        "_base_ = ['" + osp.join(repo_root, DEMO) + "']\n"
        "train_dataloader = dict(dataset=dict(_delete_=True, type='CIFAR10', "
        "data_root='/nonexistent/cifar', split='train', pipeline=[]))\n")
    out = run(repo_root, sys.executable, 'tools/train.py', str(cfg))
    lines = error_of(out)
    assert len(lines) == 1, out.stderr
    assert '/nonexistent/cifar' in lines[0]
    assert 'train_dataloader.dataset.data_root' in lines[0]
    assert 'cifar-10-batches-py' in lines[0]  # the expected format


def test_unknown_launcher_is_one_clear_line(repo_root):
    out = run(repo_root, sys.executable, 'tools/train.py', DEMO, '--launcher', 'k8s')
    lines = error_of(out)
    assert "invalid choice: 'k8s'" in lines[-1]


def test_unknown_config_key_is_one_clear_line(repo_root):
    out = run(repo_root, sys.executable, 'tools/train.py', DEMO,
              '--cfg-options', 'train_cfg.max_epoch=3')
    lines = error_of(out)
    assert len(lines) == 1, out.stderr
    assert "train_cfg has no key 'max_epoch'" in lines[0]
    assert 'max_epochs' in lines[0]  # the suggestion


def test_bad_custom_import_is_one_clear_line(repo_root, tmp_path):
    cfg = tmp_path / 'bad_import.py'
    cfg.write_text(
        "_base_ = ['" + osp.join(repo_root, DEMO) + "']\n"
        "custom_imports = dict(imports=['mmlean.projects.no_such_method'], "
        "allow_failed_imports=False)\n")
    out = run(repo_root, sys.executable, 'tools/train.py', str(cfg))
    lines = error_of(out)
    assert len(lines) == 1, out.stderr
    assert 'custom_imports' in lines[0] and 'no_such_method' in lines[0]


def test_missing_config_and_checkpoint(repo_root):
    out = run(repo_root, sys.executable, 'tools/train.py', 'configs/nope.py')
    assert 'config file not found: configs/nope.py' in error_of(out)[-1]
    out = run(repo_root, sys.executable, 'tools/test.py', DEMO, 'nope.pth')
    assert 'checkpoint not found: nope.pth' in error_of(out)[-1]


def weights_of(path):
    from mmlean.compat.checkpoint import safe_load
    return safe_load(path)['state_dict']


def assert_same_weights(a, b):
    wa, wb = weights_of(a), weights_of(b)
    assert wa.keys() == wb.keys()
    differ = [k for k in wa if not torch_equal(wa[k], wb[k])]
    assert not differ, f'{len(differ)} tensors differ, e.g. {differ[:3]}'


def torch_equal(a, b):
    import torch
    return torch.equal(a, b)


# The demo config trains with RandomCrop(padding=2): resuming must replay its draws.
RESUME = ['--cfg-options', 'train_cfg.max_epochs=3', 'train_cfg.val_interval=1',
          'randomness.seed=0']


@pytest.mark.slow
def test_resume_on_a_real_config_is_bit_identical(repo_root, tmp_path):
    """Straight 3 epochs == 2 epochs, a crash, then --resume (auto, skipping a torn file)."""
    import shutil
    straight = str(tmp_path / 'straight')
    out = run(repo_root, sys.executable, 'tools/train.py', DEMO, '--work-dir', straight, *RESUME)
    assert out.returncode == 0, out.stderr[-3000:]
    # what a run killed during epoch 3 leaves behind, plus a torn newer file
    crashed = str(tmp_path / 'crashed')
    os.makedirs(crashed)
    shutil.copy(osp.join(straight, 'epoch_2.pth'), crashed)
    blob = open(osp.join(straight, 'epoch_3.pth'), 'rb').read()
    with open(osp.join(crashed, 'epoch_3.pth'), 'wb') as f:
        f.write(blob[:len(blob) // 3])
    out = run(repo_root, sys.executable, 'tools/train.py', DEMO, '--work-dir', crashed,
              '--resume', *RESUME)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'resuming from' in out.stderr and 'epoch_2.pth' in out.stderr
    assert_same_weights(osp.join(straight, 'epoch_3.pth'), osp.join(crashed, 'epoch_3.pth'))


@pytest.mark.slow
def test_resume_under_two_gloo_processes_is_bit_identical(repo_root, tmp_path):
    import shutil
    env = dict(PYTHON=sys.executable)
    straight = str(tmp_path / 'straight')
    out = run(repo_root, 'bash', 'tools/dist_train.sh', DEMO, '2', '--work-dir', straight,
              *RESUME, env=dict(env, PORT='29541'))
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    ckpt = osp.join(straight, 'epoch_2.pth')
    from mmlean.compat.checkpoint import safe_load
    assert safe_load(ckpt)['rng_state']['world_size'] == 2
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(ckpt, resumed)
    out = run(repo_root, 'bash', 'tools/dist_train.sh', DEMO, '2', '--work-dir', resumed,
              '--resume', osp.join(resumed, 'epoch_2.pth'), *RESUME,
              env=dict(env, PORT='29542'))
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    assert_same_weights(osp.join(straight, 'epoch_3.pth'), osp.join(resumed, 'epoch_3.pth'))


def test_bad_checkpoints_are_one_clear_line(repo_root, tmp_path):
    import torch
    torn = tmp_path / 'torn.pth'
    buf = tmp_path / 'full.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}, 'meta': {}}, buf)
    torn.write_bytes(buf.read_bytes()[:500])
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'x': OSLike()}}, evil)
    for tool, extra in (('tools/test.py', [str(torn)]),
                        ('tools/train.py', ['--resume', str(torn)]),
                        ('tools/test.py', [str(evil)]),
                        ('tools/train.py', ['--resume', str(evil)])):
        out = run(repo_root, sys.executable, tool, DEMO, *extra,
                  '--work-dir', str(tmp_path / 'w'))
        lines = error_of(out)
        assert len(lines) == 1, out.stderr
        name = 'torn.pth' if 'torn' in extra[-1] else 'evil.pth'
        assert name in lines[0]
        assert ('truncated or corrupt' in lines[0]) == (name == 'torn.pth')
        assert ('refused' in lines[0]) == (name == 'evil.pth')


class OSLike:
    """Pickles as a call of a global outside the allow-list (never run: refused)."""

    def __reduce__(self):
        return (os.getcwd, ())
