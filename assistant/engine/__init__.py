"""The policy engine, a pure core: reader → document → validator → evaluator → explain → verify/propose.

No I/O, network, environment or clock; every result is an immutable value. Import the stage modules
directly (``assistant.engine.checker``, ``assistant.engine.evaluator``, …).
"""

__all__: list[str] = []
