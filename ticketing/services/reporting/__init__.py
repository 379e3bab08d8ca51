"""What organizers read: the live sales figures, the event report, attendee lists and ticket facts."""
