"""The demo's text summary has one line on the evaluation cache (``summary["cache"]``, as ``--json`` prints it)."""

from __future__ import annotations

import io

from bedrock_customize import cli


def _summary(cache):
    return {
        "execution_status": "SUCCEEDED",
        "error": None,
        "verdict": "CUSTOM_BETTER",
        "scores": {"base_f1": 0.6, "custom_f1": 0.9, "difference": None},
        "provisioned_throughputs": [],
        "leaked_throughputs": 0,
        "emails": [],
        "report": None,
        "cache": cache,
    }


def _lines(summary):
    out = io.StringIO()
    cli._print_summary(summary, out)
    return [line for line in out.getvalue().splitlines() if line.startswith("cache ")]


def test_the_cache_line_gives_hits_misses_and_reused_answers():
    cache = {"enabled": True, "embeddings_hit": 80, "embeddings_miss": 40, "base_outputs_reused": 40}
    assert _lines(_summary(cache)) == [
        "cache            : on; embeddings 80 from the cache, 40 computed; base answers reused 40"
    ]


def test_cache_off_says_so_and_no_evaluation_prints_no_line():
    off = {"enabled": False, "embeddings_hit": 0, "embeddings_miss": 120, "base_outputs_reused": 0}
    assert _lines(_summary(off))[0].startswith("cache            : off;")
    assert _lines(_summary(None)) == []
