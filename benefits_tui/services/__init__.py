"""The service layer: every rule of the specification, behind async functions.

The app, the command line and the tests all go through these services; nothing else
touches the database or the platform client.
"""
