"""`riderbot eval`: run labelled questions through the matcher and score them, per file and overall.

Two kinds of file live in knowledge/eval/:

- **Written sets** (knowledge/eval/*.yaml): `expect: answered | clarify | unanswered | card | general`
  with the model (or licence), topic, verdict and, where labelled, the direct `reply`.
- **Real questions** (knowledge/eval/real/*.yaml): quoted from public threads with their `source`,
  labelled with the truth rather than with what riderbot knows: `about` names the model as its licensor
  does, `expect: answered | card | clarify | general | off-topic` says what the right behaviour is *if*
  riderbot knows that model. `about` is mapped to a model id by knowledge/eval/real/about.yaml (reviewed by
  hand) or an exact alias; a model riderbot does not know must not be answered.
- **Dialogues** (`- dialogue: [{q, model, topic, reply}, ...]`): each turn is asked with the context the
  one before it left, and scored per turn.

Metrics: in-scope accuracy (right model or licence and topic), reply accuracy (the direct reply, where
labelled), verdict accuracy, clarify accuracy, wrong confident answers (answered when it should not have
been, for the wrong model or topic, or with a yes/no reply that contradicts the label), and abstention.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import TOPIC_IDS, VERDICTS, KnowledgeBase
from bot.matching import ANSWERED, CLARIFY, UNANSWERED, Answer, Matcher
from bot.matching.matcher import Context
from bot.textnorm import tokens

THRESHOLDS = {"in_scope_accuracy": 0.90, "wrong_confident_rate": 0.02, "out_of_scope_abstention": 0.95}
REAL_THRESHOLDS = {"wrong_confident_rate": 0.02}
EXPECTS = (ANSWERED, CLARIFY, UNANSWERED, "card", "general", "off-topic")
REPLIES = ("yes", "no", "depends")
KEYS = {
    "q",
    "expect",
    "model",
    "license",
    "topic",
    "verdict",
    "reply",
    "kind",
    "note",
    "source",
    "lang",
    "about",
    "general",
    "origin",
    "family",
}


@dataclass(frozen=True)
class Item:
    q: str
    expect: str
    model: str | None = None
    license: str | None = None
    topic: str | None = None
    verdict: str | None = None
    reply: str | None = None
    kind: str | None = None
    file: str = ""
    real: bool = False
    about: str | None = None
    family: str | None = None
    general: str | None = None
    known: bool = True
    """For a real question: whether riderbot knows the model it is about (else it must not answer)."""
    turn: int = 0
    dialogue: int | None = None
    source_lang: str = "en"


@dataclass
class Report:
    total: int = 0
    in_scope: int = 0
    in_scope_right: int = 0
    verdict_right: int = 0
    reply_labelled: int = 0
    reply_right: int = 0
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
            "reply_labelled": self.reply_labelled,
            "reply_accuracy": round(self.ratio(self.reply_right, self.reply_labelled), 4),
            "clarify_expected": self.clarify_expected,
            "clarify_accuracy": round(self.ratio(self.clarify_right, self.clarify_expected), 4),
            "in_scope_clarify_rate": round(self.ratio(self.in_scope_clarified, self.in_scope), 4),
            "wrong_confident": self.wrong_confident,
            "wrong_confident_rate": round(self.wrong_confident / self.total, 4) if self.total else 0.0,
            "out_of_scope": self.out_of_scope,
            "near_miss": self.near_miss,
            "out_of_scope_abstention": round(self.ratio(self.abstained, self.out_of_scope), 4),
        }

    def passed(self, real: bool = False) -> bool:
        m = self.metrics
        if real:
            return m["wrong_confident_rate"] <= REAL_THRESHOLDS["wrong_confident_rate"]
        return (
            m["in_scope_accuracy"] >= THRESHOLDS["in_scope_accuracy"]
            and m["wrong_confident_rate"] <= THRESHOLDS["wrong_confident_rate"]
            and m["out_of_scope_abstention"] >= THRESHOLDS["out_of_scope_abstention"]
        )


@dataclass
class Evaluation:
    overall: Report
    files: dict[str, Report]
    real: Report
    written: Report
    dialogue_turns: Report
    languages: dict[str, Report] = field(default_factory=dict)
    """Written questions by the language they are asked in ("en", "zh", "de"...)."""
    real_languages: dict[str, Report] = field(default_factory=dict)
    non_english: Report = field(default_factory=Report)
    """Written questions in any language but English: held to the same thresholds as the English ones."""

    @property
    def metrics(self) -> dict[str, Any]:
        return self.overall.metrics

    def passed(self) -> bool:
        return (
            (self.written.total == 0 or self.written.passed())
            and (self.non_english.total == 0 or self.non_english.passed())
            and (self.real.total == 0 or self.real.passed(real=True))
        )


class EvalFileError(Exception):
    pass


def default_eval_dir(knowledge_dir: Path) -> Path:
    return knowledge_dir / "eval"


def load_items(path: Path, kb: KnowledgeBase) -> list[Item]:
    files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    files = [f for f in files if f.name != "about.yaml"]
    if not files:
        raise EvalFileError(f"{path}: no evaluation files found")
    mapping = _about_map(path if path.is_dir() else path.parent, kb)
    items: list[Item] = []
    errors: list[str] = []
    dialogues = 0
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise EvalFileError(f"{file}: {exc}") from exc
        if not isinstance(data, list):
            raise EvalFileError(f"{file}: must be a list of questions")
        real = file.parent.name == "real"
        name = f"real/{file.name}" if real else file.name
        for i, raw in enumerate(data):
            where = f"{name}[{i}]"
            if isinstance(raw, dict) and isinstance(raw.get("dialogue"), list):
                dialogues += 1
                for t, turn in enumerate(raw["dialogue"]):
                    item = _item(turn, f"{where}.dialogue[{t}]", name, real, kb, mapping, errors)
                    if item is not None:
                        items.append(_with(item, turn=t, dialogue=dialogues))
                continue
            item = _item(raw, where, name, real, kb, mapping, errors)
            if item is not None:
                items.append(item)
    if errors:
        raise EvalFileError("\n".join(errors))
    return items


def _with(item: Item, **changes: Any) -> Item:
    return replace(item, **changes)


def _item(
    raw: Any,
    where: str,
    name: str,
    real: bool,
    kb: KnowledgeBase,
    mapping: dict[str, str | None],
    errors: list[str],
) -> Item | None:
    if not isinstance(raw, dict) or "q" not in raw:
        errors.append(f"{where}: needs `q`")
        return None
    expect = raw.get("expect", ANSWERED if raw.get("topic") else None)
    if expect not in EXPECTS:
        errors.append(f"{where}: needs `expect` ({' | '.join(EXPECTS)})")
        return None
    unknown = set(raw) - KEYS
    if unknown:
        errors.append(f"{where}: unknown keys {sorted(unknown)}")
    reply = raw.get("reply")
    reply = None if reply is None else str(reply)
    if reply is not None and reply not in REPLIES:
        errors.append(f"{where}: unknown reply {reply!r}")
    model, family, known = raw.get("model"), raw.get("family"), True
    about = raw.get("about")
    if real and model is None and about is not None:
        target = mapping.get(about, _exact(kb, about))
        if target in kb.models:
            model = target
        elif target in kb.families and kb.families[target].members:
            family = target
        else:  # not a model riderbot covers (or a family of not-covered names only)
            known = False
    item = Item(
        q=str(raw["q"]),
        expect=expect,
        model=model,
        license=raw.get("license"),
        topic=raw.get("topic"),
        verdict=str(raw["verdict"]) if raw.get("verdict") is not None else None,
        reply=reply,
        kind=raw.get("kind"),
        file=name,
        real=real,
        about=about,
        family=family,
        general=raw.get("general"),
        known=known,
        source_lang=str(raw.get("lang") or "en"),
    )
    if item.model is not None and item.model not in kb.models:
        errors.append(f"{where}: unknown model {item.model!r}")
    if item.license is not None and item.license not in kb.licenses:
        errors.append(f"{where}: unknown licence {item.license!r}")
    if item.topic is not None and item.topic not in TOPIC_IDS:
        errors.append(f"{where}: unknown topic {item.topic!r}")
    if item.verdict is not None and item.verdict not in VERDICTS:
        errors.append(f"{where}: unknown verdict {item.verdict!r}")
    if (
        not real
        and item.expect == ANSWERED
        and (item.topic is None or (item.model is None and item.license is None and item.family is None))
    ):
        errors.append(f"{where}: an `answered` question needs topic and model (or license)")
    return item


def _about_map(folder: Path, kb: KnowledgeBase) -> dict[str, str | None]:
    """knowledge/eval/real/about.yaml: the model each `about` names -> a model or family id (or null
    for a model riderbot does not cover). Reviewed by hand whenever the knowledge grows."""
    for path in (folder / "about.yaml", folder / "real" / "about.yaml"):
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return {str(k): (str(v) if v else None) for k, v in data.items()}
    return {}


def _exact(kb: KnowledgeBase, name: str) -> str | None:
    """A model or family whose own name or alias is exactly ``name`` (no fuzzy matching)."""
    want = tokens(name)
    for m in kb.models.values():
        if want in {tokens(a) for a in (m.id, m.name, *m.aliases)}:
            return m.id
    for f in kb.families.values():
        if want in {tokens(a) for a in (f.id, f.name, *f.aliases)}:
            return f.id
    return None


def grade(item: Item, answer: Answer, report: Report, kb: KnowledgeBase) -> None:
    report.total += 1
    if item.real:
        _grade_real(item, answer, report, kb)
        return
    right_subject = _right_subject(item, answer, kb)
    right = right_subject and (
        answer.topic == item.topic or (answer.card and item.topic == "open-source-status")
    )
    if item.expect in (ANSWERED, "card"):
        report.in_scope += 1
        if item.verdict == "not-verified":
            # the bot must not claim a verdict: it declines, for the right model and topic
            ok = right_subject and answer.topic == item.topic and answer.verdict == "not-verified"
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
            verdict_ok = item.verdict is None or answer.verdict == item.verdict or answer.card
            report.verdict_right += verdict_ok
            if not _reply_ok(item, answer, report):
                report.wrong_confident += 1
                report.failures.append((item, answer, f"wrong reply {answer.reply}"))
            elif not verdict_ok and item.reply is None:
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
        # a family whose members all agree is answered once for all of them; several models named
        # with one topic ("bloom or falcon 180b, which can I use commercially?") are answered side by
        # side (issue 14), which is the clarify's answer for each of them
        if (
            answer.status == CLARIFY
            or (answer.status == ANSWERED and answer.compare and len(answer.parts) > 1)
            or (
                answer.status == ANSWERED
                and answer.family
                and answer.model is None
                and (item.topic is None or answer.topic == item.topic)
            )
        ):
            report.clarify_right += 1
        else:
            if answer.status == ANSWERED:
                report.wrong_confident += 1
            report.failures.append((item, answer, f"expected clarify, got {answer.status}"))
        return
    if item.expect == "general":
        report.in_scope += 1
        if (
            answer.status == ANSWERED
            and answer.general
            and (item.general is None or answer.general == item.general)
        ):
            report.in_scope_right += 1
            if not _reply_ok(item, answer, report):
                report.wrong_confident += 1
        else:
            if answer.status == ANSWERED:
                report.wrong_confident += 1
            report.failures.append((item, answer, f"expected general entry {item.general}"))
        return
    report.out_of_scope += 1
    report.near_miss += item.kind == "near-miss"
    if answer.status != ANSWERED:
        report.abstained += 1
    else:
        report.wrong_confident += 1
        report.failures.append((item, answer, "answered an out-of-scope question"))


def _grade_real(item: Item, answer: Answer, report: Report, kb: KnowledgeBase) -> None:
    """Real questions are labelled with the truth; what counts as right depends on what riderbot knows."""
    answered = answer.status == ANSWERED
    if item.expect == "off-topic":
        report.out_of_scope += 1
        report.near_miss += 1
        if answered:
            report.wrong_confident += 1
            report.failures.append((item, answer, "answered an off-topic question"))
        else:
            report.abstained += 1
        return
    if not item.known:  # a model riderbot does not know: the right answer is "I don't know"
        report.out_of_scope += 1
        if answered and not answer.general:
            report.wrong_confident += 1
            report.failures.append(
                (item, answer, f"answered for a model riderbot does not know ({item.about})")
            )
        else:
            report.abstained += 1
        return
    if item.expect == "clarify" and item.model is None and item.family is None:
        report.clarify_expected += 1  # "is this model ok commercially?": no model named
        if answered and not answer.general:
            report.wrong_confident += 1
            report.failures.append((item, answer, "answered a question that names no model"))
        else:
            report.clarify_right += answer.status == CLARIFY or not answered
        return
    report.in_scope += 1
    family_of = kb.models[item.model].family if item.model in kb.models else None
    subject_ok = (
        (item.model is not None and answer.model == item.model)
        or (
            # one answer for a whole family covers the model the question is about
            item.model is not None
            and answer.family == family_of
            and any(c.model == item.model for c in answer.members)
        )
        or (
            # several models answered side by side ("llama2/3"): the one the question is about is among them
            item.model is not None
            and answer.compare
            and any(part.model == item.model for part in answer.parts)
        )
        or (
            item.family is not None
            and (
                answer.family == item.family
                or (answer.model is not None and answer.model in kb.families[item.family].members)
            )
        )
    )
    if item.expect == "general":
        ok = answered and (answer.general is not None or subject_ok)
    elif item.expect == "card":
        ok = answered and subject_ok and (answer.card or answer.topic in (None, "open-source-status"))
    elif item.expect == "clarify":
        ok = answer.status == CLARIFY or (answered and subject_ok)
    else:
        ok = answered and subject_ok and (item.topic is None or answer.topic == item.topic)
    if ok:
        report.in_scope_right += 1
        if not _reply_ok(item, answer, report):
            report.wrong_confident += 1
            report.failures.append((item, answer, f"wrong reply {answer.reply} (want {item.reply})"))
        return
    if answered and not subject_ok and not answer.general:
        report.wrong_confident += 1
        report.failures.append((item, answer, "answered for the wrong model"))
    elif (
        answered
        and item.expect == ANSWERED
        and item.topic
        and answer.topic != item.topic
        and _contradicts(item, answer)
    ):
        report.wrong_confident += 1
        report.failures.append((item, answer, f"wrong topic {answer.topic} and a contradicting reply"))
    else:
        report.failures.append(
            (item, answer, f"not right ({answer.status}, {answer.reason}, topic {answer.topic})")
        )


def _reply_ok(item: Item, answer: Answer, report: Report) -> bool:
    """Counts the reply when labelled; False only when the bot gave a yes or no the label contradicts
    (a cautious "it depends" where the label says yes or no is not a wrong confident answer)."""
    if item.reply is None:
        return True
    report.reply_labelled += 1
    if answer.reply == item.reply:
        report.reply_right += 1
        return True
    return not _contradicts(item, answer)


def _contradicts(item: Item, answer: Answer) -> bool:
    return item.reply is not None and answer.reply in ("yes", "no") and answer.reply != item.reply


def _right_subject(item: Item, answer: Answer, kb: KnowledgeBase) -> bool:
    if item.model is not None and answer.model == item.model:
        return True
    if item.family is not None and answer.family == item.family:
        return True
    if (
        item.model is None
        and item.license is not None
        and answer.model is None
        and answer.license == item.license
    ):
        return True
    return _same_rider_by_license(item, answer, kb)


def _same_rider_by_license(item: Item, answer: Answer, kb: KnowledgeBase) -> bool:
    """A question labelled for a model but phrased about its licence ("my llama 3 license") is right
    when answered for that licence, as long as the model does not override the topic."""
    if item.model is None or answer.model is not None or answer.license is None:
        return False
    model = kb.models[item.model]
    return answer.license == model.license and item.topic not in model.overrides


def evaluate(matcher: Matcher, items: list[Item]) -> Evaluation:
    overall, real, written, turns, non_english = Report(), Report(), Report(), Report(), Report()
    files: dict[str, Report] = {}
    languages: dict[str, Report] = {}
    real_languages: dict[str, Report] = {}
    context: Context | None = None
    last_dialogue = None
    for item in items:
        if item.dialogue is None:
            answer = matcher.match(item.q)
        else:
            if item.dialogue != last_dialogue or item.turn == 0:
                context = None
            answer = matcher.match(item.q, context)
            context = Context.of(answer) or context
            last_dialogue = item.dialogue
            grade(item, answer, turns, matcher.kb)
        by_language = real_languages if item.real else languages
        reports = [
            overall,
            files.setdefault(item.file, Report()),
            real if item.real else written,
            by_language.setdefault(item.source_lang, Report()),
        ]
        if not item.real and item.source_lang != "en":
            reports.append(non_english)
        for report in reports:
            grade(item, answer, report, matcher.kb)
    return Evaluation(overall, files, real, written, turns, languages, real_languages, non_english)


def format_report(evaluation: Evaluation, verbose: bool = False) -> str:
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    lines: list[str] = []

    def block(title: str, report: Report, real: bool = False) -> None:
        m = report.metrics
        lines.append(
            f"{title}: {m['questions']} questions ({m['in_scope']} in scope, {m['clarify_expected']} clarify, "
            f"{m['out_of_scope']} out of scope or unknown model)"
        )
        lines.append(
            f"  in-scope accuracy:        {pct(m['in_scope_accuracy'])}  (model/licence + topic right"
            + ("" if real else f"; threshold >= {pct(THRESHOLDS['in_scope_accuracy'])}")
            + ")"
        )
        lines.append(
            f"  reply accuracy:           {pct(m['reply_accuracy'])}  (direct yes/no/depends, {m['reply_labelled']} labelled)"
        )
        if not real:
            lines.append(
                f"  verdict accuracy:         {pct(m['verdict_accuracy'])}  (model + topic + verdict right)"
            )
        lines.append(f"  clarify accuracy:         {pct(m['clarify_accuracy'])}")
        lines.append(
            f"  wrong confident answers:  {m['wrong_confident']} = {pct(m['wrong_confident_rate'])}  (threshold <= "
            f"{pct(THRESHOLDS['wrong_confident_rate'])})"
        )
        lines.append(
            f"  abstention:               {pct(m['out_of_scope_abstention'])}"
            + ("" if real else f"  (threshold >= {pct(THRESHOLDS['out_of_scope_abstention'])})")
        )

    if evaluation.written.total:
        block("written sets", evaluation.written)
        lines.append(f"  result:                   {'PASS' if evaluation.written.passed() else 'FAIL'}")
    if evaluation.non_english.total:
        block("written sets, not in English", evaluation.non_english)
        lines.append(f"  result:                   {'PASS' if evaluation.non_english.passed() else 'FAIL'}")
    if evaluation.real.total:
        block("real questions", evaluation.real, real=True)
        lines.append(f"  result:                   {'PASS' if evaluation.real.passed(real=True) else 'FAIL'}")
    if evaluation.dialogue_turns.total:
        m = evaluation.dialogue_turns.metrics
        lines.append(
            f"dialogue turns: {m['questions']}, right {pct(m['in_scope_accuracy'])}, "
            f"reply {pct(m['reply_accuracy'])}, wrong confident {m['wrong_confident']}"
        )
    lines.append("")
    lines.append("per file:                      questions  in-scope  reply   wrong")
    for name, report in sorted(evaluation.files.items()):
        m = report.metrics
        lines.append(
            f"  {name:<28} {m['questions']:>9}  {pct(m['in_scope_accuracy']):>8}  {pct(m['reply_accuracy']):>6}  "
            f"{m['wrong_confident']:>5}"
        )
    if len(evaluation.languages) + len(evaluation.real_languages) > 1:
        lines.append("")
        lines.append("per language:                  questions  in-scope  reply   wrong")
        for prefix, table in (("", evaluation.languages), ("real/", evaluation.real_languages)):
            for lang, report in sorted(table.items()):
                m = report.metrics
                lines.append(
                    f"  {prefix + lang:<28} {m['questions']:>9}  {pct(m['in_scope_accuracy']):>8}  "
                    f"{pct(m['reply_accuracy']):>6}  {m['wrong_confident']:>5}"
                )
    if verbose and evaluation.overall.failures:
        lines.append("")
        lines.append("misses:")
        for item, answer, why in evaluation.overall.failures:
            got = (
                f"{answer.status} model={answer.model} family={answer.family} license={answer.license} "
                f"topic={answer.topic} verdict={answer.verdict} reply={answer.reply} card={answer.card} "
                f"general={answer.general} reason={answer.reason}"
            )
            want = (
                f"{item.expect} model={item.model or item.about} license={item.license} topic={item.topic} "
                f"verdict={item.verdict} reply={item.reply}"
            )
            lines.append(f"- [{item.file}] {item.q!r}\n    want: {want}\n    got:  {got}  ({why})")
    return "\n".join(lines)
