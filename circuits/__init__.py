"""circuits — neuromorphic circuit prototyping (memristors, memristive networks, crossbars).

Its systems speak the same protocol as neurodyn's models, so neurodyn's analysis applies to them.
"""
