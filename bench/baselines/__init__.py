"""Bare Temporal workflows of the engine's shapes, with no HTTP and no database: what each
benchmark measures the engine against in the same run."""
