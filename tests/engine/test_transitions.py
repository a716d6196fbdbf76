"""Transitions drawn by their gl-transitions formula: a frame inside the window equals the formula
evaluated in numpy on the same two frames.

Sources: the IMS transition page (help.aliyun.com/document_detail/447495.htm: SubType names are gl-
transitions names, e.g. directional, waterdrop) and the GLSL of each transition in github.com/gl-
transitions/gl-transitions (Directional.glsl, WaterDrop.glsl, perlin.glsl, pinwheel.glsl,
circle.glsl, CircleCrop.glsl, circleopen.glsl, Radial.glsl, crosshatch.glsl, fadecolor.glsl,
SimpleZoom.glsl, Dreamy.glsl, directionalwarp.glsl, BowTieVertical.glsl, BowTieHorizontal.glsl,
crosswarp.glsl, DoomScreenTransition.glsl, Bounce.glsl, ZoomInCircles.glsl, rotate_scale_fade.glsl,
heart.glsl, squareswire.glsl, pixelize.glsl, burn.glsl, colorphase.glsl, multiply_blend.glsl,
fadegrayscale.glsl, ColourDistance.glsl, windowblinds.glsl, squeeze.glsl, ripple.glsl, Swirl.glsl,
flyeye.glsl, undulatingBurnOut.glsl, GlitchDisplace.glsl, kaleidoscope.glsl,
CrazyParametricFun.glsl, swap.glsl, cube.glsl, hexagonalize.glsl, Mosaic.glsl (taken for IMS's
mosaic: inferred), luma.glsl and displacement.glsl (of the picture gl-transitions' website gives
every picture uniform, gre/gl-transition-libs: inferred); MIT), with their default uniforms.
Compared on the luma plane, which the engine draws as it draws every plane (the transitions of
colour alone, squeeze and glitchdisplace: in RGB, on coloured ramps), in renders encoded
losslessly (Crf 0) so that what differs is the drawing; the two clips are smooth ramps so that
nearest sampling (ffmpeg) and bilinear sampling (a GPU) differ by little.
directional is xfade's slidedown, perlin a still noise field drawn once and thresholded per frame
(lut2, maskedmerge), waterdrop `from` remapped through maps built each frame of still fields:
however drawn, each must match its formula.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from imsd.engine.render.transitions import TEXTURES, transition_table, xfade_transition

from tests.engine.conftest import FPS, video
from tests.engine.sampling import frames, luma_frames, stream

W, H = 160, 128
Plane = npt.NDArray[np.float64]


def uv(w: int = W, h: int = H) -> tuple[Plane, Plane]:
    """Pixel centres of a w x h picture as gl-transitions sees them: x right, y up, in [0, 1]."""
    x = (np.arange(w) + 0.5) / w
    y = 1 - (np.arange(h) + 0.5) / h
    return np.meshgrid(x, y)


def read(plane: Plane, ux: Plane, uy: Plane) -> Plane:
    """texture2D(plane, uv), nearest and clamped, as ffmpeg's a0()/b0() read it."""
    h, w = plane.shape[:2]
    cols = np.clip(np.floor(ux * w - 0.5 + 1e-9), 0, w - 1).astype(int)
    rows = np.clip(np.floor((1 - uy) * h - 0.5 + 1e-9), 0, h - 1).astype(int)
    return plane[rows, cols]


def directional(a: Plane, b: Plane, progress: float) -> Plane:
    """Directional.glsl, direction = vec2(0.0, 1.0)."""
    x, y = uv()
    py = y + progress
    fy = py - np.floor(py)
    return np.where(py <= 1, read(a, x, fy), read(b, x, fy))


def waterdrop(a: Plane, b: Plane, progress: float) -> Plane:
    """WaterDrop.glsl, amplitude = 30, speed = 30."""
    x, y = uv()
    dx, dy = x - 0.5, y - 0.5
    dist = np.hypot(dx, dy)
    offset = np.where(dist > progress, 0.0, np.sin(dist * 30 - progress * 30))
    return read(a, x + dx * offset, y + dy * offset) * (1 - progress) + b * progress


def perlin(a: Plane, b: Plane, progress: float) -> Plane:
    """perlin.glsl, scale = 4, smoothness = 0.01, seed = 12.9898."""

    def random(cx: Plane, cy: Plane) -> Plane:
        value = np.sin(np.mod(cx * 12.9898 + cy * 78.233, 3.14)) * 43758.5453
        return value - np.floor(value)

    x, y = uv()
    sx, sy = x * 4, y * 4
    ix, iy = np.floor(sx), np.floor(sy)
    fx, fy = sx - ix, sy - iy
    ux, uy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    ca, cb, cc, cd = random(ix, iy), random(ix + 1, iy), random(ix, iy + 1), random(ix + 1, iy + 1)
    n = ca + (cb - ca) * ux + (cc - ca) * uy * (1 - ux) + (cd - cb) * ux * uy
    p = -0.01 + progress * 1.02
    t = np.clip((n - (p - 0.01)) / 0.02, 0, 1)
    q = t * t * (3 - 2 * t)
    return a * q + b * (1 - q)


def rand(cx: Plane | float, cy: Plane | float) -> Plane:
    """gl-transitions' rand(co), in double precision as ffmpeg evaluates it."""
    value = np.sin(np.multiply(cx, 12.9898) + np.multiply(cy, 78.233)) * 43758.5453
    return np.asarray(value - np.floor(value))


def smoothstep(edge0: float, edge1: float, v: Plane) -> Plane:
    t = np.clip((v - edge0) / (edge1 - edge0), 0, 1)
    return t * t * (3 - 2 * t)


def randomsquares(a: Plane, b: Plane, progress: float) -> Plane:
    """randomsquares.glsl, size = (10, 10), smoothness = 0.5."""
    x, y = uv()
    m = smoothstep(0.0, -0.5, rand(np.floor(10 * x), np.floor(10 * y)) - progress * 1.5)
    return a * (1 - m) + b * m


def wind(a: Plane, b: Plane, progress: float) -> Plane:
    """wind.glsl, size = 0.2."""
    x, y = uv()
    m = smoothstep(0.0, -0.2, x * 0.8 + 0.2 * rand(0.0, y) - progress * 1.2)
    return a * (1 - m) + b * m


def polka(a: Plane, b: Plane, progress: float) -> Plane:
    """PolkaDotsCurtain.glsl, dots = 20, center = (0, 0)."""
    x, y = uv()
    cell = np.hypot(np.mod(x * 20, 1) - 0.5, np.mod(y * 20, 1) - 0.5)
    return np.where(cell < progress / np.hypot(x, y), b, a)


def angular(a: Plane, b: Plane, progress: float) -> Plane:
    """angular.glsl, startingAngle = 90."""
    x, y = uv()
    angle = (np.arctan2(y - 0.5, x - 0.5) + np.pi / 2 + np.pi) / (2 * np.pi)
    return np.where(angle - np.floor(angle) <= progress, b, a)


def directionalwipe(a: Plane, b: Plane, progress: float) -> Plane:
    """directionalwipe.glsl, direction = (1, -1), smoothness = 0.5."""
    x, y = uv()
    m = (progress > 0) * (1 - smoothstep(-0.5, 0.0, 0.5 * x - 0.5 * y - (-0.5 + progress * 1.5)))
    return a * (1 - m) + b * m


def windowslice(a: Plane, b: Plane, progress: float) -> Plane:
    """windowslice.glsl, count = 10, smoothness = 0.5 (xfade's hrslice draws it)."""
    x, _ = uv()
    pr = smoothstep(-0.5, 0.0, x - progress * 1.5)
    return np.where(np.mod(10 * x, 1) >= pr, b, a)


def polarfunction(a: Plane, b: Plane, progress: float) -> Plane:
    """polar_function.glsl, segments = 5."""
    x, y = uv()
    angle = np.arctan2(y - 0.5, x - 0.5) - 0.5 * np.pi
    radius = (np.cos(5 * angle) + 4) / 4
    return np.where(np.hypot(x - 0.5, y - 0.5) > radius * progress, a, b)


def pinwheel(a: Plane, b: Plane, progress: float) -> Plane:
    """pinwheel.glsl, speed = 2."""
    x, y = uv()
    turned = np.mod(np.arctan2(y - 0.5, x - 0.5) + progress * 2, 3.1415 / 4)
    return np.where(np.sign(progress - turned) > 0.5, b, a)


#: circle.glsl's backColor, vec3(0.1) in RGB, as luma_frames reads luma (to gray: full range).
CIRCLE_BACK = 255 * 0.1


def circle(a: Plane, b: Plane, progress: float) -> Plane:
    """circle.glsl, center = (0.5, 0.5), backColor = (0.1, 0.1, 0.1)."""
    x, y = uv()
    inside = np.hypot(x - 0.5, y - 0.5) <= np.sqrt(8) * abs(progress - 0.5)
    return np.where(inside, a if progress < 0.5 else b, CIRCLE_BACK)


def circlecrop(a: Plane, b: Plane, progress: float) -> Plane:
    """CircleCrop.glsl, bgcolor = black (0 as luma_frames reads it); ratio = W / H."""
    x, y = uv()
    dist = np.hypot(x - 0.5, (y - 0.5) * H / W)
    shown = dist < (2 * abs(progress - 0.5)) ** 3
    return np.where(shown, a if progress < 0.5 else b, 0.0)


