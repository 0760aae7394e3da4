"""Parameter counts of DARTS-style evaluation networks, as DARTS and BNAS report them."""
from typing import Dict

import torch.nn as nn

#: name parts of the auxiliary head's parameters (mmrazor backbone module, head linear,
#: DARTS/BNAS ``auxiliary_head``)
AUX_NAMES = ('auxliary_module', 'aux_linear', 'auxiliary')


def is_aux_param(name: str) -> bool:
    """Whether a parameter belongs to the auxiliary head (training-only)."""
    return any(part in name for part in AUX_NAMES)


def count_parameters(model: nn.Module) -> Dict[str, int]:
    """``{'params': without the auxiliary head, 'aux_params': the auxiliary head's}``.

    DARTS (official ``cnn/utils.py``, ``count_parameters_in_MB``) and BNAS
    (github.com/bczhangbczhang/BNAS, ``utils/utils.py``, ``param_size``) count
    every parameter except the auxiliary head's (BN affine parameters and the
    classifier included, buffers excluded); DARTS prints them / 1e6, BNAS's
    code / 2**20. Shared parameters are counted once.
    """
    params = aux = 0
    for name, p in model.named_parameters():
        if is_aux_param(name):
            aux += p.numel()
        else:
            params += p.numel()
    return dict(params=params, aux_params=aux)
