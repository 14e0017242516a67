"""The direct reply to a question as the user asked it, from a rider's verdict, the question's form and
the facts it states (a number, a place, a use), and the sentences that explain it.

Pure: the rules are data in knowledge/ (topics.yaml `replies`, licence `thresholds`, riders'
`excluded_regions` and `reply`, uses.yaml); this module only applies them. A fine-tune or distill
carries its base model's terms too: the reply is the stricter of the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from bot.knowledge import KnowledgeBase, Quote, Rider, Threshold
from bot.matching.answer import DEPENDS, LEADS, NO, YES
from bot.matching.facts import FactFinder, Facts, Quantity
from bot.matching.language import BAN, COST, OPEN, PERMISSION, RESTRICTION

NEGATIVE_FORMS = (RESTRICTION, COST, BAN)
"""Questions that ask whether something stands in the way ("is it banned?", "do I have to pay?"): a
ban or a cap makes their reply yes."""

_STRICT = {NO: 0, DEPENDS: 1, YES: 2}
_YES_NO = re.compile(r"^(?:yes|no)\b\s*[,.:;!\-—–]*\s*", re.IGNORECASE)
_METRIC_NAMES = {
    "monthly-active-users": "monthly active users",
    "daily-active-users": "daily active users",
    "users": "users",
    "annual-revenue": "in annual revenue",
    "monthly-revenue": "in monthly revenue",
    "monthly-visits": "monthly visits",
}
_USERS = ("monthly-active-users", "daily-active-users", "users", "monthly-visits")


@dataclass(frozen=True)
class Outcome:
    topic: str
    verdict: str
    reply: str | None
    lead: str | None
    body: str
    quotes: tuple[Quote, ...]
    notes: tuple[str, ...] = ()
    details: str | None = None
    note: str | None = None
    facts: dict = field(default_factory=dict)
    verified: bool = True


def strip_yes_no(text: str) -> str:
    """A rider's answer without its own leading "Yes," / "No." (the lead says it)."""
    return _YES_NO.sub("", text, count=1)


