"""The hostile corpus as data: every case is one command line against a private copy of the world.

A `Case` names its command line (with placeholders `{ws}` the workspace copy, `{d}` the case's
own folder, `{q}` the queries folder, `{costs}` a good costs file), the files to create in `{d}`
first, what the command may exit with, what a refusal must name, what the command may write
into the workspace, and optional damage (applied to the copy before the run), setup (symlinks,
read-only folders) and checks of what it wrote. The groups:

- `option`: bad values of every numeric, choice, list and text option of every command;
- `query`: bad niche query files through rank, shortlist and crawl;
- `import`: bad files through import;
- `costs`: bad costs files through shortlist;
- `out`: bad output paths through every command that writes one;
- `damaged`: damaged workspace copies through every command that reads one;
- `workspace`: bad `-w` values;
- `crawl`: crawls that must stop before any request (no token, URLs that are no http(s) URL);
- `environment`: settings from the environment (an empty or wrong workspace variable, ...);
- `text`: the world's hostile text through every export, each output parsed;
- `json`: every command's `--json` output parsed strictly (no NaN or Infinity).
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

__all__ = ["Case", "all_cases", "REFUSE", "ANY"]

REFUSE = frozenset({2})
ANY = frozenset({0, 2})


@dataclass(frozen=True)
class Case:
    """One hostile command line and what it must do.

    `writes`: what a successful run may change in the workspace: "none" (nothing), "results"
    (stored results, never the tables) or "tables" (an import). A refusal changes nothing.
    `names`: a refusal's line must contain one of these (the option, the file, the path).
    `damage(ws)` runs on the copy before the run; `setup(d, ws)` may return a reason to skip;
    `check(d, result)` returns a problem with what the command wrote, or None.
    `isolate`: run in a child process rather than in-process (see OUT_COMMANDS on GraphML).
    `reports`: the command's exit 2 is a report on stdout (`check` lists each damaged file), which
    must name the damage; stderr stays empty or one "error:" line.
    """

    id: str
    args: tuple[str, ...]
    expect: frozenset[int] = ANY
    names: tuple[str, ...] = ()
    writes: str = "none"
    files: tuple[tuple[str, bytes], ...] = ()
    damage: Callable[[Path], None] | None = None
    setup: Callable[[Path, Path], str | None] | None = None
    check: Callable[[Path, object], str | None] | None = None
    isolate: bool = False  # run in a child process (a case that can crash the interpreter it runs in)
    reports: bool = False  # exit 2 means "found damage", reported on stdout (`check`), not a one-line refusal
    env: tuple[tuple[str, str], ...] = ()  # environment variables set for the run (placeholders filled)


# -- the commands' good command lines, each option's bad values added to them -------------------------------

GOOD_CSV = b"source,target,kind,weight,time,text,tags\n1000,1001,repost,1,1767225600,hi,hostile\n1002,1003,follow,2,1767225600,yo,x\n"
GOOD = (("good.csv", GOOD_CSV),)
BASE: dict[str, tuple[tuple[str, ...], str, tuple[tuple[str, bytes], ...]]] = {
    "stats": (("stats", "-w", "{ws}"), "none", ()),
    "communities": (("communities", "-w", "{ws}"), "results", ()),
    "rank": (("rank", "-w", "{ws}", "--niche", "hostile", "--queries-dir", "{q}"), "results", ()),
    "shortlist": (("shortlist", "-w", "{ws}", "--niche", "hostile", "--queries-dir", "{q}"), "results", ()),
    "lookalikes": (("lookalikes", "-w", "{ws}", "--niche", "hostile", "--queries-dir", "{q}", "--account", "1000"), "none", ()),
    "trends": (("trends", "-w", "{ws}", "--niche", "hostile", "--queries-dir", "{q}", "--window", "1h", "--since",
                "2025-12-31T23:00", "--until", "2026-01-01T01:00"), "results", ()),  # two windows: the world's edges are in the second
    "export": (("export", "-w", "{ws}", "--format", "gexf", "--out", "{d}/out.gexf"), "none", ()),
    "import": (("import", "{d}/good.csv", "-w", "{ws}"), "tables", GOOD),
    "crawl": (("crawl", "{q}/hostile.toml", "--platform", "x", "--dry-run"), "none", ()),
    "check": (("check", "-w", "{ws}"), "none", ()),
    "campaign": (("campaign", "-w", "{ws}", "--niche", "hostile", "--queries-dir", "{q}", "--name", "hostile-launch",
                  "--hashtags", "hostile", "--since", "2026-01-01", "--until", "2026-01-02"), "results", ()),
    "amplifiers": (("amplifiers", "-w", "{ws}", "--query", "{q}/hostile.toml", "--audience", "hostile", "--queries-dir", "{q}"),
                   "results", ()),  # the complaint's audience: the hostile niche (the query names no brand)
}

INT_VALUES = {"neg": ("-1", ANY), "zero": ("0", ANY), "huge": ("99999999999999999999", ANY),
              "nan": ("nan", REFUSE), "inf": ("inf", REFUSE), "word": ("abc", REFUSE), "empty": ("", REFUSE),
              "frac": ("1.5", REFUSE), "hex": ("0x10", REFUSE), "sci": ("1e3", REFUSE)}
FLOAT_VALUES = {"neg": ("-1", ANY), "zero": ("0", ANY), "huge": ("1e308", ANY), "overflow": ("1e400", REFUSE),
                "nan": ("nan", REFUSE), "inf": ("inf", REFUSE), "-inf": ("-inf", REFUSE), "word": ("abc", REFUSE),
                "empty": ("", REFUSE)}
CHOICE_VALUES = {"bogus": ("bogus", REFUSE), "newline": ("a\nb", REFUSE), "empty": ("", ANY), "upper": (None, ANY),
                 "dotdot": ("../x", REFUSE)}
LIST_VALUES = {"empty": ("", ANY), "comma": (",", ANY), "commas": (",,,", ANY), "bogus": ("bogus", REFUSE),
               "mixed": ("follow,bogus", REFUSE), "newline": ("follow\nrepost", ANY), "huge": ("follow," * 20000, ANY)}
TEXT_VALUES = {"empty": ("", ANY), "space": (" ", ANY), "newline": ("a\nb", ANY), "dotdot": ("../x", ANY),
               "nul": ("a\x00b", ANY), "rtl": ("\u202ex", ANY), "huge": ("x" * 100_000, ANY), "comma": (",,", ANY)}
COLUMN_VALUES = {"zero": ("0", REFUSE), "neg": ("-1", REFUSE), "beyond": ("999", REFUSE), "unknown": ("nope", REFUSE),
                 "frac": ("1.5", REFUSE), "empty": ("", ANY), "newline": ("source\n", ANY)}
NAME_VALUES = {"empty": "", "dotdot": "../hostile", "slash": "hostile/x", "newline": "hostile\n", "upper": "HOSTILE",
               "long": "h" * 300, "nul": "hostile\x00", "space": "hostile ", "rtl": "\u202ehostile"}

TRENDS_WINDOWS = {"empty": "", "word": "abc", "zero": "0d", "neg": "-1d", "frac": "1.5d", "unitless": "7", "huge": "999999d",
                  "nan": "nan", "newline": "7d\n1d", "nul": "7\x00d", "long": "7" * 10_000 + "d"}
TRENDS_TIMES = {"empty": "", "word": "tuesday", "nan": "nan", "month-13": "2010-13-01", "nul": "2010\x0001", "huge": "9" * 10_000}
# (command, option, kind, extra args, default for the "upper" choice)
OPTIONS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("stats", "--top", "int", (), ""), ("stats", "--kinds", "list", (), ""), ("stats", "--platform", "text", (), ""),
    ("stats", "--engine", "choice", (), "LOCAL"),
    ("communities", "--resolution", "float", (), ""), ("communities", "--seed", "int", (), ""),
    ("communities", "--runs", "int", (), ""), ("communities", "--method", "choice", (), "LEIDEN"),
    ("communities", "--symmetrise", "choice", (), "SUM"), ("communities", "--edge-kinds", "list", (), ""),
    ("communities", "--sweep", "float", (), ""),
    ("rank", "--top", "int", (), ""), ("rank", "--betweenness", "int", (), ""), ("rank", "--platform", "text", (), ""),
    ("rank", "--engine", "choice", (), "LOCAL"),
    ("shortlist", "--k", "int", (), ""), ("shortlist", "--budget", "float", ("--costs", "{costs}"), ""),
    ("shortlist", "--max-per-community", "int", (), ""),
    ("shortlist", "--samples", "int", ("--objective", "spread"), ""),
    ("shortlist", "--seed", "int", ("--objective", "spread", "--samples", "100"), ""),
    ("shortlist", "--objective", "choice", (), "REACH"), ("shortlist", "--audience", "choice", (), "BOTH"),
    ("shortlist", "--tiers", "list", (), ""), ("shortlist", "--exclude-roles", "list", (), ""),
    ("shortlist", "--must-include", "text", (), ""), ("shortlist", "--must-exclude", "text", (), ""),
    ("lookalikes", "--top", "int", (), ""), ("lookalikes", "--account", "text", (), ""),
    ("trends", "--top", "int", (), ""), ("trends", "--platform", "text", (), ""),
    ("trends", "--min-community-size", "int", (), ""), ("trends", "--spike-z", "float", (), ""),
    ("trends", "--spike-min-jump", "int", (), ""), ("trends", "--spike-min-share", "float", (), ""),
    ("export", "--max-nodes", "int", (), ""), ("export", "--max-edges", "int", (), ""),
    ("export", "--seed", "int", ("--format", "html", "--out", "{d}/map.html"), ""),
    ("export", "--format", "choice", (), "GEXF"),
    ("import", "--format", "choice", (), "CSV"), ("import", "--platform", "text", (), ""),
    ("import", "--kind", "choice", (), "FOLLOW"), ("import", "--source-col", "column", (), ""),
    ("import", "--target-col", "column", (), ""), ("import", "--weight-col", "column", (), ""),
    ("import", "--time-col", "column", (), ""), ("import", "--hashtags-col", "column", (), ""),
    ("import", "--kind-col", "column", (), ""), ("import", "--delimiter", "text", (), ""),
    ("crawl", "--max-requests", "int", (), ""), ("crawl", "--depth", "int", (), ""),
    ("crawl", "--platform", "choice", (), "X"),
    ("amplifiers", "--top", "int", (), ""), ("amplifiers", "--platform", "text", (), ""),
    ("amplifiers", "--bucket", "choice", (), "HOUR"),
)
LIST_MEANING = {"--tiers": "nano,bogus", "--exclude-roles": "bot,bogus"}  # the "mixed" value for non-kind lists


def _option_cases() -> list[Case]:
    cases = []
    for command, option, kind, extra, upper in OPTIONS:
        args, writes, files = BASE[command]
        if option in {"--format", "--platform"} and command in {"export", "crawl"}:
            args = _without(args, option)
        values = {"int": INT_VALUES, "float": FLOAT_VALUES, "choice": CHOICE_VALUES, "list": LIST_VALUES,
                  "text": TEXT_VALUES, "column": COLUMN_VALUES}[kind]
        if option == "--sweep":
            values = {**{k: (v, e) for k, (v, e) in FLOAT_VALUES.items()},
                      "empty": ("", ANY), "words": ("1,a", REFUSE), "many": (",".join(["1"] * 200), ANY),
                      "commas": (",,", ANY)}
        for label, (value, expect) in values.items():
            if value is None:
                value = upper
            if kind == "list" and label == "mixed" and option in LIST_MEANING:
                value = LIST_MEANING[option]
            if kind == "list" and option in LIST_MEANING and label in {"huge", "newline"}:
                value = value.replace("follow", "nano")
            if option == "--delimiter":
                expect = REFUSE if label in {"newline", "huge"} else ANY
            names = (option, "good.csv") if kind == "column" else (option,)  # a column may be blamed on file:line
            cases.append(Case(id=f"option/{command}/{option}={label}", args=(*args, *extra, option, value),
                              expect=expect, names=names, writes=writes, files=files))
    return cases


def _without(args: tuple[str, ...], option: str) -> tuple[str, ...]:
    """`args` without `option` and its value."""
    if option not in args:
        return args
    at = args.index(option)
    return args[:at] + args[at + 2:]


def _niche_cases() -> list[Case]:
    cases = []
    for command in ("rank", "shortlist", "trends"):
        args, writes, _ = BASE[command]
        for label, value in NAME_VALUES.items():
            cases.append(Case(id=f"option/{command}/--niche={label}", args=(*_without(args, "--niche"), "--niche", value),
                              expect=REFUSE, names=("niche",), writes=writes))
        cases.append(Case(id=f"option/{command}/--niche-and-query", args=(*args, "--query", "{q}/hostile.toml"),
                          expect=REFUSE, names=("--niche",), writes=writes))
        cases.append(Case(id=f"option/{command}/--queries-dir=missing",
                          args=(*_without(args, "--queries-dir"), "--queries-dir", "{d}/none"),
                          expect=REFUSE, names=("niche", "--queries-dir"), writes=writes))
    for label, value in NAME_VALUES.items():
        cases.append(Case(id=f"option/export/--niche={label}", args=(*BASE["export"][0], "--niche", value),
                          expect=REFUSE, names=("niche",)))
        cases.append(Case(id=f"option/crawl/QUERY={label}", args=("crawl", value, "--platform", "x", "--dry-run",
                                                                     "--queries-dir", "{q}"),
                          expect=REFUSE, names=("niche", "QUERY", "query")))
    for label, value in TRENDS_WINDOWS.items():
        cases.append(Case(id=f"option/trends/--window={label}", args=(*BASE["trends"][0], "--window", value),
                          expect=REFUSE, names=("--window",)))
    for option in ("--since", "--until"):
        for label, value in TRENDS_TIMES.items():
            cases.append(Case(id=f"option/trends/{option}={label}", args=(*BASE["trends"][0], option, value),
                              expect=REFUSE, names=(option,)))
    cases.append(Case(id="option/trends/--since-after-until", args=(*BASE["trends"][0], "--since", "2030-01-01", "--until",
                                                                     "2020-01-01"), expect=REFUSE, names=("--since",)))
    for command in ("rank", "communities", "stats"):  # one window (--since/--until) or a series (--window)
        args = BASE[command][0]
        for label, value in TRENDS_WINDOWS.items():
            cases.append(Case(id=f"option/{command}/--window={label}", args=(*args, "--window", value),
                              expect=REFUSE, names=("--window",)))
        for option in ("--since", "--until"):
            for label, value in TRENDS_TIMES.items():
                cases.append(Case(id=f"option/{command}/{option}={label}", args=(*args, option, value),
                                  expect=REFUSE, names=(option,)))
        cases.append(Case(id=f"option/{command}/--since-after-until", args=(*args, "--since", "2030-01-01", "--until",
                                                                           "2020-01-01"), expect=REFUSE, names=("--since",)))
    cases += _amplifier_cases()
    cases.append(Case(id="option/shortlist/--excel-without-csv", args=(*BASE["shortlist"][0], "--excel"),
                      expect=REFUSE, names=("--excel",), writes="results"))
    cases.append(Case(id="option/shortlist/--budget-without-costs", args=(*BASE["shortlist"][0], "--budget", "100"),
                      expect=REFUSE, names=("--costs", "--budget"), writes="results"))
    cases.append(Case(id="option/demo/--seed=word", args=("demo", "--out", "{d}/demo", "--seed", "abc"),
                      expect=REFUSE, names=("--seed",)))
    cases.append(Case(id="option/demo/--seed=empty", args=("demo", "--out", "{d}/demo", "--seed", ""),
                      expect=REFUSE, names=("--seed",)))
    cases.append(Case(id="option/demo/--seed=nan", args=("demo", "--out", "{d}/demo", "--seed", "nan"),
                      expect=REFUSE, names=("--seed",)))
    cases.append(Case(id="option/demo/--out=file", args=("demo", "--out", "{costs}"), expect=REFUSE, names=("--out",)))
    for label, value in (("3", "3"), ("0", "0"), ("word", "two")):
        cases.append(Case(id=f"option/demo/--weeks={label}", args=("demo", "--out", "{d}/demo", "--weeks", value),
                          expect=REFUSE, names=("--weeks",)))
    cases.append(Case(id="option/import/no-such-file", args=("import", "{d}/none.csv", "-w", "{ws}"),
                      expect=REFUSE, names=("none.csv",)))
    cases.append(Case(id="option/import/empty-path", args=("import", "", "-w", "{ws}"), expect=REFUSE,
                      names=("PATHS", "''", "empty path")))
    cases.append(Case(id="option/import/a-folder", args=("import", "{q}", "-w", "{ws}"), expect=REFUSE, names=("queries",)))
    cases.append(Case(id="option/main/unknown-command", args=("bogus",), expect=REFUSE, names=("bogus",)))
    cases.append(Case(id="option/main/unknown-option", args=("stats", "--bogus"), expect=REFUSE, names=("--bogus",)))
    return cases


def _amplifier_cases() -> list[Case]:
    """`amplifiers`: bad times, audience names, complaint query files, and a complaint naming no brand found."""
    args = BASE["amplifiers"][0]
    cases = [Case(id=f"option/amplifiers/{option}={label}", args=(*args, option, value), expect=REFUSE, names=(option,),
                  writes="results") for option in ("--since", "--until") for label, value in TRENDS_TIMES.items()]
    cases.append(Case(id="option/amplifiers/--since-after-until", args=(*args, "--since", "2030-01-01", "--until", "2020-01-01"),
                      expect=REFUSE, names=("--since",), writes="results"))
    cases += [Case(id=f"option/amplifiers/--audience={label}", args=(*_without(args, "--audience"), "--audience", value),
                   expect=REFUSE, names=("niche",), writes="results") for label, value in NAME_VALUES.items()]
    brandless = ("nobrand.toml", b'name = "nobrand"\nkeywords = ["hostile"]\nseed_accounts = ["nobody-here"]\n')
    cases.append(Case(id="option/amplifiers/no-brand-found", args=("amplifiers", "-w", "{ws}", "--query", "{d}/nobrand.toml"),
                      expect=REFUSE, names=("nobrand.toml", "--query"), files=(brandless,)))
    branded = ("brand.toml", b'name = "brand"\nkeywords = ["hostile"]\nseed_accounts = ["1001"]\n')
    cases.append(Case(id="option/amplifiers/brand-followers", args=("amplifiers", "-w", "{ws}", "--query", "{d}/brand.toml"),
                      expect=frozenset({0}), writes="results", files=(branded,)))
    cases.append(Case(id="option/amplifiers/query-missing", args=(*_without(args, "--query"), "--query", "{d}/none.toml"),
                      expect=REFUSE, names=("none.toml",), writes="results"))
    return cases


# -- niche query files ----------------------------------------------------------------------------------------

def _toml(**keys: str) -> bytes:
    body = {"name": '"qcase"', "hashtags": '["hostile"]', **keys}
    lines = [f"{k} = {v}" for k, v in body.items() if v is not None and not k.startswith("_")]
    return ("\n".join(lines) + "\n" + keys.get("_tail", "")).encode()


QUERY_FILES: dict[str, tuple[bytes, frozenset[int]]] = {
    "bad-toml": (b'name = "qcase\nhashtags = [', REFUSE),
    "not-utf8": (b'name = "q\xff"\nhashtags = ["a"]\n', REFUSE),
    "utf16": ('name = "qcase"\nhashtags = ["hostile"]\n'.encode("utf-16"), REFUSE),
    "bom": (b"\xef\xbb\xbf" + _toml(), ANY),
    "empty": (b"", REFUSE),
    "binary": (bytes(range(256)) * 4, REFUSE),
    "name-int": (_toml(name="1"), REFUSE),
    "name-missing": (_toml(name=None), REFUSE),
    "name-newline": (_toml(name='"qcase\\n"'), REFUSE),
    "name-slash": (_toml(name='"q/case"'), REFUSE),
    "name-dotdot": (_toml(name='".."'), REFUSE),
    "name-path": (_toml(name='"../../etc"'), REFUSE),
    "name-upper": (_toml(name='"QCase"'), REFUSE),
    "name-long": (_toml(name='"' + "q" * 65 + '"'), REFUSE),
    "name-empty": (_toml(name='""'), REFUSE),
    "name-nul": (_toml(name='"q\\u0000"'), REFUSE),
    "name-rtl": (_toml(name='"q\\u202e"'), REFUSE),
    "name-lone-surrogate": (_toml(name='"q\\ud800"'), REFUSE),
    "hashtags-string": (_toml(hashtags='"hostile"'), REFUSE),
    "keywords-ints": (_toml(keywords="[1, 2]"), REFUSE),
    "keywords-nested": (_toml(keywords='[["a"]]'), REFUSE),
    "keywords-table": (_toml(keywords="{a = 1}"), REFUSE),
    "empty-lists": (_toml(hashtags="[]", keywords="[]", seed_accounts="[]"), REFUSE),
    "huge-list": (_toml(keywords="[" + ",".join(f'"k{i}"' for i in range(100_000)) + "]"), ANY),
    "huge-keyword": (_toml(keywords='["' + "k" * 1_000_000 + '"]'), ANY),
    "huge-hashtag-list": (_toml(hashtags="[" + ",".join(f'"t{i}"' for i in range(100_000)) + "]"), ANY),
    "zwnj-only-keyword": (_toml(hashtags=None, keywords='["\u200c\u200c"]'), REFUSE),
    "zwj-only-keyword": (_toml(hashtags=None, keywords='["\u200d"]'), REFUSE),
    "tatweel-only-keyword": (_toml(hashtags=None, keywords='["\u0640\u0640"]'), REFUSE),
    "zwnj-only-hashtag": (_toml(hashtags='["#\u200c"]'), REFUSE),
    "space-only-keyword": (_toml(hashtags=None, keywords='["   "]'), REFUSE),
    "hash-only-hashtag": (_toml(hashtags='["#"]'), REFUSE),
    "combining-only-keyword": (_toml(hashtags=None, keywords='["\u0301"]'), REFUSE),
    "control-keyword": (_toml(hashtags=None, keywords='["\\u0001"]'), REFUSE),
    "weights-huge": (_toml(_tail="[weights]\nniche_pagerank = 1e308\n"), ANY),
    "weights-all-huge": (_toml(_tail="[weights]\n" + "".join(f"{k} = 1e308\n" for k in (
        "niche_pagerank", "audience_relevance", "niche_engagement", "authority", "coreness", "brokerage"))), REFUSE),
    "weights-nan": (_toml(_tail="[weights]\nniche_pagerank = nan\n"), REFUSE),
    "weights-inf": (_toml(_tail="[weights]\nniche_pagerank = inf\n"), REFUSE),
    "weights-negative": (_toml(_tail="[weights]\nniche_pagerank = -1\n"), REFUSE),
    "weights-string": (_toml(_tail="[weights]\nniche_pagerank = \"1\"\n"), REFUSE),
    "weights-all-zero": (_toml(_tail="[weights]\n" + "".join(f"{k} = 0\n" for k in (
        "niche_pagerank", "audience_relevance", "niche_engagement", "authority", "coreness", "brokerage"))), ANY),
    "weights-unknown": (_toml(_tail="[weights]\nbogus = 1\n"), REFUSE),
    "crawl-negative": (_toml(_tail="[crawl]\nmax_requests = -1\n"), REFUSE),
    "crawl-huge": (_toml(_tail="[crawl]\nmax_requests = 1000000000000000000\n"), ANY),
    "crawl-float": (_toml(_tail="[crawl]\ndepth = 1.5\n"), REFUSE),
    "crawl-bool": (_toml(_tail="[crawl]\ndepth = true\n"), REFUSE),
    "crawl-depth-9": (_toml(_tail="[crawl]\ndepth = 9\n"), ANY),
    "crawl-since-8-days": (_toml(_tail="[crawl]\nsince_days = 8\n"), REFUSE),  # recent search serves 7 days
    "crawl-tier-bogus": (_toml(_tail="[crawl]\ntier = \"gold\"\n"), REFUSE),
    "prices-unknown": (_toml(_tail="[prices]\nbogus = 1\n"), REFUSE),
    "prices-string": (_toml(_tail="[prices]\npost = \"cheap\"\n"), REFUSE),
    "deep-array": (_toml(_tail="deep = " + "[" * 10_000 + "]" * 10_000 + "\n"), REFUSE),
    "deep-inline-table": (_toml(_tail="deep = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"), REFUSE),
    "unknown-key": (_toml(bogus="1"), REFUSE),
    "exclude-unknown": (_toml(_tail="[exclude]\nbogus = []\n"), REFUSE),
    "duplicate-key": (_toml() + b'name = "other"\n', REFUSE),
    "languages-odd": (_toml(languages='["../..", ""]'), ANY),
    "seed-account-huge": (_toml(hashtags=None, seed_accounts='["' + "1" * 100_000 + '"]'), ANY),
}


def _query_cases() -> list[Case]:
    cases = []
    for label, (content, expect) in QUERY_FILES.items():
        name = f"q-{label}.toml"
        for command in ("rank", "shortlist", "crawl"):
            if command == "crawl":
                args = ("crawl", f"{{d}}/{name}", "--platform", "x", "--dry-run")
            else:
                args = (*_without(_without(BASE[command][0], "--niche"), "--queries-dir"), "--query", f"{{d}}/{name}")
            cases.append(Case(id=f"query/{command}/{label}", args=args, expect=expect, names=(name,),
                              writes=BASE[command][1], files=((name, content),)))
        cases.append(Case(id=f"query/amplifiers/{label}", args=(*_without(BASE["amplifiers"][0], "--query"), "--query",
                                                                 f"{{d}}/{name}"),
                          expect=expect, names=(name,), writes="results", files=((name, content),)))
    for command in ("rank", "shortlist"):
        args = _without(_without(BASE[command][0], "--niche"), "--queries-dir")
        cases.append(Case(id=f"query/{command}/missing", args=(*args, "--query", "{d}/none.toml"), expect=REFUSE,
                          names=("none.toml",), writes="results"))
        cases.append(Case(id=f"query/{command}/a-folder", args=(*args, "--query", "{q}"), expect=REFUSE,
                          names=("queries", "--query"), writes="results"))
        cases.append(Case(id=f"query/{command}/broken-sibling", args=(*_without(BASE[command][0], "--queries-dir"),
                                                                       "--queries-dir", "{d}"),
                          expect=REFUSE, names=("niche",), writes="results", files=(("bad.toml", b"[[["),)))
    return cases


# -- import files ---------------------------------------------------------------------------------------------

def _gzip(data: bytes) -> bytes:
    return gzip.compress(data)


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


H = b"source,target,weight\n"
PARQUET = _parquet(pl.DataFrame({"source": ["1", "2"], "target": ["2", "3"]}))
PAGE = {"data": [{"id": "70", "author_id": "71", "text": "hi #hostile", "created_at": "2026-01-01T00:00:00.000Z"}],
        "includes": {"users": [{"id": "71", "username": "u71", "name": "n"}]}}
MASTODON_LIST = json.dumps([{"id": "109", "username": "alice", "acct": "alice@example.org", "display_name": "A",
                             "url": "https://social.example.org/@alice", "followers_count": 3}]).encode()
IMPORT_FILES: dict[str, tuple[str, bytes, tuple[str, ...], frozenset[int]]] = {
    "empty": ("csv", b"", (), REFUSE),
    "header-only": ("csv", H, (), ANY),
    "binary-garbage": ("bin", bytes(range(256)) * 20, (), REFUSE),
    "binary-as-csv": ("csv", bytes((i * 37 + 11) % 256 for i in range(4000)), ("--format", "csv"), REFUSE),
    "truncated-gzip": ("csv.gz", _gzip(H + b"1,2,1\n" * 500)[:60], (), REFUSE),
    "gzip-of-garbage": ("csv.gz", _gzip(bytes(range(256)) * 8), (), REFUSE),
    "wrong-delimiter": ("csv", b"source;target\n1;2\n3;4\n", ("--format", "csv"), ANY),
    "tsv-as-csv": ("csv", b"source\ttarget\n1\t2\n", ("--format", "csv"), ANY),
    "huge-field": ("csv", b"source,target\n" + b"7" * 1_000_000 + b",2\n", (), REFUSE),
    "huge-line-tsv": ("tsv", b"source\ttarget\tweight\n1\t2\t" + b"9" * 1_000_000 + b"\n", ("--format", "tsv"), ANY),
    "utf8-bom": ("csv", b"\xef\xbb\xbf" + H + b"1,2,1\n", (), ANY),
    "utf16": ("csv", (H + b"1,2,1\n").decode().encode("utf-16"), (), ANY),
    "utf16-no-bom": ("csv", (H + b"1,2,1\n").decode().encode("utf-16-le"), ("--format", "csv"), ANY),
    "latin1": ("csv", b"source,target,text\n1,2,caf\xe9\n", ("--text-col", "text"), ANY),
    "missing-target": ("csv", b"source,weight\n1,2\n", (), REFUSE),
    "no-known-columns": ("csv", b"alpha,beta\n1,2\n", (), REFUSE),
    "duplicated-headers": ("csv", b"source,source,target\n1,2,3\n", (), ANY),
    "ragged-rows": ("csv", H + b"1,2\n3,4,5,6,7\n", (), REFUSE),
    "nan-weight": ("csv", H + b"1,2,nan\n", ("--weight-col", "weight"), REFUSE),
    "inf-weight": ("csv", H + b"1,2,inf\n", ("--weight-col", "weight"), REFUSE),
    "negative-weight": ("csv", H + b"1,2,-3\n", ("--weight-col", "weight"), REFUSE),
    "word-weight": ("csv", H + b"1,2,heavy\n", ("--weight-col", "weight"), REFUSE),
    "weights-sum-overflow": ("csv", H + b"1,2,1e308\n3,2,1e308\n", ("--weight-col", "weight"), REFUSE),
    "weight-overflow-literal": ("csv", H + b"1,2,1e400\n", ("--weight-col", "weight"), REFUSE),
    "nul-in-id": ("csv", H + b"1\x00,2,1\n", ("--format", "csv"), ANY),
    "control-in-id": ("csv", H + b"1\x01,2,1\n", (), ANY),
    "newline-in-quoted-id": ("csv", H + b'"1\n2",3,1\n', (), ANY),
    "empty-ids": ("csv", H + b",,1\n", (), REFUSE),
    "crlf": ("csv", H.replace(b"\n", b"\r\n") + b"1,2,1\r\n", (), ANY),
    "unterminated-quote": ("csv", H + b'"1,2,1\n', (), REFUSE),
    "bad-time": ("csv", b"source,target,time\n1,2,yesterday\n", ("--time-col", "time"), REFUSE),
    "huge-time": ("csv", b"source,target,time\n1,2,99999999999999999999\n", ("--time-col", "time"), REFUSE),
    "negative-time": ("csv", b"source,target,time\n1,2,-99999999999\n", ("--time-col", "time"), ANY),
    "bad-kind": ("csv", b"source,target,kind\n1,2,teleport\n", ("--kind-col", "kind"), REFUSE),
    "snap-garbage": ("txt", b"# snap\n1 2\nx y z w\n", ("--format", "snap"), REFUSE),
    "snap-negative": ("txt", b"-1 -2\n", ("--format", "snap"), ANY),
    "truncated-parquet": ("parquet", PARQUET[: len(PARQUET) // 2], (), REFUSE),
    "parquet-wrong-columns": ("parquet", _parquet(pl.DataFrame({"a": [1]})), (), REFUSE),
    "parquet-as-csv": ("csv", PARQUET, ("--format", "csv"), REFUSE),
    "json-truncated": ("json", json.dumps(PAGE).encode()[:40], (), REFUSE),
    "json-lone-surrogate": ("json", json.dumps(PAGE).replace("hi #hostile", "hi \\ud800 #hostile").encode(), (), ANY),
    "json-deep": ("json", b"[" * 100_000 + b"]" * 100_000, (), REFUSE),
    "json-wrong-types": ("json", json.dumps({"data": [{"id": 5, "author_id": [], "text": 7}]}).encode(), (), REFUSE),
    "json-not-x": ("json", b'{"hello": "world"}', (), REFUSE),
    "jsonl-one-bad-line": ("jsonl", json.dumps(PAGE).encode() + b"\n{oops\n", (), REFUSE),
    "json-nan": ("json", json.dumps(PAGE).replace('"n"}', '"n", "public_metrics": {"followers_count": NaN}}').encode(),
                 (), ANY),
    "graphml-malformed": ("graphml", b"<graphml><graph><node id='1'></graph>", (), REFUSE),
    "graphml-entities": ("graphml", b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                         b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
                         b'<node id="&b;"/><node id="2"/><edge source="&b;" target="2"/></graph></graphml>', (), ANY),
    "gexf-external-entity": ("gexf", b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                             b'<gexf><graph><nodes><node id="&x;"/></nodes></graph></gexf>', (), ANY),
    "gml-garbage": ("gml", b"graph [ node [ id 1 ] edge [ source 1 target", (), REFUSE),
    "same-id-two-platforms": ("csv", H + b"1000,1001,1\n", ("--platform", "bluesky"), ANY),
    "format-mismatch": ("csv", GOOD_CSV, ("--format", "graphml"), REFUSE),
    # Mastodon API answers: never read as X, and the Mastodon reader refuses what is no Mastodon answer
    "mastodon-as-x-json": ("json", MASTODON_LIST, ("--format", "x-json"), REFUSE),
    "x-as-mastodon-json": ("json", json.dumps(PAGE).encode(), ("--format", "mastodon-json"), REFUSE),
    "mastodon-no-username": ("json", b'[{"id": 1, "acct": "", "url": "ftp://x"}]', (), REFUSE),
    "mastodon-torn-jsonl": ("jsonl", MASTODON_LIST + b"\n" + MASTODON_LIST[:40] + b"\n", (), REFUSE),
    "mastodon-huge-username": ("json", MASTODON_LIST.replace(b'"username": "alice"', b'"username": "' + b"a" * 300 + b'"'),
                               (), ANY),
}


def _import_cases() -> list[Case]:
    cases = []
    for label, (ext, content, options, expect) in IMPORT_FILES.items():
        name = f"in-{label}.{ext}"
        cases.append(Case(id=f"import/{label}", args=("import", f"{{d}}/{name}", "-w", "{ws}", *options), expect=expect,
                          names=(name,), writes="tables", files=((name, content),)))
    for label in ("ragged-rows", "nan-weight", "binary-garbage", "empty-ids", "weights-sum-overflow", "huge-field",
                  "unterminated-quote", "bad-time"):
        ext, content, options, _ = IMPORT_FILES[label]
        name = f"in-{label}.{ext}"
        cases.append(Case(id=f"import/skip-bad-rows/{label}", args=("import", f"{{d}}/{name}", "-w", "{ws}", *options,
                                                                     "--skip-bad-rows"),
                          names=(name,), writes="tables", files=((name, content),)))
    cases.append(Case(id="import/good-then-bad", args=("import", "{d}/good.csv", "{d}/bad.csv", "-w", "{ws}"),
                      expect=REFUSE, names=("bad.csv",), writes="tables",
                      files=(*GOOD, ("bad.csv", b"source,target\n1,\n"))))
    return cases


COSTS_FILES: dict[str, tuple[bytes, frozenset[int]]] = {
    "empty": (b"", REFUSE), "header-only": (b"id,cost\n", ANY), "no-cost-column": (b"id,price\n1000,3\n", REFUSE),
    "negative": (b"id,cost\n1000,-5\n", REFUSE), "nan": (b"id,cost\n1000,nan\n", REFUSE),
    "inf": (b"id,cost\n1000,inf\n", REFUSE), "word": (b"id,cost\n1000,cheap\n", REFUSE),
    "huge": (b"id,cost\n1000,1e308\n1001,1e308\n", ANY), "unknown-ids": (b"id,cost\n999999,3\n", ANY),
    "duplicate-ids": (b"id,cost\n1000,3\n1000,4\n", ANY), "binary": (bytes(range(256)) * 4, REFUSE),
    "utf16": ("id,cost\n1000,3\n".encode("utf-16"), ANY),
}


def _costs_cases() -> list[Case]:
    cases = []
    for label, (content, expect) in COSTS_FILES.items():
        name = f"costs-{label}.csv"
        cases.append(Case(id=f"costs/{label}", args=(*BASE["shortlist"][0], "--budget", "500", "--costs", f"{{d}}/{name}"),
                          expect=expect, names=(name, "--budget"), writes="results", files=((name, content),)))
    cases.append(Case(id="costs/missing", args=(*BASE["shortlist"][0], "--budget", "500", "--costs", "{d}/none.csv"),
                      expect=REFUSE, names=("none.csv",), writes="results"))
    return cases


# -- output paths ---------------------------------------------------------------------------------------------

def _link_to_ws(d: Path, ws: Path) -> None:
    (d / "link").symlink_to(ws, target_is_directory=True)


def _link_to_manifest(d: Path, ws: Path) -> None:
    (d / "m.out").symlink_to(ws / "manifest.json")


def _a_file(d: Path, ws: Path) -> None:
    (d / "afile").write_bytes(b"a file")


def _a_folder(d: Path, ws: Path) -> None:
    (d / "adir").mkdir()


def _sub(d: Path, ws: Path) -> None:
    (d / "sub").mkdir()


READ_ONLY = "ro"  # the folder _read_only makes unwritable (immutable under root); the harness undoes that


def _read_only(d: Path, ws: Path) -> str | None:
    """`d/ro`, a folder nobody may write into: read-only by its mode, or (root writes anyway) immutable."""
    folder = d / READ_ONLY
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if _writable(folder):
        folder.chmod(0o700)
        try:
            subprocess.run(["chattr", "+i", str(folder)], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return "running as root without chattr +i: a read-only folder is still writable, nothing to refuse"
        if _writable(folder):
            return "running as root: even an immutable folder is writable here, nothing to refuse"
    return None


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


# (label, path for a file output, path for a folder output, setup, expect)
OUT_TARGETS = (
    ("empty", "", "", None, REFUSE),
    ("into-workspace", "{ws}/x.EXT", "{ws}/x", None, REFUSE),
    ("onto-manifest", "{ws}/manifest.json", "{ws}/manifest.json", None, REFUSE),
    ("the-workspace", "{ws}", "{ws}", None, REFUSE),
    ("into-tables", "{ws}/tables/x.EXT", "{ws}/tables", None, REFUSE),
    ("into-results", "{ws}/results/x.EXT", "{ws}/results", None, REFUSE),
    ("symlink-into-workspace", "{d}/link/x.EXT", "{d}/link/x", _link_to_ws, REFUSE),
    ("symlink-onto-manifest", "{d}/m.out", "{d}/m.out", _link_to_manifest, REFUSE),
    ("dotdot-into-workspace", "{d}/sub/../ws/x.EXT", "{d}/sub/../ws/x", _sub, REFUSE),
    ("file-as-parent", "{d}/afile/x.EXT", "{d}/afile/x", _a_file, REFUSE),
    ("onto-a-folder", "{d}/adir", None, _a_folder, REFUSE),
    ("onto-a-file", None, "{d}/afile", _a_file, REFUSE),
    ("read-only-folder", "{d}/ro/x.EXT", "{d}/ro/x", _read_only, REFUSE),
    ("unwritable-proc", "/proc/influgraph-hostile.EXT", "/proc/influgraph-hostile", None, REFUSE),
    ("name-too-long", "{d}/" + "a" * 300 + ".EXT", "{d}/" + "a" * 300, None, REFUSE),
    ("missing-parents", "{d}/no/such/x.EXT", "{d}/no/such/x", None, ANY),
    ("newline-in-name", "{d}/a\nb.EXT", "{d}/a\nb", None, ANY),
)
# (command id, args before --out, extension, file or folder output, writes); GraphML goes through the same
# output-path code as GEXF and is left out here: its writer, failing on the world's control characters, leaves
# lxml state whose garbage collection crashes the interpreter later (segmentation fault), so its text cases
# run isolated in a child process instead.
OUT_COMMANDS = (
    ("rank", BASE["rank"][0], "csv", "file", "results"),
    ("shortlist", BASE["shortlist"][0], "csv", "file", "results"),
    ("communities", BASE["communities"][0], "csv", "file", "results"),
    ("export-gexf", ("export", "-w", "{ws}", "--format", "gexf"), "gexf", "file", "none"),
    ("export-html", ("export", "-w", "{ws}", "--format", "html"), "html", "file", "none"),
    ("export-json", ("export", "-w", "{ws}", "--format", "json"), "json", "file", "none"),
    ("export-csv", ("export", "-w", "{ws}", "--format", "csv"), "", "folder", "none"),
    ("export-parquet", ("export", "-w", "{ws}", "--format", "parquet"), "", "folder", "none"),
    ("export-report", ("export", "-w", "{ws}", "--format", "report"), "", "folder", "none"),
)


def _out_cases() -> list[Case]:
    cases = []
    for command, args, ext, kind, writes in OUT_COMMANDS:
        for label, file_path, folder_path, setup, expect in OUT_TARGETS:
            path = file_path if kind == "file" else folder_path
            if path is None:
                continue
            cases.append(Case(id=f"out/{command}/{label}", args=(*args, "--out", path.replace("EXT", ext)), expect=expect,
                              names=("--out", "out"), writes=writes, setup=setup))
        cases.append(Case(id=f"out/{command}/unknown-extension", args=(*args, "--out", "{d}/x.xlsx"),
                          expect=REFUSE if command in {"rank", "shortlist", "communities"} else ANY,
                          names=("--out", "xlsx"), writes=writes))
    for label, path, setup in (("into-workspace", "{ws}/demo", None), ("the-workspace", "{ws}", None)):
        cases.append(Case(id=f"out/demo/{label}", args=("demo", "--out", path), expect=REFUSE, names=("--out",),
                          setup=setup))
    return cases


# -- damaged workspaces ---------------------------------------------------------------------------------------

def _manifest(ws: Path) -> dict:
    return json.loads((ws / "manifest.json").read_text(encoding="utf-8"))


def _write_manifest(ws: Path, data) -> None:
    (ws / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def _table_file(ws: Path, table: str) -> Path:
    return ws / "tables" / _manifest(ws)["tables"][table]["file"]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _entry(table: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def damage(ws: Path) -> None:
        data = _manifest(ws)
        change(data["tables"][table])
        _write_manifest(ws, data)
    return damage


def _outside(ws: Path) -> None:
    real = _table_file(ws, "accounts")
    (ws.parent / "outside.parquet").write_bytes(real.read_bytes())
    _entry("accounts", lambda e: e.update(file="../../outside.parquet"))(ws)


def _result(ws: Path, prefix: str) -> Path:
    return next(p for p in sorted((ws / "results").glob(f"{prefix}*.parquet")))


def _wrong_schema(ws: Path) -> None:
    _result(ws, "rank").write_bytes(_result(ws, "communit").read_bytes())


def _results_a_file(ws: Path) -> None:
    for path in (ws / "results").iterdir():
        path.unlink()
    (ws / "results").rmdir()
    (ws / "results").write_bytes(b"not a folder")


def _no_tables_folder(ws: Path) -> None:
    for path in (ws / "tables").iterdir():
        path.unlink()
    (ws / "tables").rmdir()


def _manifest_a_folder(ws: Path) -> None:
    (ws / "manifest.json").unlink()
    (ws / "manifest.json").mkdir()


# label -> (damage, what a refusal names, does it damage what every command reads)
DAMAGES: dict[str, tuple[Callable[[Path], None], tuple[str, ...], bool]] = {
    "truncated-accounts": (lambda ws: _truncate(_table_file(ws, "accounts")), ("accounts",), True),
    "truncated-edges": (lambda ws: _truncate(_table_file(ws, "edges")), ("edges",), True),
    "truncated-posts": (lambda ws: _truncate(_table_file(ws, "posts")), ("posts",), True),
    "garbage-edges": (lambda ws: _table_file(ws, "edges").write_bytes(b"garbage" * 100), ("edges",), True),
    "truncated-vertex-index": (lambda ws: _truncate(_table_file(ws, "vertices")), ("vertices",), True),
    "garbage-vertex-index": (lambda ws: _table_file(ws, "vertices").write_bytes(b"garbage" * 100), ("vertices",), True),
    "empty-edges-file": (lambda ws: _table_file(ws, "edges").write_bytes(b""), ("edges",), True),
    "missing-edges-file": (lambda ws: _table_file(ws, "edges").unlink(), ("edges",), True),
    "swapped-table-files": (_entry("edges", lambda e: e.update(file=e["file"].replace("edges", "accounts"))),
                            ("edges", "accounts"), True),
    "garbage-manifest": (lambda ws: (ws / "manifest.json").write_bytes(b"{not json"), ("manifest",), True),
    "empty-manifest": (lambda ws: (ws / "manifest.json").write_bytes(b""), ("manifest",), True),
    "manifest-a-list": (lambda ws: _write_manifest(ws, []), ("manifest",), True),
    "manifest-a-folder": (_manifest_a_folder, ("manifest",), True),
    "manifest-tables-a-list": (lambda ws: _write_manifest(ws, {**_manifest(ws), "tables": list(_manifest(ws)["tables"].values())}),
                               ("manifest",), True),
    "manifest-without-tables": (lambda ws: _write_manifest(ws, {k: v for k, v in _manifest(ws).items() if k != "tables"}),
                                ("manifest",), True),
    "entry-without-file": (_entry("edges", lambda e: e.pop("file")), ("manifest", "edges"), True),
    "entry-a-string": (lambda ws: _write_manifest(ws, {**_manifest(ws), "tables": {**_manifest(ws)["tables"], "edges": "x"}}),
                       ("manifest", "edges"), True),
    "rows-not-integer": (_entry("edges", lambda e: e.update(rows="many")), ("manifest", "edges"), True),
    "rows-wrong": (_entry("edges", lambda e: e.update(rows=7)), ("manifest", "edges"), True),
    "path-outside": (_outside, ("manifest", "accounts", "outside"), True),
    "absolute-path": (_entry("accounts", lambda e: e.update(file="/etc/passwd")), ("manifest", "accounts", "passwd"), True),
    "future-format": (lambda ws: _write_manifest(ws, {**_manifest(ws), "format": 999}), ("manifest", "format"), True),
    "tables-folder-missing": (_no_tables_folder, ("tables", "accounts", "edges", "posts"), True),
    "truncated-communities": (lambda ws: _truncate(_result(ws, "communit")), ("communit",), False),
    "garbage-ranking": (lambda ws: _result(ws, "rank").write_bytes(b"PAR1garbagePAR1"), ("rank",), False),
    "ranking-wrong-schema": (_wrong_schema, ("rank",), False),
    "results-a-file": (_results_a_file, ("results",), False),
}
DAMAGE_COMMANDS = {
    "stats": BASE["stats"][0], "rank": BASE["rank"][0], "shortlist": BASE["shortlist"][0],
    "communities": BASE["communities"][0], "export-gexf": BASE["export"][0],
    "export-html-niche": ("export", "-w", "{ws}", "--format", "html", "--niche", "hostile", "--out", "{d}/map.html"),
    "import": BASE["import"][0], "check": BASE["check"][0], "check-repair": (*BASE["check"][0], "--repair"),
}


# a vanished table file is retried (a commit may have removed it meanwhile) for about 0.3 s before the refusal: the
# same code in every command, so these damages go through a few commands only
RETRIED = {"missing-edges-file": ("stats", "import", "check"), "tables-folder-missing": ("rank", "export-gexf", "check")}


def _damaged_cases() -> list[Case]:
    cases = []
    for label, (damage, names, core) in DAMAGES.items():
        for command, args in DAMAGE_COMMANDS.items():
            if label in RETRIED and command not in RETRIED[label]:
                continue
            writes = "none" if command.startswith(("stats", "export")) or command == "check" else (
                "tables" if command == "import" else "results")
            # a damaged table or manifest concerns every command; a damaged result may not concern this one, but
            # `check` must report it, and `check --repair` drops it (exit 0) and must still report a damaged table
            expect = REFUSE if core or command == "check" else (frozenset({0}) if command == "check-repair" else ANY)
            cases.append(Case(id=f"damaged/{command}/{label}", args=args, expect=expect, names=names, writes=writes,
                              files=GOOD if command == "import" else (), damage=damage,
                              reports=command.startswith("check")))
    return cases


CRAWL = ("crawl", "{q}/hostile.toml", "--platform", "x", "-w", "{ws}", "--max-requests", "2")
TOKEN = (("X_BEARER_TOKEN", "abc"),)


def _crawl_cases() -> list[Case]:
    """Crawls that must stop before any request: no token (exit 4), a URL that is no http(s) URL, bad flag pairs."""
    cases = [Case(id="crawl/x-no-token", args=CRAWL, expect=frozenset({4}), names=("X_BEARER_TOKEN",)),
             Case(id="crawl/x-blank-token", args=CRAWL, expect=frozenset({4}), names=("X_BEARER_TOKEN",),
                  env=(("X_BEARER_TOKEN", " \r\n"),)),
             Case(id="crawl/resume-and-restart", args=(*CRAWL, "--resume", "--restart"), expect=REFUSE,
                  names=("--resume", "--restart"), env=TOKEN),
             # --update misuse (T, issue 18): refused before any request, one line naming the flag
             Case(id="crawl/update-without-earlier-crawl", args=(*CRAWL, "--update", "--api-url", "http://127.0.0.1:9"),
                  expect=REFUSE, names=("--update",), env=TOKEN),
             Case(id="crawl/update-and-restart", args=(*CRAWL, "--update", "--restart"), expect=REFUSE,
                  names=("--update", "--restart"), env=TOKEN),
             Case(id="crawl/update-mastodon-without-earlier-crawl", args=(*CRAWL[:3], "mastodon", *CRAWL[4:], "--update",
                                                                      "--instance", "http://127.0.0.1:9"),
                  expect=REFUSE, names=("--update",))]
    # (an empty --api-url falls back to the variable, and a URL that is merely odd is tried: both would wait
    # for connection retries, so they are not here)
    for label, url in (("words", "not a url"), ("file-scheme", "file:///etc/passwd"), ("no-host", "http://"),
                       ("ftp", "ftp://127.0.0.1:9"), ("javascript", "javascript:alert(1)"),
                       ("line-break", "http://127.0.0.1:9\n"), ("inner-line-break", "http://127.0.0.1:9\n/2"),
                       ("space", "http://127.0.0.1 :9"), ("tab", "\thttp://127.0.0.1:9"), ("nul", "http://127.0.0.1:9\x01")):
        cases.append(Case(id=f"crawl/api-url-{label}", args=(*CRAWL, "--api-url", url), expect=REFUSE,
                          names=("--api-url", "API URL"), env=TOKEN))
    mastodon = (*CRAWL[:3], "mastodon", *CRAWL[4:])
    cases.append(Case(id="crawl/mastodon-no-instance", args=mastodon, expect=REFUSE, names=("instance", "--api-url")))
    for label, url in (("words", "not a url"), ("file-scheme", "file:///etc/passwd"), ("ftp", "ftp://127.0.0.1:9"),
                       ("line-break", "https://mastodon.social\n/x"), ("javascript", "javascript:alert(1)")):
        cases.append(Case(id=f"crawl/mastodon-instance-{label}", args=(*mastodon, "--instance", url), expect=REFUSE,
                          names=("--api-url", "API URL", "--instance")))
    cases.append(Case(id="crawl/mastodon-token-control-character", args=(*mastodon, "--instance", "http://127.0.0.1:9"),
                      expect=frozenset({4}), names=("MASTODON_ACCESS_TOKEN",), env=(("MASTODON_ACCESS_TOKEN", "ab\x01cd"),)))
    cases.append(Case(id="crawl/mastodon-dry-run", args=("crawl", "{q}/hostile.toml", "--platform", "mastodon", "--dry-run"),
                      expect=frozenset({0})))
    for label, extra in (("max-cost-negative", ("--max-cost", "-1")), ("price-malformed", ("--price", "post")),
                         ("price-unknown-kind", ("--price", "bogus=1")), ("price-negative", ("--price", "post=-1")),
                         ("x-tier-bogus", ("--x-tier", "gold"))):
        cases.append(Case(id=f"crawl/{label}", args=(*CRAWL, *extra), expect=REFUSE,
                          names=("--max-cost", "--price", "--x-tier", "price"), env=TOKEN))
    cases.append(Case(id="crawl/pds-url-words", args=(*CRAWL[:3], "bluesky", *CRAWL[4:], "--pds-url", "not a url",
                                                       "--api-url", "ftp://x"),
                      expect=REFUSE, names=("--pds-url", "--api-url", "URL")))
    return cases


def _environment_cases() -> list[Case]:
    """Settings from the environment: a workspace variable that is empty or names a file, a junk Spark master."""
    cases = []
    for command in ("stats", "rank", "export", "check"):
        args = BASE[command][0]
        where = args.index("-w")
        bare = (*args[:where], *args[where + 2:])
        cases.append(Case(id=f"environment/{command}/workspace-a-file", args=bare, expect=REFUSE,
                          names=("afile", "workspace"), setup=_a_file, env=(("INFLUGRAPH_WORKSPACE", "{d}/afile"),)))
        cases.append(Case(id=f"environment/{command}/workspace-empty", args=bare, expect=ANY,
                          names=("workspace",), env=(("INFLUGRAPH_WORKSPACE", ""),)))
    cases.append(Case(id="environment/stats/spark-master-junk", args=BASE["stats"][0], expect=frozenset({0}),
                      env=(("INFLUGRAPH_SPARK_MASTER", "junk\n://"),)))
    cases.append(Case(id="environment/crawl/api-url-junk", args=CRAWL, expect=REFUSE, names=("INFLUGRAPH_X_API_URL", "URL"),
                      env=(*TOKEN, ("INFLUGRAPH_X_API_URL", "not a url"))))
    return cases


def _workspace_cases() -> list[Case]:
    cases = []
    for command, (args, writes, files) in BASE.items():
        if "{ws}" not in args:
            continue
        for label, value, setup, expect in (("empty", "", None, ANY), ("a-file", "{d}/afile", _a_file, REFUSE),
                                            ("not-a-workspace", "{q}", None, REFUSE)):
            where = args.index("{ws}")
            cases.append(Case(id=f"workspace/{command}/{label}", args=(*args[:where], value, *args[where + 1:]),
                              expect=expect, names=("workspace", "afile", "queries", "-w"), writes=writes, files=files,
                              setup=setup))
        where = args.index("{ws}")
        cases.append(Case(id=f"workspace/{command}/through-a-symlink", args=(*args[:where], "{d}/link", *args[where + 1:]),
                          expect=frozenset({0}), writes=writes, files=files, setup=_link_to_ws))
        if command != "import":
            cases.append(Case(id=f"workspace/{command}/missing", args=(*args[:where], "{d}/none", *args[where + 1:]),
                              expect=REFUSE, names=("none", "workspace"), writes=writes, files=files))
    return cases


# -- hostile text through every export, and strict JSON -----------------------------------------------------------

def _parses_as_xml(name: str) -> Callable[[Path, object], str | None]:
    def check(d: Path, result) -> str | None:
        import xml.etree.ElementTree as ET

        try:
            ET.parse(d / name)
        except ET.ParseError as exc:
            return f"{name} is not well-formed XML: {exc}"
        return None
    return check


_FORMULA = re.compile(r"^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]")


def _csv_neutral(folder: str) -> Callable[[Path, object], str | None]:
    def check(d: Path, result) -> str | None:
        import csv

        for path in sorted((d / folder).glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.reader(handle):
                    for cell in row:
                        if _FORMULA.match(cell) and not _number(cell):
                            return f"{path.name}: formula start not neutralised: {cell[:40]!r}"
        return None
    return check


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _json_file(name: str) -> Callable[[Path, object], str | None]:
    def check(d: Path, result) -> str | None:
        try:
            strict_json((d / name).read_text(encoding="utf-8"))
        except ValueError as exc:
            return f"{name} is not strict JSON: {exc}"
        return None
    return check


def _parquet_file(name: str) -> Callable[[Path, object], str | None]:
    def check(d: Path, result) -> str | None:
        try:
            pl.read_parquet(d / name)
        except Exception as exc:  # any failure to read it back is the problem reported
            return f"{name} does not read back: {exc}"
        return None
    return check


def strict_json(text: str):
    """`text` parsed as JSON, refusing NaN and Infinity (which JSON does not have)."""
    def constant(word: str):
        raise ValueError(f"{word} is not JSON")
    return json.loads(text, parse_constant=constant)


SURROGATES = ('{"data": [{"id": "80", "author_id": "81", "text": "lone \\ud800 high \\ud83d low \\udfff #hostile", '
              '"created_at": "2026-01-01T00:00:00.000Z"}], "includes": {"users": [{"id": "81", "username": "u81", '
              '"name": "name \\udc00", "description": "bio \\ud800 hostile"}]}}')


def _import_surrogates(d: Path, ws: Path) -> str | None:
    """Import an X page whose text, name and bio carry lone surrogates (JSON can, UTF-8 cannot) into `ws`."""
    from click.testing import CliRunner

    from influgraph.cli import main

    (d / "surrogates.json").write_text(SURROGATES, encoding="ascii")
    result = CliRunner().invoke(main, ["import", str(d / "surrogates.json"), "-w", str(ws)])
    if result.exit_code == 2:
        return "the import refuses lone surrogates, so none reaches an export"
    if result.exit_code != 0:
        raise AssertionError(f"importing lone surrogates: exit {result.exit_code}: {result.output[-300:]}")
    return None


def _text_cases() -> list[Case]:
    cases = []
    for niche in ((), ("--niche", "hostile")):
        tag = "niche" if niche else "all"
        for fmt, out, check in (("gexf", "o.gexf", _parses_as_xml("o.gexf")), ("graphml", "o.graphml", _parses_as_xml("o.graphml")),
                                ("json", "o.json", _json_file("o.json")), ("csv", "o-csv", _csv_neutral("o-csv")),
                                ("parquet", "o-parquet", None), ("html", "o.html", None), ("report", "o-report", None)):
            if fmt == "report" and niche:
                continue  # the report covers every ranked niche: --niche is refused there, by design
            if fmt == "graphml" and niche:
                continue  # isolated in a child process (slow): the whole workspace's GraphML is enough
            cases.append(Case(id=f"text/export-{fmt}/{tag}", args=("export", "-w", "{ws}", "--format", fmt, *niche, "--out",
                                                                  f"{{d}}/{out}"),
                              expect=frozenset({0}), check=check, isolate=fmt == "graphml"))
        cases.append(Case(id=f"text/export-csv-excel/{tag}", args=("export", "-w", "{ws}", "--format", "csv", "--excel",
                                                                   *niche, "--out", "{d}/o-csv"),
                          expect=frozenset({0}), check=_csv_neutral("o-csv")))
    for fmt, out, check in (("gexf", "s.gexf", _parses_as_xml("s.gexf")), ("json", "s.json", _json_file("s.json")),
                            ("csv", "s-csv", _csv_neutral("s-csv")), ("html", "s.html", None)):
        cases.append(Case(id=f"text/export-{fmt}/lone-surrogates", args=("export", "-w", "{ws}", "--format", fmt, "--out",
                                                                          f"{{d}}/{out}"),
                          expect=frozenset({0}), check=check, setup=_import_surrogates))
    for command, out in (("rank", "r.csv"), ("shortlist", "s.csv"), ("communities", "c.csv")):
        cases.append(Case(id=f"text/{command}-csv", args=(*BASE[command][0], "--out", f"{{d}}/{out}"), expect=frozenset({0}),
                          writes="results", check=_csv_neutral(".")))
        json_out = out.replace(".csv", ".json")
        cases.append(Case(id=f"text/{command}-json", args=(*BASE[command][0], "--out", f"{{d}}/{json_out}"),
                          expect=frozenset({0}), writes="results", check=_json_file(json_out)))
        cases.append(Case(id=f"text/{command}-parquet", args=(*BASE[command][0], "--out", f"{{d}}/{out[0]}.parquet"),
                          expect=frozenset({0}), writes="results", check=_parquet_file(f"{out[0]}.parquet")))
    return cases


LISTEN = ("listen", "--platform", "bluesky", "-w", "{ws}", "--niche", "hostile", "--queries-dir", "{q}",
          "--jetstream-url", "ws://127.0.0.1:9/subscribe", "--max-events", "1")


def _listen_cases() -> list[Case]:
    """`listen` with bad options: each refused (exit 2, one line naming the option) before any connection is tried."""
    cases = []
    bad = {"--duration": {"empty": "", "word": "abc", "zero": "0", "zero-unit": "0s", "neg": "-1", "nan": "nan", "inf": "inf",
                          "sci": "1e3", "unit": "10x", "month": "31d", "newline": "7\n", "dots": "1.5.5m", "huge": "9" * 100,
                          "nul": "5\x00m", "neg-unit": "-5m"},
           "--max-events": {"zero": "0", "neg": "-1", "word": "abc", "frac": "1.5", "empty": "", "nan": "nan",
                            "huge": "99999999999999999999"},
           "--jetstream-url": {"http": "http://127.0.0.1:9/subscribe", "words": "not a url", "no-host": "ws://",
                               "bad-port": "ws://127.0.0.1:port/x", "query": "ws://127.0.0.1:9/subscribe?cursor=1",
                               "space": "ws://127.0.0.1 :9", "tab": "\tws://127.0.0.1:9", "line-break": "ws://127.0.0.1:9\n",
                               "file-scheme": "file:///etc/passwd", "javascript": "javascript:alert(1)"},
           "--platform": {"x": "x", "mastodon": "mastodon", "bogus": "bogus", "empty": ""}}
    for option, values in bad.items():
        for label, value in values.items():
            cases.append(Case(id=f"listen/{option}={label}", args=(*_without(LISTEN, option), option, value),
                              expect=REFUSE, names=(option,)))
    for label, value in NAME_VALUES.items():
        cases.append(Case(id=f"listen/--niche={label}", args=(*_without(LISTEN, "--niche"), "--niche", value),
                          expect=REFUSE, names=("niche",)))
    cases.append(Case(id="listen/--niche-and-query", args=(*LISTEN, "--query", "{q}/hostile.toml"), expect=REFUSE,
                      names=("--niche",)))
    cases.append(Case(id="listen/url-from-environment", args=_without(LISTEN, "--jetstream-url"), expect=REFUSE,
                      names=("--jetstream-url", "INFLUGRAPH_JETSTREAM_URL"), env=(("INFLUGRAPH_JETSTREAM_URL", "ftp://x"),)))
    return cases


def _json_cases() -> list[Case]:
    cases = []
    extra = {"shortlist-spread": ("shortlist", ("--objective", "spread", "--samples", "100")),
             "shortlist-budget": ("shortlist", ("--budget", "500", "--costs", "{costs}")),
             "communities-sweep": ("communities", ("--sweep", "0.5,1,2")),
             "communities-runs": ("communities", ("--runs", "3"))}
    for name in (*BASE, *extra):
        command, more = extra.get(name, (name, ()))
        args, writes, files = BASE[command]
        cases.append(Case(id=f"json/{name}", args=(*args, *more, "--json"), expect=frozenset({0}), writes=writes,
                          files=files))
    for label, (damage, names, _) in list(DAMAGES.items())[::4]:  # a report of damage is strict JSON too
        cases.append(Case(id=f"json/check/{label}", args=(*BASE["check"][0], "--json"), expect=REFUSE, names=names,
                          damage=damage, reports=True))
    return cases


# -- campaign (helper C): bad names, hashtags, windows and picks files ---------------------------------------
CAMPAIGN_PICKS = {"empty": b"", "comments-only": b"# none\n\n", "binary": b"\xff\xfe\x00\x81", "no-id-column": b"who,cost\n1000,1\n",
                  "float-id": b"1.5e18\n", "unknown": b"nobody-here\n", "nul": b"10\x0000\n", "bad-csv": b'id,handle\n"1000,h\n',
                  "padded": b" 1000\t\n\t x\n", "huge-line": b"9" * 300 + b"\n", "many": b"".join(b"%d\n" % i for i in range(10_001)),
                  "control": b"ab\x01cd\n"}
CAMPAIGN_VALUES = {"--name": {"empty": "", "space": " ", "newline": "a\nb", "nul": "a\x00b", "huge": "n" * 10_000},
                   "--hashtags": {"empty": "", "commas": ",,", "hash": "#", "space": "two words", "huge": ",".join(f"h{i}" for i in range(200)),
                                  "newline": "a\nb", "nul": "a\x00b"}}


def _campaign_cases() -> list[Case]:
    args, writes, _ = BASE["campaign"]
    cases = [Case(id=f"campaign/--accounts={label}", args=(*args, "--accounts", "{d}/picks.txt"), expect=REFUSE,
                  names=("picks.txt", "--accounts"), writes=writes, files=(("picks.txt", content),))
             for label, content in CAMPAIGN_PICKS.items()]
    cases.append(Case(id="campaign/--accounts=missing", args=(*args, "--accounts", "{d}/none.csv"), expect=REFUSE,
                      names=("none.csv", "--accounts")))
    cases.append(Case(id="campaign/--accounts=folder", args=(*args, "--accounts", "{q}"), expect=REFUSE, names=("--accounts",)))
    cases.append(Case(id="campaign/--accounts=good", args=(*args, "--accounts", "{d}/picks.csv"), expect=frozenset({0}),
                      writes=writes, files=(("picks.csv", b"pick,id,handle\n1,1000,x\n2,1001,y\n"),)))
    for option, values in CAMPAIGN_VALUES.items():
        for label, value in values.items():
            cases.append(Case(id=f"campaign/{option}={label}", args=(*_without(args, option), option, value), expect=REFUSE,
                              names=(option,), writes=writes))
    for option in ("--since", "--until"):
        for label, value in TRENDS_TIMES.items():
            cases.append(Case(id=f"campaign/{option}={label}", args=(*_without(args, option), option, value), expect=REFUSE,
                              names=(option,), writes=writes))
        cases.append(Case(id=f"campaign/{option}=missing", args=_without(args, option), expect=REFUSE, names=(option,)))
    cases.append(Case(id="campaign/--since-after-until", args=(*_without(_without(args, "--since"), "--until"), "--since",
                                                               "2030-01-01", "--until", "2020-01-01"),
                      expect=REFUSE, names=("--since",)))
    for label, value in NAME_VALUES.items():
        cases.append(Case(id=f"campaign/--niche={label}", args=(*_without(args, "--niche"), "--niche", value),
                          expect=REFUSE, names=("niche",)))
    cases.append(Case(id="campaign/--top=zero", args=(*args, "--top", "0"), expect=REFUSE, names=("--top",)))
    return cases


def all_cases() -> list[Case]:
    """Every case of the corpus, ids unique."""
    cases = [*_option_cases(), *_niche_cases(), *_query_cases(), *_import_cases(), *_costs_cases(), *_out_cases(),
             *_damaged_cases(), *_workspace_cases(), *_crawl_cases(), *_listen_cases(), *_environment_cases(), *_text_cases(),
             *_json_cases(), *_campaign_cases()]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    return cases
