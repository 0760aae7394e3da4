# The plain-MSE twin of nascount_amsnet-searched_1xb8-40e_synthetic-crowd.py: the same
# searched network, data and schedule, trained with the pixel-wise MSE on the density map
# only (SPPLoss with no pyramid level), the baseline NAS-Count's SPPLoss is set against.
_base_ = ['./nascount_amsnet-searched_1xb8-40e_synthetic-crowd.py']

model = dict(cfg=dict(head=dict(loss=dict(_delete_=True, type='SPPLoss', levels=0))))
