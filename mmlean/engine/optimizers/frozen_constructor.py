"""An optim-wrapper constructor that leaves frozen modules out without a warning each."""
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SkipFrozenOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, except that a module whose parameters are all
    frozen (``requires_grad=False``, such as PAMS's full-precision teacher) is left
    out of the parameter walk, and one line says how many parameters that was.

    With ``paramwise_cfg`` the default constructor logs a warning for every frozen
    parameter (about 60 for the PAMS teacher of EDSR, 300 for RDN); the optimizer
    built is the same.
    """

    def __call__(self, model):
        frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
        if frozen and self.paramwise_cfg:
            roots = sorted({name.split('.')[0] for name in frozen})
            print_log(f'optimizer: {len(frozen)} frozen parameters left out (under '
                      f'{", ".join(roots)})', logger='current')
        return super().__call__(model)

    def add_params(self, params, module, prefix='', is_dcn_module=None):
        own = list(module.parameters())
        if own and not any(p.requires_grad for p in own):
            return
        super().add_params(params, module, prefix, is_dcn_module)
