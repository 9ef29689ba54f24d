def primitive(f): return f
