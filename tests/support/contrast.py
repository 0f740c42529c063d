"""WCAG 2 contrast of rendered text, computed from the colours a browser reports.

The page side (`COLLECT_TEXT_JS`, run inside a frame by Playwright) lists every visible element holding text
with its computed colour and the chain of its ancestors' backgrounds and opacities; this side composes that
chain the way the browser paints it, over the backdrop the frame sits on, and measures the contrast of a
text pixel against the pixel beside it.

Composition: each element paints its background and then its children into its own layer, and the layer
is laid over its parent's with the element's `opacity`. A text pixel is the text colour on top of the
innermost layer; the background pixel is the same stack without it. An opaque background with opacity 1
covers everything under it, so the walk in effect stops at the first opaque background; translucent
backgrounds and text (theme colours such as `#cccccc99`) are composed, not ignored. Background images,
shadows and overlapping siblings are not taken into account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BACKDROP_JS",
    "COLLECT_TEXT_JS",
    "MINIMUM_TEXT_CONTRAST",
    "RGBA",
    "Layer",
    "TextContrast",
    "blend",
    "contrast_ratio",
    "flatten",
    "measure",
    "parse_css_color",
    "relative_luminance",
    "rendered_pair",
    "text_contrasts",
]

MINIMUM_TEXT_CONTRAST = 4.5
"""WCAG 2 success criterion 1.4.3 (AA) for normal text; the issue asks it of all text in the chat view."""


@dataclass(frozen=True)
class RGBA:
    """An sRGB colour with channels in 0..255 (floats, so composed colours are not rounded) and alpha 0..1."""

    r: float
    g: float
    b: float
    a: float = 1.0

    @property
    def opaque(self) -> bool:
        return self.a >= 1.0

    def css(self) -> str:
        return f"rgba({self.r:.0f}, {self.g:.0f}, {self.b:.0f}, {self.a:.3g})"


TRANSPARENT = RGBA(0, 0, 0, 0)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_FUNCTION = re.compile(r"^(rgba?|color)\((.*)\)$", re.IGNORECASE)


def _channel(token: str, scale: float) -> float:
    """A number or percentage; `scale` is what 100% means (255 for rgb() channels, 1 for alpha)."""
    if token.endswith("%"):
        return float(token[:-1]) / 100 * scale
    return float(token)


def _clamp(value: float, top: float) -> float:
    return min(max(value, 0.0), top)


def parse_css_color(text: str) -> RGBA:
    """A computed CSS colour as Chromium serialises it: `rgb()`/`rgba()` (comma or space syntax),
    `color(srgb r g b / a)` (what `color-mix(in srgb, ...)` computes to), `#rgb[a]`/`#rrggbb[aa]`, or
    `transparent`. Anything else (oklch(), a colour keyword) raises ValueError naming it, rather than
    being guessed at."""
    value = text.strip().lower()
    if value == "transparent":
        return TRANSPARENT
    if value.startswith("#"):
        return _parse_hex(value)
    match = _FUNCTION.match(value)
    if not match:
        raise ValueError(f"unsupported CSS colour {text!r}")
    name, body = match.groups()
    tokens = [t for t in re.split(r"[\s,/]+", body.strip()) if t]
    if name == "color":
        if not tokens or tokens[0] != "srgb" or len(tokens) not in (4, 5):
            raise ValueError(f"unsupported CSS colour {text!r} (only the srgb colour space is read)")
        numbers = tokens[1:]
        for token in numbers:
            if not re.fullmatch(_NUMBER + "%?", token):
                raise ValueError(f"unsupported CSS colour {text!r}")
        r, g, b = (_clamp(_channel(t, 1.0), 1.0) * 255 for t in numbers[:3])
        alpha = _clamp(_channel(numbers[3], 1.0), 1.0) if len(numbers) == 4 else 1.0
        return RGBA(r, g, b, alpha)
    if len(tokens) not in (3, 4) or not all(re.fullmatch(_NUMBER + "%?", t) for t in tokens):
        raise ValueError(f"unsupported CSS colour {text!r}")
    r, g, b = (_clamp(_channel(t, 255.0), 255.0) for t in tokens[:3])
    alpha = _clamp(_channel(tokens[3], 1.0), 1.0) if len(tokens) == 4 else 1.0
    return RGBA(r, g, b, alpha)


def _parse_hex(value: str) -> RGBA:
    digits = value[1:]
    if not re.fullmatch(r"[0-9a-f]+", digits) or len(digits) not in (3, 4, 6, 8):
        raise ValueError(f"unsupported CSS colour {value!r}")
    if len(digits) in (3, 4):
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
    alpha = channels[3] / 255 if len(channels) == 4 else 1.0
    return RGBA(channels[0], channels[1], channels[2], alpha)


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: RGBA) -> float:
    """WCAG 2's relative luminance of an opaque sRGB colour (0 for black, 1 for white)."""
    if not color.opaque:
        raise ValueError(f"the luminance of a translucent colour depends on what is under it: {color.css()}")
    return 0.2126 * _linear(color.r) + 0.7152 * _linear(color.g) + 0.0722 * _linear(color.b)


