"""The facilitator's console: commands, dialogue, announcements, role grants and links, stats."""
