"""Driver integration tests: examples of the pytest plugin that double as its documentation."""
