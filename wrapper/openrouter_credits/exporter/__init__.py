"""The Prometheus exporter behind ``openrouter-credits serve``: polling, alerts, exposition, HTTP."""

from ._alert_routes import NOTIFY_URL_ENV, check_notify_url
from ._channels import redact_url
from ._exporter import Exporter, default_state_dir

__all__ = ["NOTIFY_URL_ENV", "Exporter", "check_notify_url", "default_state_dir", "redact_url"]
