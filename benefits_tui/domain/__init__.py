"""The domain vocabulary: sync states, phases, history actions and HR field rules.

Pure Python: no database, no HTTP, no UI.
"""
