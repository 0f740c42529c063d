"""The contrast maths the VS Code scenario test applies to rendered colours: WCAG 2's luminance and ratio,
CSS colour parsing, and the composition of translucent text, backgrounds and opacity."""

from __future__ import annotations

import pytest

from tests.support.contrast import (
    RGBA,
    Layer,
    blend,
    contrast_ratio,
    flatten,
    measure,
    parse_css_color,
    relative_luminance,
    rendered_pair,
    text_contrasts,
)

WHITE = RGBA(255, 255, 255)
BLACK = RGBA(0, 0, 0)
RED = RGBA(255, 0, 0)


def test_black_on_white_is_21_to_1_and_a_colour_on_itself_is_1_to_1() -> None:
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio(RED, RED) == pytest.approx(1.0)


def test_the_grey_at_the_aa_threshold_is_where_the_published_values_put_it() -> None:
    # #767676 is the lightest grey that passes 4.5:1 on white; #777777 just fails (4.48:1).
    assert contrast_ratio(RGBA(0x76, 0x76, 0x76), WHITE) == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio(RGBA(0x77, 0x77, 0x77), WHITE) == pytest.approx(4.48, abs=0.005)


def test_relative_luminance_weights_green_most_and_uses_the_srgb_curve() -> None:
    assert relative_luminance(RGBA(0, 255, 0)) == pytest.approx(0.7152)
    assert relative_luminance(RGBA(0, 0, 255)) == pytest.approx(0.0722)
    # Below the knee the curve is linear: 10/255/12.92.
    assert relative_luminance(RGBA(10, 10, 10)) == pytest.approx(10 / 255 / 12.92)


def test_a_translucent_colour_has_no_luminance_until_it_is_composed() -> None:
    with pytest.raises(ValueError, match="translucent"):
        relative_luminance(RGBA(0, 0, 0, 0.5))


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("rgb(1, 2, 3)", RGBA(1, 2, 3)),
        ("rgba(1, 2, 3, 0.5)", RGBA(1, 2, 3, 0.5)),
        ("rgb(1 2 3 / 50%)", RGBA(1, 2, 3, 0.5)),
        ("rgba(0, 0, 0, 0)", RGBA(0, 0, 0, 0)),
        ("transparent", RGBA(0, 0, 0, 0)),
        ("color(srgb 1 0 0.5 / 0.25)", RGBA(255, 0, 127.5, 0.25)),
        ("color(srgb 0 0 1)", RGBA(0, 0, 255)),
        ("#abc", RGBA(0xAA, 0xBB, 0xCC)),
        ("#11223380", RGBA(0x11, 0x22, 0x33, 0x80 / 255)),
        ("  RGB(255, 255, 255)  ", WHITE),
    ],
)
def test_computed_colours_parse_in_every_form_chromium_serialises(css: str, expected: RGBA) -> None:
    assert parse_css_color(css) == expected


@pytest.mark.parametrize(
    "css", ["oklch(0.5 0.1 200)", "color(display-p3 1 0 0)", "red", "#12345", "rgb(1, 2)"]
)
def test_a_colour_the_parser_cannot_read_is_an_error_not_a_guess(css: str) -> None:
    with pytest.raises(ValueError, match="unsupported CSS colour"):
        parse_css_color(css)


def test_half_transparent_black_over_white_is_mid_grey() -> None:
    assert blend(RGBA(0, 0, 0, 0.5), WHITE) == RGBA(127.5, 127.5, 127.5)


def test_backgrounds_flatten_down_to_the_first_opaque_one_and_ignore_what_lies_below() -> None:
    assert flatten([RGBA(0, 0, 0, 0), RGBA(0, 0, 0, 0.5), WHITE, RED]) == RGBA(127.5, 127.5, 127.5)


def test_backgrounds_that_are_all_transparent_show_the_white_canvas() -> None:
    assert flatten([RGBA(0, 0, 0, 0), RGBA(9, 9, 9, 0)]) == WHITE


