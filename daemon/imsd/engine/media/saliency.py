"""The most salient point of a frame: where a Cover crop looks when a clip shows no face (issue 17).

A crop window that follows the faces (faces.py) has nothing to follow in a product shot, a street
or an animal, and a centred window then cuts off a subject that stands to one side. Issue 17
asks for "the most salient region" instead. OpenCV's saliency module is only in its contrib
build, not in opencv-python-headless, so this is the spectral residual of Hou and Zhang (CVPR
2007) in numpy: the log amplitude spectrum of a small copy of the frame, less its local average,
keeps what departs from the picture's own statistics; transformed back with the frame's phase it
is bright where the picture stands out. The point is the weighted centre of the brightest part of
that map. A flat frame, or one whose bright part is spread over the picture (a texture, a crowd
of small things), has no one region: None, and the window holds where it was. Inferred, not from
IMS: the Timeline configuration page (developer-reference/timeline-configuration-description,
docs/ims-api.md §2.3) says only that AdaptMode Cover scales and crops, so a render that uses this
lists it under Approximated. ~0.8 ms of CPU a frame on the 320-pixel samples faces.py reads (the face
cascade: ~1.9 ms).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["FLAT", "MAP_WIDTH", "REGION", "SPREAD", "salient_point"]

#: The map is computed at this width (the paper's 64 pixels): coarse enough to see objects, not texture.
MAP_WIDTH = 64
#: A frame whose grey levels vary less than this (standard deviation, 0-255) shows nothing to follow.
FLAT = 4.0
#: The salient region: the map's pixels at least this share of the way from its lowest to its peak.
REGION = 0.5
#: A region whose spread (standard deviation along x or y) exceeds this fraction of the picture is no one region.
SPREAD = 0.2


def salient_point(picture: NDArray[np.uint8]) -> tuple[float, float] | None:
    """The centre (x, y, fractions of the picture) of the most salient region of a grayscale
    picture; None when it is flat or no region stands out. Needs OpenCV, as faces_in does."""
    import cv2

    height, width = picture.shape[:2]
    if float(picture.std()) < FLAT:
        return None
    size = (MAP_WIDTH, max(8, round(MAP_WIDTH * height / width)))
    small = cv2.resize(picture, size, interpolation=cv2.INTER_AREA).astype(np.float64)
    # Less its light (a blur an eighth of the width): a lit side or a sky is no subject.
    small -= cv2.GaussianBlur(small, (0, 0), MAP_WIDTH / 8)
    # Mirrored to twice its size, the picture repeats without a seam: the transform would take the
    # jump from one edge to the other for the most salient thing. The mirror's spectrum has exact
    # zeros, hence log(1 + amplitude).
    spectrum = np.fft.fft2(np.pad(small, ((0, size[1]), (0, size[0])), mode="symmetric"))
    log_amplitude = np.log1p(np.abs(spectrum))
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3))
    salience = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum))))[: size[1], : size[0]] ** 2
    salience = cv2.GaussianBlur(salience, (0, 0), 2.5)
    low, high = float(salience.min()), float(salience.max())
    ys, xs = np.nonzero(salience >= low + REGION * (high - low))
    weights = salience[ys, xs] - low + 1e-12
    x, y = np.average(xs, weights=weights), np.average(ys, weights=weights)
    spread_x = np.sqrt(np.average((xs - x) ** 2, weights=weights)) / size[0]
    spread_y = np.sqrt(np.average((ys - y) ** 2, weights=weights)) / size[1]
    if max(spread_x, spread_y) > SPREAD:
        return None
    return round(float((x + 0.5) / size[0]), 4), round(float((y + 0.5) / size[1]), 4)
