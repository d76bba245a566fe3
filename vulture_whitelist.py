"""Names vulture (`make lint`) cannot see used: read by tests, benches or people.

Framework hooks (pydantic validators, HTMLParser handlers, SQLAlchemy type
decorators, discord.py and slack_sdk overrides) are ignored by name or
decorator in pyproject.toml's [tool.vulture]; this file lists only our own
fields and methods that bot/ itself never reads. Keep it short: anything new
here needs a reason.
"""

from bot.core import patterns
from bot.core.audit_events import DeliveryFailed
from bot.core.reader import dictionaries
from bot.feeds.parse_pool import _Worker
from bot.ports import FetchResult
from bot.render_png.timeline import DrawnBand, DrawnMark, PictureLayout, RenderedPicture
from bot.service.deliver import DeliveryReport
from bot.service.poll_cycle import CycleReport

# Written to the audit log by AuditEvent.to_record, which reads every field.
DeliveryFailed.subscription_disabled
FetchResult.final_url  # where redirects ended: fetch tests check it
# Counters of a cycle or a drain, for tests and bench/bench_pipeline.py.
CycleReport.fetched
CycleReport.not_modified
CycleReport.unchanged
DeliveryReport.retried
# What the picture painter says it drew where: tests/render_png read it back.
DrawnBand.box
DrawnBand.caption_box
DrawnBand.caption_inside
DrawnBand.font_size
DrawnMark.box
DrawnMark.font_size
PictureLayout.min_font_size
RenderedPicture.layout
# Set on regex's parser objects as regex.compile sets them; read by regex's own parser.
patterns._regex_core.Info.guess_encoding
patterns._regex_core.Source.ignore_space
# Read by simplemma's StreamMap and its factory, which bot/core/reader/dictionaries.py subclasses.
dictionaries.low_memory_factory()._rev
dictionaries.low_memory_factory()._lookup
dictionaries.low_memory_factory()._get_dictionary_uncached
# asyncio.Protocol's callbacks, called by the event loop's transport.
_Worker.connection_made
_Worker.data_received
_Worker.connection_lost
# Read by the traceback module: the worker's traceback shown under the bot's.
BaseException.__cause__
