"""`riderbot eval`: run a labelled question set through the matcher and score it.

Metrics (all over the shipped set unless a file is given):
- in-scope accuracy: questions labelled `answered` that were answered with the right model (or
  licence) and topic; verdict accuracy additionally needs the right verdict.
- clarify accuracy: questions labelled `clarify` that got a clarify outcome.
- wrong confident answers: any question answered with a wrong model, licence, topic or verdict,
  or answered when it should not have been, over all questions.
- out-of-scope abstention: questions labelled `unanswered` that were not answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import TOPIC_IDS, VERDICTS, KnowledgeBase
from bot.matching import ANSWERED, CLARIFY, UNANSWERED, Answer, Matcher

THRESHOLDS = {"in_scope_accuracy": 0.90, "wrong_confident_rate": 0.02, "out_of_scope_abstention": 0.95}
EXPECTS = (ANSWERED, CLARIFY, UNANSWERED)


@dataclass(frozen=True)
class Item:
    q: str
    expect: str
    model: str | None = None
    license: str | None = None
    topic: str | None = None
    verdict: str | None = None
    kind: str | None = None
    file: str = ""


@dataclass
class Report:
    total: int = 0
    in_scope: int = 0
    in_scope_right: int = 0
    verdict_right: int = 0
    clarify_expected: int = 0
    clarify_right: int = 0
    in_scope_clarified: int = 0
    out_of_scope: int = 0
    near_miss: int = 0
    abstained: int = 0
    wrong_confident: int = 0
    failures: list[tuple[Item, Answer, str]] = field(default_factory=list)

    def ratio(self, num: int, den: int) -> float:
        return num / den if den else 1.0

    @property
    def metrics(self) -> dict[str, Any]:
        return {
            "questions": self.total,
            "in_scope": self.in_scope,
            "in_scope_accuracy": round(self.ratio(self.in_scope_right, self.in_scope), 4),
            "verdict_accuracy": round(self.ratio(self.verdict_right, self.in_scope), 4),
            "clarify_expected": self.clarify_expected,
            "clarify_accuracy": round(self.ratio(self.clarify_right, self.clarify_expected), 4),
            "in_scope_clarify_rate": round(self.ratio(self.in_scope_clarified, self.in_scope), 4),
            "wrong_confident": self.wrong_confident,
            "wrong_confident_rate": round(self.ratio(self.wrong_confident, self.total), 4),
            "out_of_scope": self.out_of_scope,
            "near_miss": self.near_miss,
            "out_of_scope_abstention": round(self.ratio(self.abstained, self.out_of_scope), 4),
        }

    def passed(self) -> bool:
        m = self.metrics
        return (
            m["in_scope_accuracy"] >= THRESHOLDS["in_scope_accuracy"]
            and m["wrong_confident_rate"] <= THRESHOLDS["wrong_confident_rate"]
            and m["out_of_scope_abstention"] >= THRESHOLDS["out_of_scope_abstention"]
        )


class EvalFileError(Exception):
    pass


def default_eval_dir(knowledge_dir: Path) -> Path:
    return knowledge_dir / "eval"


def load_items(path: Path, kb: KnowledgeBase) -> list[Item]:
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise EvalFileError(f"{path}: no evaluation files found")
    items: list[Item] = []
    errors: list[str] = []
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise EvalFileError(f"{file}: {exc}") from exc
        if not isinstance(data, list):
            raise EvalFileError(f"{file}: must be a list of questions")
        for i, raw in enumerate(data):
            where = f"{file.name}[{i}]"
            if not isinstance(raw, dict) or "q" not in raw or raw.get("expect") not in EXPECTS:
                errors.append(f"{where}: needs `q` and `expect` ({' | '.join(EXPECTS)})")
                continue
            unknown = set(raw) - {"q", "expect", "model", "license", "topic", "verdict", "kind", "note"}
            if unknown:
                errors.append(f"{where}: unknown keys {sorted(unknown)}")
            item = Item(
                q=str(raw["q"]),
                expect=raw["expect"],
                model=raw.get("model"),
                license=raw.get("license"),
                topic=raw.get("topic"),
                verdict=str(raw["verdict"]) if raw.get("verdict") is not None else None,
                kind=raw.get("kind"),
                file=file.name,
            )
            if item.model is not None and item.model not in kb.models:
                errors.append(f"{where}: unknown model {item.model!r}")
            if item.license is not None and item.license not in kb.licenses:
                errors.append(f"{where}: unknown licence {item.license!r}")
            if item.topic is not None and item.topic not in TOPIC_IDS:
                errors.append(f"{where}: unknown topic {item.topic!r}")
            if item.verdict is not None and item.verdict not in VERDICTS:
                errors.append(f"{where}: unknown verdict {item.verdict!r}")
            if item.expect == ANSWERED and (
                item.topic is None or (item.model is None and item.license is None)
            ):
                errors.append(f"{where}: an `answered` question needs topic and model (or license)")
            items.append(item)
    if errors:
        raise EvalFileError("\n".join(errors))
    return items


def grade(item: Item, answer: Answer, report: Report, kb: KnowledgeBase) -> None:
    report.total += 1
    right_subject = (
        (item.model is not None and answer.model == item.model)
        or (
            item.model is None
            and item.license is not None
            and answer.model is None
            and answer.license == item.license
        )
        or _same_rider_by_license(item, answer, kb)
    )
    right = right_subject and answer.topic == item.topic
    if item.expect == ANSWERED:
        report.in_scope += 1
        expected_verdict = item.verdict
        if expected_verdict == "not-verified":
            # the bot must not claim a verdict: it declines, for the right model and topic
            ok = right and answer.verdict == "not-verified"
            report.in_scope_right += ok
            report.verdict_right += ok
            if answer.status == ANSWERED:
                report.wrong_confident += 1
            if not ok:
                report.failures.append((item, answer, "expected a not-verified refusal"))
            return
        if answer.status == CLARIFY:
            report.in_scope_clarified += 1
        if answer.status == ANSWERED and right:
            report.in_scope_right += 1
            if expected_verdict is None or answer.verdict == expected_verdict:
                report.verdict_right += 1
            else:
                report.wrong_confident += 1
                report.failures.append((item, answer, f"wrong verdict {answer.verdict}"))
        elif answer.status == ANSWERED:
            report.wrong_confident += 1
            report.failures.append((item, answer, "answered for the wrong model/topic"))
        else:
            report.failures.append((item, answer, f"not answered ({answer.status}, {answer.reason})"))
        return
    if item.expect == CLARIFY:
        report.clarify_expected += 1
        if answer.status == CLARIFY:
            report.clarify_right += 1
        else:
            if answer.status == ANSWERED:
                report.wrong_confident += 1
            report.failures.append((item, answer, f"expected clarify, got {answer.status}"))
        return
    report.out_of_scope += 1
    report.near_miss += item.kind == "near-miss"
    if answer.status != ANSWERED:
        report.abstained += 1
    else:
        report.wrong_confident += 1
        report.failures.append((item, answer, "answered an out-of-scope question"))


def _same_rider_by_license(item: Item, answer: Answer, kb: KnowledgeBase) -> bool:
    """A question labelled for a model but phrased about its licence ("my llama 3 license") is right
    when answered for that licence, as long as the model does not override the topic."""
    if item.model is None or answer.model is not None or answer.license is None:
        return False
    model = kb.models[item.model]
    return answer.license == model.license and item.topic not in model.overrides


def evaluate(matcher: Matcher, items: list[Item]) -> Report:
    report = Report()
    for item in items:
        grade(item, matcher.match(item.q), report, matcher.kb)
    return report


def format_report(report: Report, verbose: bool = False) -> str:
    m = report.metrics
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    lines = [
        f"questions:                {m['questions']} ({m['in_scope']} in scope, {m['clarify_expected']} clarify, "
        f"{m['out_of_scope']} out of scope of which {m['near_miss']} near misses)",
        f"in-scope accuracy:        {pct(m['in_scope_accuracy'])}  (model/licence + topic right; threshold >= "
        f"{pct(THRESHOLDS['in_scope_accuracy'])})",
        f"verdict accuracy:         {pct(m['verdict_accuracy'])}  (model + topic + verdict right)",
        f"clarify accuracy:         {pct(m['clarify_accuracy'])}  (family / ambiguous questions that asked back)",
        f"in-scope clarify rate:    {pct(m['in_scope_clarify_rate'])}  (in-scope questions answered with a question)",
        f"wrong confident answers:  {m['wrong_confident']} = {pct(m['wrong_confident_rate'])}  (threshold <= "
        f"{pct(THRESHOLDS['wrong_confident_rate'])})",
        f"out-of-scope abstention:  {pct(m['out_of_scope_abstention'])}  (threshold >= "
        f"{pct(THRESHOLDS['out_of_scope_abstention'])})",
        f"result:                   {'PASS' if report.passed() else 'FAIL'}",
    ]
    if verbose and report.failures:
        lines.append("")
        lines.append("misses:")
        for item, answer, why in report.failures:
            got = f"{answer.status} model={answer.model} license={answer.license} topic={answer.topic} verdict={answer.verdict}"
            want = f"{item.expect} model={item.model} license={item.license} topic={item.topic} verdict={item.verdict}"
            lines.append(f"- [{item.file}] {item.q!r}\n    want: {want}\n    got:  {got}  ({why})")
    return "\n".join(lines)
