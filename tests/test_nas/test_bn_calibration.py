"""recalibrate_bn: BN statistics of a sub-network from a given number of samples."""
import torch
import torch.nn as nn

from mmlean.nas.bn_calibration import recalibrate_bn, take_samples


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.unused = nn.BatchNorm2d(4)  # a BN the current path does not reach

    def test_step(self, batch):
        return self.bn(self.conv(batch['inputs']))


def test_statistics_are_the_batch_size_weighted_means_of_exactly_n_samples():
    torch.manual_seed(0)
    net = Net()
    x = torch.randn(10, 3, 5, 5) * 3 + 1
    batches = [dict(inputs=x[0:4], data_samples=list(range(4))),
               dict(inputs=x[4:8], data_samples=list(range(4, 8))),
               dict(inputs=x[8:10], data_samples=[8, 9])]
    used = recalibrate_bn(net, batches, num_samples=6)  # 4 + the first 2 of the second
    assert used == 6
    with torch.no_grad():
        y1, y2 = net.conv(x[0:4]), net.conv(x[4:6])
    mean = (4 * y1.mean((0, 2, 3)) + 2 * y2.mean((0, 2, 3))) / 6
    var = (4 * y1.var((0, 2, 3), unbiased=True) + 2 * y2.var((0, 2, 3), unbiased=True)) / 6
    assert torch.allclose(net.bn.running_mean, mean, atol=1e-5)
    assert torch.allclose(net.bn.running_var, var, atol=1e-4)
    assert torch.equal(net.unused.running_mean, torch.zeros(4))  # untouched


def test_dict_batches_are_counted_and_cut_by_samples():
    """mmrazor 1.0's mixin counted a dict batch's keys as its samples and sliced the dict
    once two or fewer samples remained (TypeError: unhashable type: 'slice')."""
    batch = dict(inputs=torch.zeros(5, 3, 2, 2), data_samples=list(range(5)))
    cut = take_samples(batch, 2)
    assert cut['inputs'].shape[0] == 2 and cut['data_samples'] == [0, 1]
    assert take_samples(batch, 9) is batch
    net = Net()
    assert recalibrate_bn(net, [batch, batch], num_samples=2) == 2
