"""A notifier plugin that cannot be imported: it needs a package that is not installed."""

import netagent_pager_sdk_not_installed  # noqa: F401
