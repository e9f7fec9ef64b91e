"""The evaluation protocol: MATLAB-exact bicubic degradation and Y-channel PSNR/SSIM."""
from srnas.protocol.imresize import imresize, modcrop
from srnas.protocol.metrics import Protocol, PROTOCOLS, calc_psnr, calc_ssim, rgb2y, score_pair

__all__ = ["imresize", "modcrop", "Protocol", "PROTOCOLS", "calc_psnr", "calc_ssim", "rgb2y", "score_pair"]
