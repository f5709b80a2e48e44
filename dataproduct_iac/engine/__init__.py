"""A stack's changes as the Pulumi engine reports them (needs the ``pulumi`` CLI).

- :mod:`.automation` runs ``pulumi preview`` / ``pulumi refresh --preview-only`` through the
  Automation API and collects the engine events.
- :mod:`.changes` groups engine events by data product and component, counts operations, lists
  changed properties and flags dangerous changes (pure Python).
- :mod:`.report` renders a change set as a text table, Markdown or JSON.

``dataproduct preview`` and ``dataproduct drift --stack`` use them; ``drift --live`` does not
(:mod:`dataproduct_iac.drift`).
"""
