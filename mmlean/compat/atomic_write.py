"""Write checkpoints atomically.

mmengine 0.10.7 saves a checkpoint by opening the final path and writing into
it (``LocalBackend.put``), so a crash or a full disk mid-write leaves a
truncated file that ``--resume`` then picks up. Here every local write goes to
a temporary file in the same folder, is flushed to disk, and is renamed over
the target (``os.replace`` is atomic on POSIX and Windows): the target holds
either the old or the new content, never a torn one.
"""
import functools
import os
import os.path as osp
import tempfile


def atomic_write_bytes(data: bytes, filepath: str) -> None:
    """Write ``data`` to ``filepath`` atomically (temp file + fsync + rename)."""
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(filepath),
                               suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def apply() -> bool:
    """Route mmengine's LocalBackend.put / put_text through atomic writes."""
    from mmengine.fileio.backends import LocalBackend
    if getattr(LocalBackend.put, '__mmlean_wrapped__', False):
        return False

    @functools.wraps(LocalBackend.put)
    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, str(self._map_path(filepath))
                           if hasattr(self, '_map_path') else str(filepath))

    @functools.wraps(LocalBackend.put_text)
    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        put(self, obj.encode(encoding), filepath)

    put.__mmlean_wrapped__ = True
    LocalBackend.put = put
    LocalBackend.put_text = put_text
    return True
