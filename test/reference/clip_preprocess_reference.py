#!/usr/bin/env python3
"""Independent numpy reference for Hugging Face CLIPImageProcessor (PIL path) and Pillow's 8-bit resample.

Written from Pillow's libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner) and transformers'
image_processing_clip.py / image_transforms.py (get_resize_output_image_size, center_crop, rescale,
normalize), sharing no code with the TypeScript port. The fixed-point sums are computed as dense
matrix products (not per-pixel loops), so an indexing slip in either implementation shows up as a mismatch.

stdin: JSON list of requests, each with an RGB image {"width", "height", "data": base64 of RGB bytes}:
  {"op": "resize", "image": ..., "width": int, "height": int, "resample": int}
  {"op": "preprocess", "image": ..., "config": preprocessor_config.json object}
stdout: JSON list: resize -> {"data": base64 RGB bytes, "width", "height"};
                   preprocess -> {"shape": [3, H, W], "pixels": base64 of little-endian float32, CHW order}
"""
import base64
import json
import math
import sys

import numpy as np

PRECISION_BITS = 32 - 8 - 2


def bicubic(x):
    a = -0.5
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def bilinear(x):
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


def box(x):
    return 1.0 if -0.5 < x <= 0.5 else 0.0


def hamming(x):
    x = abs(x)
    if x == 0.0:
        return 1.0
    if x >= 1.0:
        return 0.0
    x = x * math.pi
    return math.sin(x) / x * (0.54 + 0.46 * math.cos(x))


def sinc(x):
    if x == 0.0:
        return 1.0
    x = x * math.pi
    return math.sin(x) / x


def lanczos(x):
    return sinc(x) * sinc(x / 3) if -3.0 <= x < 3.0 else 0.0


# Image.Resampling codes -> (filter, support)
FILTERS = {1: (lanczos, 3.0), 2: (bilinear, 1.0), 3: (bicubic, 2.0), 4: (box, 0.5), 5: (hamming, 1.0)}


def weight_matrix(in_size, out_size, resample):
    """Dense [out, in] int64 matrix of Pillow's fixed-point coefficients for the box (0, in_size)."""
    filt, fsupport = FILTERS[resample]
    scale = float(in_size) / out_size
    filterscale = max(scale, 1.0)
    support = fsupport * filterscale
    m = np.zeros((out_size, in_size), dtype=np.int64)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        ss = 1.0 / filterscale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = [filt((x + xmin - center + 0.5) * ss) for x in range(xmax)]
        total = 0.0
        for v in w:  # a plain loop: Python >= 3.12 sum() compensates rounding, the C loop does not
            total += v
        for x in range(xmax):
            k = w[x] / total if total != 0.0 else w[x]
            m[xx, xmin + x] = int(-0.5 + k * (1 << PRECISION_BITS)) if k < 0 else int(0.5 + k * (1 << PRECISION_BITS))
    return m


def clip8(acc):
    return np.clip(acc >> PRECISION_BITS, 0, 255).astype(np.uint8)


def fixed_point_dot(m, a):
    """m [out, in] int64 @ a [in, k] uint8, exactly: every product and partial sum is an integer below 2^53,
    so a float64 BLAS product is exact whatever order it sums in."""
    return np.rint(m.astype(np.float64) @ a.astype(np.float64)).astype(np.int64)


def pil_resize(img, width, height, resample):
    """img: uint8 [H, W, 3]. Horizontal pass (rounded to uint8), then vertical; unchanged axes are skipped."""
    half = 1 << (PRECISION_BITS - 1)
    out = img
    if width != img.shape[1]:
        h, w, _ = out.shape
        wm = weight_matrix(w, width, resample)
        cols = out.transpose(1, 0, 2).reshape(w, h * 3)  # [x, (y, c)]
        out = clip8(fixed_point_dot(wm, cols) + half).reshape(width, h, 3).transpose(1, 0, 2)
    if height != img.shape[0]:
        h, w, _ = out.shape
        hm = weight_matrix(h, height, resample)
        out = clip8(fixed_point_dot(hm, out.reshape(h, w * 3)) + half).reshape(height, w, 3)
    return np.ascontiguousarray(out)


def size_dict(size, default_to_square):
    """transformers get_size_dict for the shapes preprocessor configs use."""
    if isinstance(size, int):
        return {"height": size, "width": size} if default_to_square else {"shortest_edge": size}
    return size


def resize_output_size(h, w, size):
    if "shortest_edge" in size:
        s = size["shortest_edge"]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        return (new_long, new_short) if w <= h else (new_short, new_long)
    return (size["height"], size["width"])


def center_crop(img, crop_h, crop_w):
    """transformers.image_transforms.center_crop on a channels-last array (zero padding when too small)."""
    oh, ow = img.shape[:2]
    top = (oh - crop_h) // 2
    bottom = top + crop_h
    left = (ow - crop_w) // 2
    right = left + crop_w
    if top >= 0 and bottom <= oh and left >= 0 and right <= ow:
        return img[top:bottom, left:right]
    nh, nw = max(crop_h, oh), max(crop_w, ow)
    new = np.zeros((nh, nw) + img.shape[2:], dtype=img.dtype)
    tp = math.ceil((nh - oh) / 2)
    lp = math.ceil((nw - ow) / 2)
    new[tp : tp + oh, lp : lp + ow] = img
    top, bottom, left, right = top + tp, bottom + tp, left + lp, right + lp
    return new[max(0, top) : min(nh, bottom), max(0, left) : min(nw, right)]


def preprocess(img, cfg):
    mean = cfg.get("image_mean", [0.48145466, 0.4578275, 0.40821073])
    std = cfg.get("image_std", [0.26862954, 0.26130258, 0.27577711])
    if cfg.get("do_resize", True):
        size = size_dict(cfg.get("size", 224), default_to_square=False)
        h, w = resize_output_size(img.shape[0], img.shape[1], size)
        img = pil_resize(img, w, h, cfg.get("resample", 3))
    if cfg.get("do_center_crop", True):
        crop = size_dict(cfg.get("crop_size", 224), default_to_square=True)
        img = center_crop(img, crop["height"], crop["width"])
    if cfg.get("do_rescale", True):
        img = (img.astype(np.float64) * cfg.get("rescale_factor", 1 / 255)).astype(np.float32)
    if cfg.get("do_normalize", True):
        img = img.astype(np.float32)
        img = (img - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
    return np.ascontiguousarray(img.transpose(2, 0, 1))


def decode(image):
    raw = np.frombuffer(base64.b64decode(image["data"]), dtype=np.uint8)
    return raw.reshape(image["height"], image["width"], 3)


def answer(req):
    img = decode(req["image"])
    if req["op"] == "resize":
        out = pil_resize(img, req["width"], req["height"], req.get("resample", 3))
        return {"width": out.shape[1], "height": out.shape[0], "data": base64.b64encode(out.tobytes()).decode()}
    if req["op"] == "preprocess":
        out = preprocess(img, req["config"])
        assert out.dtype == np.float32, out.dtype
        return {"shape": list(out.shape), "pixels": base64.b64encode(out.astype("<f4").tobytes()).decode()}
    raise ValueError("unknown op " + str(req["op"]))


if __name__ == "__main__":
    json.dump([answer(r) for r in json.load(sys.stdin)], sys.stdout)
