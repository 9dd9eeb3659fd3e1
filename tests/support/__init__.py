"""Shared test support (generated test images, ...). Import as `from tests.support import images`."""
