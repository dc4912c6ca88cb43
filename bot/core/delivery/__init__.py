"""Getting rows out: delivery rows, the dispatcher and its pacer, send budget, outbox, reminders."""
