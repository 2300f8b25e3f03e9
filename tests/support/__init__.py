"""What the tests (and the TUI benchmarks) share and the product does not ship:
a fake runner and the TUI tests' helpers."""