def test_text_on_transparent_layers_is_measured_against_the_backdrop() -> None:
    clear = Layer(RGBA(0, 0, 0, 0))
    glyph, ground = rendered_pair(WHITE, [clear, clear], BLACK)
    assert (glyph, ground) == (WHITE, BLACK)


def test_an_opaque_background_hides_everything_under_it() -> None:
    layers = [Layer(RGBA(0, 0, 0, 0)), Layer(WHITE), Layer(RGBA(0, 0, 255, 0.5))]
    glyph, ground = rendered_pair(BLACK, layers, RED)
    assert (glyph, ground) == (BLACK, WHITE)


def test_translucent_text_is_composed_over_its_background() -> None:
    glyph, ground = rendered_pair(RGBA(0, 0, 0, 0.5), [Layer(WHITE)], BLACK)
    assert glyph == RGBA(127.5, 127.5, 127.5)
    assert ground == WHITE
    assert contrast_ratio(glyph, ground) == pytest.approx(3.98, abs=0.005)


def test_a_translucent_background_is_composed_over_the_one_beneath() -> None:
    layers = [Layer(RGBA(0, 0, 0, 0)), Layer(RGBA(255, 255, 255, 0.5)), Layer(BLACK)]
    glyph, ground = rendered_pair(WHITE, layers, RED)
    assert glyph == WHITE
    assert ground == RGBA(127.5, 127.5, 127.5)


def test_opacity_fades_the_text_and_its_own_background_into_the_parents() -> None:
    # An element at half opacity with black text on white, inside a black parent: the white shows grey,
    # the text stays black.
    glyph, ground = rendered_pair(BLACK, [Layer(WHITE, opacity=0.5), Layer(BLACK)], RED)
    assert glyph == BLACK
    assert ground == RGBA(127.5, 127.5, 127.5)


def test_opacity_of_an_ancestor_fades_the_whole_subtree() -> None:
    # White text on a transparent element inside a half-opaque ancestor over black: the text is grey.
    layers = [Layer(RGBA(0, 0, 0, 0)), Layer(RGBA(0, 0, 0, 0), opacity=0.5)]
    glyph, ground = rendered_pair(WHITE, layers, BLACK)
    assert glyph == RGBA(127.5, 127.5, 127.5)
    assert ground == BLACK


def test_the_backdrop_must_be_opaque() -> None:
    with pytest.raises(ValueError, match="opaque"):
        rendered_pair(BLACK, [Layer(WHITE)], RGBA(0, 0, 0, 0.5))


def test_samples_are_measured_and_the_worst_comes_first() -> None:
    # The light high contrast bug: dark code text on a dark navy block reads at about 1.5:1.
    navy_code = {
        "where": "pre > code",
        "text": "x = 1",
        "color": "rgb(41, 47, 78)",
        "layers": [["rgba(0, 0, 0, 0)", "1"], ["rgb(15, 74, 133)", "1"], ["rgb(255, 255, 255)", "1"]],
        "disabled": False,
    }
    answer = {
        "where": "div.answer-text",
        "text": "Hello",
        "color": "rgb(0, 0, 0)",
        "layers": [["rgba(0, 0, 0, 0)", "1"]],
        "disabled": False,
    }
    worst, best = text_contrasts([answer, navy_code], WHITE)
    assert worst.where == "pre > code" and worst.ratio == pytest.approx(1.45, abs=0.01)
    assert best.ratio == pytest.approx(21.0)
    assert "1.45:1" in worst.describe() and "pre > code" in worst.describe()


def test_a_disabled_control_is_marked_so_the_check_can_exempt_it() -> None:
    sample = {
        "where": "button#send",
        "text": "Send",
        "color": "rgba(255, 255, 255, 0.4)",
        "layers": [["rgb(0, 95, 184)", "1"]],
        "disabled": True,
    }
    measured = measure(sample, WHITE)
    assert measured.disabled and "(disabled)" in measured.describe()
