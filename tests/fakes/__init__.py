"""Test doubles for the services m2bridge talks to."""
