"""The review workflow as data: which action moves an assessment from which status to which.

    draft → submitted → (returned → draft …) → accepted / conditional / rejected

Pure Python like the rest of scoring/: store/ applies a transition, views ask what is allowed.
"""

from .text import N_

OPEN_STATUSES = ("draft", "submitted", "returned")
DECIDED_STATUSES = ("accepted", "conditional", "rejected")

STATUS_LABELS = {
    "draft": N_("草稿"),
    "submitted": N_("待审核"),
    "returned": N_("已退回"),
    "accepted": N_("通过验收"),
    "conditional": N_("限期整改"),
    "rejected": N_("不予通过"),
}
KIND_LABELS = {"self": N_("自评"), "acceptance": N_("市级验收"), "recheck": N_("复核")}

# review action → the decision it records
REVIEW_ACTIONS = {"accept": "accepted", "conditional": "conditional", "reject": "rejected"}

# (status, action) → new status
TRANSITIONS = {
    ("draft", "save"): "draft",
    ("returned", "save"): "draft",  # editing a returned assessment makes it a draft again
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "correct"): "submitted",  # a reviewer corrects answers before deciding
    ("submitted", "return"): "returned",
    ("submitted", "accept"): "accepted",
    ("submitted", "conditional"): "conditional",
    ("submitted", "reject"): "rejected",
}

# who may take each action (district scoping is checked separately)
ACTION_ROLES = {
    "save": {"inspector", "admin"},
    "submit": {"inspector", "admin"},
    "correct": {"reviewer", "admin"},
    "return": {"reviewer", "admin"},
    "accept": {"reviewer", "admin"},
    "conditional": {"reviewer", "admin"},
    "reject": {"reviewer", "admin"},
}


class TransitionError(ValueError):
    """The action is not allowed from the current status."""


class SelfReviewError(TransitionError):
    """A reviewer (or an administrator, who holds both roles) may not review their own work."""

    def __init__(self) -> None:
        super().__init__("不能审核自己填写或提交的评估，请由其他审核员审核")


class FourEyesError(TransitionError):
    """Four eyes: a reviewer who corrected the answers may return the assessment, but the
    decision on those answers is another reviewer's."""

    def __init__(self) -> None:
        super().__init__("您更正过该评估的答案，结论须由另一位审核员作出；您可以退回修改")


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        label = STATUS_LABELS.get(status, status)
        raise TransitionError(f"状态为「{label}」的评估不能执行此操作（{action}）") from None


def allowed(status: str, action: str, role: str) -> bool:
    return (status, action) in TRANSITIONS and role in ACTION_ROLES.get(action, set())


def edit_action(status: str, role: str) -> str | None:
    """What saving an assessment's answers means for this role in this status: "save" (a draft
    or returned one, by its inspector or an administrator), "correct" (a submitted one, by a
    reviewer or an administrator), or None (not theirs to change). The pages and the API ask
    this one rule."""
    return next((a for a in ("save", "correct") if allowed(status, a, role)), None)


def title_change(kind: str, decision: str, holds_title: bool) -> str | None:
    """What a decision does to the waterbody's 市级幸福河湖 title: "grant", "revoke" or None.

    Any accepted assessment grants the title when it is not held (docs/process.md: an accepted
    assessment makes its waterbody a 市级幸福河湖); a failed re-check revokes it (摘牌).
    """
    if decision == "accepted" and not holds_title:
        return "grant"
    if kind == "recheck" and decision == "rejected" and holds_title:
        return "revoke"
    return None
