# The searched AMSNet + searched SPPLoss retrained on the synthetic crowd set at the
# learning check's budget: 40 epochs (600 iterations), Adam 1e-3, cosine to 1e-5.
# Its twin with plain MSE is nascount_amsnet-searched-mse_1xb8-40e_synthetic-crowd.py.
_base_ = ['./nascount_amsnet-searched_1xb8-60e_synthetic-crowd.py']

max_epochs = 40
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
                        begin=0, end=max_epochs)]
train_cfg = dict(max_epochs=max_epochs)
