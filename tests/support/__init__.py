"""The test harness: fresh databases, sites made to measure, event listeners and
the whole system started as `make up` starts it."""
