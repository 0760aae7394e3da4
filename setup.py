"""Build and install mmlean and its compiled ops (``mmlean._ext``).

Environment switches (mmcv's pattern):
  MMLEAN_WITH_OPS=0   do not build ``mmlean._ext`` (every op then runs its
                      pure-PyTorch reference).
  FORCE_CUDA=1        build the CUDA kernels even without a visible GPU.
  FORCE_CUDA=0        build the CPU kernels only, even with a GPU.
  TORCH_CUDA_ARCH_LIST  e.g. "9.0" for H100/H200 to keep compile time short.
  MMLEAN_COMPILE_CHECK_CUDA=1  leave out the CPU kernels (csrc/pytorch/cpu): a build
                      that only shows the CUDA sources compile (tools/cuda_build_check.sh);
                      the library it links is incomplete and not meant to be imported.
"""
import glob
import os
import os.path as osp
from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
CSRC = osp.join('mmlean', 'ops', 'csrc')


def get_version():
    scope = {}
    with open(osp.join(ROOT, 'mmlean', 'version.py')) as f:
        exec(compile(f.read(), 'mmlean/version.py', 'exec'), scope)
    return scope['__version__']


def want_cuda():
    import torch
    force = os.getenv('FORCE_CUDA')
    if force == '0':
        return False
    return force == '1' or torch.cuda.is_available()


def find_cuda_home():
    """The CUDA toolkit folder that holds bin/nvcc and lib64/libcudart.so.

    ``nvcc`` on PATH may be a wrapper script in another folder, in which case
    torch's own guess cannot find ``-lcudart``; resolve it through nvcc itself.
    """
    if os.getenv('CUDA_HOME'):
        return os.environ['CUDA_HOME']
    import shutil
    nvcc = shutil.which('nvcc')
    if nvcc is None:
        return None
    real = osp.realpath(nvcc)
    candidate = osp.dirname(osp.dirname(real))
    if not osp.exists(osp.join(candidate, 'lib64')):
        # a wrapper script: find the real nvcc it executes
        try:
            text = open(real).read()
            for token in text.split():
                if token.endswith('/bin/nvcc') and osp.exists(token):
                    candidate = osp.dirname(osp.dirname(token))
                    break
        except (OSError, UnicodeDecodeError):
            pass
    return candidate


def pip_cuda_include_dirs():
    """Header folders of the CUDA libraries that torch's wheels install.

    A minimal CUDA toolkit (nvcc + cudart) lacks e.g. cusparse.h, which torch's
    CUDA headers include; torch's pip wheels ship those headers under
    site-packages/nvidia/<cuXX>/include (or nvidia/<lib>/include).
    """
    try:
        import nvidia
    except ImportError:
        return []
    found = []
    for root in list(nvidia.__path__):
        for inc in sorted(glob.glob(osp.join(root, '*', 'include'))):
            if glob.glob(osp.join(inc, '*.h')):
                found.append(inc)
    return found


def get_extensions():
    if os.getenv('MMLEAN_WITH_OPS', '1') == '0':
        print('[mmlean] MMLEAN_WITH_OPS=0: not building mmlean._ext '
              '(pure-PyTorch references will be used)')
        return []
    from torch.utils.cpp_extension import CppExtension, CUDAExtension

    sources = sorted(glob.glob(osp.join(CSRC, 'pytorch', '*.cpp')))
    if os.getenv('MMLEAN_COMPILE_CHECK_CUDA') != '1':
        sources += sorted(glob.glob(osp.join(CSRC, 'pytorch', 'cpu', '*.cpp')))
    include_dirs = [osp.abspath(osp.join(CSRC, 'common'))]
    # -ffp-contract=off: epilogues compute y * scale + bias exactly as torch does
    cxx_args = ['-std=c++20', '-O3', '-fopenmp', '-ffp-contract=off']
    extra_link_args = ['-fopenmp']
    define_macros = []
    if want_cuda():
        cuda_home = find_cuda_home()
        if cuda_home:
            os.environ['CUDA_HOME'] = cuda_home
            import torch.utils.cpp_extension as cpp_ext
            cpp_ext.CUDA_HOME = cuda_home
        os.environ.setdefault('TORCH_CUDA_ARCH_LIST', '9.0')
        print(f'[mmlean] compiling mmlean._ext with CUDA (CUDA_HOME={cuda_home}, '
              f"TORCH_CUDA_ARCH_LIST={os.environ['TORCH_CUDA_ARCH_LIST']})")
        sources += sorted(glob.glob(osp.join(CSRC, 'pytorch', 'cuda', '*.cu')) +
                          glob.glob(osp.join(CSRC, 'pytorch', 'cuda', '*.cpp')))
        define_macros.append(('MMLEAN_WITH_CUDA', None))
        include_dirs += pip_cuda_include_dirs()
        extension = CUDAExtension
        extra_compile_args = {'cxx': cxx_args,
                              'nvcc': ['-std=c++20', '-O3', '--use_fast_math']}
    else:
        print('[mmlean] compiling mmlean._ext with CPU kernels only')
        extension = CppExtension
        extra_compile_args = {'cxx': cxx_args}
    return [extension(
        name='mmlean._ext',
        sources=sources,
        include_dirs=include_dirs,
        define_macros=define_macros,
        extra_compile_args=extra_compile_args,
        extra_link_args=extra_link_args)]


def get_cmdclass():
    if os.getenv('MMLEAN_WITH_OPS', '1') == '0':
        return {}
    from torch.utils.cpp_extension import BuildExtension
    return {'build_ext': BuildExtension}


def read_requirements(name):
    path = osp.join(ROOT, 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip()]


packages = find_packages(include=['mmlean', 'mmlean.*'])
packages += ['mmlean.projects'] + [
    'mmlean.projects.' + p for p in find_packages(where='projects')]

setup(
    name='mmlean',
    version=get_version(),
    description='Lean and robust vision models (binarization, quantization, '
    'pruning, NAS, tiny-object detection) on the OpenMMLab stack',
    long_description=open(osp.join(ROOT, 'README.md')).read()
    if osp.exists(osp.join(ROOT, 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    python_requires='>=3.8',
    packages=packages,
    package_dir={'mmlean': 'mmlean', 'mmlean.projects': 'projects'},
    include_package_data=True,
    install_requires=read_requirements('runtime.txt'),
    ext_modules=get_extensions(),
    cmdclass=get_cmdclass(),
    zip_safe=False,
)
