"""The Benefits platform: its API contract, an async client for it, and a simulator of it.

Nothing here imports the UI, the database layer or the services: the HR side depends on this
package, never the other way round.
"""
