"""Resolve a run's config: base profile <- method profile <- variant <- ``--set`` overrides.

Everything a user or plugin adds is validated against what the profiles define, so a typo
(``train.stepz``) or a wrong type (``train.steps=abc``) is an error naming the key, not a silent no-op.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from srnas.config import check_known_keys, deep_merge, parse_override
from srnas.errors import ConfigError
from srnas.harness.execution.preflight import check_config_values, config_leaves
from srnas.methods.base import Method
from srnas.profiles import BASE_PROFILES, OPTIONAL_COMMON, SECTIONS

"""Top-level keys a method profile or variant may set; the harness adds scale/method/variant/profile."""


def _check_sections(overrides: dict[str, Any], where: str) -> None:
    unknown = sorted(set(overrides) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{where} sets unknown top-level key(s) {', '.join(unknown)}; allowed: {', '.join(SECTIONS)}")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_types(override: dict[str, Any], reference: dict[str, Any], where: str = "") -> None:
    """Each overridden leaf must keep the type the profile gave it (int where int, number where float...)."""
    for key, value in override.items():
        path = f"{where}.{key}" if where else key
        ref = reference.get(key)
        if isinstance(value, dict) and isinstance(ref, dict):
            _check_types(value, ref, path)
            continue
        if ref is None:
            continue  # unset in the profile: any JSON value is accepted
        ok = (
            isinstance(value, bool) == isinstance(ref, bool)
            and (
                isinstance(value, type(ref))
                or (isinstance(ref, float) and isinstance(value, int))
                or (isinstance(ref, (list, tuple)) and isinstance(value, (list, tuple)))
            )
        )
        if not ok:
            raise ConfigError(f"bad value for {path}: expected {_type_name(ref)} (profile value {ref!r}), got {value!r}")


def resolve_config(method: Method, profile: str, scale: int, variant: str = "default", overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The full config of one run (seed excluded: all seeds of a sweep share it and its hash).

    A method that runs on top of another one's config (the ``random`` baseline trains its space plugin's
    network at that plugin's budget) defines ``inherited_profile(profile, config) -> overrides``: given
    the first-pass config it returns the layer merged between the base profile and its own profile, so the
    inherited settings are part of the resolved config (and of its hash).
    """
    if profile not in BASE_PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(BASE_PROFILES)}")
    if scale not in (2, 3, 4):
        raise ConfigError(f"unsupported scale {scale}; the suite evaluates x2, x3 and x4")
    method_profile = method.profile(profile)
    _check_sections(method_profile, f"{method.name}.profile({profile!r})")
    variants = method.variants()
    if variant not in variants:
        raise ConfigError(f"unknown variant {variant!r} of {method.name}; known: {', '.join(variants)}")
    _check_sections(variants[variant], f"variant {variant!r} of {method.name}")
    parsed = [parse_override(text) for text in overrides]
    config = deep_merge(deep_merge(BASE_PROFILES[profile], method_profile), variants[variant])
    inherit = getattr(method, "inherited_profile", None)
    if inherit is not None:
        first_pass = config
        for override in parsed:  # e.g. --set options.space=hnas decides what is inherited
            first_pass = deep_merge(first_pass, override)
        inherited = inherit(profile, {**first_pass, "scale": scale})
        _check_sections(inherited, f"{method.name}.inherited_profile({profile!r})")
        config = deep_merge(deep_merge(deep_merge(BASE_PROFILES[profile], inherited), method_profile), variants[variant])
    # keys a plugin reads with a default when absent (added after records were made) may be --set too,
    # without entering configs that do not set them (their hashes stay what they were)
    reference = deep_merge(deep_merge(OPTIONAL_COMMON, method.optional_config()), config)
    for override in parsed:
        check_known_keys(override, reference)
        _check_types(override, reference)
        config = deep_merge(config, override)
    _stamp_protocol_revision(config)
    config.update(scale=scale, method=method.name, variant=variant, profile=profile)
    check_config_values(config)
    return config


def applied_defaults(method: Method, config: dict[str, Any]) -> dict[str, Any]:
    """The optional keys a run's config leaves out, each with the default the code reads in its place
    (``OPTIONAL_COMMON`` and the plugin's ``optional_config()``), as dotted keys.

    Why: those keys are absent from the config so that the hashes of records made before they existed stay
    valid -- which also means the hash cannot show a changed default. Every record therefore names the
    defaults it ran with, outside the hash: two records of one config hash whose ``defaults_applied``
    differ ran different code paths, and a reader can see it."""
    present = {k for k, _ in config_leaves(config)}
    optional = deep_merge(OPTIONAL_COMMON, method.optional_config())
    return {k: v for k, v in config_leaves(optional) if k not in present}


def _stamp_protocol_revision(config: dict[str, Any]) -> None:
    """A preset whose definition was corrected (revision > 1) names its revision in the config, so its runs
    hash apart from the ones made under the old definition; revision-1 presets add nothing (hashes unchanged)."""
    from srnas.protocol.metrics import PROTOCOLS

    ev = config.get("eval")
    if not isinstance(ev, dict):
        return
    preset = PROTOCOLS.get(str(ev.get("protocol")))
    if preset is not None and preset.revision > 1:
        ev["protocol_revision"] = preset.revision
