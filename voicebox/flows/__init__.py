"""Check-in flows as data: their model, loader and structural checks."""

from voicebox.flows.loader import FlowError, builtin_flow_paths, load_builtin_flows, load_flow
from voicebox.flows.model import ANSWER_KINDS, STEP_TYPES, Choice, Flow, Step, Symbol
from voicebox.flows.structure import Problem, structural_problems

__all__ = [
    "ANSWER_KINDS",
    "STEP_TYPES",
    "Choice",
    "Flow",
    "FlowError",
    "Problem",
    "Step",
    "Symbol",
    "builtin_flow_paths",
    "load_builtin_flows",
    "load_flow",
    "structural_problems",
]
