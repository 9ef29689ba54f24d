"""(in progress)"""
from dfdx.symbolic._parse import parse
from dfdx.symbolic._trace import trace, exact_number, SymbolicArray
