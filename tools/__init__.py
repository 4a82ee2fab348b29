"""Developer tools that measure LimeLight (benchmarks, evaluations); the application never imports them."""