def circleopen(a: Plane, b: Plane, progress: float) -> Plane:
    """circleopen.glsl, smoothness = 0.3, opening = true."""
    x, y = uv()
    m = smoothstep(-0.3, 0.0, np.sqrt(2) * np.hypot(x - 0.5, y - 0.5) - progress * 1.3)
    return a * m + b * (1 - m)


def radial(a: Plane, b: Plane, progress: float) -> Plane:
    """Radial.glsl, smoothness = 1."""
    x, y = uv()
    m = smoothstep(0.0, 1.0, np.arctan2(2 * y - 1, 2 * x - 1) - (progress - 0.5) * np.pi * 2.5)
    return b * (1 - m) + a * m


def crosshatch(a: Plane, b: Plane, progress: float) -> Plane:
    """crosshatch.glsl, center = (0.5, 0.5), threshold = 3, fadeEdge = 0.1."""
    x, y = uv()
    dist = np.hypot(x - 0.5, y - 0.5) / 3
    r = progress - np.minimum(rand(y, 0.0), rand(0.0, x))
    edge = np.where(dist <= r, 1.0, 0.0)
    m = smoothstep(0.0, 0.1, np.asarray(progress)) * (edge + (1 - edge) * smoothstep(0.9, 1.0, np.asarray(progress)))
    return a * (1 - m) + b * m


def fadecolor(a: Plane, b: Plane, progress: float) -> Plane:
    """fadecolor.glsl, color = black (0 as luma_frames reads it), colorPhase = 0.4."""
    p = np.asarray(progress)
    return (1 - p) * a * smoothstep(0.6, 0.0, p) + p * b * smoothstep(0.4, 1.0, p)


def simplezoom(a: Plane, b: Plane, progress: float) -> Plane:
    """SimpleZoom.glsl, zoom_quickness = 0.8."""
    x, y = uv()
    zoom = smoothstep(0.0, 0.8, np.asarray(progress))
    m = smoothstep(0.6, 1.0, np.asarray(progress))
    return read(a, 0.5 + (x - 0.5) * (1 - zoom), 0.5 + (y - 0.5) * (1 - zoom)) * (1 - m) + b * m


def ripple(a: Plane, b: Plane, progress: float) -> Plane:
    """ripple.glsl, amplitude = 100, speed = 50."""
    x, y = uv()
    dx, dy = x - 0.5, y - 0.5
    g = (np.sin(progress * np.hypot(dx, dy) * 100 - progress * 50) + 0.5) / 30 * progress
    m = smoothstep(0.2, 1.0, np.asarray(progress))
    return read(a, x + dx * g, y + dy * g) * (1 - m) + b * m


def dreamy(a: Plane, b: Plane, progress: float) -> Plane:
    """Dreamy.glsl."""
    x, y = uv()

    def shifted(q: float) -> Plane:
        return np.asarray(y + 0.03 * q * np.cos(10.0 * (q + x)))

    return read(a, x, shifted(progress)) * (1 - progress) + read(b, x, shifted(1 - progress)) * progress


def directionalwarp(a: Plane, b: Plane, progress: float) -> Plane:
    """directionalwarp.glsl, smoothness = 0.1, direction = (-1, 1)."""
    x, y = uv()
    vx, vy = -0.5, 0.5  # normalize(direction) / (|x| + |y|)
    d = vx * 0.5 + vy * 0.5
    m = 1 - smoothstep(-0.1, 0.0, vx * x + vy * y - (d - 0.5 + progress * 1.1))
    return read(a, (x - 0.5) * (1 - m) + 0.5, (y - 0.5) * (1 - m) + 0.5) * (1 - m) + read(
        b, (x - 0.5) * m + 0.5, (y - 0.5) * m + 0.5
    ) * m


def crosswarp(a: Plane, b: Plane, progress: float) -> Plane:
    """crosswarp.glsl."""
    x, y = uv()
    m = smoothstep(0.0, 1.0, progress * 2 + x - 1)
    return read(a, (x - 0.5) * (1 - m) + 0.5, (y - 0.5) * (1 - m) + 0.5) * (1 - m) + read(
        b, (x - 0.5) * m + 0.5, (y - 0.5) * m + 0.5
    ) * m


def doomscreentransition_down(a: Plane, b: Plane, progress: float) -> Plane:
    """DoomScreenTransition.glsl, bars = 30, amplitude = 2, noise = 0.1, frequency = 0.5,
    dripScale = 0.5 (in double precision, as ffmpeg evaluates it)."""
    x, y = uv()
    bar = np.floor(x * 30)
    rand = np.mod(np.mod(bar * 67123.313, 12.0) * np.sin(bar * 10.3) * np.cos(bar), 1.0)
    fn = bar * 0.5 * 0.1 * 30
    wave = np.cos(fn * 0.5) * np.cos(fn * 0.13) * np.sin((fn + 10.0) * 0.3) / 2.0 + 0.5
    pos = wave + (rand - wave) * 0.1 + np.sin(bar / 29 * 3.141592) * 0.5
    phase = progress * (1.0 + pos * 2)
    return np.where(phase + y < 1.0, read(a, x, y + phase), b)


def bounce_down(a: Plane, b: Plane, progress: float) -> Plane:
    """Bounce.glsl, shadow_colour = (0, 0, 0, 0.6), shadow_height = 0.075, bounces = 3 (black is
    0 as luma_frames reads it)."""
    x, y = uv()
    edge = abs(np.cos(progress * np.pi * 3)) * (1 - np.sin(progress * np.pi / 2))
    d = y - edge
    fade = smoothstep(0.95, 1.0, np.asarray(progress))
    shadow = (d <= 0.075) * (1 - ((d / 0.075 * 0.6 + 0.4) * (1 - fade) + fade))
    shaded = b * (1 - shadow)
    return np.where(d <= 0, read(a, x, y + 1 - edge), shaded)


def zoomincircles(a: Plane, b: Plane, progress: float) -> Plane:
    """ZoomInCircles.glsl (ratio = W / H)."""
    x, y = uv()
    r = 2 * np.hypot(x - 0.5, (y - 0.5) * H / W)
    pro = progress / 0.8
    z, t = (0.2 + (pro - 1) * 5, min(max((progress - 0.8) / 0.07, 0.0), 1.0)) if pro > 1 else (pro * 0.2, 0.0)
    rings = [r < 0.5 + z, r < 0.8 + z * 1.5, r < 1.2 + z * 2.5, np.ones_like(r, dtype=bool)]
    amounts, weights = [1.0, 1 - 0.15 * pro, 1 - 0.2 * pro, 1 - 0.25 * pro], [t, t * 0.5, t * 0.2, t]
    out = np.zeros_like(a)
    for ring, amount, weight in reversed(list(zip(rings, amounts, weights, strict=True))):
        zx, zy = 0.5 + (x - 0.5) * amount, 0.5 + (y - 0.5) * amount
        out = np.where(ring, read(a, zx, zy) * (1 - weight) + read(b, zx, zy) * weight, out)
    return out


def rotatescalefade(a: Plane, b: Plane, progress: float) -> Plane:
    """rotate_scale_fade.glsl, center = (0.5, 0.5), rotations = 1, scale = 8, backColor = (0.15,
    0.15, 0.15, 1) (38.25 as luma_frames reads it)."""
    x, y = uv()
    angle = 2 * np.pi * progress
    scale = 8 + (1 - 8) * 2 * abs(progress - 0.5)
    dx, dy = x - 0.5, y - 0.5
    rx = 0.5 + (dx * np.cos(angle) - dy * np.sin(angle)) / scale
    ry = 0.5 + (dx * np.sin(angle) + dy * np.cos(angle)) / scale
    mixed = read(a, rx, ry) * (1 - progress) + read(b, rx, ry) * progress
    return np.where((rx < 0) | (rx > 1) | (ry < 0) | (ry > 1), 255 * 0.15, mixed)


def swirl(a: Plane, b: Plane, progress: float) -> Plane:
    """Swirl.glsl (Radius = 1: every pixel of the picture turns)."""
    x, y = uv()
    dx, dy = x - 0.5, y - 0.5
    strength = progress / 0.5 if progress <= 0.5 else 1 - (progress - 0.5) / 0.5
    theta = (1 - np.hypot(dx, dy)) ** 2 * strength * 8 * 3.14159
    rx = 0.5 + dx * np.cos(theta) - dy * np.sin(theta)
    ry = 0.5 + dx * np.sin(theta) + dy * np.cos(theta)
    return read(a, rx, ry) * (1 - progress) + read(b, rx, ry) * progress


def flyeye(a: Plane, b: Plane, progress: float) -> Plane:
    """flyeye.glsl, size = 0.04, zoom = 50, colorSeparation = 0.3."""
    x, y = uv()
    dx, dy = 0.04 * np.cos(50 * x), 0.04 * np.sin(50 * y)
    to = read(b, x + (1 - progress) * dx, y + (1 - progress) * dy)
    amounts = (progress * 0.7, progress, progress * 1.3)
    from_ = [read(a[..., c], x + k * dx, y + k * dy) for c, k in enumerate(amounts)]
    return to * progress + np.stack(from_, axis=2) * (1 - progress)


