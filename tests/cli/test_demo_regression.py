"""The demo for seed 7 gives exactly the outputs recorded before the issue-14 refactor.

The session's demo run (`demo_run` in conftest.py) is fingerprinted right after it ran: the content
hash of its workspace, its row counts, the sha256 of truth.json, the hash of the printed summary
(without timings and paths) and the table hash of every stored result. Each must equal the value
recorded here. This proves that the demo is deterministic for a seed (run to run, on any machine)
and that a change of code kept every number and every file the same.

A result table that is not in RECORDED (a new kind of stored result) is allowed; a recorded one
that is missing or different fails, naming it.

When a change is meant to change the demo's outputs (a new rule, a fixed bug), update RECORDED
in the same commit and say why in its message:

    .venv/bin/python -m pytest tests/cli/test_demo_regression.py -q -p no:cacheprovider

prints each differing value (the new one first); check that only what the change should change
differs, then copy the new values here. The hashes come from `demo_fingerprint` in conftest.py
(`Workspace.content_hash`, `table_hash`, sha256 of truth.json and of the sorted-key JSON summary).
"""
from __future__ import annotations

import pytest

from influgraph.workspace import Workspace

RECORDED = {
    "workspace": "ca6b1f4923c9a39ff592a37369fae0acb1229e063345eb97d75baff3d699b479",
    "counts": {"accounts": 3048, "edges": 52541, "posts": 6595},
    "truth": "30455708ddf5c2a3d57cc81958573a82d999798e6357d341e301d7e9c2607f10",
    "summary": "ec2efa79697553b1dbccc7afea66e22d3a91cbb258246b10a41b28620475fe14",
    "results": {
        "communities": "3c2e9a43e22c7a08488c3822cc2238ca1453613b1ed8b71d80e9b92159ae9268",
        "community_profiles": "46accef07cf8e4c9033285cb4a13834ece24a092c60212b024701ab0abf33022",
        "overlap_kuliner_nusantara": "174d49f09f5ad53c5a836a5123b78d02db0ccac566ef1e6a29a84ccf5947df29",
        "overlap_persian_books": "d2edab5b12cf9e556f24d166750df1e601268ef3e0f7315a49f9478b90a634f6",
        "overlap_specialty_coffee": "67d8fbaf3baa0c1b2c593a1f9158ce798e6911933b7dc60c8026d0a580d07457",
        "rank_kuliner_nusantara": "2434e944adacded879882740dbdaaed6b96bd05d886afe7cd840c6ac0338a367",
        "rank_persian_books": "9657eac0d878c5ed03d5c0aaf79776e5125740cfa4a7bf384ae6d3cb21c7c8cf",
        "rank_specialty_coffee": "0ade75072e292f2a1405d8ca557f418b82c8f27f55b110c8ad31de8e019f5483",
        "shortlist_kuliner_nusantara": "6be9a4e0517590defff537647cf6d64697ac4d7bd38337dcb7b20ee8a971ccb9",
        "shortlist_persian_books": "5cec535604bcffc707b0025056c423f6a6b659c00e08ff34aaf5a570616f139f",
        "shortlist_specialty_coffee": "82bbfaaeff2f82ad0b2ad3336151c18d310a1e24baba24e928fc4c593b23ecc3",
    },
}


def test_demo_workspace_and_truth_are_the_recorded_ones(demo_run) -> None:
    found = demo_run.fingerprint
    assert found["counts"] == RECORDED["counts"]
    assert found["workspace"] == RECORDED["workspace"]
    assert found["truth"] == RECORDED["truth"]
    assert Workspace(demo_run.result.workspace).content_hash() == found["workspace"]  # and still so now


def test_demo_summary_is_the_recorded_one(demo_run) -> None:
    assert demo_run.fingerprint["summary"] == RECORDED["summary"]


@pytest.mark.parametrize("name", sorted(RECORDED["results"]))
def test_every_recorded_result_is_stored_with_its_recorded_hash(demo_run, name: str) -> None:
    stored = demo_run.fingerprint["results"]
    assert name in stored, f"the demo no longer stores result {name!r}; it stores {sorted(stored)}"
    assert stored[name] == RECORDED["results"][name]
