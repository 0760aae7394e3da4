# ABanditNAS-10 with the released ABANDIT_CIFAR_2 cells ("a better structure that we search
# for later", official utils/genotypes_all.py), evaluated without the manual denoising
# blocks as the official script (--no_mannul). Everything else as the CIFAR_1 config.
_base_ = ['./abanditnas-10_cifar1-c48l10_pgd7_1xb128-200e_cifar10.py']
model = dict(architecture=dict(
    cfg=dict(backbone=dict(manual_denoise=False)),
    fix_subnet='{{fileDirname}}/ABANDIT_CIFAR_2.yaml'))
