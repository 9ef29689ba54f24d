"""GradientTape (in progress)."""
class GradientTape: pass
class Variable: pass
