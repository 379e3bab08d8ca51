"""Live updates: deltas published after commit on each event's channel, one listener per
worker fanning them out to the pages that watch the event."""
