"""Widgets of the Benefits Management screen."""
