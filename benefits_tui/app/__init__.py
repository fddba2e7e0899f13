"""The Textual app: the Benefits Management screen and the HR workflows around it."""