def contrast_ratio(first: RGBA, second: RGBA) -> float:
    """WCAG 2's contrast ratio of two opaque colours: (L1 + 0.05) / (L2 + 0.05), L1 the lighter; 1 to 21."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


# Composition works on premultiplied colours: (r*a, g*a, b*a, a).
_Premultiplied = tuple[float, float, float, float]


def _pre(color: RGBA) -> _Premultiplied:
    return (color.r * color.a, color.g * color.a, color.b * color.a, color.a)


def _over(top: _Premultiplied, under: _Premultiplied) -> _Premultiplied:
    keep = 1.0 - top[3]
    return (
        top[0] + under[0] * keep,
        top[1] + under[1] * keep,
        top[2] + under[2] * keep,
        top[3] + under[3] * keep,
    )


def _faded(color: _Premultiplied, opacity: float) -> _Premultiplied:
    return (color[0] * opacity, color[1] * opacity, color[2] * opacity, color[3] * opacity)


def _straight(color: _Premultiplied) -> RGBA:
    alpha = color[3]
    if alpha <= 0:
        return TRANSPARENT
    return RGBA(color[0] / alpha, color[1] / alpha, color[2] / alpha, min(alpha, 1.0))


def blend(top: RGBA, under: RGBA) -> RGBA:
    """`top` painted over `under` (source-over)."""
    return _straight(_over(_pre(top), _pre(under)))


WHITE = RGBA(255, 255, 255)


def flatten(backgrounds: Iterable[RGBA]) -> RGBA:
    """Backgrounds stacked top first, composed down to the first opaque one; the browser's white canvas
    under them all when none is."""
    stack: list[RGBA] = []
    for color in backgrounds:
        stack.append(color)
        if color.opaque:
            break
    else:
        stack.append(WHITE)
    result = stack[-1]
    for color in reversed(stack[:-1]):
        result = blend(color, result)
    return result


@dataclass(frozen=True)
class Layer:
    """One element on the way from the text to the document root: its background and its opacity."""

    background: RGBA
    opacity: float = 1.0


def rendered_pair(text: RGBA, layers: Sequence[Layer], backdrop: RGBA) -> tuple[RGBA, RGBA]:
    """The (text pixel, background pixel) the browser paints for `text` inside `layers` (innermost first,
    the text's own element at index 0) over an opaque `backdrop`."""
    if not backdrop.opaque:
        raise ValueError(f"the backdrop must be opaque: {backdrop.css()}")
    if not layers:
        raise ValueError("no layers: the text's own element is the first")
    glyph: _Premultiplied = _over(_pre(text), _pre(layers[0].background))
    plain: _Premultiplied = _pre(layers[0].background)
    inner_opacity = layers[0].opacity
    for layer in layers[1:]:
        under = _pre(layer.background)
        glyph = _over(_faded(glyph, inner_opacity), under)
        plain = _over(_faded(plain, inner_opacity), under)
        inner_opacity = layer.opacity
    base = _pre(backdrop)
    glyph = _over(_faded(glyph, inner_opacity), base)
    plain = _over(_faded(plain, inner_opacity), base)
    return _straight(glyph), _straight(plain)


@dataclass(frozen=True)
class TextContrast:
    """One text element as rendered: what it is, its two pixels and their contrast."""

    where: str
    text: str
    foreground: RGBA
    background: RGBA
    ratio: float
    disabled: bool

    def describe(self) -> str:
        state = " (disabled)" if self.disabled else ""
        return (
            f"{self.ratio:5.2f}:1  {self.where}{state}: {self.text!r} "
            f"{self.foreground.css()} on {self.background.css()}"
        )


def measure(sample: dict[str, Any], backdrop: RGBA) -> TextContrast:
    """One sample of `COLLECT_TEXT_JS` measured over `backdrop`."""
    layers = [Layer(parse_css_color(str(bg)), float(op)) for bg, op in sample["layers"]]
    foreground, background = rendered_pair(parse_css_color(str(sample["color"])), layers, backdrop)
    return TextContrast(
        where=str(sample["where"]),
        text=str(sample["text"]),
        foreground=foreground,
        background=background,
        ratio=contrast_ratio(foreground, background),
        disabled=bool(sample["disabled"]),
    )


def text_contrasts(samples: Iterable[dict[str, Any]], backdrop: RGBA) -> list[TextContrast]:
    """Every sample measured, the worst first."""
    return sorted((measure(s, backdrop) for s in samples), key=lambda c: c.ratio)


COLLECT_TEXT_JS = r"""
() => {
  // Every visible element with text of its own (a non-blank text node child, a form control's value or
  // placeholder): where it is, the text, its computed colour, and the background and opacity of it and
  // of each ancestor up to <html>, innermost first.
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.documentElement && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      for (const c of e.classList) part += "." + c;
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const layers = (el) => {
    const out = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      out.push([s.backgroundColor, s.opacity]);
    }
    return out;
  };
  const shown = (el) => {
    const seen = { opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true };
    if (!el.checkVisibility(seen)) return false;
    const r = el.getBoundingClientRect();
    // Screen-reader-only text (1 px, clipped) is not rendered text.
    if (r.width <= 1 || r.height <= 1) return false;
    const s = getComputedStyle(el);
    if (s.clip === "rect(0px, 0px, 0px, 0px)" || s.clipPath === "inset(50%)") return false;
    return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  };
  const disabled = (el) => el.matches(":disabled") || !!el.closest("[aria-disabled=true]");
  const samples = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "TEMPLATE", "OPTION"].includes(el.tagName)) continue;
    if (!shown(el)) continue;
    let text = "";
    let color = getComputedStyle(el).color;
    if (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && !["checkbox", "radio"].includes(el.type))) {
      text = el.value;
      if (!text && el.placeholder) {
        text = el.placeholder;
        color = getComputedStyle(el, "::placeholder").color;
      }
    } else if (el.tagName === "SELECT") {
      text = el.selectedOptions.length ? el.selectedOptions[0].textContent : "";
    } else {
      for (const node of el.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
      }
    }
    text = text.replace(/\s+/g, " ").trim();
    if (!text) continue;
    text = text.slice(0, 60);
    samples.push({ where: where(el), text, color, layers: layers(el), disabled: disabled(el) });
  }
  return samples;
}
"""

BACKDROP_JS = r"""
(_root, selector) => {
  // What a transparent frame shows through: the backgrounds painted at the centre of the frame element
  // `selector` names, top first (the frame element itself, then what lies under it). Elements with
  // pointer-events: none are not hit, so not listed.
  const frame = document.querySelector(selector);
  if (!frame) return null;
  const r = frame.getBoundingClientRect();
  return document
    .elementsFromPoint(r.left + r.width / 2, r.top + r.height / 2)
    .filter((el) => el === frame || !frame.contains(el))
    .map((el) => getComputedStyle(el).backgroundColor);
}
"""
