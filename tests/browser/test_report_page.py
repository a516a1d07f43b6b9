"""report.html in a real browser: the system Chromium, driven by Playwright (PyPI), offline.

The page is written by the real report code (``bertscore_evaluator.report``) from 45 scored
records, one of whose outputs is a ``<script>``. The test checks what a reviewer relies on:
every record can be reached through the filter and the pages, the plots have labelled axes,
model text is shown as text and never runs, and the page loads nothing from the network.
A screenshot goes to ``out/browser/report.png``.

Without ``/usr/bin/chromium`` (``.ci/run`` installs Debian's ``chromium`` when it is missing)
the test is skipped with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bertscore_evaluator import report, stats

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RECORDS = 45
SCRIPT = "<script>alert(1)</script>"
JUDGE_SCRIPT = "<script>alert(2)</script>"
OUT = Path(__file__).resolve().parents[2] / "out" / "browser"

pytestmark = pytest.mark.browser


def _records() -> list[dict]:
    records = []
    for i in range(RECORDS):
        base = 0.55 + 0.004 * (i % 9)
        custom = base + (0.03 if i % 4 else -0.02)

        def entry(value: float, text: str) -> dict:
            return {
                "output": text,
                "error": None,
                "precision": value,
                "recall": value - 0.01,
                "f1": value,
                "rouge_l": value - 0.2,
                "chrf": value - 0.1,
            }

        records.append(
            {
                "id": f"rec-{i:03d}",
                "prompt": f"Summarize ticket {i}: the customer reports issue number {i}.",
                "reference": f"Ticket {i} is about issue {i}.",
                "base": entry(base, f"Base summary of ticket {i}."),
                "custom": entry(custom, f"Custom summary of ticket {i}, marker-{i:03d}."),
            }
        )
    records[7]["custom"]["output"] = f"{SCRIPT} and <b>bold</b> & more"
    records[8]["base"] = {"output": None, "error": "ThrottlingException: <slow down>"}
    for i, r in enumerate(records):  # the LLM judge's verdicts, as JudgeShard writes them
        preference = "tie" if i % 5 == 0 else ("custom" if i % 4 else "base")
        r["judge"] = {
            "preference": preference,
            "reason": f"The {preference} output keeps the facts of ticket {i} (judge-{i:03d}).",
            "answers": [{"first": "base", "answer": "B"}, {"first": "custom", "answer": "A"}],
            "unparsable": 0,
            "input_tokens": 200,
            "output_tokens": 20,
        }
    records[8]["judge"] = {"preference": None, "reason": "not judged: the base model had no output", "answers": []}
    records[9]["judge"]["reason"] = f"{JUDGE_SCRIPT} judge-009 <i>italic</i>"
    return records


def _judge_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in _records():
        key = str(r["judge"]["preference"]).replace("None", "null")
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = _records()
    run = {
        "RunId": "run-browser-1",
        "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:bc-customize:run-browser-1",
        "BaseModelIdentifier": "amazon.nova-micro-v1:0:128k",
        "InferenceModelId": "amazon.nova-micro-v1:0",
        "CustomModelName": "support-summarizer-run-browser-1",
        "ValidationData": {"Bucket": "validation", "Key": "validation-data.jsonl", "ReferenceKey": None},
        "Evaluation": {"OnInconclusive": "RELEASE"},
    }
    event = {"throughput": {"ProvisionedModelArn": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"}}
    policy = stats.Policy.from_evaluation({"Policy": {"Guards": [{"Metric": "ROUGE-L", "MaxLoss": 0.01}]}})
    summary = report.build_summary(
        records,
        policy,
        scorer={"Name": "sentence-transformers/all-MiniLM-L6-v2", "NumLayers": 6, "Idf": False, "Rescaled": False},
        run_id=run["RunId"],
        context=report.run_context_for_report(run, event),
        judge={"ModelId": "amazon.nova-pro-v1:0", "Rubric": "summary_quality"},
    )
    return report.write_local(tmp_path_factory.mktemp("report"), summary, records) / "report.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run this test"
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # A new, empty profile directory per test process: nothing from another run or worker.
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        yield context
        context.close()


def test_report_page_in_chromium(browser, page_file: Path):
    page = browser.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_selector("#records-body tr")
    assert errors == []

    # the header names the models, the serving resource and the deciding metric
    header = page.inner_text("table.kv")
    assert "amazon.nova-micro-v1:0:128k" in header and "support-summarizer-run-browser-1" in header
    assert "provisioned-model/abc" in header and "validation-data.jsonl" in header
    assert "BERTScore F1 decided" in page.inner_text("#explanation")
    scoring = page.inner_text("body")
    assert "IDF\toff" in scoring or "IDF off" in scoring.replace("\t", " ")

    # every record is reachable page by page (20 per page) ...
    page.select_option("#size", "20")
    seen: list[str] = []
    for _ in range(10):
        seen += page.eval_on_selector_all("#records-body tr", "rows => rows.map(r => r.dataset.id)")
        if page.is_disabled("#next"):
            break
        page.click("#next")
    expected = [f"rec-{i:03d}" for i in range(RECORDS)]
    assert seen == expected
    assert "41\u201345 of 45 records" in page.inner_text("#records-info")

    # ... and each by the filter, alone
    for i in range(RECORDS):
        page.fill("#filter", f"marker-{i:03d}" if i != 7 else "alert(1)")
        ids = page.eval_on_selector_all("#records-body tr", "rows => rows.map(r => r.dataset.id)")
        assert ids == [f"rec-{i:03d}"], (i, ids)
    page.fill("#filter", "")

    # the script in a model output is text on the page and never ran
    page.fill("#filter", "rec-007")
    cell = page.locator('#records-body tr[data-id="rec-007"] td').nth(4)
    assert SCRIPT in cell.inner_text() and "<b>bold</b>" in cell.inner_text()
    assert page.locator("#records-body script, #records-body b").count() == 0
    assert dialogs == [] and page.evaluate("document.scripts.length") == 2
    page.fill("#filter", "")

    # sorting by the primary metric's difference puts the losses first (ascending)
    page.select_option("#sort", "0:d|1")
    first = page.eval_on_selector_all("#records-body tr", "rows => rows.slice(0, 3).map(r => r.dataset.id)")
    assert all(int(x[-3:]) % 4 == 0 for x in first), first

    # the errored record is listed with its error, escaped
    page.select_option("#sort", "")
    page.select_option("#outcome", "errored")
    assert page.eval_on_selector_all("#records-body tr", "rows => rows.map(r => r.dataset.id)") == ["rec-008"]
    assert "error: ThrottlingException: <slow down>" in page.inner_text("#records-body")
    page.select_option("#outcome", "all")

    # plots: labelled axes with ticks, and counts
    for plot in page.query_selector_all("svg.plot"):
        labels = plot.eval_on_selector_all("text.axis-label", "ts => ts.map(t => t.textContent)")
        assert len(labels) == 2 and all(labels), labels
        assert len(plot.query_selector_all("text.tick")) >= 4
    assert page.locator("svg.scatter").count() == 5
    hist_labels = page.locator("svg.histogram text.axis-label").all_text_contents()
    assert hist_labels == ["custom \u2212 base (BERTScore F1)", "records"]
    counts = [int(t) for t in page.locator("svg.histogram text.count").all_text_contents()]
    assert sum(counts) == RECORDS - 1  # every paired record is in a bar

    # offline: the page asked for nothing but itself
    assert requests == [page_file.as_uri()], requests

    OUT.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.screenshot(path=str(OUT / "report.png"), full_page=True)
    page.select_option("#size", "20")
    page.locator("#records-section").screenshot(path=str(OUT / "records.png"))
    assert (OUT / "report.png").stat().st_size > 10_000


def test_judge_column_shows_preference_and_reason_as_text_and_filters(browser, page_file: Path):
    page = browser.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_selector("#records-body tr")
    assert errors == []

    section = page.inner_text("#judge")
    assert "amazon.nova-pro-v1:0" in section and "summary_quality" in section
    assert "Judge tokens (cost)" in section and "8,800 input + 880 output" in section  # 44 judged records
    headers = page.eval_on_selector_all("#records thead th", "ths => ths.map(t => t.textContent)")
    assert headers[-1] == "judge"

    # each record's judge cell: preference and reason; the reason of rec-013 reached by the filter
    page.fill("#filter", "judge-013")
    cell = page.locator('#records-body tr[data-id="rec-013"] td.judge')
    assert cell.locator(".pref").inner_text() == "custom preferred"
    assert "keeps the facts of ticket 13" in cell.inner_text()

    # a <script> in the judge's reason is shown as text and never runs
    page.fill("#filter", "judge-009")
    cell = page.locator('#records-body tr[data-id="rec-009"] td.judge')
    assert JUDGE_SCRIPT in cell.inner_text() and "<i>italic</i>" in cell.inner_text()
    assert page.locator("#records-body script, #records-body i").count() == 0 and dialogs == []
    page.fill("#filter", "")

    # the judge filter selects exactly the records of each preference (and the one not judged)
    page.select_option("#size", "100")
    for value, count in _judge_counts().items():
        page.select_option("#judge-filter", value)
        ids = page.eval_on_selector_all("#records-body tr", "rows => rows.map(r => r.dataset.id)")
        assert len(ids) == count, (value, ids)
    page.select_option("#judge-filter", "null")
    assert page.eval_on_selector_all("#records-body tr", "rows => rows.map(r => r.dataset.id)") == ["rec-008"]
    assert page.locator('#records-body tr[data-id="rec-008"] td.judge .pref').inner_text() == "not judged"
    page.select_option("#judge-filter", "all")
    OUT.mkdir(parents=True, exist_ok=True)
    page.locator("#judge").screenshot(path=str(OUT / "judge.png"))


def test_ten_thousand_records_are_paged_and_filtered(browser, tmp_path: Path):
    base = _records()[0]
    records = [{**base, "id": f"big-{i:05d}", "prompt": f"prompt number {i:05d}"} for i in range(10_000)]
    summary = report.build_summary(records, stats.Policy(resamples=100), run_id="run-big")
    page_file = report.write_local(tmp_path, summary, records) / "report.html"
    page = browser.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_selector("#records-body tr")
    assert page.locator("#records-body tr").count() == 50  # one page is drawn, not 10,000 rows
    assert "1\u201350 of 10000 records, page 1 of 200" in page.inner_text("#records-info")
    page.fill("#page", "200")
    page.dispatch_event("#page", "change")
    assert page.locator("#records-body tr").first.get_attribute("data-id") == "big-09950"
    page.fill("#filter", "number 09999")
    assert page.eval_on_selector_all("#records-body tr", "rows => rows.map(r => r.dataset.id)") == ["big-09999"]
    page.close()
