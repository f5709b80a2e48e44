"""Previews and drift detection.

- :mod:`.automation` runs ``pulumi preview`` / ``pulumi refresh --preview-only`` through the
  Automation API and collects the engine events (needs the ``pulumi`` CLI).
- :mod:`.changes` groups engine events by data product and component, counts operations,
  lists changed properties and flags dangerous changes (pure Python, no pulumi import).
- :mod:`.live` compares the manifests' desired state with AWS (and Trino) directly, without
  Pulumi state.
- :mod:`.report` renders both as a text table, Markdown or JSON.
"""
