# NAS-Count search of AMSNet + SPPLoss pooling on ShanghaiTech Part B: the search of
# _base_/amsnet_darts_search_c32.py on this dataset (_base_/shanghaitech-b.py).
_base_ = ['./_base_/amsnet_darts_search_c32.py', './_base_/shanghaitech-b.py']

# DARTS's split of the training set: the first train_portion trains the weights, the rest
# the architecture (--cfg-options data_root=DIR / train_portion=P reach every copy)
train_portion = 0.5
train_dataloader = dict(dataset=dict(
    _delete_=True, type='SplitDataset', train_portion=train_portion, part='train',
    dataset=_base_.train_dataloader.dataset))
mutator_dataloader = dict(
    batch_size=4,
    num_workers=4,
    dataset=dict(type='SplitDataset', train_portion=train_portion, part='val',
                 dataset=_base_.train_dataloader.dataset),
    sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(mutator_dataloader=mutator_dataloader)
