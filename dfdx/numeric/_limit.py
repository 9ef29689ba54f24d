def limit(*a, **k):
    raise NotImplementedError
continuity = limit
