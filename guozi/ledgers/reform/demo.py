def load(*, seed: int, scale: int | None, tasks: int) -> str:
    return ""


def reset() -> None:
    pass
