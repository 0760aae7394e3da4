# ABanditNAS search on MNIST (data/mnist, never downloaded): the CIFAR-10 search with one
# input channel, MNIST normalization, eps 0.3 (FGSM + random start, alpha 1.25 eps), T = 3.
# The 60k training images are halved (paths train on the first half, are rewarded on the
# second); C = 16 is our choice.
_base_ = ['./abanditnas_supernet-c16-l6_1xb96-search_cifar10.py']
eps = 0.3
data_preprocessor = dict(_delete_=True, num_classes=10, mean=[0.0], std=[255.0])
model = dict(
    architecture=dict(backbone=dict(in_channels=1, mean=[0.1307], std=[0.3081])),
    attack=dict(type='fgsm_rs', eps=eps, alpha=1.25 * eps))
data_root = 'data/mnist'
mnist = dict(type='MNIST', data_root=data_root, download=False, test_mode=False)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(dataset=dict(mnist, _delete_=True, pipeline=[dict(type='PackInputs')])))
mutator_dataloader = dict(
    dataset=dict(dataset=dict(mnist, _delete_=True, pipeline=[dict(type='PackInputs')])))
train_cfg = dict(mutator_dataloader=mutator_dataloader)
