"""Profiles and command-line overrides: converted, checked, explained in French."""

from __future__ import annotations

import dataclasses
import types

import pytest

from fidle_examples.core import config as config_mod
from fidle_examples.core import registry
from fidle_examples.core.errors import UsageError


def _module(name: str):
    return registry.get(name).load()


@pytest.mark.parametrize("name", registry.names())
@pytest.mark.parametrize("profile", config_mod.PROFILES)
def test_every_profile_passes_the_checks_of_its_options(name, profile):
    module = _module(name)
    assert config_mod.resolve(module, profile) == module.PROFILES[profile]  # else UsageError


def test_overrides_are_converted_to_the_field_type():
    config = config_mod.resolve(_module("wine"), "quick",
                                {"epochs": "5", "learning_rate": "0.01", "seed": "3"})
    assert (config.epochs, config.learning_rate, config.seed) == (5, 0.01, 3)
    assert isinstance(config.epochs, int) and isinstance(config.learning_rate, float)
    # Everything not overridden keeps the profile's value.
    quick = _module("wine").PROFILES["quick"]
    assert config.batch_size == quick.batch_size and config.hidden_units == quick.hidden_units


def test_none_means_not_given():
    module = _module("mnist")
    assert config_mod.resolve(module, "quick", {"epochs": None}) == module.PROFILES["quick"]


@pytest.mark.parametrize("overrides, message", [
    ({"epochs": "-3"}, "--epochs doit être strictement positif, pas -3"),
    ({"epochs": "0"}, "--epochs doit être strictement positif"),
    ({"epochs": "abc"}, "--epochs attend un nombre entier, pas « abc »"),
    ({"epochs": "2.5"}, "--epochs attend un nombre entier"),
    ({"epochs": 2.5}, "--epochs attend un nombre entier"),
    ({"epochs": "1e9"}, "--epochs attend un nombre entier"),
    ({"epochs": "1000000"}, "--epochs = 1000000 est démesuré"),
    ({"batch_size": "0"}, "--batch-size doit être strictement positif"),
    ({"validation_fraction": "1.5"}, "--validation-fraction doit être strictement entre 0 et 1"),
    ({"validation_fraction": "nan"}, "--validation-fraction ne peut pas valoir NaN"),
    ({"seed": "-1"}, "--seed doit être un entier entre 0 et 4 294 967 295"),
    ({"foo": "1"}, "L'option --foo ne s'applique pas à l'exemple « mnist ». "
                   "Options possibles : --epochs"),
])
def test_bad_values_are_refused_with_the_option_named(overrides, message):
    with pytest.raises(UsageError) as error:
        config_mod.resolve(_module("mnist"), "quick", overrides)
    assert message in str(error.value)


def test_unknown_profile_is_refused():
    with pytest.raises(UsageError, match="Profil inconnu : « bad ». Profils possibles : full, quick"):
        config_mod.resolve(_module("mnist"), "bad")


def test_learning_rate_accepts_scientific_notation():
    config = config_mod.resolve(_module("gradient-descent"), "quick", {"learning_rate": "1e-2"})
    assert config.learning_rate == 0.01


@pytest.mark.parametrize("name, overrides, message", [
    ("polynomial-regression", {"max_degree": "40"}, "il faut plus de points d'entraînement"),
    ("polynomial-regression", {"good_degree": "25"}, "--good-degree doit être entre 2"),
    ("polynomial-regression", {"good_degree": "1"}, "--good-degree doit être entre 2"),
    ("wine", {"validation_fraction": "0.5", "test_fraction": "0.45"},
     "laissent moins de 10 % des vins"),
    ("logistic-regression", {"n_points": "5"}, "--n-points doit valoir au moins 20"),
    ("linear-regression", {"n_points": "1"}, "--n-points doit valoir au moins 2"),
    ("gradient-descent", {"n_points": "1"}, "--n-points doit valoir au moins 2"),
    ("mnist", {"train_size": "50"}, "--train-size doit être entre 100 et 60 000"),
])
def test_rules_between_fields_are_checked(name, overrides, message):
    with pytest.raises(UsageError) as error:
        config_mod.resolve(_module(name), "quick", overrides)
    assert message in str(error.value)


def test_a_field_that_is_not_a_number_cannot_be_overridden():
    @dataclasses.dataclass(frozen=True)
    class Config:
        degrees: tuple = (1, 5, 20)
        seed: int = 0

    module = types.SimpleNamespace(NAME="demo", PROFILES={"full": Config(), "quick": Config()})
    with pytest.raises(UsageError, match="--degrees ne peut pas être changé en ligne de commande"):
        config_mod.resolve(module, "quick", {"degrees": "1,2"})
