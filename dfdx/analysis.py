"""limit() and continuity(): exact first, numeric as fallback (in progress)."""
def _todo(*a, **k):
    raise NotImplementedError("in progress")
limit = continuity = diff = _todo
