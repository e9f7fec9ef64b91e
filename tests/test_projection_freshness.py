"""The projection table says when a projection's config is no longer today's, and which steps it timed."""
from srnas.config import config_hash
from srnas.harness.execution.config import resolve_config
from srnas.harness.reporting.projections import freshness, timed_kinds
from srnas.methods import get_method


def _rec(chash):
    return {"method": "hinas", "variant": "default", "scale": 2, "profile": "paper", "config_hash": chash,
            "loops": {"search": {"timed_steps": 3, "total_steps": 1600}}}


def test_a_projection_of_todays_config_is_current_and_an_older_one_stale():
    today = config_hash(resolve_config(get_method("hinas"), "paper", 2, "default"))
    assert freshness(_rec(today)) == "current"
    stale = freshness(_rec("4dd159f52ea3"))
    assert stale.startswith("**stale**") and "4dd159f52ea3" in stale and today in stale


def test_the_row_states_which_steps_were_timed():
    assert timed_kinds(_rec("x")) == "search: first 3 of 1600 steps (later step kinds not timed)"
