"""Readers: each file kind is parsed once here and handed to every check of that kind."""
