"""The chaos suite's harness. FIGURES collects the lines the last run printed, which the test
session shows in its summary."""

FIGURES: list[str] = []
