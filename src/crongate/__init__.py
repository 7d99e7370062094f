"""crongate: keep Convex cron jobs and their job registry in sync, in CI."""

__version__ = "0.1.0"