def glitchmemories(a: Plane, b: Plane, progress: float) -> Plane:
    """GlitchMemories.glsl (its block, floor(uv / 16), is 0 on the picture)."""
    x, y = uv()
    noise = np.floor(np.array([progress * 1200.0, progress * 3500.0])) / 64
    dist = (noise - np.floor(noise) - 0.5) * 0.3 * (1 - progress) if progress > 0 else np.zeros(2)
    channels = [read(a[..., c], x + dist[0] * k, y + dist[1] * k) * (1 - progress)
                + read(b[..., c], x + dist[0] * k, y + dist[1] * k) * progress
                for c, k in enumerate((0.2, 0.3, 0.5))]  # fmt: skip
    return np.stack(channels, axis=2)


def morph(a: Plane, b: Plane, progress: float) -> Plane:
    """morph.glsl, strength = 0.1 (RGB)."""
    x, y = uv()
    oa = (a[..., :2] + a[..., 2:]) / 255 - 1  # ((rg + b) * .5) * 2 - 1
    ob = (b[..., :2] + b[..., 2:]) / 255 - 1
    oc = (oa + ob) / 2 * 0.1
    from_ = read(a, x + oc[..., 0] * progress, y + oc[..., 1] * progress)
    to = read(b, x - oc[..., 0] * (1 - progress), y - oc[..., 1] * (1 - progress))
    return np.asarray(from_ * (1 - progress) + to * progress)


def on_grey(formula: Callable[[Plane, Plane, float], Plane]) -> Callable[[Plane, Plane, float], Plane]:
    """A transition that reads each RGB channel at its own place, on grey pictures, as luma (BT.601,
    the engine's RGB to YUV): flyeye's few pixels of displacement are, on the smooth ramps, within
    a fade's mean, so it is checked pixel by pixel (REMAPPED), on the luma of its channels read
    apart; glitchmemories' likewise, on sharp squares (ON_SQUARES)."""

    def luma(a: Plane, b: Plane, progress: float) -> Plane:
        grey_a, grey_b = (np.repeat(x[..., None], 3, axis=2) for x in (a, b))
        return np.asarray(formula(grey_a, grey_b, progress) @ np.array([0.299, 0.587, 0.114]))

    return luma


def doorway(a: Plane, b: Plane, progress: float) -> Plane:
    """doorway.glsl, reflection = 0.4, perspective = 0.4, depth = 3 (black is 0 as luma_frames
    reads it)."""
    x, y = uv()
    p = progress
    slit = 2 * np.abs(x - 0.5) - p
    from_x = x + np.where(x > 0.5, -0.5, 0.5) * p
    d = 1 / (1 + 0.4 * p * (1 - slit))
    from_y = (y - d / 2) * d + d / 2
    doors = (slit > 0) & (from_x > 0) & (from_x < 1) & (from_y > 0) & (from_y < 1)
    size = 1 + (3 - 1) * (1 - p)
    to_x, to_y = 0.5 + (x - 0.5) * size, 0.5 + (y - 0.5) * size
    across = (to_x > 0) & (to_x < 1)
    mirrored = -1.2 * to_y - 0.02
    back = np.where(across & (mirrored > 0) & (mirrored < 1), read(b, to_x, mirrored) * 0.4 * (1 - mirrored), 0.0)
    behind = np.where(across & (to_y > 0) & (to_y < 1), read(b, to_x, to_y), back)
    return np.where(doors, read(a, from_x, from_y), behind)


def in_bounds(px: Plane, py: Plane) -> Plane:
    """gl-transitions' inBounds: strictly inside the picture."""
    return np.asarray((px > 0) & (px < 1) & (py > 0) & (py < 1))


def on_the_floor(a: Plane, b: Plane, places: tuple[Plane, Plane, Plane, Plane], floating: float) -> Plane:
    """swap.glsl's and cube.glsl's bgColor: black (0 as luma_frames reads it) and each picture's
    reflection, read at its place projected (x, -1.2 y - floating), by .4 (1 - y'), added."""
    out = np.zeros((H, W))
    for plane, px, py in ((a, *places[:2]), (b, *places[2:])):
        mirrored = -1.2 * py - floating
        out += np.where(in_bounds(px, mirrored), read(plane, px, mirrored) * 0.4 * (1 - mirrored), 0.0)
    return out


def swap_places(progress: float) -> tuple[Plane, Plane, Plane, Plane]:
    """swap.glsl's pfr and pto (perspective = 0.2, depth = 3): where each pixel reads `from`, `to`."""
    x, y = uv()
    p = progress
    size = 1 + 2 * p
    from_x, from_y = x * size / (1 - 0.2 * p), (y - 0.5) * size / (1 - size * 0.2 * p * x) + 0.5
    size = 1 + 2 * (1 - p)
    to_x = (x - 1) * size / (1 - 0.2 * (1 - p)) + 1
    to_y = (y - 0.5) * size / (1 - size * 0.2 * (1 - p) * (0.5 - x)) + 0.5
    return from_x, from_y, to_x, to_y


def swap(a: Plane, b: Plane, progress: float) -> Plane:
    """swap.glsl, reflection = 0.4, perspective = 0.2, depth = 3."""
    from_x, from_y, to_x, to_y = places = swap_places(progress)
    shown_a, shown_b = in_bounds(from_x, from_y), in_bounds(to_x, to_y)
    back = on_the_floor(a, b, places, 0.02)
    in_front = shown_a if progress < 0.5 else shown_a & ~shown_b
    return np.where(in_front, read(a, from_x, from_y), np.where(shown_b, read(b, to_x, to_y), back))


def xskew(px: Plane, py: Plane, persp: float, center: float) -> tuple[Plane, Plane]:
    """cube.glsl's xskew (its center 0 or 1)."""
    x = px + (1 - 2 * px) * center  # mix(p.x, 1 - p.x, center)
    y = (py - 0.5 * (1 - persp) * x) / (1 + (persp - 1) * x)
    side = 1 if center < 0.5 else -1
    return (x - (0.5 - abs(center - 0.5))) * 0.5 / abs(center - 0.5) * side + (0 if center < 0.5 else 1), y


def cube(a: Plane, b: Plane, progress: float) -> Plane:
    """cube.glsl, persp = 0.7, unzoom = 0.3, reflection = 0.4, floating = 3."""
    x, y = uv()
    p = progress
    uz = 0.3 * 2 * (0.5 - abs(0.5 - p))
    px, py = -uz * 0.5 + (1 + uz) * x, -uz * 0.5 + (1 + uz) * y
    from_x, from_y = xskew((px - p) / (1 - p), py, 1 - (p + (0 - p) * 0.7), 0.0)
    to_x, to_y = xskew(px / p, py, p**2 + (1 - p**2) * 0.7, 1.0)
    shown_a, shown_b = in_bounds(from_x, from_y), in_bounds(to_x, to_y)
    back = on_the_floor(a, b, (from_x, from_y, to_x, to_y), 0.03)
    return np.where(shown_a, read(a, from_x, from_y), np.where(shown_b, read(b, to_x, to_y), back))


def dreamyzoom(a: Plane, b: Plane, progress: float) -> Plane:
    """DreamyZoom.glsl, rotation = 6, scale = 1.2 (DEG2RAD as the GLSL defines it); ratio = W / H.
    On grey pictures the white it adds to each channel adds to the luma."""
    x, y = uv()
    first = progress < 0.5
    phase = progress * 2 if first else (progress - 0.5) * 2
    turn = 6 * 0.03926990816987241548 * (phase if first else phase - 1)
    scale = 1 + 0.2 * phase if first else 1.2 - 0.2 * phase
    px, py = (x - 0.5) / scale * (W / H), (y - 0.5) / scale
    angle, dist = np.arctan2(py, px) + turn, np.hypot(px, py)
    shown = read(a if first else b, np.cos(angle) * dist / (W / H) + 0.5, np.sin(angle) * dist + 0.5)
    return np.clip(shown + 255 * (phase if first else 1 - phase), 0, 255)


def gridflip(a: Plane, b: Plane, progress: float) -> Plane:
    """GridFlip.glsl, size = (4, 4), pause = 0.1, dividerWidth = 0.05, bgcolor = black (0 as
    luma_frames reads it), randomness = 0.1."""
    x, y = uv()
    cx, cy = np.floor(4 * x), np.floor(4 * y)
    delta = np.minimum(np.minimum(np.abs(x - cx / 4), np.abs(x - (cx + 1) / 4)),
                       np.minimum(np.abs(y - (cy + 1) / 4), np.abs(y - cy / 4)))  # fmt: skip
    divider = delta < 0.25 * 0.05
    if progress < 0.1:
        return np.where(divider, a * (1 - progress / 0.1), a)
    if progress >= 0.9:
        return np.where(divider, b * (progress - 0.9) / 0.1, b)
    cp = smoothstep(0.0, 1 - (rand(cx, cy) - 0.1), np.asarray((progress - 0.1) / 0.8))
    offset = 0.125 + cx / 4
    px = (x - offset) / np.abs(cp - 0.5) * 0.5 + offset
    shown = np.where(cp <= 0.5, read(a, px, y), read(b, px, y))
    card = np.abs(4 * (x - cx / 4) - 0.5) <= np.abs(cp - 0.5)
    return np.where(divider | ~card, 0.0, shown)


