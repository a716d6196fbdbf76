"""IMS transitions as ffmpeg xfade: a built-in where it is the same, else the gl-transitions formula.

IMS Transition SubTypes are gl-transitions names (github.com/gl-transitions/gl-transitions, MIT).
ffmpeg 5.1's xfade has 46 built-ins; those that draw what the gl-transition draws are used as they
are (`_BUILT_IN`). Others are the gl-transition's own GLSL with its default uniforms, drawn by
native filters at about the cost of a built-in:
- most blend `from` and `to` by a weight of a still field and the progress (perlin's noise, a
  wipe's distance, a sweep's angle...): the field is drawn once per transition and each frame's
  weight is a table of field and progress (`_MASKED`, drawn by tracks.py with geq, lut2 and
  maskedmerge); circle, circlecrop and fadecolor also show a plain colour (`Backdrop`);
- waterdrop, simplezoom, ripple, dreamy, directionalwarp and crosswarp read `from` (the last three
  also `to`) at a displaced place (`Ripple`, `Zoom`, `Sway`, `Warp`, drawn by remapped.py with
  remap through maps made of still fields each frame; a function of the distance to the centre
  and the progress, ripple's wave or swirl's angle, is looked up in a table of both); the bow
  ties' soft edges are finer than an 8-bit field's step, and they weigh 16-bit fields (`Sweep`);
  doomscreentransition_down slides `from` down column by column (`Drop`), bounce_down row by row
  (`Bounce`); zoomincircles zooms and mixes both pictures ring by ring; rotatescalefade, swirl
  and dreamyzoom turn and scale them (`Turn`); heart grows by a 16-bit field of its radius on
  each ray; pixelize reads both at their squares' centres (`Pixels`), hexagonalize at their
  hexagons' (`Hexagons`); mosaic (taken to be Mosaic.glsl: inferred) shows one or the other
  whole in each tile of a zooming, panning grid, turned (`Tiles`); doorway opens `from` over
  `to` and its reflection (`Doorway`); gridflip flips cells as cards (`Cards`); linearblur
  averages shifted copies (`Blur`); morph reads both pictures where their colours say (`Morph`);
  kaleidoscope reads both where uv lands turned and folded seven times (`Fold`), crazyparametricfun
  reads `from` pushed along each axis by a sine of the distance to the centre (`Parametric`);
  swap and cube show both pictures in perspective, each row of a column stretched about the
  middle row by the column's own amount, over their reflections on a black floor (`Perspective`);
- burn, colorphase, multiplyblend, fadegrayscale and colordistance mix colours alone, channel by
  channel, on RGB planes (`Channels`); windowblinds mixes by a weight of the row that overshoots
  (`Rows`), squeeze, flyeye and glitchmemories read each RGB channel at its own place
  (`Squeeze`, `Lens`); undulatingburnout mixes by a 16-bit weight of its wave, a still field of
  the angle and one of the distance weighed each frame, that overshoots `from` (`Burnout`);
  glitchdisplace reads each picture where the other's red and green say, and mixes in a doubled
  grey of the darker of the two reads (`Displace`).
luma and displacement read a picture uniform that no Timeline names: they read the one
gl-transitions' own website gives every picture uniform by default, its spiral (textures/,
inferred), luma as `to` where the picture is darker than the progress (`Luma`, one threshold a
plane a frame), displacement as both pictures read sideways by its levels (`DisplacementMap`).
bounce_up and doomscreentransition_up, with no GLSL of their own, are their down counterparts
upside down, inferred from the names (`_UPSIDE_DOWN`, approximated). A drawing that departs
visibly from its GLSL, or whose picture is inferred, is reported as approximated too, saying why
(`_APPROXIMATE`).

How GLSL becomes a field: gl-transitions' `progress` runs 0 -> 1 over the window (frame k of n
is at k / n, as xfade's progress); `uv` is the pixel's centre with y up, so uv = ((X + .5) / W,
1 - (Y + .5) / H) in geq; getFromColor / getToColor at another uv read the pixel there (nearest,
clamped at the edges, where a GPU would filter bilinearly); numbers are doubles, not floats.
Registers `st(n, ...)` / `ld(n)` hold what the GLSL names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "TEXTURES", "Backdrop", "Blur", "Bounce", "Burnout", "Cards", "Channels", "Circles", "Displace",
    "DisplacementMap", "Doorway", "Drawn", "Drop", "Fold", "Heart", "Hexagons", "Lens", "Luma", "MaskedBlend",
    "Morph", "Parametric", "Perspective", "Pixels", "Ripple", "Rows", "Squeeze", "Sway", "Sweep", "Tiles", "Turn",
    "Warp", "XfadeChoice", "Zoom", "transition_names", "transition_table", "transition_textures", "xfade_transition",
]  # fmt: skip


@dataclass(frozen=True)
class XfadeChoice:
    """One transition: an xfade built-in `name`; or a `mask`: the transition draws `to` over
    `from` by a weight of a still field (drawn once) and the progress, as perlin does (tracks.py
    draws it with lut2 and maskedmerge, at native speed); or `drawn` from 16-bit fields
    (remapped.py)."""

    name: str
    approximated: bool
    mask: MaskedBlend | None = None
    drawn: Drawn | None = None
    upside_down: bool = False  # drawn on both pictures turned over, the result turned back
    note: str | None = None  # how an approximated transition is drawn, for the render's notes


@dataclass(frozen=True)
class Backdrop:
    """A plain `color` (ffmpeg's syntax, opaque) shown where `shown`, a lut2 expression of the
    field `x` and the progress `y` like a MaskedBlend's weight, is below 255: the picture is
    blended over it by `shown` / 255."""

    color: str
    shown: str


@dataclass(frozen=True)
class MaskedBlend:
    """`field`: a geq expression of the still field, in 0-255; `weight`: a lut2 expression of `x`
    (the field) and `y` (the progress, 0-255) giving how much of `to` a pixel shows, in 0-255;
    `backdrop`: a colour shown where the picture is not."""

    field: str
    weight: str
    backdrop: Backdrop | None = None


@dataclass(frozen=True)
class Ripple:
    """WaterDrop.glsl's ripple: inside the circle of radius progress round the centre, `from` is
    read at uv + dir * sin(dist * amplitude - progress * speed), dir = uv - (.5, .5), dist = |dir|;
    outside it, at uv; then mixed with `to` by progress (remapped.py draws it)."""

    amplitude: float
    speed: float


@dataclass(frozen=True)
class Zoom:
    """`from` read at uv + (uv - .5) * g, then mixed with `to` by `mix`: g a geq expression of the
    progress `{p}` and the distance to the centre `{d}` (uv units) within -1..1, `mix` one of the
    progress. SimpleZoom.glsl zooms in, g = -zoom, the same everywhere; ripple.glsl's g is a
    wave of the distance (remapped.py draws them)."""

    g: str
    mix: str


@dataclass(frozen=True)
class Sway:
    """Dreamy.glsl's sway: `from` read at uv + (0, amplitude * q * cos(frequency * (q + uv.x)))
    with q = progress, `to` likewise with q = 1 - progress, mixed by progress (remapped.py)."""

    amplitude: float
    frequency: float


@dataclass(frozen=True)
class Warp:
    """A warp (directionalwarp.glsl, crosswarp.glsl): `from` read at .5 + (uv - .5) * (1 - m) and
    `to` at .5 + (uv - .5) * m, mixed by m; m is the expression `m` of d = place - reach (`{d}`), `place`
    a still field in 0-1 (a geq expression), `reach` one of the progress `{p}` within `reach_range`;
    below d = -`low` m no longer changes (remapped.py)."""

    place: str
    reach: str
    reach_range: tuple[float, float]
    low: float
    m: str


@dataclass(frozen=True)
class Bounce:
    """Bounce.glsl: `from` falls, bouncing `bounces` times, its edge at y = |cos(progress * PI *
    bounces)| * (1 - sin(progress * PI / 2)); above the edge `to`, darkened by a shadow
    `shadow_height` deep (black at `shadow_alpha`, fading out over the last 5%) (remapped.py)."""

    shadow_alpha: float
    shadow_height: float
    bounces: float


@dataclass(frozen=True)
class Turn:
    """Both pictures read at (.5, .5) + R(angle) (uv - (.5, .5)) / scale (in pixels, kept square,
    if `aspect`), mixed by `mix`: `angle` a geq expression of the progress `{p}` and the distance
    to the centre `{d}`, `scale` and `mix` of the progress; where that falls off the picture, grey
    `back`, or the edge's pixel if None; `brighter`: added to red, green and blue (of the
    progress, clipped). rotate_scale_fade.glsl turns the whole picture; Swirl.glsl turns it more
    near the centre; DreamyZoom.glsl turns it a little and flashes white (remapped.py)."""

    angle: str
    scale: str
    back: float | None
    mix: str = "{p}"
    aspect: bool = False
    brighter: str | None = None


@dataclass(frozen=True)
class Pixels:
    """pixelize.glsl: both pictures read at the centre of their square of side 2 dist / squares,
    dist = ceil(min(progress, 1 - progress) * steps) / steps, mixed by progress (remapped.py)."""

    squares: int
    steps: int


@dataclass(frozen=True)
class Hexagons:
    """hexagonalize.glsl: both pictures read at the centre of their hexagon (pointy-top, radius
    size = sqrt(3) / 3 dist / `across`, dist = ceil(2 min(progress, 1 - progress) steps) / steps,
    on uv with its y divided by the ratio W / H), mixed by progress (remapped.py)."""

    steps: int
    across: float


@dataclass(frozen=True)
class Tiles:
    """Mosaic.glsl: the picture seen through a grid of tiles zoomed by |3 - 2 (2 progress - 1)^2|
    round its centre and panned from tile (0, 0) to tile (`endx`, `endy`); each tile shows the
    whole of `from` or `to` (its Rand > .5, or the end tile), turned by a quarter turn of its Rand
    (not the end tile) (remapped.py)."""

    endx: int
    endy: int


@dataclass(frozen=True)
class Drop:
    """DoomScreenTransition.glsl's fall: in each column `from` has slid down by `offset` heights
    (a geq expression of the column's uv.x `{x}` and the progress `{p}`), `to` above it
    (remapped.py)."""

    offset: str


@dataclass(frozen=True)
class Sweep:
    """`to` shows where the progress has passed a still field by clip((reach - field) / width, 0,
    1): `field` a geq expression in 0-1 (drawn once, in 16 bits, for edges narrower than an 8-bit
    field's step); `reach` geq expressions of the progress `{p}` for the first and second half of
    the picture, split into `halves` ("rows": top, bottom; "columns": left, right); `whole`: a
    second field where `to` shows whole once the reach has passed it (remapped.py)."""

    field: str
    width: float
    reach: tuple[str, str]
    halves: str
    whole: str | None = None


@dataclass(frozen=True)
class Channels:
    """A transition of colour alone (burn.glsl, colorphase.glsl...): each RGB channel of a pixel a
    mix of the two pictures' same pixel. `from` first leans by `lean` toward `toward` ("grey": its
    grey, 0.2126 r + 0.7152 g + 0.0722 b; "product": its product with `to`; "near": `to`, where the
    two colours lie within the progress of each other, whatever `lean`), `to` by `to_lean` toward
    its grey; then the two are mixed by `mix` and `add` added (clipped to 0-1 at the end, as a
    GPU writes it). Weights are geq expressions of the progress `{p}`, one per channel (r, g, b);
    alpha, which the GLSL takes as opaque, is mixed by the progress (remapped.channels_window draws it)."""

    mix: tuple[str, str, str]
    add: tuple[str, str, str] | None = None
    toward: str | None = None
    lean: tuple[str, str, str] | None = None
    to_lean: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Rows:
    """windowblinds.glsl: `from` and `to` mixed by `weight`, a geq expression of the row's uv.y
    (`{y}`) and the progress (`{p}`) that reaches up to `most` > 1, where the mix overshoots `to`
    (clipped as a GPU writes it) (remapped.py)."""

    weight: str
    most: float


@dataclass(frozen=True)
class Burnout:
    """undulatingBurnOut.glsl: r = progress + wave(angle) * c(progress) is the radius of a wavy
    circle round (.5, .5); d = r - dist. Where -.005 <= d < .005 the mix weight is -1 (2 `from` -
    `to`, clipped as a GPU writes it); where .005 <= d <= .01 `from` mixes with `color` by .75;
    elsewhere `to` shows by smoothstep(-`smoothness`, 0, r - dist (1 + `smoothness`))
    (remapped.py)."""

    smoothness: float
    color: tuple[float, float, float]


@dataclass(frozen=True)
class Displace:
    """GlitchDisplace.glsl (no uniforms; its displace()'s constants): `to` read at uv + s1 (o1 +
    k1 from.r, o1 + k1 from.g) (dColor1) and `from` at uv + s2 (o2 + k2 to.r, o2 + k2 to.g)
    (dColor2), o = textureDepth dotDepth and k = dotDepth - textureDepth (textureDepth
    `from_depth`, `to_depth`), s1 = 1 - ease1(progress), s2 = ease2(progress); grey = 2 luma(min(
    dColor1, dColor2)) (BT.601, alpha 2); out = mix(mix(from, grey, smoothstep(0, .5, progress)),
    mix(to, dColor1, smoothstep(1, .5, progress)), ease1(progress)), clipped at the end
    (remapped.py)."""

    dot_depth: float
    from_depth: float
    to_depth: float


@dataclass(frozen=True)
class Squeeze:
    """squeeze.glsl: `from` squeezed to the middle rows, read at y = .5 + (uv.y - .5) / (1 -
    progress), its red `separation` * progress lower and its blue as much higher; `to` where y
    falls off the picture (remapped.py)."""

    separation: float


@dataclass(frozen=True)
class Lens:
    """Each RGB channel of `from` read at uv + (from_x, from_y), of `to` at uv + (to_x, to_y), mixed
    by the progress: the x offsets geq expressions of uv.x `{x}`, the y offsets of uv.y `{y}`, both
    of the progress `{p}` and the channel's `{k}` (its entry of `k`: red, green, blue; alpha takes
    green's). flyeye.glsl's offsets are a wave of the place; GlitchMemories.glsl's jump each frame,
    the same everywhere (remapped.py)."""

    from_x: str
    from_y: str
    to_x: str
    to_y: str
    k: tuple[float, float, float]


@dataclass(frozen=True)
class Doorway:
    """doorway.glsl: `from` parts in the middle, each half sliding out by progress / 2 and squeezed
    in height by d = 1 / (1 + perspective * progress * (1 - slit)) (read at y d - d^2 / 2 + d / 2),
    slit = 2 |uv.x - .5| - progress; `to` behind, zoomed out from `depth` (read at .5 + (uv - .5) *
    mix(1, depth, 1 - progress)), and below it, over black, its reflection (read at y' = -1.2 y -
    .02 of its place, by `reflection` (1 - y')) (remapped.py)."""

    reflection: float
    perspective: float
    depth: float


@dataclass(frozen=True)
class Cards:
    """GridFlip.glsl, `cells` x `cells`: black dividers (within `divider` of a cell's edge, in
    cells) fade in over the first `pause`, each cell then flips as a card by its `pace` cp (a geq
    expression of the cell `{cx}`, `{cy}` (y up) and the progress `{p}`), narrowing to its centre
    showing `from` while cp < .5, widening showing `to`; the dividers fade out over the last
    `pause`; black beside the card (remapped.py)."""

    cells: int
    pause: float
    divider: float
    pace: str


@dataclass(frozen=True)
class Blur:
    """LinearBlur.glsl: each picture the mean of `passes` x `passes` reads at uv + disp * (i /
    passes - .5, j / passes - .5), disp = intensity * (.5 - |.5 - progress|), mixed by the
    progress (remapped.py)."""

    intensity: float
    passes: int


@dataclass(frozen=True)
class Morph:
    """morph.glsl: oc = strength * (mean of (r + b, g + b) of both pictures, in 0-1) - strength,
    per pixel and frame; `from` read at uv + oc progress, `to` at uv - oc (1 - progress), mixed
    by the progress (remapped.py)."""

    strength: float


@dataclass(frozen=True)
class Perspective:
    """Both pictures seen in perspective over a reflecting floor (swap.glsl, cube.glsl): `from`
    read at (from_x, .5 + (uv.y - .5) from_s), `to` at (to_x, .5 + (uv.y - .5) to_s), each a geq
    expression of the column's uv.x `{x}` and the progress `{p}` (every row of a column scaled
    about the middle row by its own amount); `stretch`: the range the scales keep to on the
    columns each picture holds. Where both pictures hold a point, `from` shows while `front` (of
    `{p}`) is true, else `to`; where neither, black and each picture's reflection, read at y' =
    -1.2 y - `floating` of its place y, weighed `reflection` (1 - y') (remapped.py)."""

    from_x: str
    from_s: str
    to_x: str
    to_s: str
    stretch: tuple[float, float]
    front: str
    reflection: float
    floating: float


@dataclass(frozen=True)
class Circles:
    """ZoomInCircles.glsl: rings round the centre zoom both pictures by their own amounts and mix
    them by their own weights; the GLSL has no uniforms (remapped.py)."""


@dataclass(frozen=True)
class Fold:
    """kaleidoscope.glsl: p = uv - .5 turned and folded 7 times (p <- (sin t p.x + cos t p.y, sin t
    p.y - cos t p.x), t <- t + `angle`, p <- |mod(p, 2) - 1|), t starting at progress^`power` *
    `speed`; the fade of both pictures read at uv mixed with the fade of both read at p by 1 - 2
    |progress - .5| (remapped.py)."""

    speed: float
    angle: float
    power: float


@dataclass(frozen=True)
class Parametric:
    """CrazyParametricFun.glsl: `from` read at uv + dir * (sin(progress dist amplitude x), sin(
    progress dist amplitude y)) / smoothness, dir = uv - .5, dist = |dir|, (x, y) a point of the
    hypocycloid of `a` and `b` at the progress; mixed with `to` by smoothstep(.2, 1, progress)
    (remapped.py)."""

    a: float
    b: float
    amplitude: float
    smoothness: float


#: Pictures shipped with imsd that transitions read as their picture uniforms (textures/README.md).
TEXTURES = Path(__file__).with_name("textures")


@dataclass(frozen=True)
class Luma:
    """luma.glsl: `from` where the red of the luma map `texture` (in TEXTURES, stretched over the
    picture) is at least the progress, else `to`: a hard edge sweeping the map from dark to light
    (remapped.py)."""

    texture: str


@dataclass(frozen=True)
class DisplacementMap:
    """displacement.glsl: d = the red of the map `texture` (in TEXTURES, stretched over the
    picture) times `strength`; `from` read at uv + (progress d, 0), `to` at uv - ((1 - progress) d,
    0), mixed by the progress (remapped.py)."""

    texture: str
    strength: float


@dataclass(frozen=True)
class Heart:
    """heart.glsl: `to` inside a heart round (.5, .4) growing with the progress; no uniforms
    (remapped.py)."""


#: What remapped.py draws from 16-bit fields.
Drawn = (
    Ripple | Zoom | Sway | Warp | Sweep | Drop | Bounce | Turn | Pixels | Channels | Rows | Squeeze | Lens | Doorway
    | Cards | Blur | Morph | Circles | Heart | Burnout | Displace | Fold | Parametric | Perspective | Hexagons | Tiles
    | Luma | DisplacementMap
)  # fmt: skip

#: WaterDrop.glsl (Paweł Płóciennik), amplitude = 30, speed = 30.
_WATERDROP = Ripple(amplitude=30, speed=30)


def _random(x: str, y: str) -> str:
    """perlin's random(co): fract(sin(mod(dot(co, (12.9898, 78.233)), 3.14)) * 43758.5453)."""
    return f"mod(sin(mod(({x})*12.9898+({y})*78.233,3.14))*43758.5453,1)"


#: perlin.glsl (Rich Harris), scale = 4, smoothness = 0.01, seed = 12.9898: a value-noise field n
#: over uv * 4 (still: drawn once per transition, in 0-255); a pixel turns from `from` to `to` as
#: progress passes n: q = smoothstep(p - 0.01, p + 0.01, n) with p = -0.01 + progress * 1.02, and
#: the pixel shows 1 - q of `to`.
_PERLIN = MaskedBlend(
    field=(
        "st(1,(X+0.5)/W);st(2,1-(Y+0.5)/H);"
        "st(3,floor(ld(1)*4));st(4,floor(ld(2)*4));"  # i
        "st(5,mod(ld(1)*4,1));st(5,ld(5)*ld(5)*(3-2*ld(5)));"  # u.x
        "st(6,mod(ld(2)*4,1));st(6,ld(6)*ld(6)*(3-2*ld(6)));"  # u.y
        f"st(7,{_random('ld(3)', 'ld(4)')});st(8,{_random('ld(3)+1', 'ld(4)')});"  # a, b
        f"255*(ld(7)+(ld(8)-ld(7))*ld(5)+({_random('ld(3)', 'ld(4)+1')}-ld(7))*ld(6)*(1-ld(5))"
        f"+({_random('ld(3)+1', 'ld(4)+1')}-ld(8))*ld(5)*ld(6))"  # n
    ),
    weight="st(1,clip((x/255-(y/255*1.02-0.02))/0.02,0,1));255*(1-ld(1)*ld(1)*(3-2*ld(1)))",
)

# A still field's uv, as geq reads a plane: x right, y up.
_FX, _FY = "((X+0.5)/W)", "(1-(Y+0.5)/H)"


def _rand(x: str, y: str) -> str:
    """gl-transitions' rand(co): fract(sin(dot(co, (12.9898, 78.233))) * 43758.5453)."""
    return f"mod(sin(({x})*12.9898+({y})*78.233)*43758.5453,1)"


def _smoothstep_down(edge: float, value: str) -> str:
    """255 * smoothstep(0, -edge, value) as GLSL computes it with its edges reversed."""
    return f"st(1,clip(-({value})/{edge},0,1));255*ld(1)*ld(1)*(3-2*ld(1))"


#: randomsquares.glsl (gre), size = (10, 10), smoothness = 0.5: each square of a 10 x 10 grid
#: turns when progress passes its random value r: m = smoothstep(0, -0.5, r - progress * 1.5).
_RANDOM_SQUARES = MaskedBlend(
    field=f"255*{_rand(f'floor(10*{_FX})', f'floor(10*{_FY})')}",
    weight=_smoothstep_down(0.5, "x/255-y/255*1.5"),
)
#: wind.glsl (gre), size = 0.2: rows turn from left to right, each at a random head start r:
#: m = smoothstep(0, -0.2, uv.x * 0.8 + 0.2 * r - progress * 1.2).
_WIND = MaskedBlend(
    field=f"255*({_FX}*0.8+0.2*{_rand('0', _FY)})",
    weight=_smoothstep_down(0.2, "x/255-y/255*1.2"),
)
#: PolkaDotsCurtain.glsl (bobylito), dots = 20, center = (0, 0): a pixel shows `to` once its
#: distance to its dot's centre times its distance to the corner is below progress.
_POLKA = MaskedBlend(
    field=f"255*hypot(mod({_FX}*20,1)-0.5,mod({_FY}*20,1)-0.5)*hypot({_FX},{_FY})",
    weight="255*lt(x,y)",
)
#: angular.glsl (Fernando Kuteken), startingAngle = 90: a hand sweeps round the centre, `to`
#: where the normalised angle (from the starting angle) is at most progress.
_ANGULAR = MaskedBlend(
    field=f"255*mod((atan2({_FY}-0.5,{_FX}-0.5)+PI/2+PI)/(2*PI),1)",
    weight="255*gte(y,x)",
)
#: directionalwipe.glsl (gre), direction = (1, -1), smoothness = 0.5: a soft edge sweeps along
#: the diagonal: m = 1 - smoothstep(-0.5, 0, v.uv - (-0.5 + progress * 1.5)) with v = (.5, -.5),
#: and none of `to` at progress 0.
_DIRECTIONAL_WIPE = MaskedBlend(
    field=f"255*(0.5*{_FX}-0.5*{_FY}+0.5)",
    weight="st(1,clip((x/255-1.5*y/255+0.5)/0.5,0,1));255*(1-ld(1)*ld(1)*(3-2*ld(1)))*gt(y,0)",
)

#: polar_function.glsl (Fernando Kuteken), segments = 5: `to` grows from the centre in a
#: five-lobed flower: a pixel turns once its distance to the centre is at most radius * progress,
#: radius = (cos(5 * angle) + 4) / 4 with angle = atan(uv - .5) - PI / 2.
_POLAR_FUNCTION = MaskedBlend(
    field=f"255*hypot({_FX}-0.5,{_FY}-0.5)/((cos(5*(atan2({_FY}-0.5,{_FX}-0.5)-PI/2))+4)/4)",
    weight="255*lte(x,y)",
)

#: pinwheel.glsl (Mr Speaker), speed = 2: eight blades turn round the centre: `to` where
#: progress > mod(atan(uv - .5) + progress * 2, 3.1415 / 4). The field is the angle within its
#: blade, mod(atan(uv - .5), 3.1415 / 4), in 0-255 of the blade; the weight adds the turn.
_PINWHEEL = MaskedBlend(
    field=f"round(255*mod(atan2({_FY}-0.5,{_FX}-0.5),0.785375)/0.785375)",
    weight="255*gt(y/255,mod(x/255*0.785375+2*y/255,0.785375))",
)
#: circle.glsl (Fernando Kuteken), center = (.5, .5), backColor = (.1, .1, .1): an ellipse (uv is
#: not corrected for the aspect) of radius sqrt(8) * |progress - .5| shrinks to the centre over
#: `from`, then grows showing `to`; outside it the back colour. The field is the distance to the
#: centre, in 0-255 of .70711 (the corners').
_CIRCLE = MaskedBlend(
    field=f"round(255*hypot({_FX}-0.5,{_FY}-0.5)/0.70711)",
    weight="255*gte(y,128)",
    backdrop=Backdrop(color="0x1A1A1A", shown="255*lte(x/255*0.70711,sqrt(8)*abs(y/255-0.5))"),
)

#: CircleCrop.glsl (fkuteken), bgcolor = black: a circle (corrected for the aspect, ratio2 =
#: (1, 1 / ratio), ratio = W / H) of radius (2 |progress - .5|)^3 shrinks over `from` and grows
#: over `to`; outside it black. The field is the distance in 0-255 of the corners'.
_CIRCLE_CROP = MaskedBlend(
    field=f"round(255*hypot({_FX}-0.5,({_FY}-0.5)*H/W)/hypot(0.5,0.5*H/W))",
    weight="255*gte(y,128)",
    backdrop=Backdrop(color="0x000000", shown="255*lt(x/255*hypot(0.5,0.5*h/w),pow(2*abs(y/255-0.5),3))"),
)
#: circleopen.glsl (gre), smoothness = 0.3, opening = true: a soft-edged circle of `to` opens from
#: the centre: m = smoothstep(-0.3, 0, sqrt(2) * distance - progress * 1.3), `to` by 1 - m.
_CIRCLE_OPEN = MaskedBlend(
    field=f"round(255*sqrt(2)*hypot({_FX}-0.5,{_FY}-0.5))",
    weight="st(1,clip((x/255-1.3*y/255+0.3)/0.3,0,1));255*(1-ld(1)*ld(1)*(3-2*ld(1)))",
)
#: Radial.glsl (Xaychru), smoothness = 1: a soft hand sweeps round the centre from the left:
#: `from` by smoothstep(0, 1, atan(rp.y, rp.x) - (progress - .5) * PI * 2.5), rp = uv * 2 - 1.
#: The field is the angle, -PI..PI in 0-255.
_RADIAL = MaskedBlend(
    field=f"round(255*(atan2({_FY}-0.5,{_FX}-0.5)+PI)/(2*PI))",
    weight="st(1,clip(x/255*2*PI-PI-(y/255-0.5)*PI*2.5,0,1));255*(1-ld(1)*ld(1)*(3-2*ld(1)))",
)
#: crosshatch.glsl (pthrasher), center = (.5, .5), threshold = 3, fadeEdge = .1: `to` shows where
#: progress passes distance / 3 + min(rand(uv.y, 0), rand(0, uv.x)) (the field, in 0-255 of 1.25),
#: faded in over the first tenth and to all of `to` over the last.
_CROSSHATCH = MaskedBlend(
    field=f"round(255/1.25*(hypot({_FX}-0.5,{_FY}-0.5)/3+min({_rand(_FY, '0')},{_rand('0', _FX)})))",
    weight=(
        "st(1,clip(y/255/0.1,0,1));st(1,ld(1)*ld(1)*(3-2*ld(1)));"  # smoothstep(0, .1, progress)
        "st(2,clip((y/255-0.9)/0.1,0,1));st(2,ld(2)*ld(2)*(3-2*ld(2)));"  # smoothstep(.9, 1, progress)
        "st(3,gte(y/255,x/255*1.25));255*ld(1)*(ld(3)+(1-ld(3))*ld(2))"
    ),
)
# fadecolor.glsl's weights of `from` and `to` (color = black, colorPhase = .4), in registers 1-2.
_FADE_COLOR_WEIGHTS = (
    "st(0,y/255);st(1,clip(1-ld(0)/0.6,0,1));st(1,(1-ld(0))*ld(1)*ld(1)*(3-2*ld(1)));"
    "st(2,clip((ld(0)-0.4)/0.6,0,1));st(2,ld(0)*ld(2)*ld(2)*(3-2*ld(2)));"
)
#: fadecolor.glsl (gre), color = black, colorPhase = .4: mix(mix(black, from, smoothstep(.6, 0,
#: progress)), mix(black, to, smoothstep(.4, 1, progress)), progress), the same everywhere: the
#: picture (`to` by its share of the two) shows over black by the sum of their weights.
_FADE_COLOR = MaskedBlend(
    field="0",
    weight=_FADE_COLOR_WEIGHTS + "255*ld(2)/max(ld(1)+ld(2),1e-9)",
    backdrop=Backdrop(color="0x000000", shown=_FADE_COLOR_WEIGHTS + "255*(ld(1)+ld(2))"),
)

#: SimpleZoom.glsl (0gust1), zoom_quickness = 0.8: `from` zooms in by smoothstep(0, .8, progress)
#: (read at .5 + (uv - .5) * (1 - zoom)) and `to` is mixed in by smoothstep(.6, 1, progress).
_SIMPLE_ZOOM = Zoom(
    g="-(st(1,clip({p}/0.8,0,1));ld(1)*ld(1)*(3-2*ld(1)))",
    mix="st(1,clip(({p}-0.6)/0.4,0,1));ld(1)*ld(1)*(3-2*ld(1))",
)
#: ripple.glsl (gre), amplitude = 100, speed = 50: `from` read at uv + dir * (sin(progress * dist *
#: 100 - progress * 50) + .5) / 30 * progress (dir = uv - .5, dist = |dir|), mixed with `to` by
#: smoothstep(.2, 1, progress).
_RIPPLE = Zoom(
    g="(sin({p}*{d}*100-{p}*50)+0.5)/30*{p}", mix="st(1,clip(({p}-0.2)/0.8,0,1));ld(1)*ld(1)*(3-2*ld(1))"
)

_RIPPLES = {"waterdrop": _WATERDROP}
_ZOOMS = {"simplezoom": _SIMPLE_ZOOM, "ripple": _RIPPLE}
#: Dreamy.glsl (mikolalysenko): rows sway by 0.03 * q * cos(10 * (q + uv.x)).
_SWAYS = {"dreamy": Sway(amplitude=0.03, frequency=10)}
#: directionalwarp.glsl (pschroen), smoothness = 0.1, direction = (-1, 1): v = (-.5, .5) (divided
#: by |x| + |y|), d = v.(.5, .5) = 0; m = 1 - smoothstep(-0.1, 0, v.uv - (d - .5 + progress * 1.1)).
_DIRECTIONAL_WARP = Warp(
    place=f"(-0.5*{_FX}+0.5*{_FY}+0.5)", reach="{p}*1.1", reach_range=(0, 1.1), low=0.1,
    m="1-(st(1,clip(({d}+0.1)/0.1,0,1));ld(1)*ld(1)*(3-2*ld(1)))",
)  # fmt: skip
#: crosswarp.glsl (Eke Péter): m = smoothstep(0, 1, progress * 2 + uv.x - 1).
_CROSSWARP = Warp(
    place=_FX, reach="1-2*{p}", reach_range=(-1, 1), low=0, m="st(1,clip({d},0,1));ld(1)*ld(1)*(3-2*ld(1))"
)
_WARPS = {"directionalwarp": _DIRECTIONAL_WARP, "crosswarp": _CROSSWARP}
#: BowTieVertical.glsl (huynx): two triangles of `to` grow from the bottom and top edges, their
#: apexes at progress from them, half-width progress at the edge: inside, `to` by the distance to
#: the slanted sides over 0.005 (the field |uv.x - .5| + the distance to the edge, 1/sqrt(2) of
#: it); the one from the bottom edge (uv.y < .5) waits until progress .1, and where it reaches
#: above the middle it shows `to` whole (`whole`). BowTieHorizontal.glsl is the same turned.
_BOWTIE_VERTICAL = Sweep(
    field=f"abs({_FX}-0.5)+0.5-abs({_FY}-0.5)", width=0.005 * 2**0.5, reach=("{p}", "{p}*gte({p},0.1)"),
    halves="rows", whole=f"if(gte({_FY},0.5),abs({_FX}-0.5)+{_FY},2)",
)
_BOWTIE_HORIZONTAL = Sweep(
    field=f"abs({_FY}-0.5)+0.5-abs({_FX}-0.5)", width=0.005 * 2**0.5, reach=("{p}*gte({p},0.1)", "{p}"),
    halves="columns", whole=f"if(gte({_FX},0.5),abs({_FY}-0.5)+{_FX},2)",
)  # fmt: skip
#: squareswire.glsl (gre), squares = (10, 10), direction = (1, -.5), smoothness = 1.6: a square
#: grows in each cell of a 10 x 10 grid, its margin pr / 2 with pr = smoothstep(-1.6, 0, v.uv -
#: (d - .5 + progress * 2.6)), v = (2/3, -1/3), d = v.(.5, .5). `to` where the cell's point is in
#: its square: pr <= 1 - 2e, e its distance to the cell's centre (the larger axis): as smoothstep
#: rises, where v.uv - x*(1 - 2e) <= d - .5 + progress * 2.6, x* the inverse of the smoothstep
#: (t = .5 - sin(asin(1 - 2 s) / 3)): a still field against the progress, a step of no width.
_SQUARES_WIRE = Sweep(
    field=(
        f"st(1,max(abs(mod({_FX}*10,1)-0.5),abs(mod({_FY}*10,1)-0.5)));"  # e
        "st(2,0.5-sin(asin(4*ld(1)-1)/3));"  # smoothstep's t where it is 1 - 2e
        f"((2/3)*{_FX}-(1/3)*{_FY}-(1.6*ld(2)-1.6)+1/3)/2.6"
    ),
    width=1e-6, reach=("{p}*gt({p},0)", "{p}*gt({p},0)"), halves="rows",
)  # fmt: skip
_SWEEPS = {
    "bowtievertical": _BOWTIE_VERTICAL, "bowtiehorizontal": _BOWTIE_HORIZONTAL, "squareswire": _SQUARES_WIRE,
}  # fmt: skip


def _doom_offset(
    bars: int = 30, amplitude: float = 2, noise: float = 0.1, frequency: float = 0.5, drip: float = 0.5
) -> str:
    """DoomScreenTransition.glsl's progress * (1 + pos(bar) * amplitude), bar = int(uv.x * bars), with
    rand, wave and drip of the bar as the GLSL defines them."""
    bar = f"floor({{x}}*{bars})"
    rand = f"mod(mod({bar}*67123.313,12)*sin({bar}*10.3)*cos({bar}),1)"
    fn = f"({bar}*{frequency}*0.1*{bars})"
    wave = f"(cos({fn}*0.5)*cos({fn}*0.13)*sin(({fn}+10)*0.3)/2+0.5)"
    pos = f"({wave}+({rand}-{wave})*{noise}+sin({bar}/{bars - 1}*3.141592)*{drip})"
    return f"{{p}}*(1+{pos}*{amplitude})"


#: DoomScreenTransition.glsl (Zeh Fernando), bars = 30, amplitude = 2, noise = 0.1, frequency =
#: 0.5, dripScale = 0.5: 30 columns of `from` fall, each at its own speed, uncovering `to`
#: (IMS's doomscreentransition_down).
_DROPS = {"doomscreentransition_down": Drop(offset=_doom_offset())}
#: Bounce.glsl (Adrian Purser), shadow_colour = (0, 0, 0, .6), shadow_height = .075, bounces = 3:
#: `from` falls and bounces, which is IMS's bounce_down (its page: 向下彈動, "bounce down").
_BOUNCES = {"bounce_down": Bounce(shadow_alpha=0.6, shadow_height=0.075, bounces=3)}
#: IMS names with no GLSL of their own, drawn as the named one upside down: inferred from the
#: names (向上彈動 "bounce up", 齒狀上升 "jagged rise" beside bounce_down and
#: doomscreentransition_down), so listed as approximated.
_UPSIDE_DOWN = {"bounce_up": "bounce_down", "doomscreentransition_up": "doomscreentransition_down"}
#: ZoomInCircles.glsl (dycm8009, ported by gre): rings round the centre zoom both pictures out by
#: their own amounts and mix them by their own weights (no uniforms: remapped.py draws it).
_CIRCLES = {"zoomincircles": Circles()}
#: rotate_scale_fade.glsl (Fernando Kuteken), center = (.5, .5), rotations = 1, scale = 8,
#: backColor = (.15, .15, .15, 1).
_ROTATE_SCALE_FADE = Turn(angle="2*PI*{p}", scale="8+(1-8)*2*abs({p}-0.5)", back=0.15)
#: Swirl.glsl (Sergey Kosarevsky): within Radius = 1 of the centre (all the picture), turned by
#: (1 - dist)^2 A 8 * 3.14159, A rising 0 -> 1 over the first half and back over the second.
_SWIRL = Turn(angle="pow(1-{d},2)*if(lte({p},0.5),2*{p},2-2*{p})*8*3.14159", scale="1", back=None)
#: DreamyZoom.glsl (Zeh Fernando), rotation = 6, scale = 1.2: over the first half `from` turns
#: by up to 6 DEG2RAD (0.0392699, as the GLSL defines it) and zooms in by up to 1.2 while
#: brightening to white, over the second `to` comes back from -6 DEG2RAD and 1.2 (phase = 2
#: progress, or 2 progress - 1; the turn keeps the aspect: ratio).
_DREAMY_ZOOM = Turn(
    angle="6*0.0392699081698724*if(lt({p},0.5),2*{p},2*{p}-2)",
    scale="1+0.2*if(lt({p},0.5),2*{p},2-2*{p})", back=None, mix="gte({p},0.5)", aspect=True,
    brighter="if(lt({p},0.5),2*{p},2-2*{p})",
)
_TURNS = {"rotatescalefade": _ROTATE_SCALE_FADE, "swirl": _SWIRL, "dreamyzoom": _DREAMY_ZOOM}
#: heart.glsl (gre): `to` inside a heart round (.5, .4) growing with the progress (remapped.py).
_HEARTS = {"heart": Heart()}
#: kaleidoscope.glsl (nwoeanhinnogaehr), speed = 1, angle = 1, power = 1.5.
_FOLDS = {"kaleidoscope": Fold(speed=1, angle=1, power=1.5)}
#: CrazyParametricFun.glsl (mandubian), a = 4, b = 1, amplitude = 120, smoothness = 0.1.
_PARAMETRIC = {"crazyparametricfun": Parametric(a=4, b=1, amplitude=120, smoothness=0.1)}
#: pixelize.glsl (gre), squaresMin = (20, 20), steps = 50.
_PIXELS = {"pixelize": Pixels(squares=20, steps=50)}
#: hexagonalize.glsl (Fernando Kuteken), steps = 50, horizontalHexagons = 20.
_HEXAGONS = {"hexagonalize": Hexagons(steps=50, across=20)}
#: Mosaic.glsl (Xaychru, ported by gre), endx = 2, endy = -1. IMS's `mosaic` is taken to be it
#: (inferred: gl-transitions also has mosaic_transition.glsl and AdvancedMosaic.glsl; Mosaic.glsl
#: is the one whose file name is IMS's name); its Rand is evaluated in doubles, where a GPU's
#: floats would pick other tiles' turns and pictures.
_TILES = {"mosaic": Tiles(endx=2, endy=-1)}
#: The picture gl-transitions' website gives every sampler2D uniform by default (gre/gl-transition-
#: libs, packages/website/src/defaultSampler2D.js: textures/luma/spiral-2.png). IMS's pages name no
#: picture for luma or displacement; they are taken to read this one (inferred), upright as
#: `from` and `to` are (texture2D(luma, uv) at the top of the picture reads its top row).
_DEFAULT_TEXTURE = "spiral-2.png"
#: luma.glsl (gre) and displacement.glsl (Travis Fischer), strength = 0.5.
_TEXTURED: dict[str, Luma | DisplacementMap] = {
    "luma": Luma(texture=_DEFAULT_TEXTURE),
    "displacement": DisplacementMap(texture=_DEFAULT_TEXTURE, strength=0.5),
}


def _each(expr: str) -> tuple[str, str, str]:
    """One weight for all three channels."""
    return expr, expr, expr


def _smoothstep(edge0: float, edge1: float) -> str:
    """GLSL's smoothstep(edge0, edge1, progress) as a geq expression of `{p}` (edges either way)."""
    return f"(st(9,clip(({{p}}-{edge0})/({edge1 - edge0}),0,1))*ld(9)*(3-2*ld(9)))"


#: burn.glsl (gre), color = (.9, .4, .2): mix(from + progress color, to + (1 - progress) color,
#: progress) = the fade plus 2 progress (1 - progress) color.
_BURN = Channels(mix=_each("{p}"), add=("2*{p}*(1-{p})*0.9", "2*{p}*(1-{p})*0.4", "2*{p}*(1-{p})*0.2"))
#: colorphase.glsl (gre), fromStep = (0, .2, .4), toStep = (.6, .8, 1): each channel turns by
#: its own smoothstep of the progress.
_COLOR_PHASE = Channels(mix=(_smoothstep(0, 0.6), _smoothstep(0.2, 0.8), _smoothstep(0.4, 1)))
#: multiply_blend.glsl (Fernando Kuteken): `from` turns into from * to over the first half, which
#: turns into `to` over the second.
_MULTIPLY_BLEND = Channels(mix=_each("max(2*{p}-1,0)"), toward="product", lean=_each("min(2*{p},1)"))
#: fadegrayscale.glsl (gre), intensity = .3: mix(mix(grey(from), from, smoothstep(.7, 0,
#: progress)), mix(grey(to), to, smoothstep(.3, 1, progress)), progress).
_FADE_GRAYSCALE = Channels(
    mix=_each("{p}"), toward="grey", lean=_each(f"1-{_smoothstep(0.7, 0)}"), to_lean=_each(f"1-{_smoothstep(0.3, 1)}")
)
#: ColourDistance.glsl (P-Seebauer), power = 5: `to` where the colours lie within the progress of
#: each other (distance(from, to) <= progress, m = step), then mix(mix(from, to, m), to,
#: progress^5).
_COLOUR_DISTANCE = Channels(mix=_each("pow({p},5)"), toward="near")
#: windowblinds.glsl (Fabien Benetou): in alternate bands of 1 / (100 progress) of the height
#: `to` shows by 1.5 progress, elsewhere by progress; both go to progress over its last fifth.
_WINDOW_BLINDS = Rows(
    weight="st(8,{p}*if(eq(mod(floor({y}*100*{p}),2),0),1.5,1));ld(8)+({p}-ld(8))*" + _smoothstep(0.8, 1), most=1.5
)
#: doorway.glsl (gre), reflection = 0.4, perspective = 0.4, depth = 3.
_DOORWAYS = {"doorway": Doorway(reflection=0.4, perspective=0.4, depth=3)}
#: GridFlip.glsl (TimDonselaar), size = (4, 4), pause = 0.1, dividerWidth = 0.05, bgcolor = black,
#: randomness = 0.1: cp = smoothstep(0, 1 - r, (progress - .1) / .8), r = rand(cell) - .1; 1 over
#: the last pause, where `to` shows whole.
_CARDS = {"gridflip": Cards(
    cells=4, pause=0.1, divider=0.05,
    pace=(
        f"if(gte({{p}},0.9),1,st(9,clip(({{p}}-0.1)/0.8/(1-({_rand('{cx}', '{cy}')}-0.1)),0,1));"
        "ld(9)*ld(9)*(3-2*ld(9)))"
    ),
)}


def _swap(reflection: float, perspective: float, depth: float) -> Perspective:
    """swap.glsl: `from` shrinks to 1 / `depth` of itself against the left edge (read at size =
    mix(1, depth, progress) times its place) and `to` grows from 1 / `depth` to whole against the
    right edge, each leaning back by `perspective` times its progress (its rows scaled by size / (1
    - size persp x), `to`'s x taken from .5); `from` in front over the first half."""
    grown, shrunk = f"(1+{depth - 1}*{{p}})", f"(1+{depth - 1}*(1-{{p}}))"
    return Perspective(
        from_x=f"{{x}}*{grown}/(1-{perspective}*{{p}})",
        from_s=f"{grown}/(1-{grown}*{perspective}*{{p}}*{{x}})",
        to_x=f"({{x}}-1)*{shrunk}/(1-{perspective}*(1-{{p}}))+1",
        to_s=f"{shrunk}/(1-{shrunk}*{perspective}*(1-{{p}})*(0.5-{{x}}))",
        stretch=(1, 3.6), front="lt({p},0.5)", reflection=reflection, floating=0.02,
    )  # fmt: skip


def _cube(persp: float, unzoom: float, reflection: float, floating: float) -> Perspective:
    """cube.glsl: the picture is zoomed out by uz = unzoom (1 - |2 progress - 1|) (p = (1 + uz) uv
    - uz / 2); `from` is the face right of x = progress (q.x = (p.x - progress) / (1 -
    progress)), `to` the face left of it (q.x = p.x / progress); xskew reads a face at (q.x, .5 +
    (p.y - .5) / b), b = 1 - (1 - P) q.x with P = 1 - progress (1 - persp) for `from`, b = 1 - (1 -
    P) (1 - q.x) with P = mix(progress^2, 1, persp) for `to`. The faces never overlap; where b
    would reach 0 the face's column is off the picture (progress kept off 0 and 1 there)."""
    uz = f"({unzoom}*(1-abs(2*{{p}}-1)))"
    px = f"((1+{uz})*{{x}}-{uz}/2)"
    from_q, to_q = f"(({px}-{{p}})/max(1-{{p}},1e-9))", f"({px}/max({{p}},1e-9))"
    to_persp = f"({{p}}*{{p}}+(1-{{p}}*{{p}})*{persp})"
    return Perspective(
        from_x=from_q, from_s=f"(1+{uz})/(1-{{p}}*{1 - persp:g}*{from_q})",
        to_x=to_q, to_s=f"(1+{uz})/(1+({to_persp}-1)*(1-{to_q}))",
        stretch=(1, 1.7), front="1", reflection=reflection, floating=floating / 100,
    )  # fmt: skip


#: swap.glsl (gre), reflection = 0.4, perspective = 0.2, depth = 3; cube.glsl (gre), persp = 0.7,
#: unzoom = 0.3, reflection = 0.4, floating = 3.
_PERSPECTIVES = {
    "swap": _swap(reflection=0.4, perspective=0.2, depth=3),
    "cube": _cube(persp=0.7, unzoom=0.3, reflection=0.4, floating=3),
}
#: LinearBlur.glsl (gre), intensity = 0.1, passes = 6.
_BLURS = {"linearblur": Blur(intensity=0.1, passes=6)}
#: morph.glsl (paniq), strength = 0.1.
_MORPHS = {"morph": Morph(strength=0.1)}
#: flyeye.glsl (gre), size = 0.04, zoom = 50, colorSeparation = 0.3: disp = size (cos(zoom uv.x),
#: sin(zoom uv.y)); `to` read at uv + (1 - progress) disp, `from`'s channels at uv + progress disp,
#: red by 1 - colorSeparation of it, blue by 1 + colorSeparation.
_FLYEYE = Lens(
    from_x="{k}*{p}*0.04*cos(50*{x})", from_y="{k}*{p}*0.04*sin(50*{y})", to_x="(1-{p})*0.04*cos(50*{x})",
    to_y="(1-{p})*0.04*sin(50*{y})", k=(0.7, 1, 1.3),
)
# GlitchMemories.glsl's dist: its block, floor(uv / 16), is 0 on the picture, so the noise is
# fract(floor(progress * (1200, 3500)) / 64), the same everywhere; none at progress 0.
_GLITCH = "(mod(floor({p}*{n})/64,1)-0.5)*0.3*(1-{p})*gt({p},0)"
#: GlitchMemories.glsl (Gunnar Roth): both pictures' red, green and blue read at uv + dist * .2,
#: .3, .5, a jump each frame.
_GLITCH_MEMORIES = Lens(
    from_x="{k}*" + _GLITCH.replace("{n}", "1200"), from_y="{k}*" + _GLITCH.replace("{n}", "3500"),
    to_x="{k}*" + _GLITCH.replace("{n}", "1200"), to_y="{k}*" + _GLITCH.replace("{n}", "3500"), k=(0.2, 0.3, 0.5),
)
#: undulatingBurnOut.glsl (pthrasher, adapted by gre), smoothness = 0.03, center = (.5, .5),
#: color = black.
_BURNOUT = Burnout(smoothness=0.03, color=(0, 0, 0))
#: GlitchDisplace.glsl (Matt DesLauriers): displace(from, .33, .7) and displace(to, .33, .5).
_GLITCH_DISPLACE = Displace(dot_depth=0.33, from_depth=0.7, to_depth=0.5)
#: squeeze.glsl (gre), colorSeparation = 0.04.
_SQUEEZE = Squeeze(separation=0.04)
_ON_RGB_PLANES: dict[str, Drawn] = {
    "windowblinds": _WINDOW_BLINDS, "squeeze": _SQUEEZE, "flyeye": _FLYEYE,
    "glitchmemories": _GLITCH_MEMORIES, "undulatingburnout": _BURNOUT, "glitchdisplace": _GLITCH_DISPLACE,
}  # fmt: skip
_CHANNELS = {
    "burn": _BURN, "colorphase": _COLOR_PHASE, "multiplyblend": _MULTIPLY_BLEND, "fadegrayscale": _FADE_GRAYSCALE,
    "colordistance": _COLOUR_DISTANCE,
}  # fmt: skip
_DRAWN: dict[str, Drawn] = {
    **_RIPPLES, **_ZOOMS, **_SWAYS, **_WARPS, **_SWEEPS, **_DROPS, **_BOUNCES, **_CIRCLES, **_TURNS, **_HEARTS,
    **_PIXELS, **_CHANNELS, **_ON_RGB_PLANES, **_DOORWAYS, **_CARDS, **_BLURS, **_MORPHS, **_FOLDS,
    **_PARAMETRIC, **_PERSPECTIVES, **_HEXAGONS, **_TILES, **_TEXTURED,
}  # fmt: skip
_MASKED = {
    "perlin": _PERLIN, "randomsquares": _RANDOM_SQUARES, "wind": _WIND, "polka": _POLKA,
    "angular": _ANGULAR, "directionalwipe": _DIRECTIONAL_WIPE, "polarfunction": _POLAR_FUNCTION,
    "pinwheel": _PINWHEEL, "circle": _CIRCLE, "circlecrop": _CIRCLE_CROP, "circleopen": _CIRCLE_OPEN,
    "radial": _RADIAL, "crosshatch": _CROSSHATCH, "fadecolor": _FADE_COLOR,
}  # fmt: skip

#: Directional.glsl (Gaëtan Renaudeau) with its default direction vec2(0.0, 1.0) reads `from` at
#: uv + (0, progress) while that stays in the picture, else `to` a picture higher: the outgoing
#: picture pushed down and out, the incoming one following from the top, row for row what
#: xfade's slidedown draws (checked against the formula in tests/engine/test_transitions.py).
#: windowslice.glsl (count 10, smoothness 0.5) is what hrslice draws (the transitions helper's
#: numpy comparison, ported to tests/engine/test_transitions.py).
_BUILT_IN = {
    "directional": "slidedown", "windowslice": "hrslice",
    "fade": "fade", "wipeleft": "wipeleft", "wiperight": "wiperight", "wipeup": "wipeup",
    "wipedown": "wipedown",
    "dissolve": "dissolve", "fadeblack": "fadeblack", "fadewhite": "fadewhite",
    "slideleft": "slideleft", "slideright": "slideright", "slideup": "slideup",
    "slidedown": "slidedown", "circleclose": "circleclose", "distance": "distance",
}  # fmt: skip

#: Transitions drawn by their GLSL that may still look otherwise than IMS's, and why.
#: CrazyParametricFun.glsl pushes each read by sin(progress dist amplitude x) / smoothness, a sine
#: of up to ~420 radians magnified ten times: the table of distance and progress it is looked up in
#: moves the sine by up to .012, a read by up to .06 of the picture (a numpy model of the drawing at
#: 1080x1920: a fifth to a third of the reads land elsewhere, 10-20% more than 2 pixels away).
#: luma.glsl and displacement.glsl are drawn as they are, but of a picture IMS does not name.
_INFERRED_TEXTURE = "is gl-transitions' default picture, a spiral: IMS names none, so this one is inferred"
_APPROXIMATE = {
    "crazyparametricfun": "its sine looked up in a table: at 1080x1920 a fifth to a third of the pushed reads land "
    "elsewhere than the formula's, the same scatter of pushed pixels but not the same pixels",
    "luma": f"its luma map {_INFERRED_TEXTURE}",
    "displacement": f"its displacement map {_INFERRED_TEXTURE}",
}


def transition_textures() -> frozenset[Path]:
    """The pictures transitions read (shipped in TEXTURES): the engine's start-up check looks for
    them, so that an install without them is named, not met as failed renders."""
    return frozenset(TEXTURES / drawn.texture for drawn in _TEXTURED.values())


def transition_names() -> dict[str, str]:
    """Every IMS transition name and how it is drawn: "xfade NAME", "gl-transitions formula",
    "approximated: gl-transitions formula" or "approximated: NAME upside down" (for docs and
    benchmarks)."""
    drawn = {name: f"xfade {xfade}" for name, xfade in _BUILT_IN.items()}
    drawn |= dict.fromkeys([*_DRAWN, *_MASKED], "gl-transitions formula")
    drawn |= dict.fromkeys(_APPROXIMATE, "approximated: gl-transitions formula")
    drawn |= {name: f"approximated: {turned} upside down" for name, turned in _UPSIDE_DOWN.items()}
    return dict(sorted(drawn.items()))


#: How each kind of `Drawn` draws, for the docs.
_DESCRIBED: dict[type, str] = {
    Ripple: "its GLSL: `from` remapped through maps built each frame, mixed with `to`",
    Zoom: "its GLSL: `from` remapped through maps built each frame, mixed with `to`",
    Sway: "its GLSL: both pictures remapped through maps built each frame, mixed",
    Warp: "its GLSL: both pictures remapped through maps built each frame, mixed",
    Sweep: "its GLSL: 16-bit still fields and the progress weigh `to` against `from`",
    Drop: "DoomScreenTransition.glsl (it falls): `from` remapped down column by column",
    Bounce: "Bounce.glsl (`from` falls, as `_down` says): `from` remapped down, bouncing, over `to`",
    Turn: "its GLSL: both pictures remapped (turned, scaled) and mixed, over a back colour where the GLSL has one",
    Pixels: "its GLSL: both pictures remapped to their squares' centres, mixed",
    Circles: "its GLSL: rings of both pictures remapped (zoomed) and mixed each frame",
    Heart: "its GLSL: a 16-bit still field (the heart's radius on each ray) and the progress",
    Channels: "its GLSL: each RGB channel of both pictures mixed pixel by pixel by weights of the progress",
    Rows: "its GLSL: RGB planes mixed (overshooting) in 16 bits by a weight of the row drawn each frame",
    Burnout: "its GLSL: RGB planes mixed by masks of 16-bit still fields and the progress (overshooting in its band)",
    Displace: "its GLSL: RGB planes remapped by maps of the other picture's colours each frame, mixed at half scale",
    Squeeze: "its GLSL: each RGB plane of `from` remapped row by row (its own rows), over `to`",
    Lens: "its GLSL: each RGB plane of both pictures remapped (its own columns and rows), mixed",
    Doorway: "its GLSL: `from`'s doors and `to` with its reflection remapped by maps of the column and the row",
    Cards: "its GLSL: both pictures remapped by maps of the column and the cell row, over black",
    Blur: "its GLSL: the mean of both pictures shifted each frame (crop of an edge-padded copy), mixed",
    Morph: "its GLSL: RGB planes remapped by maps made each frame of both pictures' colours, mixed",
    Fold: "its GLSL: both pictures remapped by maps turned and folded each frame (on a half-size grid), mixed",
    Parametric: "its GLSL: `from` remapped by maps of a table of distance and progress each frame, mixed with `to`",
    Perspective: "its GLSL: both pictures and their reflections remapped by maps of the column and the row, over black",
    Hexagons: "its GLSL: both pictures remapped to their hexagons' centres (of two rectangular grids'), mixed",
    Tiles: "Mosaic.glsl (inferred from the name): both pictures remapped tile by tile (turned), one shown per tile",
    Luma: "its GLSL: each plane `from`'s where the luma map is at least the progress, else `to`'s (threshold)",
    DisplacementMap: "its GLSL: both pictures remapped sideways by maps of the displacement map and progress, mixed",
}


def transition_table() -> list[str]:
    """docs/effects.md's table of transition names: how each is drawn, and whether that is what
    its gl-transition draws."""
    lines = ["| SubType | drawn as | exact? |", "|---|---|---|"]
    for name in transition_names():
        if name in _BUILT_IN:
            own = _BUILT_IN[name] == name
            drawn, exact = f"xfade `{_BUILT_IN[name]}`", "yes (xfade's own)" if own else "yes: what its GLSL draws"
        elif name in _MASKED:
            backdrop = " over a plain colour" if _MASKED[name].backdrop else ""
            drawn, exact = f"its GLSL: a still field and the progress weigh `to` against `from`{backdrop}", "yes"
        elif name in _DRAWN:
            why = _APPROXIMATE.get(name)
            drawn = _DESCRIBED[type(_DRAWN[name])] + (f" ({why})" if why else "")
            exact = "no: approximated" if why else "yes"
        else:
            drawn = f"`{_UPSIDE_DOWN[name]}` upside down (no GLSL of its own: inferred from the name)"
            exact = "no: approximated"
        lines.append(f"| `{name}` | {drawn} | {exact} |")
    return lines


def xfade_transition(sub_type: str, seed: str) -> XfadeChoice | None:
    """The xfade for an IMS SubType; None when the name is unknown.

    `random` and comma lists pick one deterministically from `seed`, so a re-run of the same
    job renders the same video.
    """
    names = [n.strip().lower() for n in sub_type.split(",") if n.strip()]
    if names == ["random"]:
        names = sorted(_BUILT_IN)
    if not names:
        return None
    picked = names[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(names)]
    if picked in _UPSIDE_DOWN:
        upright = _choice(_UPSIDE_DOWN[picked])
        note = f"drawn as {_UPSIDE_DOWN[picked]} upside down (inferred from the name)"
        return None if upright is None else replace(upright, approximated=True, upside_down=True, note=note)
    return _choice(picked)


def _choice(name: str) -> XfadeChoice | None:
    """How one transition name is drawn; None when the name is unknown."""
    if name in _BUILT_IN:
        return XfadeChoice(_BUILT_IN[name], approximated=False)
    if name in _DRAWN:
        why = _APPROXIMATE.get(name)
        kind = type(_DRAWN[name]).__name__.lower()
        note = f"drawn from its GLSL, {why}" if why else None
        return XfadeChoice(kind, approximated=why is not None, drawn=_DRAWN[name], note=note)
    if name in _MASKED:
        return XfadeChoice("masked", approximated=False, mask=_MASKED[name])
    return None
