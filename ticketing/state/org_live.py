"""The worker's organization-page fan-out (broker Profit), pushing through the same per-tab
emitter as the live hub."""

from __future__ import annotations

from ticketing.realtime.org_fanout import OrgFanout
from ticketing.realtime.org_views import load_org_view, organization_of_event
from ticketing.state.live import emit_to_tabs

org_fanout = OrgFanout(load=load_org_view, org_of_event=organization_of_event, emit=emit_to_tabs)
