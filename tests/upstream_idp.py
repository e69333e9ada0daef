"""The social sign-in provider of the tests: scripts/demo_provider.py (a second Hydra and its
login-and-consent app), which `DEMO_PROVIDER=1 make dev` also runs."""

from demo_provider import PROVIDER_ID, PROVIDER_LABEL, Upstream

__all__ = ["PROVIDER_ID", "PROVIDER_LABEL", "Upstream"]
