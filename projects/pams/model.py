"""The PAMS model: a quantized mmagic restorer trained with L1 + SKT from its FP teacher."""
import copy
from typing import Dict, List, Optional

import torch
from mmagic.models.base_models import BaseEditModel
from mmagic.registry import MODELS
from mmengine.logging import print_log
from mmrazor.models.task_modules.recorder import ModuleInputsRecorder
from mmrazor.registry import MODELS as RAZOR_MODELS

from mmlean.quant import check_bits
from .checkpoint import generator_state, load_fp_into
from .quantize_arch import act_quantizers, quantize_sr_generator, skt_feature_module


def _is_quantizer_key(key: str) -> bool:
    return key.split('.')[-1] in ('alpha', 'initialized', 'calib_sum', 'calib_batches')


@MODELS.register_module()
class PAMS(BaseEditModel):
    """PAMS quantized super-resolution (Li et al., ECCV 2020) over mmagic's BaseEditModel.

    The generator (an mmagic ``EDSRNet`` or ``RDNNet`` config) is quantized
    to ``bits`` as in :mod:`.quantize_arch`. A frozen full-precision copy is
    the teacher. ``fp_checkpoint`` (a trained FP restorer) initialises both
    the teacher and the student in :meth:`init_weights` (the official code
    only loads the teacher; see :mod:`.checkpoint`). Training loss (PAMS Eq. 9-10):

    ``L = L1(SR_student, HR) + beta * mean((at(F_S) - at(F_T))**2)``,
    ``at(F) = normalize(mean_c(F**2))``, on the feature entering the upsampler
    (body output plus the global skip), beta = 1000. ``at`` is exactly
    mmrazor's ``ATLoss``, which we reuse.

    Args:
        generator (dict): the mmagic generator config.
        pixel_loss (dict): pixel loss config (PAMS: L1).
        bits (int): weight and activation bit width (2, 4, 8).
        fp_checkpoint (str, optional): full-precision checkpoint.
        skt_loss (dict, optional): mmrazor loss config; None disables SKT.
        quantize_all_conv_inputs (bool): see :mod:`.quantize_arch`.
        with_teacher (bool): build the FP teacher (False: evaluation of a
            trained student only, e.g. a converted released model; needs
            ``skt_loss=None``).
    """

    def __init__(self,
                 generator: dict,
                 pixel_loss: dict,
                 bits: int = 8,
                 fp_checkpoint: Optional[str] = None,
                 skt_loss: Optional[dict] = dict(type='ATLoss', loss_weight=1000.0),
                 quantize_all_conv_inputs: bool = True,
                 with_teacher: bool = True,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None):
        self.bits = check_bits(bits, 'PAMS.bits')
        super().__init__(generator=generator, pixel_loss=pixel_loss, train_cfg=train_cfg,
                         test_cfg=test_cfg, init_cfg=init_cfg,
                         data_preprocessor=data_preprocessor)
        if skt_loss and not with_teacher:
            raise ValueError('PAMS: with_teacher=False needs skt_loss=None (the SKT loss '
                             'distils from the teacher)')
        self.fp_checkpoint = fp_checkpoint
        teacher = copy.deepcopy(self.generator) if with_teacher else None
        self.feature_name = skt_feature_module(self.generator)
        quantize_sr_generator(self.generator, self.bits, quantize_all_conv_inputs)
        self.teacher = teacher.requires_grad_(False).eval() if with_teacher else None
        self.skt_loss = (RAZOR_MODELS.build(
            dict(skt_loss, _scope_=skt_loss.get('_scope_', 'mmrazor'))) if skt_loss else None)
        self._student_feat = ModuleInputsRecorder(self.feature_name)
        self._student_feat.initialize(self.generator)
        if with_teacher:
            self._teacher_feat = ModuleInputsRecorder(self.feature_name)
            self._teacher_feat.initialize(self.teacher)

    def load_fp_checkpoint(self) -> None:
        """Copy the full-precision weights into the teacher and the student."""
        if not self.fp_checkpoint:
            return
        state = generator_state(self.fp_checkpoint)
        if self.teacher is not None:
            load_fp_into(self.teacher, state, self.fp_checkpoint)
        load_fp_into(self.generator, state, self.fp_checkpoint, allowed_missing=_is_quantizer_key)
        print_log(f'PAMS: teacher and {self.bits}-bit student initialised from '
                  f'{self.fp_checkpoint}', logger='current')

    def init_weights(self) -> None:
        """Initialise, then load ``fp_checkpoint`` (as ``init_cfg`` Pretrained would).

        mmengine's runner calls this before training (and a resumed run then
        loads its own checkpoint over it); testing a trained PAMS checkpoint
        therefore does not need the FP file.
        """
        super().init_weights()
        self.load_fp_checkpoint()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def forward_train(self, inputs: torch.Tensor, data_samples=None, **kwargs) -> Dict:
        """L1 on the student's output plus the SKT loss against the teacher."""
        quantizers = act_quantizers(self.generator)
        if any(not bool(q.initialized) and not q.calibrating for q in quantizers):
            raise RuntimeError(
                'PAMS: activation quantizers have no alpha yet. Add '
                "dict(type='PAMSCalibrationHook') to custom_hooks so the first "
                'iterations initialise alpha from the data (PAMS Sec. 3.2).')
        self._student_feat.reset_data_buffer()
        with self._student_feat:
            sr = self.forward_tensor(inputs, data_samples, **kwargs)
        losses = dict(loss=self.pixel_loss(sr, data_samples.gt_img))
        if self.skt_loss is not None:
            self._teacher_feat.reset_data_buffer()
            with torch.no_grad(), self._teacher_feat:
                self.teacher(inputs)
            losses['loss_skt'] = self.skt_loss(
                self._student_feat.get_record_data(data_idx=0),
                self._teacher_feat.get_record_data(data_idx=0))
        return losses

    def quantizer_summary(self) -> List[float]:
        """The learned alpha of every activation quantizer, in module order."""
        return [float(q.alpha.detach()) for q in act_quantizers(self.generator)]
