"""The rules of a deal: its probability, the stage gate, the gate to winning it, the
stakeholder map's gaps."""

from collections.abc import Callable

from salesflow.db import Row
from salesflow.i18n import N_, _


def deal_probability(status: str, override: int | None, stage_probability: int) -> int:
    """A won deal is certain, a lost one is gone; otherwise the deal's own figure when set,
    else its stage's."""
    if status == "won":
        return 100
    if status == "lost":
        return 0
    return stage_probability if override is None else override


def missing_checkpoints(checklist: list[Row], leaving: set[str]) -> list[Row]:
    """The stage gate: required items, in the stages being left, not yet done."""
    return [
        item
        for item in checklist
        if item["stage"] in leaving and item["required"] and not item["done"]
    ]


def won_gate(checklist: list[Row], through: set[str]) -> list[Row]:
    """What a deal still lacks to be won: the required checkpoints of its closing stage and
    of every stage before it (`through`)."""
    return missing_checkpoints(checklist, through)


def in_delivery(position: int, closing_position: int) -> bool:
    """Stages after the closing stage deliver what was won: never part of the open
    pipeline or its forecast."""
    return position > closing_position


# Each gap's message, by kind. A gap's `message` is English, like the rest of the data a
# command can print as JSON; `gap_message` words it in the user's language.
GAP_MESSAGES = {
    "no-coach": N_("no coach (引线人) identified"),
    "no-decision-maker": N_("no decision maker identified"),
    "decision-maker-unowned": N_("decision maker {name} has no owner on our side"),
    "role-unmaintained": N_("nobody of ours maintains the {role} role"),
}


def coverage_gaps(stakeholders: list[Row]) -> list[Row]:
    """Where the stakeholder map leaves the account exposed (分层销售和维护): no coach,
    no decision maker, a decision maker nobody of ours owns, a role nobody maintains."""
    gaps: list[Row] = []
    roles = {person["role"] for person in stakeholders}
    if "coach" not in roles:
        gaps.append(_gap("no-coach", "coach", None))
    if "decision-maker" not in roles:
        gaps.append(_gap("no-decision-maker", "decision-maker", None))
    for person in stakeholders:
        if person["role"] == "decision-maker" and not person["owner"]:
            gaps.append(_gap("decision-maker-unowned", "decision-maker", person))
    for role in sorted(roles - {"decision-maker"}):
        people = [person for person in stakeholders if person["role"] == role]
        if not any(person["owner"] for person in people):
            gaps.append(_gap("role-unmaintained", role, None))
    return gaps


def gap_message(gap: Row, translate: Callable[[str], str] = _) -> str:
    """What a gap from `coverage_gaps` means, in the user's language (English with N_)."""
    return translate(GAP_MESSAGES[gap["kind"]]).format(name=gap["stakeholder"], role=gap["role"])


def _gap(kind: str, role: str, person: Row | None) -> Row:
    gap = {
        "kind": kind,
        "role": role,
        "stakeholder_id": person["id"] if person else None,
        "stakeholder": person["name"] if person else None,
    }
    return {**gap, "message": gap_message(gap, N_)}


def share_pct(part: int, whole: int) -> float | None:
    """A share as a percentage with one decimal; None when there is nothing to share."""
    return None if not whole else round(100 * part / whole, 1)


def people_missing(roles: list[str], stakeholders: list[Row]) -> list[str]:
    """A people gate: the roles it needs that no stakeholder fills with one of our people
    as owner (a coach nobody of ours maintains does not count)."""
    covered = {person["role"] for person in stakeholders if (person["owner"] or "").strip()}
    return [role for role in roles if role not in covered]


def unanswered(questions: list[Row]) -> list[Row]:
    """The standard questions of a stage still without an answer."""
    return [question for question in questions if question["answer"] is None]
