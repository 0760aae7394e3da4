# CIFAR-10 for a differentiable search (DARTS / PC-DARTS, official train_search.py): the
# 50,000 training images cut in two, the first train_portion = 0.5 training the weights, the
# rest the architecture parameters and scoring sampled paths (SplitDataset); the test set is
# not used. RandomCrop(32, pad 4) + flip on the weights' half, DARTS's CIFAR normalisation.
# Names carry a search_ prefix so a search config can list this file beside another base;
# it assigns them to train_dataloader, mutator_dataloader, eval_dataloader and train_cfg.
# A user points every copy at their data with --cfg-options data_root=DIR and changes the
# split with train_portion=P (mmlean's tools/train.py follows a variable to its copies).
search_data_root = 'data/cifar10'
search_train_portion = 0.5
search_preprocessor = dict(num_classes=10, mean=[125.307, 122.950, 113.866],
                           std=[62.993, 62.089, 66.705], to_rgb=False)
search_cifar_train = dict(type='CIFAR10', data_root=search_data_root, split='train', download=False)
search_train_dataloader = dict(
    batch_size=256, num_workers=4,
    dataset=dict(type='SplitDataset', train_portion=search_train_portion, part='train',
                 dataset=dict(search_cifar_train, pipeline=[
                     dict(type='RandomCrop', crop_size=32, padding=4),
                     dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                     dict(type='PackInputs')])),
    sampler=dict(type='DefaultSampler', shuffle=True))
search_mutator_dataloader = dict(
    batch_size=256, num_workers=4,
    dataset=dict(type='SplitDataset', train_portion=search_train_portion, part='val',
                 dataset=dict(search_cifar_train, pipeline=[dict(type='PackInputs')])),
    sampler=dict(type='DefaultSampler', shuffle=True))
search_eval_dataloader = dict(search_mutator_dataloader, batch_size=512,
                              sampler=dict(type='DefaultSampler', shuffle=False))