def stricter(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a if b is None else b
    return a if _STRICT[a] <= _STRICT[b] else b


def fmt_number(value: float) -> str:
    for size, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if value >= size:
            n = value / size
            return f"{n:,.0f} {word}" if n == int(n) else f"{n:,.1f} {word}"
    return f"{value:,.0f}"


def threshold_text(t: Threshold) -> str:
    """ "700 million monthly active users", "US$1 million in annual revenue"."""
    amount = fmt_number(t.value)
    if t.currency:
        symbol = "US$" if t.currency == "USD" else f"{t.currency} "
        return f"{symbol}{amount} {_METRIC_NAMES[t.metric]}"
    return f"{amount} {_METRIC_NAMES[t.metric]}"


class Replier:
    def __init__(self, kb: KnowledgeBase, finder: FactFinder):
        self.kb = kb
        self.finder = finder

    def decide(
        self,
        model_id: str | None,
        license_id: str | None,
        topic: str,
        form: str | None,
        facts: Facts,
        subject: str,
    ) -> Outcome:
        """The outcome for one model (or licence) and topic; for a model with a base, the stricter of
        its own and the base's, with the base's terms as a note."""
        own = self._decide_one(model_id, license_id, topic, form, facts, subject)
        model = self.kb.models.get(model_id) if model_id else None
        if model is None or model.base is None or model.base not in self.kb.models or not own.verified:
            return own
        base = self.kb.models[model.base]
        theirs = self._decide_one(base.id, None, own.topic, form, facts, base.name)
        if not theirs.verified:
            note = (
                f"{subject} is built on {base.name}, whose terms riderbot has not verified: "
                "they may add conditions."
            )
            return _replace(
                own,
                reply=DEPENDS if own.reply is not None else None,
                lead=LEADS[DEPENDS] if own.reply is not None else own.lead,
                notes=(*own.notes, note),
            )
        base_lic = self.kb.license_of(base.id)
        note = f"Its base model {base.name} is under the {base_lic.name}: " + (
            f"{LEADS[theirs.reply].lower()}, {theirs.body[:1].lower()}{theirs.body[1:]}"
            if theirs.reply
            else theirs.body
        )
        reply = stricter(own.reply, theirs.reply)
        quotes = own.quotes + tuple(q for q in theirs.quotes[:1] if q not in own.quotes)
        return _replace(
            own,
            reply=reply,
            lead=LEADS[reply] if reply else own.lead,
            quotes=quotes,
            notes=(*own.notes, note),
        )

    def _decide_one(
        self,
        model_id: str | None,
        license_id: str | None,
        topic: str,
        form: str | None,
        facts: Facts,
        subject: str,
    ) -> Outcome:
        kb = self.kb
        lic = kb.licenses[license_id] if license_id else kb.license_of(model_id or "")
        rider = kb.rider(model_id, None if model_id else lic.id, topic)
        if rider is None or rider.verdict == "not-verified":
            return Outcome(
                topic, "not-verified", None, None, rider.answer if rider else "", (), verified=False
            )
        candidates: list[Outcome] = []
        if facts.uses and topic in ("acceptable-use", "commercial-use"):
            candidates.append(self._use(model_id, lic.id, facts.uses[0], form, subject))
        if facts.quantities and topic in ("user-threshold", "commercial-use"):
            found = self._quantity(model_id, lic.id, facts.quantities[0], form, subject, topic)
            if found is not None:
                candidates.append(found)
        notes: list[str] = []
        if facts.places:
            found = self._place(model_id, lic.id, topic, form, facts, subject)
            if found is not None and found.details == "note":  # the place changes nothing here: a note
                notes.append(found.body[:1].upper() + found.body[1:])
            elif found is not None:
                candidates.append(found)
        if not candidates:
            plain = self._plain(rider, topic, form, lic.thresholds)
            return _replace(plain, notes=(*plain.notes, *notes)) if notes else plain
        if candidates and facts.quantities and (topic == "commercial-use" or form == PERMISSION):
            # "we make $3M a year, can we use FLUX.1 dev commercially?", "we have 5M users, can we use
            # Command R?": what the number means never outweighs a licence that says no to commercial use
            commercial = kb.rider(model_id, None if model_id else lic.id, "commercial-use")
            if commercial is not None and commercial.verdict != "not-verified":
                plain = self._plain(commercial, "commercial-use", PERMISSION, lic.thresholds)
                if plain.reply == NO:
                    candidates.append(plain)
        if candidates:
            primary = min(candidates, key=lambda o: _STRICT.get(o.reply or YES, 2))
            others = tuple(o.body for o in candidates if o is not primary)
            return _replace(primary, notes=(*primary.notes, *others))
        return self._plain(rider, topic, form, lic.thresholds)

    def _plain(
        self, rider: Rider, topic: str, form: str | None, thresholds: tuple[Threshold, ...]
    ) -> Outcome:
        t = self.kb.topics[topic]
        form = form or t.form
        body = strip_yes_no(rider.answer)
        if form == OPEN:
            lead = t.open_leads.get(rider.verdict)
            if topic == "user-threshold" and thresholds:
                lead = "; ".join(threshold_text(x) for x in thresholds)
            return Outcome(
                topic,
                rider.verdict,
                None,
                lead,
                body if lead else body[:1].upper() + body[1:],
                rider.quotes,
                details=rider.details,
                note=rider.note,
            )
        # a topic without its own "is it banned?" rule reads it as "is it restricted?"
        rules = t.replies.get(form) or (t.replies.get(RESTRICTION) if form in (BAN, COST) else None) or {}
        reply = rider.reply.get(form) or rules.get(rider.verdict) or DEPENDS
        return Outcome(
            topic,
            rider.verdict,
            reply,
            LEADS[reply],
            body,
            rider.quotes,
            details=rider.details,
            note=rider.note,
        )

    # -- a use named in the question ----------------------------------------------------------------
    def _use(
        self, model_id: str | None, license_id: str, use_id: str, form: str | None, subject: str
    ) -> Outcome:
        kb = self.kb
        use = kb.uses[use_id]
        rider = kb.rider(model_id, None if model_id else license_id, "acceptable-use")
        assert rider is not None
        banned_reply = YES if form in NEGATIVE_FORMS else NO
        allowed_reply = YES if banned_reply == NO else NO
        lic_name = kb.licenses[license_id].name
        facts = {"use": use_id}
        if rider.verdict in ("yes", "conditional"):
            clause = self.finder.policy_clause(tuple(q.source for q in rider.quotes), use_id)
            if clause is not None and not clause.qualified:
                body = f"{subject}'s licence forbids it for {use.name}: the {lic_name} rules it out in so many words."
                return Outcome(
                    "acceptable-use",
                    rider.verdict,
                    banned_reply,
                    LEADS[banned_reply],
                    body,
                    (clause.quote,),
                    facts=facts,
                )
            if clause is not None:
                body = (
                    f"the {lic_name} does not ban {use.name} as such, but it forbids a form of it (below); "
                    "whether your use falls under it depends on what exactly you do."
                )
                return Outcome(
                    "acceptable-use",
                    rider.verdict,
                    DEPENDS,
                    LEADS[DEPENDS],
                    body,
                    (clause.quote,),
                    facts=facts,
                )
            body = (
                f"the {lic_name} acceptable-use rules don't name {use.name}, but they do forbid other uses "
                "(below), and the law still applies: check that your use is not one of them."
            )
            return Outcome(
                "acceptable-use", rider.verdict, DEPENDS, LEADS[DEPENDS], body, rider.quotes[:2], facts=facts
            )
        body = (
            f"the {lic_name} has no acceptable-use policy, so it does not forbid {use.name} "
            "(the law and any policy of your own still apply)."
        )
        return Outcome(
            "acceptable-use",
            rider.verdict,
            allowed_reply,
            LEADS[allowed_reply],
            body,
            rider.quotes,
            facts=facts,
        )

    # -- a number stated in the question --------------------------------------------------------------
    def _quantity(
        self,
        model_id: str | None,
        license_id: str,
        q: Quantity,
        form: str | None,
        subject: str,
        topic: str = "user-threshold",
    ) -> Outcome | None:
        kb = self.kb
        lic = kb.licenses[license_id]
        above_reply = YES if form in NEGATIVE_FORMS else NO
        below_reply = YES if above_reply == NO else NO
        facts = {"quantity": {"metric": q.metric, "value": q.value, "text": q.text}}

        def capped(reply: str, body: str, quote: Quote) -> Outcome:
            """The user-threshold rider applies ("yes"); ``reply`` is what it means for this number."""
            return Outcome("user-threshold", "yes", reply, LEADS[reply], body, (quote,), facts=facts)

        for t in lic.thresholds:
            ratio = _ratio(q, t)
            if ratio is None:
                continue
            # money needs a margin (exchange rates, what is counted); a head count is compared as is
            margin = kb.quantities.margin if t.currency else 0.0
            limit = threshold_text(t)
            when = f" ({t.when})" if t.when else ""
            who = f" Counted: {t.who}." if t.who else ""
            if q.metric == "daily-active-users" and t.metric == "monthly-active-users" and ratio < 1:
                # daily users say little about monthly ones unless far below
                if ratio * 30 >= 1:
                    body = (
                        f"{q.text} daily users could mean more than {limit}{when}, the {lic.name}'s limit; "
                        f"above it {t.above}.{who}"
                    )
                    return capped(DEPENDS, body, t.quote)
            if ratio > 1 + margin:
                body = f"at {q.text} you are above the {lic.name}'s limit of {limit}{when}: {t.above}.{who}"
                return capped(above_reply, body, t.quote)
            if ratio < 1 - margin or (margin == 0.0 and ratio <= 1):
                body = (
                    f"at {q.text} you are under the {lic.name}'s limit of {limit}{when}, so it does not "
                    f"stop you; the rest of the licence still applies.{who}"
                )
                return capped(below_reply, body, t.quote)
            body = (
                f"{q.text} is close to the {lic.name}'s limit of {limit}{when}; above it {t.above}. "
                f"Exchange rates and what exactly is counted decide it.{who}"
            )
            return capped(DEPENDS, body, t.quote)
        if lic.thresholds and topic == "user-threshold":
            # the licence counts something else ("500k MAU" against a revenue cap): the number the
            # question gives does not settle it, the one the licence counts does
            t = lic.thresholds[0]
            limits = " or ".join(threshold_text(x) for x in lic.thresholds)
            stated = "revenue" if q.metric.endswith("revenue") else "users"
            counted = "revenue" if t.currency else "users"
            when = f" ({t.when})" if t.when else ""
            if stated == "revenue":  # a cap on users, none on revenue: the money changes nothing
                body = (
                    f"the {lic.name} has no revenue limit, so {q.text} changes nothing; its limit is on "
                    f"users: {limits}{when}, above which {t.above}."
                )
                return capped(below_reply, body, t.quote)
            body = (
                f"the {lic.name}'s limit is {limits}{when}: it counts {counted}, not {stated}, so {q.text} "
                f"does not settle it. Above that limit {t.above}."
            )
            return capped(DEPENDS, body, t.quote)
        rider = kb.rider(model_id, None if model_id else license_id, "user-threshold")
        if rider is not None and rider.verdict in ("no", "not-addressed") and not lic.thresholds:
            kind = "revenue" if q.metric.endswith("revenue") else "user"
            body = f"the {lic.name} has no {kind} limit, so {q.text} changes nothing."
            return Outcome(
                "user-threshold",
                rider.verdict,
                below_reply,
                LEADS[below_reply],
                body,
                rider.quotes,
                facts=facts,
            )
        return None

    # -- a place named in the question ----------------------------------------------------------------
    def _place(
        self, model_id: str | None, license_id: str, topic: str, form: str | None, facts: Facts, subject: str
    ) -> Outcome | None:
        kb = self.kb
        geo = kb.rider(model_id, None if model_id else license_id, "geographic-restriction")
        if geo is None or geo.verdict == "not-verified":
            return None
        lic = kb.licenses[license_id]
        countries = facts.countries
        where = " / ".join(dict.fromkeys(p.name for p in facts.places))
        excluded: set[str] = set()
        for region in geo.excluded_regions:
            if region in kb.places.regions:
                excluded |= kb.places.regions[region].members
        blocked_reply = YES if form in NEGATIVE_FORMS else NO
        free_reply = YES if blocked_reply == NO else NO
        info = {"place": sorted(countries)}
        if excluded:
            regions = ", ".join(
                kb.places.regions[r].name for r in geo.excluded_regions if r in kb.places.regions
            )
            inside, outside = countries & excluded, countries - excluded
            if inside and not outside:
                if geo.excluded_scope:
                    body = (
                        f"for {geo.excluded_scope}, no: the {lic.name} gives people and companies in {regions} "
                        f"no rights to those; its other models are not affected."
                    )
                    return Outcome(
                        "geographic-restriction",
                        geo.verdict,
                        DEPENDS,
                        LEADS[DEPENDS],
                        body,
                        geo.quotes,
                        details=strip_yes_no(geo.answer),
                        facts=info,
                    )
                inside_of = "" if where in regions else f", which includes {where}"
                body = f"the {lic.name} gives no rights to people or companies in {regions}{inside_of}."
                return Outcome(
                    "geographic-restriction",
                    geo.verdict,
                    blocked_reply,
                    LEADS[blocked_reply],
                    body,
                    geo.quotes,
                    details=strip_yes_no(geo.answer),
                    facts=info,
                )
            if inside:
                body = (
                    f"the {lic.name} excludes {regions}; {where} is partly inside it, so it depends on where "
                    "you (or your company's principal place of business) are."
                )
                return Outcome(
                    "geographic-restriction",
                    geo.verdict,
                    DEPENDS,
                    LEADS[DEPENDS],
                    body,
                    geo.quotes,
                    facts=info,
                )
            if geo.more_places:
                body = (
                    f"{where} is not among the places the {lic.name} names as excluded ({regions}), but its "
                    "terms also depend on a list of supported countries: check that yours is on it."
                )
                return Outcome(
                    "geographic-restriction",
                    geo.verdict,
                    DEPENDS,
                    LEADS[DEPENDS],
                    body,
                    geo.quotes,
                    facts=info,
                )
            body = f"{where} is not among the places the {lic.name} excludes ({regions})."
            if topic == "geographic-restriction":
                return Outcome(
                    topic, geo.verdict, free_reply, LEADS[free_reply], body, geo.quotes, facts=info
                )
            return Outcome(
                topic, geo.verdict, None, None, body, (), facts=info, verified=True, details="note"
            )
        if geo.verdict in ("no", "not-addressed"):
            body = f"the {lic.name} has no regional limits, so being in {where} changes nothing."
            if topic == "geographic-restriction":
                return Outcome(
                    topic, geo.verdict, free_reply, LEADS[free_reply], body, geo.quotes, facts=info
                )
            return Outcome(
                topic, geo.verdict, None, None, body, (), facts=info, verified=True, details="note"
            )
        return None


def _ratio(q: Quantity, t: Threshold) -> float | None:
    """The stated number over the threshold, in the threshold's terms, or None when they measure
    different things."""
    if t.metric in ("monthly-active-users", "daily-active-users", "monthly-visits"):
        if q.metric not in _USERS:
            return None
        return q.value / t.value
    if t.metric == "annual-revenue":
        if q.metric == "annual-revenue":
            return q.value / t.value
        if q.metric == "monthly-revenue":
            return 12 * q.value / t.value
        return None
    if t.metric == "monthly-revenue":
        if q.metric == "monthly-revenue":
            return q.value / t.value
        if q.metric == "annual-revenue":
            return q.value / 12 / t.value
    return None


def _replace(o: Outcome, **changes) -> Outcome:
    return replace(o, **changes)
