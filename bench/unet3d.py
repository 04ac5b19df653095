"""The mstransfer 3D U-Net in Python PyTorch, with the same parameter names as
lib/model/UNet3d.h, so that weights move between the two with no key mapping:

    torch.save(dict(model.state_dict()), "source.pt")   # loadable by mstransfer
    model.load_state_dict(torch.load("best.pt"))         # an mstransfer checkpoint

(Save a plain dict: LibTorch 1.13 cannot read the OrderedDict that
torch.save(model.state_dict()) writes.)
"""
import torch
from torch import nn
import torch.nn.functional as F


def _norm(kind, c):
    if kind == "batch":
        return nn.BatchNorm3d(c)
    if kind == "group":
        return nn.GroupNorm(8, c, affine=True)
    return nn.InstanceNorm3d(c, affine=True, track_running_stats=False)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, stride, norm="instance", dropout=0.0):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, cout, 3, stride=stride, padding=1)
        self.norm1 = _norm(norm, cout)
        self.conv2 = nn.Conv3d(cout, cout, 3, padding=1)
        self.norm2 = _norm(norm, cout)
        self.act = nn.LeakyReLU(0.01, inplace=True)
        self.drop = nn.Dropout3d(dropout) if dropout > 0 else None

    def forward(self, x):
        x = self.act(self.norm1(self.conv1(x)))
        if self.drop is not None:
            x = self.drop(x)
        return self.act(self.norm2(self.conv2(x)))


class UpStep(nn.Module):
    def __init__(self, cin, cout, norm="instance", dropout=0.0, upsampling="transposed"):
        super().__init__()
        self.trilinear = upsampling == "trilinear"
        self.up = nn.Conv3d(cin, cout, 1) if self.trilinear else nn.ConvTranspose3d(cin, cout, 2, stride=2)
        self.block = ConvBlock(2 * cout, cout, 1, norm, dropout)

    def forward(self, x, skip):
        if self.trilinear:
            x = self.up(F.interpolate(x, size=skip.shape[2:], mode="trilinear", align_corners=False))
        else:
            x = self.up(x)
        return self.block(torch.cat([x, skip], 1))


class UNet3d(nn.Module):
    def __init__(self, in_channels=1, out_channels=1, base_filters=8, depth=3, norm="instance", dropout=0.0,
                 upsampling="transposed", max_filters=320):
        super().__init__()
        f = [min(base_filters * 2 ** l, max_filters) for l in range(depth)]
        self.encoder = nn.ModuleList()
        prev = in_channels
        for l in range(depth):
            self.encoder.append(ConvBlock(prev, f[l], 1 if l == 0 else 2, norm, dropout))
            prev = f[l]
        self.decoder = nn.ModuleList(UpStep(f[l + 1], f[l], norm, dropout, upsampling) for l in range(depth - 2, -1, -1))
        self.head = nn.Conv3d(f[0], out_channels, 1)

    def forward(self, x):
        skips = []
        for blk in self.encoder:
            x = blk(x)
            skips.append(x)
        for i, up in enumerate(self.decoder):
            x = up(x, skips[-2 - i])
        return self.head(x)
