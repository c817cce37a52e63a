"""The one error scoring raises for answers it cannot score."""


class InvalidAnswers(ValueError):
    """The answers cannot be scored. `.errors` maps each bad field to a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(sorted(errors.items(), key=lambda kv: _field_order(kv[0])))
        super().__init__("；".join(f"{k}: {v}" for k, v in self.errors.items()))


def _field_order(path: str) -> tuple:
    head, _, rest = path.partition(".")
    letters = head.rstrip("0123456789")
    digits = head[len(letters) :]
    return (letters, int(digits) if digits else 0, rest)
