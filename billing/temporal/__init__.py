"""The engine's Temporal client side, one concern per module: connecting, registering search
attributes, the schedules, and starting workflows once. The worker, its activities and the API
all use it. Not for workflow code: it talks to the Temporal service."""
