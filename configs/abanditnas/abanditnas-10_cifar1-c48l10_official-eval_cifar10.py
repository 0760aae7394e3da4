# Evaluating the released ABANDIT_CIFAR_1 (converted by
# tools/model_converters/abanditnas_official.py --arch cifar1) as the official test does
# (defenses/defense_all.py, script/cifar10_darts_defense_all_1.sh): clean accuracy and the
# attacks it runs, with its budget, eps 0.031 and step 0.0078 on [0, 1] images: MI-FGSM
# (10 steps, decay 1.0), PGD-7 and PGD-20 (random start); BN in eval mode throughout. (The
# training config tests with 8/255 and 2/255 and adds FGSM.)
_base_ = ['./abanditnas-10_cifar1-c48l10_pgd7_1xb128-200e_cifar10.py']
official_eps, official_step = 0.031, 0.0078
test_cfg = dict(
    _delete_=True,
    type='RobustTestLoop',
    attacks=[
        dict(name='MI-FGSM-10', type='MIFGSM', eps=official_eps, alpha=official_step,
             steps=10, decay=1.0),
        dict(name='PGD-7', type='PGD', eps=official_eps, alpha=official_step, steps=7,
             random_start=True),
        dict(name='PGD-20', type='PGD', eps=official_eps, alpha=official_step, steps=20,
             random_start=True),
    ])
