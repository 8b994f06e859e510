"""SearchSettings and the seed: a bad value is a ValueError naming the field, the value, what is allowed."""

import math
import re
from dataclasses import fields

import numpy as np
import pytest

from ase_godiff.settings import SearchSettings, check_seed

INF, NAN = math.inf, math.nan
FIELDS = {f.name: f.type for f in fields(SearchSettings)}
NUMBERS = [name for name, kind in FIELDS.items() if kind.startswith("float")]
INTEGERS = [name for name, kind in FIELDS.items() if kind.startswith("int")]
STRINGS = [name for name, kind in FIELDS.items() if kind == "str"]


def _refused(allowed: str, **overrides) -> str:
    (name, value), = overrides.items()
    with pytest.raises(ValueError) as error:
        SearchSettings(**overrides)
    message = str(error.value)
    assert message.startswith(f"{name} must be ") and f"got {value!r}" in message
    assert re.search(allowed, message), message
    return message


@pytest.mark.parametrize("overrides, allowed", [
    ({"sigma_max": INF}, "finite and positive"), ({"learning_rate": INF}, "finite and positive"),
    ({"guidance": INF}, "finite and at least 0"), ({"guidance": NAN}, "finite"),
    ({"force_clip": NAN}, "finite and positive"), ({"grad_clip": NAN}, "finite and positive"),
    ({"grad_clip": 0.0}, "positive"), ({"grad_clip": -1.0}, "positive"),
    ({"relax_fmax": NAN}, "positive"), ({"kT_start": INF}, "positive"), ({"kT_end": NAN}, "positive"),
    ({"kT_end": -1.0}, "positive"), ({"t_min": NAN}, r"in \(0, 1\)"), ({"t_min": 0.0}, r"in \(0, 1\)"),
    ({"t_min": 1.0}, r"in \(0, 1\)"), ({"sigma_min": 0.0}, "positive"),
    ({"target_ess_fraction": 1.5}, r"in \(0, 1\]"), ({"min_distance_ratio": 2.0}, r"in \[0, 2\)"),
    ({"min_distance_ratio": -0.1}, r"in \[0, 2\)"), ({"samples_per_stage": 0}, "at least 1"),
    ({"train_steps": -1}, "at least 0"), ({"relax_top": -1}, "at least 0"), ({"relax_calls": 0}, "at least 1"),
    ({"schedule": "linear"}, r"one of \('adaptive', 'exponential'\)"),
    ({"noise_schedule": "cosine"}, r"one of \('linear', 'geometric'\)"),
])
def test_out_of_range_values_are_refused_with_what_is_allowed(overrides, allowed):
    _refused(allowed, **overrides)


@pytest.mark.parametrize("value", [1.5, "2", True, None, 2.0])
def test_integer_fields_take_only_ints(value):
    _refused(r"an integer, got", train_steps=value)


@pytest.mark.parametrize("name", INTEGERS)
def test_every_integer_field_refuses_floats_strings_and_bools(name):
    for value in (1.5, "2", True):
        _refused("an integer", **{name: value})


@pytest.mark.parametrize("name", NUMBERS)
def test_every_number_field_refuses_strings_bools_nan_and_inf(name):
    for value in ("0.1", True):
        _refused("a number", **{name: value})
    for value in (NAN, INF, -INF):
        _refused("finite", **{name: value})


@pytest.mark.parametrize("name", STRINGS)
def test_every_string_field_refuses_other_types(name):
    _refused("a string", **{name: 3})


def test_sigma_max_must_exceed_sigma_min():
    with pytest.raises(ValueError, match=r"sigma_max must be greater than sigma_min = 0.5 Å, got 0.5"):
        SearchSettings(sigma_min=0.5, sigma_max=0.5)


def test_good_values_are_kept_and_numbers_become_floats():
    s = SearchSettings(kT_start=3, kT_end=None, sigma_max=np.float32(4.0), min_distance_ratio=0,
                       guidance=0, train_steps=0, samples_per_stage=None, schedule="exponential")
    assert s.kT_start == 3.0 and type(s.kT_start) is float and type(s.sigma_max) is float
    assert s.min_distance_ratio == 0.0 and s.kT_end is None and s.samples_per_stage is None
    assert SearchSettings().with_overrides(stages=3).stages == 3


def test_with_overrides_checks_the_same_way_and_keeps_the_unknown_name_error():
    with pytest.raises(ValueError, match=r"stages must be an integer or None, got '2' \(str\)"):
        SearchSettings().with_overrides(stages="2")
    with pytest.raises(ValueError, match=r"unknown search setting\(s\) \['stagse'\]: known are"):
        SearchSettings().with_overrides(stagse=3)


@pytest.mark.parametrize("seed", [0, 7, 2**64 - 1, np.int64(3)])
def test_check_seed_gives_a_python_int(seed):
    assert check_seed(seed) == seed and type(check_seed(seed)) is int


@pytest.mark.parametrize("seed", [1.5, "0", True, -1, 2**64, None])
def test_check_seed_refuses_non_integers_bools_and_out_of_range(seed):
    message = f"seed must be an integer from 0 to 2**64 - 1, got {seed!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        check_seed(seed)