def heart(a: Plane, b: Plane, progress: float) -> Plane:
    """heart.glsl."""
    x, y = uv()
    if progress == 0:
        return a
    ox, oy = (x - 0.5) / (1.6 * progress), (y - 0.4) / (1.6 * progress)
    r = ox * ox + oy * oy - 0.3
    return np.where(r**3 <= ox * ox * oy**3, b, a)


def squareswire(a: Plane, b: Plane, progress: float) -> Plane:
    """squareswire.glsl, squares = (10, 10), direction = (1.0, -0.5), smoothness = 1.6."""
    x, y = uv()
    v = np.array([1.0, -0.5]) / np.hypot(1.0, -0.5)
    v /= abs(v[0]) + abs(v[1])
    d = v[0] * 0.5 + v[1] * 0.5
    pr = smoothstep(-1.6, 0.0, v[0] * x + v[1] * y - (d - 0.5 + progress * 2.6))
    sx, sy = np.mod(x * 10, 1), np.mod(y * 10, 1)
    inside = (pr / 2 <= sx) & (pr / 2 <= sy) & (sx <= 1 - pr / 2) & (sy <= 1 - pr / 2)
    return np.where(inside & (progress > 0), b, a)


def pixelize(a: Plane, b: Plane, progress: float) -> Plane:
    """pixelize.glsl, squaresMin = (20, 20), steps = 50."""
    x, y = uv()
    dist = np.ceil(min(progress, 1 - progress) * 50) / 50
    if dist > 0:
        side = 2 * dist / 20
        x, y = (np.floor(x / side) + 0.5) * side, (np.floor(y / side) + 0.5) * side
    return read(a, x, y) * (1 - progress) + read(b, x, y) * progress


def hexagonalize(a: Plane, b: Plane, progress: float) -> Plane:
    """hexagonalize.glsl, steps = 50, horizontalHexagons = 20 (ratio = W / H): its cube rounding
    as it is written."""
    x, y = uv()
    dist = np.ceil(2 * min(progress, 1 - progress) * 50) / 50
    if dist > 0:
        size, ratio = np.sqrt(3) / 3 * dist / 20, W / H
        px, py = (x - 0.5) / size, (y / ratio - 0.5) / size
        q, r = np.sqrt(3) / 3 * px - py / 3, 2 / 3 * py
        s = -q - r
        rq, rr, rs = np.floor(q + 0.5), np.floor(r + 0.5), np.floor(s + 0.5)
        dq, dr, ds = abs(rq - q), abs(rr - r), abs(rs - s)
        first = (dq > dr) & (dq > ds)
        rq, rr = np.where(first, -rr - rs, rq), np.where(~first & (dr > ds), -rq - rs, rr)
        x, y = (np.sqrt(3) * rq + np.sqrt(3) / 2 * rr) * size + 0.5, (1.5 * rr * size + 0.5) * ratio
    return read(a, x, y) * (1 - progress) + read(b, x, y) * progress


def mosaic(a: Plane, b: Plane, progress: float) -> Plane:
    """Mosaic.glsl, endx = 2, endy = -1 (Rand in double precision, as ffmpeg evaluates it)."""
    x, y = uv()
    rpr = progress * 2 - 1
    az = abs(3 - rpr * rpr * 2)
    pan = (0.5 - np.cos(progress * np.pi) / 2) ** 2
    rx, ry = (x - 0.5) * az + 0.5 + 2 * pan, (y - 0.5) * az + 0.5 - pan
    tx, ty = np.floor(rx), np.floor(ry)
    on_end = (tx == 2) & (ty == -1)
    r = rand(tx, ty)
    angle = np.where(on_end, 0.0, np.floor(r * 4)) * 0.5 * np.pi
    dx, dy = rx - tx - 0.5, ry - ty - 0.5  # Rotate(v, a) = mat2(cos, -sin, sin, cos) * v
    mx, my = 0.5 + np.cos(angle) * dx + np.sin(angle) * dy, 0.5 - np.sin(angle) * dx + np.cos(angle) * dy
    return np.where(on_end | (r > 0.5), read(b, mx, my), read(a, mx, my))


def windowblinds(a: Plane, b: Plane, progress: float) -> Plane:
    """windowblinds.glsl, clipped as a GPU writes it (its mix overshoots `to` late in the window)."""
    _, y = uv()
    t = progress * np.where(np.mod(np.floor(y * 100 * progress), 2) == 0, 1.5, 1.0)
    weight = t + (progress - t) * smoothstep(0.8, 1.0, np.asarray(progress))
    return np.clip(a + weight * (b - a), 0, 255)


def undulatingburnout(a: Plane, b: Plane, progress: float) -> Plane:
    """undulatingBurnOut.glsl, smoothness = 0.03, center = (.5, .5), color = black, clipped as a
    GPU writes it in RGB: on grey ramps, luma 16 (black) to 235 (white)."""
    x, y = uv()
    dist = np.hypot(x - 0.5, y - 0.5)
    t = np.sin((np.degrees(np.arctan2(y - 0.5, x - 0.5)) + 180) * np.pi * 30 / 360)
    eased = np.where(t < 0.5, 2 * t * t, -2 * t * t + 4 * t - 1)
    s = progress * progress * (3 - 2 * progress)
    r = progress + eased * (0.02 + 0.07 * s) * np.sin(progress * (40 - 10 * s))
    d = r - dist
    m = np.where((d >= -0.005) & (d <= 0.01), -1.0 - (d >= 0.005), smoothstep(-0.03, 0, r - dist * 1.03))
    mixed = np.clip(a + m * (b - a), 16, 235)
    return np.where(m <= -2, 16 + 0.25 * (a - 16), mixed)


Point = tuple[float, float]


def _in_triangle(px: Plane, py: Plane, p1: Point, p2: Point, p3: Point) -> Plane:
    """BowTie*.glsl's PointInTriangle: the point is on the same side of the three edges."""

    def check(q1: Point, q2: Point) -> Plane:
        return np.asarray((px - q2[0]) * (q1[1] - q2[1]) - (q1[0] - q2[0]) * (py - q2[1]) < 0)

    b1, b2, b3 = check(p1, p2), check(p2, p3), check(p3, p1)
    return np.asarray((b1 == b2) & (b2 == b3))


def _blur_edge(px: Plane, py: Plane, bot1: Point, bot2: Point, top: Point) -> Plane:
    """BowTie*.glsl's blur_edge: the distance to the nearer slanted side, over 0.005, at most 1."""

    def distance(bot: Point) -> Plane:
        line = (bot[0] - top[0], bot[1] - top[1])
        perp = np.array([line[1], -line[0]]) / np.hypot(*line)
        return np.asarray(np.abs(perp[0] * (bot[0] - px) + perp[1] * (bot[1] - py)))

    nearest = np.minimum(distance(bot1), distance(bot2))
    return np.where(nearest < 0.005, nearest / 0.005, 1.0)


def bowtievertical(a: Plane, b: Plane, progress: float) -> Plane:
    """BowTieVertical.glsl."""
    x, y = uv()
    p = progress
    top = ((0.5, p), (0.5 - p, 0.0), (0.5 + p, 0.0))
    bottom = ((0.5, 1.0 - p), (0.5 - p, 1.0), (0.5 + p, 1.0))
    in_top, in_bottom = _in_triangle(x, y, *top), _in_triangle(x, y, *bottom)
    m_top = np.where(y < 0.5, _blur_edge(x, y, top[1], top[2], top[0]), 1.0 if p > 0 else 0.0) * (p >= 0.1)
    m_bottom = np.where(y >= 0.5, _blur_edge(x, y, bottom[1], bottom[2], bottom[0]), 0.0)
    m = np.where(in_top, m_top, np.where(in_bottom, m_bottom, 0.0))
    return a * (1 - m) + b * m


def bowtiehorizontal(a: Plane, b: Plane, progress: float) -> Plane:
    """BowTieHorizontal.glsl."""
    x, y = uv()
    p = progress
    left = ((p, 0.5), (0.0, 0.5 - p), (0.0, 0.5 + p))
    right = ((1.0 - p, 0.5), (1.0, 0.5 - p), (1.0, 0.5 + p))
    in_left, in_right = _in_triangle(x, y, *left), _in_triangle(x, y, *right)
    m_left = np.where(x < 0.5, _blur_edge(x, y, left[1], left[2], left[0]), 1.0 if p > 0 else 0.0) * (p >= 0.1)
    m_right = np.where(x >= 0.5, _blur_edge(x, y, right[1], right[2], right[0]), 0.0)
    m = np.where(in_left, m_left, np.where(in_right, m_right, 0.0))
    return a * (1 - m) + b * m


def kaleidoscope(a: Plane, b: Plane, progress: float) -> Plane:
    """kaleidoscope.glsl, speed = 1, angle = 1, power = 1.5 (GLSL's mod: x - 2 floor(x / 2))."""
    x, y = uv()
    t = progress**1.5
    px, py = x - 0.5, y - 0.5
    for _ in range(7):
        px, py = np.sin(t) * px + np.cos(t) * py, np.sin(t) * py - np.cos(t) * px
        t += 1
        px, py = np.abs(np.mod(px, 2) - 1), np.abs(np.mod(py, 2) - 1)
    still = a * (1 - progress) + b * progress
    folded = read(a, px, py) * (1 - progress) + read(b, px, py) * progress
    return np.asarray(still + (folded - still) * (1 - 2 * abs(progress - 0.5)))


