"""What users configure: the settings (environment, ``.env``), ``feeds.yaml`` and the
storyline files, each read safely and validated into the core's types.

Reading is an adapter's job: only ``bot.app`` and the entry points import this
package; the use cases receive what it loaded.
"""
