"""Distributed runs on machines without CUDA (gloo), e.g. CI's dist_train.sh.

mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device`` before
``init_process_group`` ("Found no NVIDIA driver" on a CPU machine) and its
runner builds ``MMDistributedDataParallel`` with ``device_ids=[LOCAL_RANK]``,
which DDP rejects for a module on the CPU. Both fixes only act when CUDA is
unavailable; GPU runs take mmengine's own code path unchanged.
"""
import functools

import torch


def _patch_launcher() -> bool:
    import mmengine.dist.utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '__mmlean_wrapped__', False):
        return False

    @functools.wraps(original)
    def init_dist_pytorch(backend, *args, **kwargs):
        if torch.cuda.is_available():
            return original(backend, *args, **kwargs)
        kwargs.pop('init_backend', None)
        if backend != 'gloo':
            from mmengine.logging import print_log
            print_log(f'CUDA is not available: using the gloo backend instead '
                      f'of {backend!r}', logger='current')
        torch.distributed.init_process_group(backend='gloo', **kwargs)

    init_dist_pytorch.__mmlean_wrapped__ = True
    dist_utils._init_dist_pytorch = init_dist_pytorch
    return True


def _patch_ddp_wrapper() -> bool:
    from mmengine.model.wrappers import MMDistributedDataParallel
    original = MMDistributedDataParallel.__init__
    if getattr(original, '__mmlean_wrapped__', False):
        return False

    @functools.wraps(original)
    def __init__(self, module, *args, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu and not torch.cuda.is_available():
            kwargs['device_ids'] = None
            kwargs['output_device'] = None
        original(self, module, *args, **kwargs)

    __init__.__mmlean_wrapped__ = True
    MMDistributedDataParallel.__init__ = __init__
    return True


def apply() -> bool:
    """Install both CPU fixes (they are no-ops whenever CUDA is available)."""
    changed = _patch_launcher()
    changed = _patch_ddp_wrapper() or changed
    return changed


def close_process_group() -> None:
    """End a distributed run cleanly: wait for every rank, then destroy the process group.

    mmengine leaves the group to the interpreter's exit. With gloo a rank that exits
    while a peer is still busy (rank 0 writing the last checkpoint or an export) closes
    its sockets under the peer's gloo threads, which can abort the peer (SIGABRT); the
    barrier makes all ranks leave together. A no-op outside a distributed run.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