def crazyparametricfun(a: Plane, b: Plane, progress: float) -> Plane:
    """CrazyParametricFun.glsl, a = 4, b = 1, amplitude = 120, smoothness = 0.1."""
    x, y = uv()
    dx, dy = x - 0.5, y - 0.5
    dist = np.hypot(dx, dy)
    cx = 3 * np.cos(progress) + np.cos(progress * 3)
    cy = 3 * np.sin(progress) - np.sin(progress * 3)
    ox = dx * np.sin(progress * dist * 120 * cx) / 0.1
    oy = dy * np.sin(progress * dist * 120 * cy) / 0.1
    m = smoothstep(0.2, 1.0, np.asarray(progress))
    return np.asarray(read(a, x + ox, y + oy) * (1 - m) + b * m)


FORMULAS: dict[str, Callable[[Plane, Plane, float], Plane]] = {
    "directional": directional,
    "waterdrop": waterdrop,
    "perlin": perlin,
    "randomsquares": randomsquares,
    "wind": wind,
    "polka": polka,
    "angular": angular,
    "directionalwipe": directionalwipe,
    "polarfunction": polarfunction,
    "windowslice": windowslice,
    "pinwheel": pinwheel,
    "circle": circle,
    "circlecrop": circlecrop,
    "circleopen": circleopen,
    "radial": radial,
    "crosshatch": crosshatch,
    "fadecolor": fadecolor,
    "simplezoom": simplezoom,
    "dreamy": dreamy,
    "directionalwarp": directionalwarp,
    "bowtievertical": bowtievertical,
    "bowtiehorizontal": bowtiehorizontal,
    "crosswarp": crosswarp,
    "doomscreentransition_down": doomscreentransition_down,
    "bounce_down": bounce_down,
    "zoomincircles": zoomincircles,
    "rotatescalefade": rotatescalefade,
    "heart": heart,
    "squareswire": squareswire,
    "pixelize": pixelize,
    "hexagonalize": hexagonalize,
    "mosaic": mosaic,
    "windowblinds": windowblinds,
    "ripple": ripple,
    "swirl": swirl,
    "flyeye": on_grey(flyeye),
    "morph": on_grey(morph),
    "doorway": doorway,
    "dreamyzoom": dreamyzoom,
    "gridflip": gridflip,
    "undulatingburnout": undulatingburnout,
    "kaleidoscope": kaleidoscope,
    "crazyparametricfun": crazyparametricfun,
    "swap": swap,
    "cube": cube,
}


#: The transitions of colour alone (channels: each RGB channel mixed on its own, or through a
#: product, a grey, a distance in RGB): on grey pictures most would be a fade, so they are compared
#: on coloured ramps, in RGB (H x W x 3 planes).
REC709 = np.array([0.2126, 0.7152, 0.0722])


def burn(a: Plane, b: Plane, progress: float) -> Plane:
    """burn.glsl, color = (0.9, 0.4, 0.2), clipped as a GPU writes it."""
    p = progress
    return np.clip(a * (1 - p) + b * p + 2 * p * (1 - p) * 255 * np.array([0.9, 0.4, 0.2]), 0, 255)


def colorphase(a: Plane, b: Plane, progress: float) -> Plane:
    """colorphase.glsl, fromStep = (0.0, 0.2, 0.4, 0.0), toStep = (0.6, 0.8, 1.0, 1.0)."""
    m = smoothstep(0.0, 0.6, np.asarray(progress)), smoothstep(0.2, 0.8, np.asarray(progress))
    return a + (b - a) * np.array([*m, smoothstep(0.4, 1.0, np.asarray(progress))])


def multiplyblend(a: Plane, b: Plane, progress: float) -> Plane:
    """multiply_blend.glsl."""
    blended = a * b / 255
    if progress < 0.5:
        return a + (blended - a) * 2 * progress
    return blended + (b - blended) * (2 * progress - 1)


def fadegrayscale(a: Plane, b: Plane, progress: float) -> Plane:
    """fadegrayscale.glsl, intensity = 0.3."""
    p = np.asarray(progress)
    grey_a, grey_b = (np.repeat((x @ REC709)[..., None], 3, axis=2) for x in (a, b))
    from_ = grey_a + (a - grey_a) * smoothstep(0.7, 0.0, p)
    to = grey_b + (b - grey_b) * smoothstep(0.3, 1.0, p)
    return from_ * (1 - p) + to * p


def colordistance(a: Plane, b: Plane, progress: float) -> Plane:
    """ColourDistance.glsl, power = 5."""
    m = (np.linalg.norm((a - b) / 255, axis=2) <= progress)[..., None]
    mixed = np.where(m, b, a)
    return mixed + (b - mixed) * progress**5


def squeeze(a: Plane, b: Plane, progress: float) -> Plane:
    """squeeze.glsl, colorSeparation = 0.04."""
    x, y = uv()
    squeezed = 0.5 + (y - 0.5) / (1 - progress)
    shift = progress * 0.04
    channels = [read(a[..., c], x, squeezed + s) for c, s in enumerate((-shift, 0.0, shift))]
    off = ((squeezed < 0) | (squeezed > 1))[..., None]
    return np.where(off, b, np.stack(channels, axis=2))


def glitchdisplace(a: Plane, b: Plane, progress: float) -> Plane:
    """GlitchDisplace.glsl (RGB), clipped as a GPU writes it: `to` read where `from`'s red and green
    say, `from` where `to`'s do, and a doubled BT.601 grey of the darker read."""
    x, y = uv()
    p = progress
    ease1 = p if p in (0, 1) else 0.5 * 2 ** (20 * p - 10) if p < 0.5 else 1 - 0.5 * 2 ** (10 - 20 * p)
    ease2 = 1 if p == 1 else 1 - 2 ** (-10 * p)

    def displaced(tex: Plane, depth: float, strength: float) -> tuple[Plane, Plane]:
        dis = [(tex[..., c] / 255 * (0.33 - depth) + depth * 0.33) * strength for c in (0, 1)]
        return x + dis[0], y + dis[1]

    d1 = read(b, *displaced(a, 0.7, 1 - ease1))
    d2 = read(a, *displaced(b, 0.5, ease2))
    grey = 2 * (np.minimum(d1, d2) @ np.array([0.299, 0.587, 0.114]))[..., None]
    first = a + (grey - a) * smoothstep(0, 0.5, np.asarray(p))
    second = b + (d1 - b) * smoothstep(1, 0.5, np.asarray(p))
    return np.clip(first + (second - first) * ease1, 0, 255)


COLOUR_FORMULAS: dict[str, Callable[[Plane, Plane, float], Plane]] = {
    "burn": burn,
    "colorphase": colorphase,
    "multiplyblend": multiplyblend,
    "fadegrayscale": fadegrayscale,
    "colordistance": colordistance,
    "squeeze": squeeze,
    "glitchdisplace": glitchdisplace,
}


