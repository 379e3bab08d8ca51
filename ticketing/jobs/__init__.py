"""Work done after commit through a durable queue: mails, Stripe follow-ups, the sweeper."""
