"""The inventory: model, loaders with validation, the bundled sample, NetBox sync."""