def lossless_clip(path: Path, vf: str, size: tuple[int, int] = (W, H)) -> Path:
    """A 2 s clip of `size` (the output's) drawn by the filters `vf` over black, encoded losslessly."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=black:s={size[0]}x{size[1]}:r={FPS}:d=2",
         "-vf", vf, "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def colour_ramps(media_dir: Path) -> tuple[Path, Path]:
    """Two smooth clips of different colours across the picture, at the output size."""
    across = lossless_clip(media_dir / "colour-across.mp4", "format=gbrp,geq=r='40+180*X/W':g='40+180*Y/H':b=100")
    down = lossless_clip(
        media_dir / "colour-down.mp4", "format=gbrp,geq=r='200-150*Y/H':g='60+100*X/W':b='40+160*(X+Y)/(W+H)'"
    )
    return across, down


@pytest.mark.parametrize("name", sorted(COLOUR_FORMULAS))
async def test_a_frame_inside_a_colour_transition_is_the_gl_transitions_formula_in_rgb(
    render: Any, colour_ramps: tuple[Path, Path], name: str
) -> None:
    """burn.glsl, colorphase.glsl, multiply_blend.glsl, fadegrayscale.glsl, ColourDistance.glsl:
    a mid-window frame, read as RGB, is the formula of the two RGB frames within the rounding of
    the YUV round trips (4:2:0 chroma read and written about smooth ramps)."""
    result = await _ramp_transition(render, colour_ramps, name)
    assert not result.approximated, result.approximated
    out = frames(result.output).astype(np.float64)
    a, b = (frames(path)[0].astype(np.float64) for path in colour_ramps)
    inside = [f for f in out if np.abs(f - a).mean() > 2 and np.abs(f - b).mean() > 2]
    assert len(inside) >= FPS // 2, f"{len(inside)} frames inside the transition"
    progress, error = _closest_progress(inside[len(inside) // 2], COLOUR_FORMULAS[name], a, b)
    assert 0.25 < progress < 0.75, progress
    assert error.mean() < 2.0, f"mean RGB error {error.mean():.2f} at progress {progress:.2f}"


async def test_morph_reads_both_pictures_where_their_colours_say_at_every_pixel(
    render: Any, colour_ramps: tuple[Path, Path]
) -> None:
    """morph.glsl on coloured ramps (its offsets: r + b across, g + b down, of both pictures): the
    luma of a mid-window frame, which 4:2:0 leaves whole, is the luma of the RGB formula of the
    two RGB frames at every pixel, within a column or row read over."""
    result = await _ramp_transition(render, colour_ramps, "morph")
    out = luma_frames(result.output).astype(np.float64)
    a, b = (frames(path)[0].astype(np.float64) for path in colour_ramps)
    rec601 = np.array([0.299, 0.587, 0.114])
    inside = [f for f in out if np.abs(f - a @ rec601).mean() > 2 and np.abs(f - b @ rec601).mean() > 2]

    def luma(fa: Plane, fb: Plane, p: float) -> Plane:
        return np.asarray(morph(fa, fb, p) @ rec601)

    progress, error = _closest_progress(inside[len(inside) // 2], luma, a, b)
    assert 0.25 < progress < 0.75, progress
    assert error.max() <= 3.5, f"luma off by {error.max():.1f} at progress {progress:.2f}"


def test_another_colour_transition_of_the_same_two_frames_does_not_match_the_formula() -> None:
    """The RGB comparison can fail: a third into the window each colour formula is farther from
    every other (and from a plain fade) than its test allows, by half as much again."""
    x, y = np.meshgrid(np.arange(W) / W, np.arange(H) / H)
    a = np.stack([40 + 180 * x, 40 + 180 * y, np.full_like(x, 100)], axis=2)
    b = np.stack([200 - 150 * y, 60 + 100 * x, 40 + 160 * (x + y) / 2], axis=2)
    fade = {"fade": lambda fa, fb, p: fa * (1 - p) + fb * p}
    for name, formula in COLOUR_FORMULAS.items():
        for other, drawn in (COLOUR_FORMULAS | fade).items():
            if other != name:
                assert np.abs(formula(a, b, 0.3) - drawn(a, b, 0.3)).mean() > 3, (name, other)


def linearblur(a: Plane, b: Plane, progress: float) -> Plane:
    """LinearBlur.glsl, intensity = 0.1, passes = 6 (reads nearest and clamped, as elsewhere)."""
    x, y = uv()
    disp = 0.1 * (0.5 - abs(0.5 - progress))
    taps = [i / 6 - 0.5 for i in range(6)]
    blurred = [np.mean([read(c, x + disp * u, y + disp * v) for u in taps for v in taps], axis=0) for c in (a, b)]
    return blurred[0] * (1 - progress) + blurred[1] * progress


@pytest.fixture(scope="module")
def checks(media_dir: Path) -> tuple[Path, Path]:
    """Two clips of sharp squares (8 and 12 pixels), for a blur that smooth ramps would not show."""
    made = []
    for name, lum in (("checks-8.mp4", "16+200*mod(floor(X/8)+floor(Y/8),2)"),
                      ("checks-12.mp4", "40+150*mod(floor(X/12)+floor(Y/12),2)")):  # fmt: skip
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=black:s={W}x{H}:r={FPS}:d=2",
             "-vf", f"geq=lum='{lum}':cb=128:cr=128", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p",
             str(media_dir / name)],
            check=True,
        )  # fmt: skip
        made.append(media_dir / name)
    return made[0], made[1]


#: Transitions whose blur or few pixels of displacement smooth ramps hide (on them they are
#: within a fade's mean): compared on sharp squares instead.
ON_SQUARES: dict[str, Callable[[Plane, Plane, float], Plane]] = {
    "linearblur": linearblur,
    "glitchmemories": on_grey(glitchmemories),
}


@pytest.mark.parametrize("name", sorted(ON_SQUARES))
async def test_a_transition_on_sharp_squares_is_its_glsl_at_every_pixel(
    render: Any, checks: tuple[Path, Path], name: str
) -> None:
    """LinearBlur.glsl (the mean of its 36 reads of each picture), GlitchMemories.glsl (each
    channel read at its own jump): a mid-window frame of sharp squares is the formula within the
    rounding of 8-bit means and mixes, at every pixel; a plain fade is not."""
    frame, a, b = await _mid_window_frame(render, checks, name)
    progress, error = _closest_progress(frame, ON_SQUARES[name], a, b)
    assert 0.25 < progress < 0.75, progress
    assert error.max() <= 3.5, f"luma off by {error.max():.1f} at progress {progress:.2f}"
    assert np.abs(a * (1 - progress) + b * progress - ON_SQUARES[name](a, b, progress)).max() > 20


@pytest.fixture(scope="module")
def ramps(media_dir: Path) -> tuple[Path, Path]:
    """Two smooth, different clips at the output size: luma rising to the right, and downwards."""
    across = lossless_clip(media_dir / "ramp-across.mp4", "geq=lum='16+120*X/W+80*Y/H':cb=128:cr=128")
    return across, lossless_clip(media_dir / "ramp-down.mp4", "geq=lum='16+200*Y/H':cb=128:cr=128")


@pytest.mark.parametrize("name", sorted(FORMULAS))
async def test_a_frame_inside_the_transition_is_the_gl_transitions_formula_of_the_two_frames(
    render: Any, ramps: tuple[Path, Path], name: str
) -> None:
    frame, a, b = await _mid_window_frame(render, ramps, name)
    # Its progress is not read off the engine's clock: the formula has to match at one of the
    # window's frame times, and that one must lie mid-window.
    progress, error = _closest_progress(frame, FORMULAS[name], a, b)
    assert 0.25 < progress < 0.75, progress
    assert error.mean() < 2.0, f"mean luma error {error.mean():.2f} at progress {progress:.2f}"


async def _ramp_transition(render: Any, ramps: tuple[Path, Path], name: str, size: tuple[int, int] = (W, H)) -> Any:
    """A 1 s `name` from one ramp to the other, rendered losslessly (Crf 0) at `size`."""
    across, down = ramps
    timeline = {"VideoTracks": [video(
        {"MediaURL": str(across), "Effects": [{"Type": "Transition", "SubType": name, "Duration": 1}]},
        {"MediaURL": str(down)},
    )]}  # fmt: skip
    return await render(timeline, Width=size[0], Height=size[1], Video={"Crf": 0})


async def _mid_window_frame(
    render: Any, ramps: tuple[Path, Path], name: str, size: tuple[int, int] = (W, H)
) -> tuple[Plane, Plane, Plane]:
    """The luma of a frame in the middle of a 1 s `name` from one ramp to the other (at `size`),
    and the ramps' lumas."""
    across, down = ramps
    result = await _ramp_transition(render, ramps, name, size)
    choice = xfade_transition(name, "seed")
    assert choice is not None and bool(result.approximated) == choice.approximated, result.approximated
    out = luma_frames(result.output).astype(np.float64)
    a, b = luma_frames(across)[0].astype(np.float64), luma_frames(down)[0].astype(np.float64)
    # The frames strictly inside the window: neither input alone.
    inside = [f for f in out if np.abs(f - a).mean() > 2 and np.abs(f - b).mean() > 2]
    assert len(inside) >= SHORT.get(name, FPS // 2), f"{len(inside)} frames inside the transition"
    return inside[len(inside) // 2], a, b


#: Transitions that show one picture for much of their window, and how many frames of a 1 s window
#: are neither picture: doomscreentransition_down's columns have all fallen by progress .45;
#: squareswire's squares are specks until about progress .3; undulatingburnout's circle holds the
#: whole picture from progress about .75 (its radius is the progress, the corners .71 away).
SHORT = {"doomscreentransition_down": 3, "squareswire": 3, "undulatingburnout": 3}


def _closest_progress(
    frame: Plane, formula: Callable[[Plane, Plane, float], Plane], a: Plane, b: Plane, steps_s: int = 4 * FPS
) -> tuple[float, Plane]:
    """The progress (of `steps_s` steps) whose formula frame is closest to `frame`, and the
    absolute difference there, pixel by pixel."""
    steps = np.arange(1, steps_s) / steps_s
    errors = [np.abs(frame - formula(a, b, float(p))) for p in steps]
    best = int(np.argmin([e.mean() for e in errors]))
    return float(steps[best]), errors[best]


#: The transitions drawn by remap, compared with their formula pixel by pixel, and how far a pixel
#: may be: the mix's rounding, and a column or row read one over where the formula falls within a
#: fraction of a pixel of a pixel's edge (1.25 levels a column of the across ramp, 1.56 a row of the
#: down ramp), in `from` only (waterdrop, simplezoom) or in both pictures (dreamy, the warps,
#: whose 8-bit mix weight adds its own rounding). kaleidoscope's maps are drawn on a half-size grid
#: and scaled up: near a fold's crease a read may be a pixel over where the exact one is not, in
#: both pictures, under three mixes' rounding (3.5 measured mid-window). crazyparametricfun's
#: sine is looked up at its table's step of distance, which at its fastest moves a read a pixel or
#: two further in a few pixels of a thousand (4.4 measured at most over the window).
REMAPPED = {
    "waterdrop": 2.5, "simplezoom": 2.5, "dreamy": 3.5, "directionalwarp": 3.5, "crosswarp": 3.5,
    "doomscreentransition_down": 2.5, "bounce_down": 2.5, "zoomincircles": 3.5, "rotatescalefade": 3.5,
    "pixelize": 3.5, "ripple": 2.5, "swirl": 3.5, "flyeye": 3.5, "doorway": 3.5, "dreamyzoom": 3.5, "gridflip": 3.5,
    "morph": 3.5, "kaleidoscope": 4.5, "crazyparametricfun": 4.5, "swap": 3.5, "cube": 3.5,
    "hexagonalize": 3.5, "mosaic": 3.5,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REMAPPED))
async def test_a_remapped_transition_reads_every_pixel_where_the_glsl_formula_does(
    render: Any, ramps: tuple[Path, Path], name: str
) -> None:
    """WaterDrop.glsl (amplitude = 30, speed = 30), SimpleZoom.glsl (zoom_quickness = 0.8),
    Dreamy.glsl, directionalwarp.glsl (smoothness = 0.1, direction = (-1, 1)) and crosswarp.glsl,
    drawn by remap
    from maps built of 16-bit fields: every pixel of a mid-window frame is the formula's within
    the rounding REMAPPED allows it, but the few that lie exactly on an edge (`_on_an_edge`)."""
    frame, a, b = await _mid_window_frame(render, ramps, name)
    progress, error = _closest_progress(frame, FORMULAS[name], a, b)
    assert 0.25 < progress < 0.75, progress
    edges = _on_an_edge(FORMULAS[name], a, b, progress, REMAPPED[name])
    assert edges.mean() < 0.001, f"{edges.sum()} pixels on an edge"
    off = error[~edges].max()
    assert off <= REMAPPED[name], f"luma off by {off:.1f} at progress {progress:.2f}"


def _on_an_edge(
    formula: Callable[[Plane, Plane, float], Plane], a: Plane, b: Plane, progress: float, tolerance: float
) -> Plane:
    """The pixels the formula itself moves by more than `tolerance` when the progress moves by
    1e-9: their place lies exactly on an edge, where the GLSL's strict inBounds leaves them out and
    neither 16-bit maps nor a GPU's floats can tell which side they fall on (swap.glsl at progress
    .5, depth 2, puts rows of both pictures exactly on their top and bottom edges)."""
    exact = formula(a, b, progress)
    moved = [np.abs(formula(a, b, progress + step) - exact) > tolerance for step in (-1e-9, 1e-9)]
    return np.asarray(moved[0] | moved[1])


@pytest.mark.parametrize(
    "name",
    ["circle", "circlecrop", "zoomincircles", "rotatescalefade", "windowblinds", "doorway", "dreamyzoom", "gridflip",
     "swap"],
)  # fmt: skip
async def test_a_transition_whose_middle_does_not_show_it_all_matches_its_formula_at_every_frame(
    render: Any, ramps: tuple[Path, Path], name: str
) -> None:
    """circle.glsl and CircleCrop.glsl (gl-transitions): mid-window the shape has no radius (all
    back colour); ZoomInCircles.glsl mixes in `to` only after progress .8; rotate_scale_fade.glsl
    shows its back colour only near the ends; windowblinds.glsl overshoots `to` only after
    progress 2/3; doorway.glsl's reflection shows while `to` is small; DreamyZoom.glsl is all
    white mid-window; GridFlip.glsl fades its dividers in and out at the ends; swap.glsl's pictures
    overlap (one in front) and their reflections add only before progress .21 and after .79. So
    every frame of the window is compared."""
    across, down = ramps
    result = await _ramp_transition(render, ramps, name)
    out = luma_frames(result.output).astype(np.float64)
    a, b = luma_frames(across)[0].astype(np.float64), luma_frames(down)[0].astype(np.float64)
    inside = [f for f in out if np.abs(f - a).mean() > 2 and np.abs(f - b).mean() > 2]
    matched = [_closest_progress(frame, FORMULAS[name], a, b) for frame in inside]
    assert all(error.mean() < 2.0 for _, error in matched), [round(e.mean(), 2) for _, e in matched]
    progress = [p for p, _ in matched]
    assert min(progress) < 0.4 and max(progress) > 0.6, progress


async def _swap_ends(render: Any, ramps: tuple[Path, Path]) -> list[tuple[float, Plane, Plane]]:
    """The first and last frames inside a 1 s swap from one ramp to the other: each one's progress,
    its error against swap.glsl, pixel by pixel, and the interior (not the border, where a place
    within the maps' rounding of an edge may fall either way) of where both pictures hold the point
    and of where both reflections do, below both pictures."""
    across, down = ramps
    result = await _ramp_transition(render, ramps, "swap")
    out = luma_frames(result.output).astype(np.float64)
    a, b = luma_frames(across)[0].astype(np.float64), luma_frames(down)[0].astype(np.float64)
    inside = [f for f in out if np.abs(f - a).mean() > 2 and np.abs(f - b).mean() > 2]
    ends = []
    for frame in (inside[0], inside[-1]):
        progress, error = _closest_progress(frame, swap, a, b)
        from_x, from_y, to_x, to_y = swap_places(progress)
        pictures = in_bounds(from_x, from_y) | in_bounds(to_x, to_y)
        reflections = in_bounds(from_x, -1.2 * from_y - 0.02) & in_bounds(to_x, -1.2 * to_y - 0.02) & ~pictures
        both = in_bounds(from_x, from_y) & in_bounds(to_x, to_y)
        ends.append((progress, error, _interior(both), _interior(reflections)))
    return ends


def _interior(region: Plane) -> Plane:
    """The pixels of a region whose four neighbours are in it too."""
    shifted = [np.roll(region, step, axis) for step in (1, -1) for axis in (0, 1)]
    return np.asarray(region & shifted[0] & shifted[1] & shifted[2] & shifted[3])


async def test_swap_shows_from_in_front_over_the_first_half_and_to_over_the_second(
    render: Any, ramps: tuple[Path, Path]
) -> None:
    """swap.glsl's pictures overlap near both ends of the window: where both hold a point, `from`
    shows before progress .5 and `to` after (the engine hides `from` under `to` by a mask of the
    progress), at every pixel."""
    for progress, error, both, _ in await _swap_ends(render, ramps):
        assert both.sum() > 100, (progress, both.sum())
        assert error[both].max() <= REMAPPED["swap"], f"luma off by {error[both].max():.1f} at progress {progress}"


async def test_swap_adds_both_reflections_where_they_meet(render: Any, ramps: tuple[Path, Path]) -> None:
    """swap.glsl early in the window (only then: late, `to` covers where `from`'s reflection would
    meet its own): below both pictures, where their reflections overlap, each adds .4 (1 - y') of
    its picture to black (the engine mixes the first by wf / (1 - wt), then the second by wt), at
    every pixel."""
    progress, error, _, reflections = (await _swap_ends(render, ramps))[0]
    assert reflections.sum() > 50, (progress, reflections.sum())
    off = error[reflections].max()
    assert off <= REMAPPED["swap"], f"luma off by {off:.1f} at progress {progress}"


@pytest.mark.parametrize(
    ("name", "down"), [("bounce_up", "bounce_down"), ("doomscreentransition_up", "doomscreentransition_down")]
)
async def test_an_up_transition_is_its_down_one_upside_down_and_listed_as_approximated(
    render: Any, ramps: tuple[Path, Path], name: str, down: str
) -> None:
    """The IMS page names bounce_up and doomscreentransition_up beside their down variants
    (Bounce.glsl, DoomScreenTransition.glsl); gl-transitions has no up variant, so the engine
    draws the down one with both pictures turned over and says so."""
    across, _ = ramps
    timeline = {"VideoTracks": [video(
        {"MediaURL": str(across), "Effects": [{"Type": "Transition", "SubType": name, "Duration": 1}]},
        {"MediaURL": str(ramps[1])},
    )]}  # fmt: skip
    result = await render(timeline, Width=W, Height=H, Video={"Crf": 0})
    assert any("upside down" in note for note in result.approximated), result.approximated
    out = luma_frames(result.output).astype(np.float64)
    a, b = luma_frames(across)[0].astype(np.float64), luma_frames(ramps[1])[0].astype(np.float64)
    frame = out[FPS + 2]  # progress 0.2 into the window, which starts a second in

    def turned(fa: Plane, fb: Plane, p: float) -> Plane:
        return np.flipud(FORMULAS[down](np.flipud(fa), np.flipud(fb), p))

    progress, error = _closest_progress(frame, turned, a, b)
    assert abs(progress - 0.2) < 0.03 and error.mean() < 2.0, (progress, error.mean())


def test_another_transition_of_the_same_two_frames_does_not_match_the_formula() -> None:
    """The comparison can fail: a third into the window each formula is farther from every other
    than its test allows: on the mean by half as much again (3 levels), or, for those checked pixel
    by pixel (the remapped ones), at some pixel by half a level more than REMAPPED allows."""
    a = np.tile(16 + 200 * np.arange(W) / W, (H, 1))
    b = np.tile((16 + 200 * np.arange(H) / H)[:, None], (1, W))
    for name, formula in FORMULAS.items():
        for other, drawn in FORMULAS.items():
            if other == name:
                continue
            difference = np.abs(formula(a, b, 0.3) - drawn(a, b, 0.3))
            if name in REMAPPED:
                assert difference.max() > REMAPPED[name] + 0.5, (name, other)
            else:
                assert difference.mean() > 3, (name, other)


@pytest.mark.parametrize(
    "name", ["perlin", "waterdrop", "circle", "simplezoom", "dreamy", "directionalwarp", "bowtievertical",
             "doomscreentransition_down", "bounce_down", "rotatescalefade", "pixelize", "zoomincircles", "heart",
             "windowblinds", "ripple", "swirl", "flyeye", "doorway", "dreamyzoom", "gridflip", "linearblur",
             "glitchmemories", "morph", "undulatingburnout", "kaleidoscope", "crazyparametricfun", "swap", "cube",
             "hexagonalize", "mosaic", "luma", "displacement", *COLOUR_FORMULAS],
)  # fmt: skip
async def test_a_formula_transition_on_a_track_with_transparency_renders(
    render: Any, m: Any, ramps: tuple[Path, Path], name: str
) -> None:
    """An upper track's clips leave the canvas partly transparent: the window keeps its alpha."""
    across, down = ramps
    small = {"X": 0, "Y": 0, "Width": W // 2, "Height": H // 2}
    timeline = {"VideoTracks": [
        video({"MediaURL": m("red.mp4")}, {"MediaURL": m("blue.mp4")}),
        video({"MediaURL": str(across), **small, "Effects": [{"Type": "Transition", "SubType": name, "Duration": 1}]},
              {"MediaURL": str(down), **small}),
    ]}  # fmt: skip
    result = await render(timeline, Width=W, Height=H)
    frames = luma_frames(result.output)
    assert len(frames) >= 3 * FPS - 1
    corner, elsewhere = frames[:, : H // 2, : W // 2], frames[:, H // 2 :, W // 2 :]
    assert corner.std() > elsewhere.std()  # the ramps play in their corner only


def test_the_transition_table_lists_each_approximated_name_as_approximated() -> None:
    """docs/effects.md's transition table: a name whose drawing is approximated (an imprecise
    drawing, an inferred picture, no GLSL of its own) says so; the names drawn by their GLSL here
    (pinwheel, circle, waterdrop...) do not."""
    rows = {row.split("|")[1].strip(" `"): row for row in transition_table()[2:]}
    for name, row in rows.items():
        choice = xfade_transition(name, "seed")
        assert choice is not None, name
        assert ("approximated" in row) == choice.approximated, row
    assert all("approximated" not in rows[name] for name in ("pinwheel", "circle", "waterdrop"))


def test_crazyparametricfun_is_listed_as_approximated_for_its_sine_s_table() -> None:
    """Its GLSL magnifies a sine of up to ~420 radians tenfold: the table the engine looks the sine
    up in moves many reads at full size, though the small test render matches pixel by pixel."""
    choice = xfade_transition("crazyparametricfun", "seed")
    assert choice is not None and choice.drawn is not None and choice.approximated and "table" in (choice.note or "")


@pytest.mark.parametrize(("name", "image"), [("luma", "luma map"), ("displacement", "displacement map")])
def test_a_transition_reading_a_picture_the_timeline_lacks_says_the_picture_is_inferred(name: str, image: str) -> None:
    """luma.glsl and displacement.glsl read a picture uniform that no IMS page names: they are
    drawn by their GLSL of gl-transitions' default picture, and listed as approximated, the
    render's note and the docs table saying why."""
    choice = xfade_transition(name, "seed")
    assert choice is not None and choice.drawn is not None and choice.approximated, choice
    assert image in (choice.note or "") and "inferred" in (choice.note or ""), choice.note
    assert any(image in row and "inferred" in row for row in transition_table() if row.startswith(f"| `{name}` |"))


#: The size luma and displacement are checked at: gl-transitions' picture (512 x 512) is stretched
#: up both ways, as at any output size IMS renders (a GPU's bilinear read and ffmpeg's bilinear
#: scale agree when stretching up, not when shrinking, where ffmpeg's filter widens).
TEXTURED_SIZE = (640, 576)


@functools.cache
def default_picture(w: int, h: int, upright: bool = True) -> Plane:
    """texture2D(picture, uv) at each pixel centre of w x h, in 0-1, for gl-transitions' website's
    default sampler2D picture (spiral-2.png, gre/gl-transition-libs): bilinear, clamped to the
    edge, its top row at the top of the picture (`upright`; else upside down)."""
    picture = luma_frames(TEXTURES / "spiral-2.png")[0].astype(np.float64) / 255
    picture = picture if upright else np.flipud(picture)
    th, tw = picture.shape

    def taps(n: int, size: int) -> tuple[npt.NDArray[np.int_], npt.NDArray[np.int_], Plane]:
        at = (np.arange(n) + 0.5) / n * size - 0.5
        low = np.floor(at)
        return np.clip(low, 0, size - 1).astype(int), np.clip(low + 1, 0, size - 1).astype(int), at - low

    x0, x1, fx = taps(w, tw)
    y0, y1, fy = taps(h, th)
    top = picture[np.ix_(y0, x0)] * (1 - fx) + picture[np.ix_(y0, x1)] * fx
    bottom = picture[np.ix_(y1, x0)] * (1 - fx) + picture[np.ix_(y1, x1)] * fx
    return np.asarray(top * (1 - fy)[:, None] + bottom * fy[:, None])


def luma(a: Plane, b: Plane, progress: float, upright: bool = True) -> Plane:
    """luma.glsl: mix(to, from, step(progress, luma map)), its map gl-transitions' default picture."""
    level = default_picture(a.shape[1], a.shape[0], upright)
    return np.where(level >= progress, a, b)


def displacement(a: Plane, b: Plane, progress: float, upright: bool = True, lift: float = 0) -> Plane:
    """displacement.glsl, strength = 0.5, its map gl-transitions' default picture (`lift` levels
    lighter, for a map read wrong)."""
    x, y = uv(a.shape[1], a.shape[0])
    d = np.clip(default_picture(a.shape[1], a.shape[0], upright) + lift / 255, 0, 1) * 0.5
    return read(a, x + progress * d, y) * (1 - progress) + read(b, x - (1 - progress) * d, y) * progress


@pytest.fixture(scope="module")
def large_ramps(media_dir: Path) -> tuple[Path, Path]:
    """Two ramps at TEXTURED_SIZE, one rising to the right, the other falling (a read moved along
    a row shows in both, and displacement.glsl's opposite moves of the two add up), and downwards."""
    across = lossless_clip(media_dir / "large-across.mp4", "geq=lum='16+120*X/W+80*Y/H':cb=128:cr=128", TEXTURED_SIZE)
    down = lossless_clip(media_dir / "large-down.mp4", "geq=lum='76+150*Y/H-60*X/W':cb=128:cr=128", TEXTURED_SIZE)
    return across, down


async def _textured_frame(render: Any, ramps: tuple[Path, Path], name: str) -> tuple[Plane, Plane, Plane, float]:
    """The luma of the middle frame of a 1 s `name` from one ramp to the other at TEXTURED_SIZE,
    the ramps' lumas, and that frame's progress, read off its time (the window is the first
    clip's last second: frame k of its n is at progress k / n), not fitted: a map read a few
    levels off would pass for another progress."""
    result = await _ramp_transition(render, ramps, name, TEXTURED_SIZE)
    choice = xfade_transition(name, "seed")
    assert choice is not None and bool(result.approximated) == choice.approximated, result.approximated
    num, den = (int(n) for n in stream(result.output, "video")["r_frame_rate"].split("/"))
    n = num // den  # frames in the 1 s window
    out = luma_frames(result.output).astype(np.float64)
    a, b = (luma_frames(path)[0].astype(np.float64) for path in ramps)
    return out[n + n // 2], a, b, (n // 2) / n


async def test_luma_shows_to_where_gl_transitions_default_picture_is_darker_than_the_progress(
    render: Any, large_ramps: tuple[Path, Path]
) -> None:
    """luma.glsl: every pixel of the middle frame is `from`'s where the picture is at least the
    progress, else `to`'s, but where the picture lies within a level of the progress (8-bit levels
    and ffmpeg's scale decide those); the picture upside down does not match."""
    frame, a, b, progress = await _textured_frame(render, large_ramps, "luma")
    error = np.abs(frame - luma(a, b, progress))
    edge = np.abs(default_picture(*TEXTURED_SIZE) - progress) * 255 < 1
    assert edge.mean() < 0.02, f"{edge.mean():.1%} of the picture on the edge"
    assert error[~edge].max() <= 2.5, f"luma off by {error[~edge].max():.1f} at progress {progress:.2f}"
    assert np.abs(frame - luma(a, b, progress, upright=False)).mean() > 5


async def test_displacement_reads_both_pictures_sideways_by_gl_transitions_default_picture(
    render: Any, large_ramps: tuple[Path, Path]
) -> None:
    """displacement.glsl (strength = 0.5): every pixel of the middle frame is the formula's within
    the fade's rounding and reads a few columns over (under 0.2 levels a column of either ramp),
    where ffmpeg's stretch of the picture differs from a GPU's by a level (1.25 columns); the map
    read 8 levels lighter or darker matches worse, and the picture upside down, or `to` read the
    way `from` is, does not match."""
    frame, a, b, progress = await _textured_frame(render, large_ramps, "displacement")
    error = np.abs(frame - displacement(a, b, progress))
    assert error.max() <= 2.5, f"luma off by {error.max():.1f} at progress {progress:.2f}"
    for lift in (-8, 8):
        assert np.abs(frame - displacement(a, b, progress, lift=lift)).mean() > error.mean() + 0.1, lift
    assert np.abs(frame - displacement(a, b, progress, upright=False)).max() > 5
    x, y = uv(*TEXTURED_SIZE)
    d = default_picture(*TEXTURED_SIZE) * 0.5
    same_way = read(a, x + progress * d, y) * (1 - progress) + read(b, x + (1 - progress) * d, y) * progress
    assert np.abs(frame - same_way).max() > 5
