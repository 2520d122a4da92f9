"""The demo for seed 7 gives exactly the outputs recorded (last re-recorded for issue 18: every row has its
`observed_at` and the workspace an `observations` table, so the workspace hash and the rankings' account
columns moved, every value else unchanged; the rings found are stored as `rings_<niche>`; issue 17,
2026-12-03: PageRank's cycles solved by Gauss-Seidel sweeps instead of a sparse LU, so the niche
PageRank and the scores built on it moved in their 11th significant digit, relative change at most
7e-11, every rank, id and other column unchanged; later the same day: power iteration compiled on two
fixed parts, so the whole-graph `pagerank` column and `lift` moved in their 16th digit, relative change at most
1.3e-15, every other column unchanged; 2026-12-03 again: PageRank by levels solves each mutual pair of a level
exactly and sweeps each larger cycle alone, so `niche_pagerank`, `component_niche_pagerank` and `lift` moved in
their 16th digit, relative change at most 3.4e-16, every other column unchanged).

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
    "workspace": "a63b1d2cfc251fa600a040143e3b0788bb8dea2a19b419d8b845e715d35a6dc7",
    "counts": {"accounts": 4073, "edges": 56538, "posts": 8282},
    "truth": "33445adf95715b3db578ebbad1910477e19e1613426e4063b92010ec956be519",
    "summary": "6df6cfaf3e9dabec0552b2cf26f5e3645fc5f0c4d9564eb33a020428b1415ccd",
    "results": {
        "agreement_kuliner_nusantara": "bc97af71c65542f9c3f65fe809d9932384bb02932f3a029608fa3ed335c7b482",
        "agreement_persian_books": "3b816f39d60a01da891a6637d37907b1dd6b53299be867d0164d8660db6927db",
        "agreement_specialty_coffee": "a367d795692a55ba22badd4a71f513f6fd112faefd05f2145d402cdee86f2e13",
        "communities": "9c3a8324227c2ab2ad93350d66f8b4da1249965bce69523aef6b226efb26a559",
        "community_profiles": "27007db513a06cb1ea1d2590b38ff75e18e48ea419a12ad151d7158528a7f0a2",
        "overlap_kuliner_nusantara": "f5ba1e89a11b3f4a09c71f754024021bc697530bb5d0c3359410b52f1dc87565",
        "overlap_persian_books": "bb2207277369b46b8cbc2fc1a6bc44aa3dd63767cae9d8e8b6995cb235dc166b",
        "overlap_specialty_coffee": "e42417e7c1cf0018315b2732212bb197744a25bade6a1c57bb92840e1e20f3e4",
        "rank_kuliner_nusantara": "41204d905876aceedb370e83baa089b465fcf5faa9bd8459c0865ad7472e0e2e",
        "rank_persian_books": "abbd53f3ccc9f925f1a6d41da59441a09770af10b3577e8518f706959d35324e",
        "rank_specialty_coffee": "ab8bc714c55de45f551d814a8dcdb51d1c1b6cf6f0ebad51680f01a86a59bfae",
        "rings_kuliner_nusantara": "5b3627247dcb329357f46efc009b4aaf78a24531c5210abfcc832ddf582004ae",
        "rings_persian_books": "5b3627247dcb329357f46efc009b4aaf78a24531c5210abfcc832ddf582004ae",
        "rings_specialty_coffee": "5b3627247dcb329357f46efc009b4aaf78a24531c5210abfcc832ddf582004ae",
        "shortlist_kuliner_nusantara": "55f670e44e0d981c87d2510d02df63153b01bbcc75e8d518e50617d2653fa982",
        "shortlist_persian_books": "abd0b635e5c3a4fcd4b83c722fad5ad68243908cea7dc55c93b6bb9f4cf68f2c",
        "shortlist_specialty_coffee": "73d344c2fce61ba60a1b6a8112909c1b68739721769bf80665a158c8271e5e08",
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
